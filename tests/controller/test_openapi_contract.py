"""The OpenAPI document says what the server does: operations named after what they do, every
error a route answers documented as application/problem+json, the answers match it, and every
schema shows a valid example."""

from __future__ import annotations

import json
import re

import jsonschema_rs
from pydantic import BaseModel, ValidationError

from controller.roles import Role

METHODS = ("get", "post", "put", "patch", "delete")


async def _spec(controller) -> dict:
    r = await controller.client.get("/openapi.json")
    assert r.status_code == 200
    return r.json()


def _ops(spec: dict):
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            if method in METHODS:
                yield path, method, op


async def test_operations_are_named_after_what_they_do_and_tagged(controller):
    spec = await _spec(controller)
    ids = [op["operationId"] for _, _, op in _ops(spec)]
    assert len(ids) == len(set(ids)) and len(ids) > 100
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) and "api_v1" not in i for i in ids), ids
    assert {
        "create_session",
        "end_session",
        "issue_token",
        "acknowledge_alarm",
        "start_readiness_run",
    } <= set(ids)
    assert all(op.get("tags") for _, _, op in _ops(spec))


async def test_every_error_a_route_answers_is_documented_as_problem_json(controller):
    spec = await _spec(controller)
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and {"Problem", "ValidationProblem"} <= set(schemas)
    for path, method, op in _ops(spec):
        responses = op["responses"]
        for code, answer in responses.items():
            if code[0] in "45":
                assert list(answer["content"]) == ["application/problem+json"], (path, method, code)
        if op.get("x-roles") != ["public"]:
            assert {"401", "403"} <= set(responses), (path, method)
        if "{" in path:
            assert "404" in responses, (path, method)
        if op.get("parameters") or "requestBody" in op:
            ref = responses["422"]["content"]["application/problem+json"]["schema"]["$ref"]
            assert ref.endswith("/ValidationProblem"), (path, method)


async def test_the_answers_match_what_is_documented(controller):
    spec = await _spec(controller)
    documented = spec["components"]["schemas"]["Problem"]["required"]
    r = await controller.client.get("/api/v1/endpoints")  # no token
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert set(documented) <= set(r.json())
    r = await controller.client.post(
        "/api/v1/sessions", json={"title": ""}, headers=controller.auth(Role.host)
    )
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert set(documented) <= set(body) and body["errors"]
    assert {"location", "reason", "code", "params"} <= set(body["errors"][0])
    r = await controller.client.get(
        "/api/v1/endpoints/7d1e8f0c-1111-4222-8333-944445555666", headers=controller.auth(Role.technician)
    )
    assert (
        r.status_code == 404 and "404" in spec["paths"]["/api/v1/endpoints/{endpoint_id}"]["get"]["responses"]
    )


# Schemas the API layer writes itself (form bodies, problems): no pydantic model to construct.
NOT_MODELS = re.compile(r"Body_\w+|Problem|ValidationProblem")


def _models_by_title() -> dict[str, list[type[BaseModel]]]:
    """Every pydantic model of the controller (generic pages' parametrisations included) by
    its schema title: ``EndpointPublic``, ``Page[EndpointPublic]``."""
    found: dict[str, list[type[BaseModel]]] = {}
    todo: list[type[BaseModel]] = [BaseModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("controller."):
                found.setdefault(sub.model_config.get("title") or sub.__name__, []).append(sub)
    return found


async def test_every_schema_has_examples_that_validate(controller):
    """An integrator reads an example of every schema, and each one is valid: against the
    published schema (refs resolved, formats checked) and, where a model stands behind it,
    through the model itself (its validators too: hosts, scopes, dial patterns)."""
    spec = await _spec(controller)
    schemas = spec["components"]["schemas"]
    missing = sorted(name for name, schema in schemas.items() if not schema.get("examples"))
    assert not missing, f"{len(missing)} component schema(s) without examples: {', '.join(missing)}"
    objects_without_one = [
        name
        for name, schema in schemas.items()
        if schema.get("type") == "object" and not all(isinstance(e, dict) for e in schema["examples"])
    ]
    assert not objects_without_one, f"object schemas need whole-object examples: {objects_without_one}"

    invalid = []
    for name, schema in schemas.items():
        validator = jsonschema_rs.Draft202012Validator(
            {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}, validate_formats=True
        )
        for i, example in enumerate(schema["examples"]):
            invalid += [
                f"{name}.examples[{i}] at /{'/'.join(map(str, e.instance_path))}: {e.message}"
                for e in validator.iter_errors(example)
            ]
    assert not invalid, "examples that do not validate against their schema:\n" + "\n".join(invalid)

    models = _models_by_title()
    refused = []
    for name, schema in schemas.items():
        if NOT_MODELS.fullmatch(name) or "enum" in schema:  # an enum's values: checked above
            continue
        title = schema.get("title", name)
        assert len(models.get(title, [])) == 1, f"{name}: which model is {title!r}? {models.get(title)}"
        (model,) = models[title]
        for i, example in enumerate(schema["examples"]):
            try:
                model.model_validate_json(json.dumps(example))
            except ValidationError as exc:
                refused.append(f"{name}.examples[{i}]: {exc}")
    assert not refused, "examples their own model refuses:\n" + "\n".join(refused)

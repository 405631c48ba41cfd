"""The OpenAPI document says what the server does: operations named after what they do, every
error a route answers documented as application/problem+json, and the answers match it."""

from __future__ import annotations

import re

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

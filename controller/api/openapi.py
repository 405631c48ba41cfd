"""The OpenAPI document as an integrator's client generator needs it.

FastAPI's defaults describe a different server: operation ids like
``token_api_v1_auth_token_post``, and validation errors in FastAPI's own JSON shape while
this server answers every error as RFC 9457 ``application/problem+json``
(``controller.api.problems``). Here each operation is named after its route function
(``create_session``, ``end_session``), and the errors a route can answer are documented on
it with the problem schema: 401 and 403 on every route that needs a role, 404 where the
path names something, 409 on writes, 422 wherever a parameter or body is read.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from controller.api.problems import PROBLEM_JSON

__all__ = ["install", "operation_id"]

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details; `code` is stable, `detail` English, more fields per error",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "examples": ["urn:diemcau:problem:not-found"]},
        "title": {"type": "string", "examples": ["Not found"]},
        "status": {"type": "integer", "examples": [404]},
        "detail": {
            "type": "string",
            "examples": ["endpoint 7d1e8f0c-1111-4222-8333-944445555666 does not exist"],
        },
        "instance": {
            "type": "string",
            "examples": ["/api/v1/endpoints/7d1e8f0c-1111-4222-8333-944445555666"],
        },
        "code": {"type": "string", "examples": ["not-found"]},
        "request_id": {"type": "string", "examples": ["b8f0c2d9a1e44f7e"]},
    },
    "additionalProperties": True,
}
VALIDATION_PROBLEM = {
    "allOf": [
        {"$ref": "#/components/schemas/Problem"},
        {
            "type": "object",
            "properties": {
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "location": {"type": "string", "examples": ["body.scope.units.0.unit"]},
                            "reason": {"type": "string", "examples": ["Field required"]},
                            "code": {"type": "string", "examples": ["value.missing"]},
                            "params": {"type": "object"},
                        },
                    },
                }
            },
        },
    ]
}
WHY = {
    "401": "No valid bearer token (sign in, or an API key)",
    "403": "The token's roles do not allow this route, or not in this unit",
    "404": "What the path names does not exist (or lies outside the caller's units)",
    "409": "The change conflicts with the current state (the detail says which)",
    "422": "A parameter or the body is invalid: `errors` lists each one with its location",
}


def operation_id(route: APIRoute) -> str:
    """The route function's name: what it does (``create_session``), unique across the API."""
    return route.name


def _problem(code: str, schema: str = "Problem") -> dict[str, Any]:
    return {
        "description": WHY[code],
        "content": {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def document_problems(spec: dict[str, Any]) -> dict[str, Any]:
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM
    schemas["ValidationProblem"] = VALIDATION_PROBLEM
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = op.setdefault("responses", {})
            secured = bool(op.get("x-roles")) and op.get("x-roles") != ["public"]
            reads_input = bool(op.get("parameters")) or "requestBody" in op
            if reads_input or "422" in responses:
                responses["422"] = _problem("422", "ValidationProblem")
            if secured:
                responses.setdefault("401", _problem("401"))
                responses.setdefault("403", _problem("403"))
                if method != "get":
                    responses.setdefault("409", _problem("409"))
            if "{" in path:
                responses.setdefault("404", _problem("404"))
            for code, answer in responses.items():  # every error is a problem, whoever declared it
                if code[0] in "45" and code != "422":
                    answer["content"] = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return spec


def install(app: FastAPI) -> None:
    """Name operations after their routes and document their problems, once per app."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            app.openapi_schema = document_problems(spec)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

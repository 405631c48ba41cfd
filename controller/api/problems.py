"""RFC 9457 problem details: the one place errors become HTTP responses.

No handler here ever includes a traceback or the request body: a malformed
request echoes the offending location and message, never a submitted secret.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from controller.csv_rows import scalar_params
from controller.errors import DomainError
from controller.logs import REQUEST_ID

log = logging.getLogger("diemcau.api")
PROBLEM_JSON = "application/problem+json"

_HTTP_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "invalid-input",
    429: "too-many-requests",
}


def problem(
    status: int, slug: str, title: str, detail: str, instance: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:diemcau:problem:{slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body["code"] = slug  # a domain error may name a finer one in ``extra`` (unit.outside_scope)
    body.update(extra)
    # the id of this request in the server's log lines (controller.api.request_ids)
    if (request_id := REQUEST_ID.get()) is not None:
        body["request_id"] = request_id
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Each complaint with where, an English reason, and a stable ``code`` with its
    ``params`` (the same codes as a spreadsheet's row errors) for a console to word."""
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        out.append(
            {
                "location": ".".join(loc),
                "reason": err.get("msg", "invalid"),
                "code": f"value.{err.get('type', 'invalid')}",
                "params": scalar_params(err.get("ctx")),
            }
        )
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        response = problem(exc.status, exc.slug, exc.title, exc.detail, request.url.path, **exc.extra)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        detail = "; ".join(f"{e['location']}: {e['reason']}" for e in errors[:5])
        return problem(422, "invalid-input", "Invalid input", detail, request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = _HTTP_SLUGS.get(exc.status_code, "http-error")
        title = slug.replace("-", " ").capitalize()
        resp = problem(exc.status_code, slug, title, str(exc.detail), request.url.path)
        for key, value in (exc.headers or {}).items():
            resp.headers[key] = value
        return resp

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value the validators let through (e.g. a character
        # PostgreSQL cannot store): the client's input, so a 422, never a 500.
        log.warning("database refused a value on %s %s", request.method, request.url.path)
        return problem(
            422,
            "invalid-input",
            "Invalid input",
            "a value cannot be stored (unsupported characters or size)",
            request.url.path,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Logged with the type only: exception text may carry data we must not log.
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return problem(500, "internal", "Internal error", "an unexpected error occurred; see server log")

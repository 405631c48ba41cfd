"""Request bodies are bounded before anything parses them.

Each request's limit comes from what it carries: a file upload (``multipart/form-data``,
the CSV imports) gets ``max_csv_bytes`` plus room for the multipart envelope; the login
form a few KiB, and only as ``application/x-www-form-urlencoded`` (so no file part is ever
spooled for an unauthenticated caller); every other request ``max_json_bytes``. Judging by
the content type, not by the route, costs nothing per app or request (finding the routes
that take files means building every route's dependencies again), and a multipart body
sent to a JSON route is refused by that route after at most the upload limit.

A declared Content-Length over the limit is answered 413 without reading a byte; a body
without one (chunked) is counted as it arrives and cut at the limit. Either way the
answer is problem+json. The application's own checks (the CSV row and byte limits, the
WHEP offer size) stay: this is the outer fence, sized so they still give their own
clearer answer for a file just over their limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from controller.api.problems import problem

MULTIPART_OVERHEAD = 64 * 1024  # boundaries, part headers and small fields beside the file
LOGIN_FORM_LIMIT = 16 * 1024  # user name, password and the OAuth2 fields, with room to spare
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


@dataclass(frozen=True)
class Rule:
    """The body limit (and, if set, the only content type) of one route."""

    pattern: re.Pattern[str]
    methods: frozenset[str]
    limit: int
    content_type: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return method in self.methods and self.pattern.match(path) is not None


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when the counted body passes the limit; an HTTPException so
    FastAPI's body parsing passes it on and `problems` answers it as problem+json."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"the request body is larger than {limit} bytes")
        self.limit = limit


def login_rule(path: str) -> Rule:
    return Rule(re.compile(f"^{re.escape(path)}$"), frozenset({"POST"}), LOGIN_FORM_LIMIT, FORM)


class BodyLimits:
    """ASGI middleware: the limit per route class, checked on the headers, then counted."""

    def __init__(self, app: ASGIApp, *, default: int, upload: int, rules: list[Rule]) -> None:
        self.app = app
        self.default = default
        self.upload = upload
        self.rules = rules

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        rule = next((r for r in self.rules if r.matches(method, path)), None)
        headers = Headers(scope=scope)
        declared_type = headers.get("content-type", "").split(";")[0].strip().lower()
        limit = rule.limit if rule else self.upload if declared_type == MULTIPART else self.default
        if rule and rule.content_type:
            if declared_type != rule.content_type:
                response = problem(
                    415,
                    "unsupported-media-type",
                    "Unsupported media type",
                    f"send this as {rule.content_type}",
                    path,
                )
                await response(scope, receive, send)
                return
        length = _content_length(headers)
        if length is not None and length > limit:
            await _too_large(limit, path)(scope, receive, send)
            return

        seen = 0
        over = started = answered = False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    raise BodyTooLarge(limit)
            return message

        async def tracked(message: Message) -> None:
            nonlocal started, answered
            if over and not started:
                # Whatever the application made of the cut (a middleware may have wrapped the
                # error into a 400), the answer is the 413.
                started = answered = True
                await _too_large(limit, path)(scope, receive, send)
            if answered:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(limit, path)(scope, receive, send)


def _too_large(limit: int, path: str) -> JSONResponse:
    return problem(
        413, "payload-too-large", "Payload too large", f"the request body is larger than {limit} bytes", path
    )


def _content_length(headers: Headers) -> int | None:
    try:
        return int(headers["content-length"])
    except (KeyError, ValueError):
        return None

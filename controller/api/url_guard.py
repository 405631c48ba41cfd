"""Refuses a URL with a NUL character, before any route: PostgreSQL cannot store NUL, so the
same answer is given on every backend.

A plain ASGI middleware: Starlette's ``@app.middleware("http")`` form runs every request
through a task group and memory streams, about a millisecond each, which at an operations
centre's 200 requests a second was a fifth of a core spent on a byte search.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from controller.api.problems import problem

__all__ = ["RejectNul"]


class RejectNul:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            b"%00" in scope.get("query_string", b"") or "\x00" in scope.get("path", "")
        ):
            answer = problem(
                400, "bad-request", "Bad request", "NUL characters are not allowed in the URL", scope["path"]
            )
            await answer(scope, receive, send)
            return
        await self.app(scope, receive, send)

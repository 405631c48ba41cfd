"""A request id for every request: taken from ``X-Request-ID`` when a proxy sent a plain one,
made here otherwise; echoed in the response header, put in every problem response
(``request_id``) and on every log line written while the request is served.

Outermost of the middlewares, so the 401s and 413s the others answer carry it too.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from controller.logs import REQUEST_ID, new_request_id, valid_request_id

__all__ = ["RequestIds"]

HEADER = b"x-request-id"


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == HEADER), b"")
        rid = valid_request_id(given.decode("latin-1")) or new_request_id()
        token = REQUEST_ID.set(rid)

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message["headers"] = [*headers, (HEADER, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        finally:
            REQUEST_ID.reset(token)

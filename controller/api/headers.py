"""Security headers on every response: the console, the docs page and the API alike.

- ``Content-Security-Policy``: scripts, styles and connections from the controller only,
  no inline script or style (the console builds its DOM with `h()` and sets styles through
  ``element.style``, which CSP allows), images also as ``data:`` and ``blob:`` (snapshots
  are fetched with the token and shown as blob URLs), no plugins, no ``<base>``, and no
  framing (``frame-ancestors 'none'``; ``X-Frame-Options`` for older browsers). WHEP video
  reaches the page as a MediaStream, which no fetch directive governs.
- ``X-Content-Type-Options: nosniff``: a response is only ever what its type says.
- ``Referrer-Policy: no-referrer``: the console's URLs (camera ids, the player's fragment)
  never leave in a Referer.

A route that sets one of these itself keeps its own value.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


class SecurityHeaders:
    """ASGI middleware: adds `HEADERS` to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {key.lower() for key, _ in headers}
                headers.extend((key, value) for key, value in HEADERS if key not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)

"""Validators and compression for the answers pollers ask for again and again.

A video wall refreshing every few seconds, and an IOC system polling, mostly ask for what
they already have. Each answer here carries an ``ETag`` made from what the answer depends on
(the live view's versions, the query, the caller's scope), so the question "has it changed?"
is answered before any body is built: ``If-None-Match`` with the current tag gets ``304 Not
Modified`` and no body. A body that is built is kept with its tag (a few, the most recent),
gzip'ed once for the clients that accept it, so the tenth wall asking for the same summary
costs a dictionary lookup.

Tags are weak (``W/``): the gzip'ed and the plain bodies are the same answer. ``Cache-Control:
private, no-cache`` lets a browser keep it but makes it ask every time, and no shared cache
keeps one caller's scope for another (``Vary: Authorization``).
"""

from __future__ import annotations

import gzip
from collections import OrderedDict
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["ResponseCache"]

MIN_GZIP = 1024  # below a packet's worth, compressing saves nothing
_KEPT = 256


class ResponseCache:
    """The last bodies built, by tag; one per application."""

    def __init__(self, kept: int = _KEPT) -> None:
        self.kept = kept
        self._bodies: OrderedDict[str, tuple[bytes, bytes | None]] = OrderedDict()
        self.not_modified = 0
        self.built = 0
        self.reused = 0

    def respond(self, request: Request, tag: str | None, build: Callable[[], bytes]) -> Response:
        """The JSON answer ``build`` makes, validated by ``tag`` (None: built every time, no
        validator): 304 when the client holds it, else the kept or a new body."""
        gzip_ok = "gzip" in request.headers.get("accept-encoding", "").lower()
        if tag is None:
            return _response(build(), None, gzip_ok, None)
        etag = f'W/"{tag}"'
        if _matches(request.headers.get("if-none-match"), tag):
            self.not_modified += 1
            return Response(status_code=304, headers=_headers(etag))
        kept = self._bodies.get(tag)
        if kept is None:
            self.built += 1
            body = build()
            kept = (body, gzip.compress(body, 6) if len(body) >= MIN_GZIP else None)
            self._bodies[tag] = kept
            while len(self._bodies) > self.kept:
                self._bodies.popitem(last=False)
        else:
            self.reused += 1
            self._bodies.move_to_end(tag)
        body, zipped = kept
        return _response(body, zipped, gzip_ok, etag)


def _matches(header: str | None, tag: str) -> bool:
    """RFC 9110 weak comparison: any listed tag, weak or strong, with our opaque value."""
    if not header:
        return False
    for item in header.split(","):
        item = item.strip()
        if item == "*":
            return True
        if item.removeprefix("W/") == f'"{tag}"':
            return True
    return False


def _headers(etag: str | None) -> dict[str, str]:
    headers = {"Cache-Control": "private, no-cache", "Vary": "Accept-Encoding, Authorization"}
    if etag is not None:
        headers["ETag"] = etag
    return headers


def _response(body: bytes, zipped: bytes | None, gzip_ok: bool, etag: str | None) -> Response:
    headers = _headers(etag)
    if gzip_ok and zipped is None and len(body) >= MIN_GZIP:
        zipped = gzip.compress(body, 6)
    if gzip_ok and zipped is not None:
        headers["Content-Encoding"] = "gzip"
        return Response(zipped, media_type="application/json", headers=headers)
    return Response(body, media_type="application/json", headers=headers)

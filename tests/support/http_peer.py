"""A bare HTTP server on loopback that answers every request as a test says: what an address
typed into a device or sink field would reach if it pointed at some other service."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TypeVar

SECRET_PAGE = b"<html><body>internal admin page: db-password=hunter2</body></html>"


@dataclass
class Peer:
    """Answers every request with ``status``, ``content_type`` and ``body`` (``chunks`` times over)."""

    status: int = 200
    content_type: str = "text/html"
    body: bytes = SECRET_PAGE
    chunks: int = 1
    declare_length: bool = True
    connections: int = 0
    bytes_sent: int = 0
    port: int = 0
    requests: list[bytes] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                ),
                0,
            )
            self.requests.append(head + await reader.readexactly(length))
            length = f"Content-Length: {len(self.body) * self.chunks}\r\n" if self.declare_length else ""
            writer.write(
                f"HTTP/1.1 {self.status} X\r\nContent-Type: {self.content_type}\r\n"
                f"{length}Connection: close\r\n\r\n".encode()
            )
            for _ in range(self.chunks):
                writer.write(self.body)
                await writer.drain()
                self.bytes_sent += len(self.body)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


P = TypeVar("P")


@contextlib.asynccontextmanager
async def serving(p: P) -> AsyncIterator[P]:
    """``p`` (anything with an asyncio stream ``handle`` and a ``port``) listening on loopback."""
    server = await asyncio.start_server(p.handle, "127.0.0.1", 0)  # type: ignore[attr-defined]
    p.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    try:
        yield p
    finally:
        server.close()
        await server.wait_closed()


def running_peer() -> contextlib.AbstractAsyncContextManager[Peer]:
    return serving(Peer())

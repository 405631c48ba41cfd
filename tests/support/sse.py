"""Read a few events from a never-ending SSE route by driving the ASGI app directly.

httpx's ASGI transport waits for the whole body, which an event stream never
finishes; here we stop after `count` events and disconnect like a browser.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from tests.support.waiting import PATIENT_S, until


def get_scope(path: str, headers: dict[str, str], query: str = "") -> dict[str, Any]:
    """The ASGI scope of a browser's GET of ``path``."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }


def browser_receive(disconnect: asyncio.Event) -> Callable[[], Awaitable[dict[str, Any]]]:
    """ASGI ``receive`` of a browser's GET: an empty body, then a disconnect once it is set."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await disconnect.wait()
        return {"type": "http.disconnect"}

    return receive


async def read_events(
    app: Any, path: str, headers: dict[str, str], count: int, limit_s: float = 10.0, query: str = ""
) -> list[tuple[str | None, str | None, Any]]:
    """(event, id, data) for the first `count` events (comments are skipped)."""
    events: list[tuple[str | None, str | None, Any]] = []
    buffer = ""
    done = asyncio.Event()
    disconnect = asyncio.Event()
    status: dict[str, int] = {}

    receive = browser_receive(disconnect)

    async def send(message: dict[str, Any]) -> None:
        nonlocal buffer
        if message["type"] == "http.response.start":
            status["code"] = message["status"]
        elif message["type"] == "http.response.body":
            buffer += message.get("body", b"").decode()
            while "\n\n" in buffer:
                block, buffer = buffer.split("\n\n", 1)
                fields: dict[str, str] = {}
                for line in block.splitlines():
                    if line.startswith(":"):
                        continue
                    key, _, value = line.partition(": ")
                    fields[key] = value
                if "data" in fields:
                    events.append((fields.get("event"), fields.get("id"), json.loads(fields["data"])))
                if len(events) >= count:
                    done.set()
            if not message.get("more_body", False):
                done.set()

    scope = get_scope(path, headers, query)
    task = asyncio.create_task(app(scope, receive, send))
    try:
        await asyncio.wait_for(done.wait(), limit_s)
    finally:
        disconnect.set()
        task.cancel()
        await end_of(task, limit_s, path)
    assert status.get("code") == 200, status
    return events


@contextlib.asynccontextmanager
async def open_stream(
    app: Any, path: str, headers: dict[str, str], query: str = "", limit_s: float = 10.0
) -> AsyncIterator[dict[str, Any]]:
    """Hold a stream open, as a browser tab does, until the block ends; yields its response start
    (``status``, and ``body`` when the answer was not a stream, e.g. a 429 problem)."""
    started = asyncio.Event()
    disconnect = asyncio.Event()
    response: dict[str, Any] = {"body": b""}
    receive = browser_receive(disconnect)

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            response["status"] = message["status"]
        elif message["type"] == "http.response.body":
            response["body"] += message.get("body", b"")
            started.set()  # the first body part: a stream has begun, or a short answer is complete

    scope = get_scope(path, headers, query)
    task = asyncio.create_task(app(scope, receive, send))
    try:
        await asyncio.wait_for(started.wait(), limit_s)
        yield response
    finally:
        disconnect.set()
        await end_of(task, limit_s, path)


async def end_of(task: asyncio.Task[Any], limit_s: float, what: str) -> None:
    """Wait (bounded) for an application task to end after its client left; cancel it if it
    does not, and fail with where it is stuck if even that does not end it. Never waits forever:
    ``asyncio.wait_for`` would, on a task that swallows its cancellation."""
    done, _ = await asyncio.wait({task}, timeout=limit_s)
    if not done:
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=limit_s)
    if not done:
        stack = "".join(
            f"  {f.f_code.co_filename}:{f.f_lineno} {f.f_code.co_name}\n" for f in task.get_stack()
        )
        raise AssertionError(f"{what}: the application did not end after a disconnect and a cancel:\n{stack}")
    if not task.cancelled():
        task.exception()  # retrieved: a stream cut by the disconnect may end with an error


async def read_to_end(
    app: Any,
    path: str,
    headers: dict[str, str],
    limit_s: float = PATIENT_S,
    opened: asyncio.Event | None = None,
) -> tuple[int | None, str]:
    """(status, whole body) of a stream that the server ends by itself; AssertionError if it
    is still open after ``limit_s`` (then the stream is disconnected like a browser would).
    ``opened`` is set once the response has begun."""
    chunks: list[bytes] = []
    status: dict[str, int] = {}
    ended = asyncio.Event()
    disconnect = asyncio.Event()

    receive = browser_receive(disconnect)

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status["code"] = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if opened is not None:
                opened.set()
            if not message.get("more_body", False):
                ended.set()

    scope = get_scope(path, headers)
    task = asyncio.create_task(app(scope, receive, send))
    try:
        await until(ended.is_set, seconds=limit_s, what=f"the server ends {path}")
    finally:
        disconnect.set()
        await end_of(task, PATIENT_S, path)
    if not task.cancelled() and task.exception() is not None:
        raise task.exception()  # type: ignore[misc]
    return status.get("code"), b"".join(chunks).decode()

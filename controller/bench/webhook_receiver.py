"""A real HTTP webhook receiver on a random loopback port, for delivery tests and benchmarks.

Run alone (``python -m controller.bench.webhook_receiver SECRET PORT [DELAY_MS]``) it
serves until killed and prints its counts on ``GET /counts``.

It verifies every Standard Webhooks signature, records what arrived in order,
and can be switched "down" (answers 503) to play an IOC outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response

from controller.bench.harness import free_port
from controller.ioc.signing import verify


@dataclass
class Receiver:
    secret: str = ""
    down: bool = False
    delay_s: float = 0.0  # the IOC's own processing and network time per request
    received: list[dict[str, Any]] = field(default_factory=list)  # accepted events, in arrival order
    ids: list[str] = field(default_factory=list)
    bad_signatures: int = 0
    refused: int = 0
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            if self.down:
                self.refused += 1
                return Response(status_code=503)
            if not self.secret or not verify(self.secret, dict(request.headers), body):
                self.bad_signatures += 1
                return Response(status_code=401)
            self.ids.append(request.headers["webhook-id"])
            self.received.append(json.loads(body))
            return Response(status_code=204)

        return app


@contextlib.asynccontextmanager
async def running_receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver(port=free_port())
    server = uvicorn.Server(
        uvicorn.Config(receiver.app(), host="127.0.0.1", port=receiver.port, log_level="error")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield receiver
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


def main(secret: str, port: int, delay_ms: float = 0) -> None:
    receiver = Receiver(secret=secret, port=port, delay_s=delay_ms / 1000)
    app = receiver.app()

    @app.get("/counts")
    async def counts() -> dict[str, int]:
        return {
            "received": len(receiver.received),
            "unique": len(set(receiver.ids)),
            "bad": receiver.bad_signatures,
        }

    @app.get("/received")
    async def received() -> list[list[Any]]:
        """[entity, event id] per accepted delivery, in arrival order (duplicates included)."""
        return [[f"{e['entity']['type']}:{e['entity']['id']}", e["id"]] for e in receiver.received]

    @app.post("/down")
    async def go_down() -> dict[str, bool]:
        receiver.down = True
        return {"down": True}

    @app.post("/up")
    async def come_up() -> dict[str, bool]:
        receiver.down = False
        return {"down": False}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error")


if __name__ == "__main__":
    import sys

    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 0)

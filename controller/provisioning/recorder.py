"""Group commit for job progress.

Hundreds of endpoints finish within milliseconds of each other; one
transaction per update would serialise them on SQLite's single writer. Each
`write` waits until its change is committed (so a caller can rely on it being
durable, e.g. before writing to a device), but all writes queued meanwhile
share one transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from controller.db import Database
from controller.tasks import cancel_and_wait

log = logging.getLogger("diemcau.jobs")
Op = Callable[[AsyncSession], Awaitable[None]]


class Recorder:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._queue: list[tuple[Op, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def write(self, op: Op) -> None:
        """Run `op` in a shared transaction; return once it is committed."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._loop())
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((op, fut))
        self._wake.set()
        await fut

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._queue = self._queue, []
            if not batch:
                continue
            try:
                async with self._db.transaction() as session:
                    for op, _ in batch:
                        await op(session)
            except Exception as exc:  # noqa: BLE001 - reported to every waiter
                log.error("job progress write failed: %s", type(exc).__name__)
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            for _, fut in batch:
                if not fut.done():
                    fut.set_result(None)

    async def close(self) -> None:
        await cancel_and_wait([self._task])

"""In-process fan-out of live updates, per job or session, to listeners (SSE streams, the CLI bar).

Listeners get a bounded queue; a listener that falls behind loses events
rather than slowing the work, and SSE clients recover by reconnecting (the
stream starts with a snapshot from the database).
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

QUEUE_SIZE = 10_000


class Fanout:
    def __init__(self) -> None:
        self._listeners: dict[uuid.UUID, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self._seq = itertools.count(1)

    def publish(self, key: uuid.UUID, event: str, data: dict[str, Any]) -> None:
        message = {"seq": next(self._seq), "event": event, "data": data}
        for queue in list(self._listeners.get(key, ())):
            if queue.full():
                continue
            queue.put_nowait(message)

    @asynccontextmanager
    async def listen(self, key: uuid.UUID) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._listeners[key].add(queue)
        try:
            yield queue
        finally:
            self._listeners[key].discard(queue)
            if not self._listeners[key]:
                del self._listeners[key]

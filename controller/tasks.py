"""Stopping background tasks: one way, used by every service that owns a task."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable


async def cancel_and_wait(tasks: Iterable[asyncio.Task | None]) -> None:
    """Cancel the tasks and wait until each has finished; their errors are not re-raised
    (a stopping service has nobody left to report them to — they were logged where raised)."""
    live = [t for t in tasks if t is not None and not t.done()]
    for task in live:
        task.cancel()
    await asyncio.gather(*live, return_exceptions=True)

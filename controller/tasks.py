"""Background tasks: one way to stop them, and one supervisor for "a task per registry row".

The endpoint poller, the camera monitor and the sink dispatcher all follow a table (the
registry's endpoints, the enabled cameras, the enabled sinks): each row gets a task of its
own, a row that changes gets a fresh task, a row that goes away loses its task. The
`Supervisor` is that rule written once, with one error policy:

- a failed pass over the table is logged and tried again at the next tick; the tasks
  already running go on (a database blip must not stop the watch);
- a row's task that raises is logged with the row's name and started again after a pause;
  one that returns has finished its work (an endpoint whose profile is gone) and is left
  alone until its row changes;
- a task being replaced or stopped is halted by the owner's ``halt`` (the sink dispatcher
  lets a delivery pass finish), cancelled by default, and always awaited, so two tasks of
  one row never run at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["Row", "Supervisor", "cancel_and_wait"]

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


async def cancel_and_wait(tasks: Iterable[asyncio.Task[Any] | None]) -> None:
    """Cancel the tasks and wait until each has finished; their errors are not re-raised
    (a stopping service has nobody left to report them to — they were logged where raised)."""
    started = [t for t in tasks if t is not None and not t.done()]
    live = set(started)
    while live:
        for task in live:
            task.cancel()
        # Python 3.11's asyncio.wait_for loses a cancellation that arrives as its awaitable
        # completes (gh-86296, fixed in 3.12): a task caught there would run on and a stop
        # would wait forever. So a task still running a second later is cancelled again.
        _done, live = await asyncio.wait(live, timeout=1.0)
    for task in started:
        if not task.cancelled():
            task.exception()  # retrieved: logged where raised, nobody else wants it


@dataclass(frozen=True)
class Row(Generic[R]):
    """A row as the supervisor sees it: its version (a change restarts its task), a name for
    logs and task names, and what the task is given."""

    version: Hashable
    name: str
    value: R


class Supervisor(Generic[K, R]):
    """Keeps one task per row of a table, following the table as it changes.

    ``read`` returns the rows that should have a task, or None when the table is known to be
    unchanged since the last pass (a cheap fingerprint saves the full read). ``prepare`` runs
    in the pass itself, before the row's task starts, so the owner's view of the row is in
    place when `reconcile` returns; ``run`` is the row's task. ``halt``
    stops a task (default: cancel). ``on_stop(key, gone)`` runs once a row's task has ended,
    ``gone`` when the row left the table rather than changed (release what the row held).
    """

    def __init__(
        self,
        name: str,
        read: Callable[[], Awaitable[Mapping[K, Row[R]] | None]],
        run: Callable[[K, R], Awaitable[None]],
        *,
        every_s: float,
        log: logging.Logger,
        prepare: Callable[[K, R], None] | None = None,
        halt: Callable[[K, asyncio.Task[None]], Awaitable[None]] | None = None,
        on_stop: Callable[[K, bool], Awaitable[None]] | None = None,
        restart_s: float = 5.0,
    ) -> None:
        self.name, self._read, self._run = name, read, run
        self.every_s, self.restart_s, self._log = every_s, restart_s, log
        self._prepare, self._halt, self._on_stop = prepare, halt, on_stop
        self.tasks: dict[K, asyncio.Task[None]] = {}
        self.versions: dict[K, Hashable] = {}
        self.passes = 0  # passes that changed the set of tasks (a cache key for readers)
        self._watch: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # two passes at once would start two tasks for one row

    async def start(self, *, first_now: bool = False) -> None:
        """Follow the table from now on; ``first_now``: the first pass runs before this
        returns and its error is the caller's (a controller that cannot read its registry
        at start should not pretend to be up)."""
        if first_now:
            await self.reconcile()
        self._watch = asyncio.get_running_loop().create_task(self._follow(first_now), name=self.name)

    async def stop(self) -> None:
        await cancel_and_wait([self._watch])
        self._watch = None
        await asyncio.gather(*(self._stop(key, gone=True) for key in list(self.tasks)))

    async def reconcile(self) -> bool:
        """One pass now: start, restart and stop tasks to match the table. True when the set
        of tasks changed."""
        async with self._lock:
            rows = await self._read()
            if rows is None:
                return False
            stale = [k for k in self.tasks if k not in rows or self.versions[k] != rows[k].version]
            await asyncio.gather(*(self._stop(k, gone=k not in rows) for k in stale))
            changed = bool(stale)
            for key, row in rows.items():
                if key not in self.tasks:
                    if self._prepare is not None:
                        self._prepare(key, row.value)
                    self.versions[key] = row.version
                    self.tasks[key] = asyncio.get_running_loop().create_task(
                        self._guard(key, row), name=f"{self.name}:{row.name}"
                    )
                    changed = True
            if changed:
                self.passes += 1
            return changed

    async def _follow(self, skip_first: bool) -> None:
        if skip_first:
            await asyncio.sleep(self.every_s)
        while True:
            try:
                await self.reconcile()
            except Exception as exc:  # noqa: BLE001 - keep the tasks running through a bad pass
                # the type only: a driver's message may quote the row (a URL, a ciphertext)
                self._log.error("%s: reading the table failed: %s", self.name, type(exc).__name__)
            await asyncio.sleep(self.every_s)

    async def _guard(self, key: K, row: Row[R]) -> None:
        while True:
            try:
                await self._run(key, row.value)
                return
            except Exception:  # noqa: BLE001 - a bug must not silently end a row's watch
                self._log.exception(
                    "%s: the task of %s failed; restarting in %.0f s", self.name, row.name, self.restart_s
                )
            await asyncio.sleep(self.restart_s)

    async def _stop(self, key: K, *, gone: bool) -> None:
        task = self.tasks.pop(key)
        self.versions.pop(key, None)
        if self._halt is not None:
            await self._halt(key, task)
        await cancel_and_wait([task])
        if self._on_stop is not None:
            await self._on_stop(key, gone)

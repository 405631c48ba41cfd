"""Keeps the live view (`live_view.LiveView`) equal to the tables, at the cost of the writes,
never of the reads.

What moves it:

- this process's commits: `Database.on_change` names the rows every transaction changed (the
  ORM's flushes, and the Core writers' own reports: the health writer's batches). They are
  marked dirty and re-read by id, a few rows at a time;
- the outbox, for what another process committed (a CLI, a second controller): every state
  and alarm change is an event there, read after a cursor like any stream reader reads it;
- a mark of the registry (count and latest edit of units, endpoints and cameras) every
  ``mark_s``, for edits another process made without an event;
- a full re-read every ``reconcile_s``: the safety net. What it finds different is counted
  (`drift`) and logged, so a write path that escapes the above shows up instead of lying.

One pass at a time, in its own task. A request calls `current()` first: it waits only when
a change committed before it is still being read (one pass, shared by every waiter), which
is what lets a client read its own write at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from controller import events
from controller.db import Database
from controller.health import live_loader as loader
from controller.health.live_view import ActiveAlarm, CameraLive, EndpointLive, LiveView, Snapshot
from controller.tasks import cancel_and_wait

__all__ = ["LiveUpdater"]


@dataclass
class _Read:
    """What one pass read: a whole snapshot, or the rows named by notices and events."""

    mark: tuple[Any, ...] | None
    cursor: int
    endpoints_ids: set[uuid.UUID]
    camera_ids: set[uuid.UUID]
    alarm_entities: set[uuid.UUID]
    snapshot: Snapshot | None = None
    endpoints: list[EndpointLive] = field(default_factory=list)
    cameras: list[CameraLive] = field(default_factory=list)
    alarms: list[ActiveAlarm] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)  # the outbox rows read, after the old cursor


log = logging.getLogger("diemcau.live")

_ENDPOINT_TABLES = frozenset({"endpoints", "endpoint_health"})
_CAMERA_TABLES = frozenset({"cameras", "camera_health"})


class LiveUpdater:
    def __init__(
        self, db: Database, view: LiveView, *, mark_s: float = 2.0, reconcile_s: float = 60.0
    ) -> None:
        self.db, self.view = db, view
        self.mark_s, self.reconcile_s = mark_s, reconcile_s
        self.wait_s = 2.0  # the longest a request waits for a change to be read in
        self.drift = 0  # entries a full re-read found different: should stay 0
        self.recent = events.RecentEvents()  # what the event streams read
        self.passes = 0
        self.late = 0  # requests answered before their change was read in (wait_s ran out)
        self.slowest_pass_s = 0.0
        self._endpoints: set[uuid.UUID] = set()
        self._cameras: set[uuid.UUID] = set()
        self._alarms: set[uuid.UUID] = set()
        self._alarm_entities: set[uuid.UUID] = set()
        self._full = True  # the first pass reads everything
        self._adopt_mark = False
        self._cursor = 0
        self._mark: tuple[Any, ...] | None = None
        self._marked_at = self._reconciled_at = 0.0
        self._changes = 0  # change notices received
        self._applied = 0  # of which the view has taken in
        self._wake = asyncio.Event()
        self._done = asyncio.Condition()
        self._pass_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        db.on_change(self._changed)

    # --- what changed ---------------------------------------------------------------------

    def _changed(self, table: str, keys: frozenset[Any]) -> None:
        if table in ("endpoints", "cameras"):
            self._adopt_mark = True  # the registry moved here: the rows are read, the mark taken as is
        if table in _ENDPOINT_TABLES:
            self._endpoints |= keys
        elif table in _CAMERA_TABLES:
            self._cameras |= keys
        elif table == "alarms":
            self._alarms |= keys
        elif table == "units":
            self._full = True
        elif table != "outbox":  # events are read from the outbox itself, by cursor
            return
        self._changes += 1
        self._wake.set()

    @staticmethod
    def _from_events(rows: list[Any]) -> tuple[set[uuid.UUID], set[uuid.UUID], set[uuid.UUID]]:
        """(endpoints, cameras, alarm entities) the events are about."""
        found: tuple[set[uuid.UUID], set[uuid.UUID], set[uuid.UUID]] = (set(), set(), set())
        for row in rows:
            try:
                entity = uuid.UUID(row.entity_id)
            except (TypeError, ValueError):
                continue
            if row.type == "endpoint.state":
                found[0].add(entity)
            elif row.type == "camera.state":
                found[1].add(entity)
            elif row.type.startswith("alarm."):
                found[2].add(entity)
        return found

    # --- reading --------------------------------------------------------------------------

    async def current(self) -> LiveView:
        """The view, with every change this process committed so far taken in."""
        target = self._changes
        if self._applied >= target and self.view.loaded:
            return self.view
        if self._task is None or self._task.done():  # not started (a CLI, a test): read now
            await self.run_pass()
            return self.view
        self._wake.set()
        try:
            async with asyncio.timeout(self.wait_s), self._done:
                await self._done.wait_for(lambda: self._applied >= target and self.view.loaded)
        except TimeoutError:  # the database is slow or down: answer with the picture as it is
            self.late += 1
            log.debug("live view not caught up in %.1f s; answering with what it holds", self.wait_s)
        return self.view

    async def run_pass(self) -> None:
        async with self._pass_lock:
            started = time.monotonic()
            await self._pass()
            self.slowest_pass_s = max(self.slowest_pass_s, time.monotonic() - started)

    async def _pass(self) -> None:
        now = time.monotonic()
        taken = self._changes
        endpoints, cameras, alarms, entities = (
            self._endpoints,
            self._cameras,
            self._alarms,
            self._alarm_entities,
        )
        self._endpoints, self._cameras, self._alarms, self._alarm_entities = set(), set(), set(), set()
        reconcile = self.view.loaded and not self._full and now - self._reconciled_at >= self.reconcile_s
        full, self._full = self._full or reconcile, False
        adopt, self._adopt_mark = self._adopt_mark, False
        check_mark = full or adopt or now - self._marked_at >= self.mark_s

        async def read(session: AsyncSession) -> _Read:
            mark = await loader.registry_mark(session) if check_mark else self._mark
            rows = await events.outbox_after(self._cursor, session, limit=5000)
            cursor = rows[-1].id if rows else self._cursor
            ep_ids, cam_ids, entity_ids = self._from_events(rows)
            ep_ids |= endpoints
            cam_ids |= cameras
            entity_ids |= entities
            if full or (mark != self._mark and not adopt):
                cursor = max(cursor, await events.last_event_id(session))
                return _Read(
                    mark,
                    cursor,
                    ep_ids,
                    cam_ids,
                    entity_ids,
                    snapshot=await loader.snapshot(session),
                    events=rows,
                )
            return _Read(
                mark,
                cursor,
                ep_ids,
                cam_ids,
                entity_ids,
                endpoints=await loader.endpoints(session, ep_ids) if ep_ids else [],
                cameras=await loader.cameras(session, cam_ids) if cam_ids else [],
                alarms=await loader.alarms_of(session, ids=alarms, entities=entity_ids),
                events=rows,
            )

        try:
            got = await self.db.read(read)
        except Exception:  # nothing taken in: all of it is read again by the next pass
            self._endpoints |= endpoints
            self._cameras |= cameras
            self._alarms |= alarms
            self._alarm_entities |= entities
            self._full = self._full or full
            self._adopt_mark = self._adopt_mark or adopt
            raise
        if check_mark:
            self._marked_at = now
        count_drift = reconcile and got.mark == self._mark
        read_from = self._cursor
        self._mark, self._cursor = got.mark, got.cursor
        if got.cursor == (got.events[-1].id if got.events else read_from):
            self.recent.extend(got.events, read_from)
        else:  # the cursor jumped past events not read (a first or a long-behind pass)
            self.recent.reset(got.cursor)
        if got.snapshot is not None:
            differ = self.view.replace(got.snapshot)
            self._reconciled_at = now
            if count_drift:
                # what a notice or an event already announced is not drift; the rest is
                known = got.endpoints_ids | got.camera_ids | got.alarm_entities | alarms
                drift = differ - known - self._endpoints - self._cameras - self._alarms - self._alarm_entities
                if drift:
                    self.drift += len(drift)
                    log.warning("the live view differed from the tables in %d entries; re-read", len(drift))
        else:
            self.view.put_endpoints(got.endpoints, gone=got.endpoints_ids - {e.id for e in got.endpoints})
            self.view.put_cameras(got.cameras, gone=got.camera_ids - {c.id for c in got.cameras})
            self.view.put_alarms(got.alarms)
        self.passes += 1
        async with self._done:
            self._applied = max(self._applied, taken)
            self._done.notify_all()

    # --- the task ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Read the whole picture before the first request is served, then follow it."""
        await self.run_pass()
        self._task = asyncio.create_task(self._loop(), name="live-view")

    async def _loop(self) -> None:
        while True:
            try:
                async with asyncio.timeout(min(1.0, self.mark_s)):  # not wait_for: see tasks.py
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.run_pass()
            except Exception as exc:  # noqa: BLE001 - a failed read is tried again, the view stays
                log.warning("reading changes into the live view failed: %s", type(exc).__name__)
                await asyncio.sleep(1.0)

    async def stop(self) -> None:
        await cancel_and_wait([self._task])
        self._task = None

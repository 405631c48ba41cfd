"""State changes are events: written to the outbox in the change's own transaction.

`emit` adds the row and, once the transaction commits, wakes whoever streams
the outbox (SSE, the webhook and MQTT sinks) and writes the change's one log line
(`logs.state_change`: what an operator greps for). A rolled-back change emits
nothing, not even its log line; a crash after commit loses nothing, because the row
is the event.

`EventType` is the catalogue of every type the controller emits: `emit` takes nothing else
(the type checker holds every call to it), and the sinks' contract (`/asyncapi.json`,
`controller.ioc.asyncapi`) documents exactly these, each with its payload model
(`controller.ioc.payloads`).
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections import deque
from collections.abc import Sequence
from typing import Any, Literal, get_args

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from controller import logs
from controller.db import on_commit
from controller.models import OutboxEvent, utcnow

log = logging.getLogger("diemcau.events")
_LOGGED_FIELDS = 20  # scalar payload fields on the line (a payload's lists stay in the outbox)

# Every event type, in one place. A new one is added here first: `emit` refuses any other
# (mypy), and `controller.ioc.payloads.data_model` must then name its payload model (mypy
# again, exhaustively), so a type cannot reach a sink without a documented payload.
EventType = Literal[
    "endpoint.state",  # health poller: an endpoint's state changed (fleet/poller.py)
    "camera.state",  # camera monitor: a camera's state changed (cameras/monitor.py)
    "alarm.raised",  # health/alarms.py: an alarm is raised (or raised again)
    "alarm.cleared",  # its condition is gone
    "alarm.acknowledged",  # a person took it
    "session.started",  # sessions/manager.py: a conference session went live
    "session.ended",  # it ended, every hang-up confirmed or counted
    "readiness.verdict",  # readiness/manager.py: a readiness check's verdict
    "readiness.acknowledged",  # a technician answered a not-ready check
]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)


class OutboxSignal:
    """Wakes stream readers when new outbox rows are committed (they re-read the table)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:  # noqa: ASYNC109 - a plain bounded wait
        event = self._event
        try:
            async with asyncio.timeout(timeout):  # not wait_for: see tasks.cancel_and_wait
                await event.wait()
        except TimeoutError:
            pass


class RecentEvents:
    """The outbox's latest events in memory, read once for every stream reader.

    Each open event stream (the console on every desk and wall, the alarm bell) used to re-read
    the outbox after every commit: fifty screens, fifty queries per state change. The live
    view's updater reads the outbox anyway; it keeps the last ``size`` events here, a run
    without gaps from ``floor`` on, and wakes the streams (`signal`) when some arrive. A
    stream whose cursor lies before the floor (a client back after a long absence) reads the
    table, as before.
    """

    def __init__(self, size: int = 2000) -> None:
        self.size = size
        self._rows: deque[OutboxEvent] = deque()
        self._ids: deque[int] = deque()
        self.floor = 0  # every event after this id is held (until the size pushes it out)
        self.signal = OutboxSignal()

    @property
    def last(self) -> int:
        return self._ids[-1] if self._ids else self.floor

    def reset(self, cursor: int) -> None:
        """Nothing held; what follows ``cursor`` will be."""
        self._rows.clear()
        self._ids.clear()
        self.floor = cursor

    def extend(self, rows: Sequence[OutboxEvent], after: int) -> None:
        """``rows``: every event after ``after``, in order (what one read of the outbox gave)."""
        if after != self.last:
            self.reset(after)
        for row in rows:
            self._rows.append(row)
            self._ids.append(row.id)
        while len(self._ids) > self.size:
            self._rows.popleft()
            self.floor = self._ids.popleft()
        if rows:
            self.signal.notify()

    def after(self, cursor: int) -> list[OutboxEvent] | None:
        """The held events after ``cursor``; None when they do not reach back that far."""
        if cursor < self.floor:
            return None
        start = bisect.bisect_right(self._ids, cursor)
        return [self._rows[i] for i in range(start, len(self._rows))]


def emit(
    session: AsyncSession,
    signal: OutboxSignal | None,
    type_: EventType,
    entity_type: str,
    entity_id: str,
    payload: dict[str, Any],
    unit_path: str | None = None,
) -> OutboxEvent:
    row = OutboxEvent(
        at=utcnow(),
        type=type_,
        entity_type=entity_type,
        entity_id=entity_id,
        unit_path=unit_path,
        payload=payload,
    )
    session.add(row)

    def committed() -> None:
        _log_line(type_, entity_type, entity_id, payload)
        if signal is not None:
            signal.notify()

    on_commit(session, committed)
    return row


def _log_line(type_: str, entity_type: str, entity_id: str, payload: dict[str, Any]) -> None:
    name = payload.get("name") or payload.get("entity_name") or entity_id
    change = f" {payload['old']} -> {payload['new']}" if "old" in payload and "new" in payload else ""
    scalars = [
        (k, v[:200] if isinstance(v, str) else v)
        for k, v in payload.items()
        if isinstance(v, str | int | float | bool) or v is None
    ]
    fields: dict[str, Any] = {"entity": entity_type, "entity_id": entity_id}
    fields.update(scalars[:_LOGGED_FIELDS])
    logs.state_change(log, type_, f"{entity_type} {name}{change}", fields)


async def outbox_after(cursor: int, session: AsyncSession, limit: int = 500) -> list[OutboxEvent]:
    """The next events after ``cursor``, in order: what a stream reader sends next."""
    query = select(OutboxEvent).where(OutboxEvent.id > cursor).order_by(OutboxEvent.id).limit(limit)
    return list(await session.scalars(query))


async def last_event_id(session: AsyncSession) -> int:
    """Where a stream without a resume point starts: after everything already written."""
    return int(await session.scalar(select(func.max(OutboxEvent.id))) or 0)

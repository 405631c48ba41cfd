"""Alarms, level-triggered: every few seconds the wanted set is computed from the
current states and compared with the active alarms; new ones are raised, gone
ones cleared, each with its history row and outbox event in one transaction.

Level-triggering makes alarms self-correcting across restarts and missed
events. Correlation: when every endpoint (two or more) under a unit is
unreachable, one `uplink` alarm is raised on the highest such unit and the
endpoints' own `unreachable` alarms are withheld; an endpoint's unreachable
alarm waits `correlation_s` so that a unit going down endpoint by endpoint
within one poll interval is seen as one event, not a storm. A flapping
endpoint gets one `flapping` alarm instead of offline/online ones.

Each alarm carries `code` (its kind) and `params` beside the English `message`, so the
console and the IOC's systems can word it themselves (the scheme is in `catalogue`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from controller import audit
from controller.errors import NotFound
from controller.events import OutboxSignal, emit
from controller.health.catalogue import CAMERA_STATES, ENDPOINT, camera_kind, camera_problem_text, severity
from controller.models import Alarm, AlarmHistory, Unit, utcnow
from controller.principal import Principal
from controller.tasks import cancel_and_wait

log = logging.getLogger("diemcau.alarms")


@dataclass(frozen=True)
class Wanted:
    key: str
    kind: str
    entity_type: str
    entity_id: uuid.UUID
    entity_name: str
    unit_path: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)  # the code is the kind


def alarm_view(a: Alarm) -> dict[str, Any]:
    return {
        "id": str(a.id),
        "key": a.dedupe_key,
        "kind": a.kind,
        "severity": a.severity,
        "status": a.status,
        "entity_type": a.entity_type,
        "entity_id": str(a.entity_id),
        "entity_name": a.entity_name,
        "message": a.message,
        "code": a.code,
        "params": a.params or {},
        "count": a.count,
        "first_seen": a.first_seen.isoformat(),
        "raised_at": a.raised_at.isoformat(),
        "cleared_at": a.cleared_at.isoformat() if a.cleared_at else None,
    }


async def acknowledge(
    session: AsyncSession, signal: OutboxSignal | None, actor: Principal, alarm_id: uuid.UUID, comment: str
) -> Alarm:
    """A person has seen the alarm and says what they did: recorded on the alarm, in its
    history, in the outbox (the IOC's systems see who took it) and in the audit trail.
    Acknowledging does not clear: the alarm stays until its condition is gone."""
    alarm = await session.get(Alarm, alarm_id)
    if alarm is None:
        raise NotFound(f"alarm {alarm_id} does not exist")
    now = utcnow()
    alarm.acknowledged_by, alarm.acknowledged_at, alarm.ack_comment = actor.label, now, comment
    session.add(
        AlarmHistory(alarm_id=alarm.id, at=now, action="acknowledged", actor=actor.label, message=comment)
    )
    emit(
        session,
        signal,
        "alarm.acknowledged",
        alarm.entity_type,
        str(alarm.entity_id),
        alarm_view(alarm) | {"acknowledged_by": actor.label, "comment": comment},
        unit_path=alarm.unit_path,
    )
    audit.record(session, actor, "alarm.acknowledge", "alarm", str(alarm.id), {"comment": comment})
    return alarm


def wanted_alarms(
    watched: dict[uuid.UUID, Any],
    units: dict[uuid.UUID, tuple[str, str]],
    now: datetime,
    correlation_s: float,
) -> dict[str, Wanted]:
    """The alarms the current states call for. `units`: id -> (name, path)."""
    out: dict[str, Wanted] = {}
    total: dict[uuid.UUID, int] = defaultdict(int)
    down: dict[uuid.UUID, int] = defaultdict(int)
    for w in watched.values():
        for part in w.unit_path.strip("/").split("/"):
            uid = uuid.UUID(part)
            total[uid] += 1
            down[uid] += w.tracker.state == "unreachable"
    dark = {u for u, n in total.items() if n >= 2 and down[u] == n}
    top_dark = {
        u
        for u in dark
        if not any(uuid.UUID(p) in dark for p in units.get(u, ("", ""))[1].strip("/").split("/")[:-1] if p)
    }
    for u in top_dark:
        name, path = units.get(u, (str(u), f"/{u}/"))
        out[f"unit:{u}:uplink"] = Wanted(
            f"unit:{u}:uplink",
            "uplink",
            "unit",
            u,
            name,
            path,
            f"all {total[u]} endpoints under {name} are unreachable: check the unit's uplink",
            {"unit": name, "total": total[u]},
        )
    for w in watched.values():
        t = w.tracker
        under_dark = any(uuid.UUID(p) in dark for p in w.unit_path.strip("/").split("/"))
        params: dict[str, Any] = {}
        if t.flapping:
            kind, message = "flapping", ENDPOINT["flapping"].text
        elif t.state == "unreachable":
            held = w.since is not None and (now - w.since).total_seconds() < correlation_s
            if under_dark or held:
                continue
            kind, message, params = "unreachable", t.reason or ENDPOINT["unreachable"].text, t.reason_params
        elif t.state in ("offline", "auth_failed", "hostkey_mismatch", "hostkey_unpinned"):
            kind, message, params = t.state, ENDPOINT[t.state].text, t.reason_params
        elif t.state == "degraded":
            kind, message, params = "degraded", t.reason or "degraded", t.reason_params
        else:
            continue
        key = f"endpoint:{w.id}:{kind}"
        out[key] = Wanted(key, kind, "endpoint", w.id, w.name, w.unit_path, message[:500], dict(params))
    return out


def camera_alarms(watched: dict[uuid.UUID, Any]) -> dict[str, Wanted]:
    """One alarm per camera problem: covered and blurred are different jobs for a technician."""
    out: dict[str, Wanted] = {}
    for w in watched.values():
        t = w.tracker
        found: list[tuple[str, str, dict[str, Any]]]
        if t.flapping:
            found = [("flapping", CAMERA_STATES["flapping"].text, {})]
        elif t.state in ("offline", "stalled", "auth_failed"):
            found = [(t.state, t.reason or CAMERA_STATES[t.state].text, t.reason_params)]
        else:
            found = [(p, camera_problem_text(p), {}) for p in w.problems]
        for problem, message, params in found:
            kind = camera_kind(problem)
            key = f"camera:{w.id}:{problem}"
            out[key] = Wanted(key, kind, "camera", w.id, w.name, w.unit_path, message[:500], dict(params))
    return out


class AlarmEvaluator:
    def __init__(
        self,
        db: Any,
        monitor: Any,
        *,
        signal: OutboxSignal | None,
        every_s: float = 2.0,
        correlation_s: float = 15.0,
        cameras: Any = None,  # controller.cameras.monitor.CameraMonitor
        readiness: Any = None,  # controller.readiness.not_ready.NotReadyView: not-ready verdicts
    ) -> None:
        self.db, self.monitor, self.signal, self.cameras = db, monitor, signal, cameras
        self.readiness = readiness
        self.every_s, self.correlation_s = every_s, correlation_s
        self.raised_total = 0
        self._task: asyncio.Task[None] | None = None
        self._seen: tuple[int, ...] | None = None  # (monitor.changes, monitor.version) last evaluated
        self._units: dict[uuid.UUID, tuple[str, str]] | None = None
        self._last_full = 0.0
        self._holding = False
        self._units_version = -1

    def _other_counters(self) -> tuple[int, ...]:
        cameras = (self.cameras.changes, self.cameras.version, self.cameras.samples) if self.cameras else ()
        return cameras + ((self.readiness.changes,) if self.readiness else ())

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        await cancel_and_wait([self._task])

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            try:
                # Quiet passes cost nothing: evaluate on state changes, and once a minute
                # anyway (correlation holds expire with time, not with events).
                now = asyncio.get_running_loop().time()
                seen = (self.monitor.changes, self.monitor.version, *self._other_counters())
                if seen != self._seen or now - self._last_full >= 60 or self._holding:
                    self._seen, self._last_full = seen, now
                    await self.evaluate()
            except Exception:  # noqa: BLE001 - alarms must keep being evaluated
                log.exception("alarm evaluation failed")

    async def evaluate(self) -> tuple[int, int]:
        """One pass; returns (raised, cleared)."""
        now_dt = utcnow()
        async with self.db.transaction() as session:
            if self._units is None or self._units_version != self.monitor.version:
                rows = await session.execute(select(Unit.id, Unit.name, Unit.path))
                self._units = {uid: (name, path) for uid, name, path in rows}
                self._units_version = self.monitor.version
            wanted = wanted_alarms(self.monitor.watched, self._units, now_dt, self.correlation_s)
            if self.cameras is not None:
                wanted |= camera_alarms(self.cameras.watched)
            if self.readiness is not None:
                wanted |= self.readiness.wanted_alarms(now_dt)
            # An unreachable endpoint still inside its correlation hold needs another look soon.
            self._holding = any(
                w.tracker.state == "unreachable"
                and w.since is not None
                and (now_dt - w.since).total_seconds() < self.correlation_s
                for w in self.monitor.watched.values()
            )
            active = {
                a.dedupe_key: a for a in await session.scalars(select(Alarm).where(Alarm.status == "active"))
            }
            raised = cleared = 0
            new_keys = [k for k in wanted if k not in active]
            known = (
                {
                    a.dedupe_key: a
                    for a in await session.scalars(select(Alarm).where(Alarm.dedupe_key.in_(new_keys)))
                }
                if new_keys
                else {}
            )
            for key in new_keys:
                want = wanted[key]
                alarm = known.get(key)
                if alarm is None:
                    alarm = Alarm(
                        dedupe_key=key,
                        entity_type=want.entity_type,
                        entity_id=want.entity_id,
                        entity_name=want.entity_name,
                        unit_path=want.unit_path,
                        kind=want.kind,
                        severity=severity(want.kind),
                        status="active",
                        message=want.message,
                        code=want.kind,
                        params=want.params,
                        first_seen=now_dt,
                        last_seen=now_dt,
                        raised_at=now_dt,
                        count=1,
                    )
                    session.add(alarm)
                    await session.flush()
                else:
                    alarm.status, alarm.raised_at, alarm.last_seen = "active", now_dt, now_dt
                    alarm.cleared_at, alarm.message, alarm.count = None, want.message, alarm.count + 1
                    alarm.code, alarm.params = want.kind, want.params
                    alarm.acknowledged_by = alarm.acknowledged_at = alarm.ack_comment = None
                session.add(AlarmHistory(alarm_id=alarm.id, at=now_dt, action="raised", message=want.message))
                emit(
                    session,
                    self.signal,
                    "alarm.raised",
                    want.entity_type,
                    str(want.entity_id),
                    alarm_view(alarm),
                    unit_path=want.unit_path,
                )
                raised += 1
            for key, alarm in active.items():
                if key in wanted:
                    want = wanted[key]
                    if (
                        want.message != alarm.message
                        or want.params != alarm.params
                        or (now_dt - alarm.last_seen).total_seconds() > 60
                    ):
                        alarm.message, alarm.params, alarm.last_seen = want.message, want.params, now_dt
                    continue
                alarm.status, alarm.cleared_at, alarm.last_seen = "cleared", now_dt, now_dt
                session.add(AlarmHistory(alarm_id=alarm.id, at=now_dt, action="cleared"))
                emit(
                    session,
                    self.signal,
                    "alarm.cleared",
                    alarm.entity_type,
                    str(alarm.entity_id),
                    alarm_view(alarm),
                    unit_path=alarm.unit_path,
                )
                cleared += 1
        self.raised_total += raised
        return raised, cleared

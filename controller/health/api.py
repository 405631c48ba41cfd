"""Health, alarms and the live event stream (read from the monitor's cache, never the device)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import AfterValidator, BaseModel, Field, StringConstraints
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from controller import audit
from controller.api.deps import Actor, Offset, Session, State, route
from controller.errors import NotFound
from controller.events import emit
from controller.fields import Page, free_text
from controller.health import history
from controller.health.alarms import alarm_view
from controller.health.history import history_range
from controller.limits import StreamSlot
from controller.models import (
    Alarm,
    AlarmHistory,
    Camera,
    Endpoint,
    EndpointHealth,
    HealthRollup,
    HealthSample,
    OutboxEvent,
    Unit,
    utcnow,
)
from controller.roles import ALL_ROLES, Role
from controller.units.service import get_unit, subtree_filter

router = APIRouter(tags=["health"])
READ = route(*ALL_ROLES)
UnitQ = Annotated[str | None, Query(max_length=64, description="Unit id or code: its whole subtree")]


class HealthPublic(BaseModel):
    endpoint_id: uuid.UUID
    name: str
    unit: str
    state: str
    reason: str | None
    since: datetime | None
    flapping: bool
    last_poll_at: datetime | None
    last_ok_at: datetime | None
    poll_latency_ms: float | None
    health: dict[str, Any]


class AlarmPublic(BaseModel):
    id: uuid.UUID
    dedupe_key: str
    kind: str
    severity: str
    status: str
    entity_type: str
    entity_id: uuid.UUID
    entity_name: str
    message: str
    count: int
    first_seen: datetime
    last_seen: datetime
    raised_at: datetime
    cleared_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    ack_comment: str | None


class AckBody(BaseModel):
    comment: Annotated[str, StringConstraints(min_length=1, max_length=1000), AfterValidator(free_text)] = (
        Field(description="What the technician did or found")
    )


def _health(row: EndpointHealth, ep: Endpoint, unit: Unit) -> HealthPublic:
    return HealthPublic(
        endpoint_id=ep.id,
        name=ep.name,
        unit=unit.code,
        state=row.state,
        reason=row.reason,
        since=row.since,
        flapping=row.flapping,
        last_poll_at=row.last_poll_at,
        last_ok_at=row.last_ok_at,
        poll_latency_ms=row.poll_latency_ms,
        health=row.health or {},
    )


@router.get("/health/endpoints", response_model=Page[HealthPublic], **READ)
async def list_health(
    session: Session,
    unit: UnitQ = None,
    state: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 250,
    offset: Offset = 0,
) -> Page[HealthPublic]:
    query = (
        select(EndpointHealth, Endpoint, Unit)
        .join(Endpoint, EndpointHealth.endpoint_id == Endpoint.id)
        .join(Unit, Endpoint.unit_id == Unit.id)
    )
    if unit:
        query = query.where(subtree_filter(await get_unit(session, unit)))
    if state:
        query = query.where(EndpointHealth.state == state)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = (await session.execute(query.order_by(Unit.code, Endpoint.name).limit(limit).offset(offset))).all()
    return Page[HealthPublic](
        items=[_health(*r) for r in rows], total=int(total or 0), limit=limit, offset=offset
    )


@router.get("/endpoints/{endpoint_id}/health", response_model=HealthPublic, **READ)
async def endpoint_health(endpoint_id: uuid.UUID, session: Session) -> HealthPublic:
    row = (
        await session.execute(
            select(EndpointHealth, Endpoint, Unit)
            .join(Endpoint, EndpointHealth.endpoint_id == Endpoint.id)
            .join(Unit, Endpoint.unit_id == Unit.id)
            .where(Endpoint.id == endpoint_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"no health known for endpoint {endpoint_id}")
    return _health(*row)


@router.get("/endpoints/{endpoint_id}/health/history", **READ)
async def health_history(
    endpoint_id: uuid.UUID,
    session: Session,
    state: State,
    since: Annotated[datetime | None, Query(description="Default: 24 h ago")] = None,
    until: Annotated[datetime | None, Query()] = None,
) -> dict[str, Any]:
    """Raw samples for ranges within the raw retention; hourly rollups beyond."""
    if await session.get(Endpoint, endpoint_id) is None:
        raise NotFound(f"endpoint {endpoint_id} does not exist")
    since, until = history_range(since, until)
    if since < utcnow() - timedelta(hours=state.settings.health_raw_retention_h):
        rows = await session.scalars(
            select(HealthRollup)
            .where(
                HealthRollup.endpoint_id == endpoint_id, HealthRollup.hour >= since, HealthRollup.hour < until
            )
            .order_by(HealthRollup.hour)
        )
        points = [
            {
                "at": r.hour,
                "samples": r.samples,
                "availability": r.ok_samples / r.samples if r.samples else None,
                "in_call_share": r.in_call_samples / r.samples if r.samples else None,
                "latency_ms": r.avg_latency_ms,
                "loss_pct_avg": r.avg_loss_pct,
                "loss_pct_max": r.max_loss_pct,
                "temperature_c_avg": r.avg_temperature_c,
                "temperature_c_max": r.max_temperature_c,
            }
            for r in rows
        ]
        return {"resolution": "1h", "points": points}
    H = HealthSample
    columns = [H.at, H.state, H.ok, H.latency_ms, H.in_call, H.packet_loss_pct, H.temperature_c]
    where = (H.endpoint_id == endpoint_id, H.at >= since, H.at < until)
    points = [
        {
            "at": r.at,
            "state": r.state,
            "ok": r.ok,
            "latency_ms": r.latency_ms,
            "in_call": r.in_call,
            "loss_pct": r.packet_loss_pct,
            "temperature_c": r.temperature_c,
        }
        for r in await history.thinned(session, columns, where, H.at, H.state)
    ]
    return {"resolution": "raw", "points": points}


def _subtree_counts(units: list[Unit], rows: Any) -> dict[uuid.UUID, dict[str, int]]:
    """(unit_id, state, n) rows summed into every listed ancestor: a district counts its communes'."""
    by_id = {u.id: u for u in units}
    totals: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for unit_id, st, n in rows:
        u = by_id.get(unit_id)
        if u is None:  # outside the asked subtree
            continue
        for part in u.path.strip("/").split("/"):
            pid = uuid.UUID(part)
            if pid in by_id:
                totals[pid][st] += n
    return totals


@router.get("/health/summary", **READ)
async def summary(session: Session, unit: UnitQ = None) -> dict[str, Any]:
    """Counts by state for a unit and each unit below it (the IOC's tree view).

    ``counts``/``total`` are endpoints, ``cameras``/``cameras_total`` cameras, both over the
    unit's whole subtree; a disabled camera counts in the state it was last seen in.
    """
    root = await get_unit(session, unit) if unit else None
    query = select(Unit)
    if root is not None:
        query = query.where(subtree_filter(root))
    units = list(await session.scalars(query))
    endpoints = _subtree_counts(
        units,
        await session.execute(
            select(Endpoint.unit_id, Endpoint.state, func.count()).group_by(Endpoint.unit_id, Endpoint.state)
        ),
    )
    cameras = _subtree_counts(
        units,
        await session.execute(
            select(Camera.unit_id, Camera.state, func.count()).group_by(Camera.unit_id, Camera.state)
        ),
    )
    out = [
        {
            "unit": u.code,
            "name": u.name,
            "level": u.level,
            "parent": str(u.parent_id) if u.parent_id else None,
            "id": str(u.id),
            "counts": dict(endpoints.get(u.id, {})),
            "total": sum(endpoints.get(u.id, {}).values()),
            "cameras": dict(cameras.get(u.id, {})),
            "cameras_total": sum(cameras.get(u.id, {}).values()),
        }
        for u in sorted(units, key=lambda u: (u.depth, u.code))
    ]
    return {"units": out}


@router.get("/alarms", response_model=Page[AlarmPublic], **READ)
async def list_alarms(
    session: Session,
    status: Annotated[Literal["active", "cleared", "all"], Query()] = "active",
    severity: Annotated[str | None, Query(max_length=16)] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    unit: UnitQ = None,
    acknowledged: Annotated[bool | None, Query()] = None,
    entity_id: Annotated[uuid.UUID | None, Query(description="One endpoint's or camera's alarms")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> Page[AlarmPublic]:
    query = select(Alarm)
    if entity_id is not None:
        query = query.where(Alarm.entity_id == entity_id)
    if status != "all":
        query = query.where(Alarm.status == status)
    if severity:
        query = query.where(Alarm.severity == severity)
    if kind:
        query = query.where(Alarm.kind == kind)
    if unit:
        root = await get_unit(session, unit)
        query = query.where(Alarm.unit_path.startswith(root.path, autoescape=True))
    if acknowledged is not None:
        query = query.where(
            Alarm.acknowledged_at.is_not(None) if acknowledged else Alarm.acknowledged_at.is_(None)
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Alarm.raised_at.desc()).limit(limit).offset(offset))
    return Page[AlarmPublic](
        items=[AlarmPublic.model_validate(a, from_attributes=True) for a in rows],
        total=int(total or 0),
        limit=limit,
        offset=offset,
    )


@router.post("/alarms/{alarm_id}/ack", response_model=AlarmPublic, **route(Role.admin, Role.technician))
async def acknowledge(
    alarm_id: uuid.UUID, body: AckBody, session: Session, state: State, actor: Actor
) -> AlarmPublic:
    alarm = await session.get(Alarm, alarm_id)
    if alarm is None:
        raise NotFound(f"alarm {alarm_id} does not exist")
    now = utcnow()
    alarm.acknowledged_by, alarm.acknowledged_at, alarm.ack_comment = actor.label, now, body.comment
    session.add(
        AlarmHistory(
            alarm_id=alarm.id, at=now, action="acknowledged", actor=actor.label, message=body.comment
        )
    )
    emit(
        session,
        state.signal,
        "alarm.acknowledged",
        alarm.entity_type,
        str(alarm.entity_id),
        alarm_view(alarm) | {"acknowledged_by": actor.label, "comment": body.comment},
        unit_path=alarm.unit_path,
    )
    audit.record(session, actor, "alarm.acknowledge", "alarm", str(alarm.id), {"comment": body.comment})
    return AlarmPublic.model_validate(alarm, from_attributes=True)


async def _outbox_after(cursor: int, session: AsyncSession) -> list[OutboxEvent]:
    query = select(OutboxEvent).where(OutboxEvent.id > cursor).order_by(OutboxEvent.id).limit(500)
    return list(await session.scalars(query))


@router.get("/events/stream", response_class=EventSourceResponse, **READ)
async def event_stream(
    _slot: StreamSlot,
    state: State,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", max_length=20, pattern=r"^\d+$")
    ] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="Resume after this event id")] = None,
    types: Annotated[str | None, Query(max_length=200, description="Comma-separated type prefixes")] = None,
) -> AsyncIterator[ServerSentEvent]:
    """Every state and alarm change from the outbox, in order; resumes with Last-Event-ID.

    Without a resume point the stream starts with what happens next.
    """
    prefixes = tuple(t.strip() for t in types.split(",") if t.strip()) if types else ()
    cursor = int(last_event_id) if last_event_id else after
    if cursor is None:
        cursor = int(await state.db.read(lambda s: s.scalar(select(func.max(OutboxEvent.id)))) or 0)
    idle = 0.0
    yield ServerSentEvent(comment="stream open")  # headers go out now, not with the first event
    while True:
        rows = await state.db.read(partial(_outbox_after, cursor))
        for row in rows:
            cursor = row.id
            if prefixes and not row.type.startswith(prefixes):
                continue
            yield ServerSentEvent(
                id=str(row.id),
                event=row.type,
                data={
                    "id": row.id,
                    "at": row.at.isoformat(),
                    "type": row.type,
                    "entity_type": row.entity_type,
                    "entity_id": row.entity_id,
                    **row.payload,
                },
            )
        if len(rows) == 500:
            continue
        await state.signal.wait(2.0)
        idle += 2.0
        if idle >= 15:
            idle = 0
            yield ServerSentEvent(comment="keepalive")

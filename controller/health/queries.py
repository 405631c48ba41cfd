"""What the health API reads: endpoint health, its history, the tree summary, alarms.

Everything here answers from the monitor's rows (written by `writer` and `alarms`), never
from a device, so a screen full of health costs the database a few queries, not the fleet
a poll.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from controller.errors import NotFound
from controller.health import history
from controller.health.schemas import AlarmPublic, HealthPublic
from controller.models import (
    Alarm,
    Camera,
    Endpoint,
    EndpointHealth,
    HealthRollup,
    HealthSample,
    Unit,
    utcnow,
)
from controller.scope import EVERYWHERE, UnitScope
from controller.units.service import get_unit, subtree_filter

__all__ = [
    "AlarmFilter",
    "endpoint_health",
    "endpoint_history",
    "get_alarm",
    "list_alarms",
    "list_health",
    "summary",
]


@dataclass(frozen=True)
class AlarmFilter:
    """What the alarm list is narrowed to (``None``: any); one value for both ways of
    answering it (the tables here, the live view for active ones) and for their validator."""

    status: Literal["active", "cleared", "all"] = "active"
    severity: str | None = None
    kind: str | None = None
    unit: str | None = None
    acknowledged: bool | None = None
    entity_id: uuid.UUID | None = None


def health_public(row: EndpointHealth, ep: Endpoint, unit: Unit) -> HealthPublic:
    return HealthPublic(
        endpoint_id=ep.id,
        name=ep.name,
        unit=unit.code,
        state=row.state,
        reason=row.reason,
        reason_params=row.reason_params or {},
        since=row.since,
        flapping=row.flapping,
        last_poll_at=row.last_poll_at,
        last_ok_at=row.last_ok_at,
        poll_latency_ms=row.poll_latency_ms,
        health=row.health or {},
    )


def _with_endpoint() -> Select[EndpointHealth, Endpoint, Unit]:
    return (
        select(EndpointHealth, Endpoint, Unit)
        .join(Endpoint, EndpointHealth.endpoint_id == Endpoint.id)
        .join(Unit, Endpoint.unit_id == Unit.id)
    )


async def list_health(
    session: AsyncSession,
    *,
    unit: str | None,
    state: str | None,
    limit: int,
    offset: int,
    scope: UnitScope = EVERYWHERE,
) -> tuple[list[HealthPublic], int]:
    """One page of endpoint health, by unit code then name, and the total matching."""
    query = _with_endpoint().where(scope.where(Unit.path))
    if unit:
        query = query.where(subtree_filter(await get_unit(session, unit)))
    if state:
        query = query.where(EndpointHealth.state == state)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = (await session.execute(query.order_by(Unit.code, Endpoint.name).limit(limit).offset(offset))).all()
    return [health_public(h, ep, unit) for h, ep, unit in rows], int(total or 0)


async def endpoint_health(
    session: AsyncSession, endpoint_id: uuid.UUID, scope: UnitScope = EVERYWHERE
) -> HealthPublic:
    """One endpoint's health; one outside the caller's units is as unknown as a missing one."""
    query = _with_endpoint().where(Endpoint.id == endpoint_id, scope.where(Unit.path))
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound(f"no health known for endpoint {endpoint_id}")
    health, ep, unit = row
    return health_public(health, ep, unit)


async def endpoint_history(
    session: AsyncSession,
    endpoint_id: uuid.UUID,
    since: datetime | None,
    until: datetime | None,
    *,
    raw_retention_h: float,
    scope: UnitScope = EVERYWHERE,
) -> dict[str, Any]:
    """Raw samples for ranges within the raw retention; hourly rollups beyond (the raw rows
    are gone by then, see `retention`). An endpoint outside the caller's units: NotFound."""
    ep = await session.get(Endpoint, endpoint_id)
    if ep is None or not scope.covers(ep.unit.path):
        raise NotFound(f"endpoint {endpoint_id} does not exist")
    since, until = history.history_range(since, until)
    if since < utcnow() - timedelta(hours=raw_retention_h):
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


def _subtree_counts(units: list[Unit], rows: Iterable[Any]) -> dict[uuid.UUID, dict[str, int]]:
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


def _parent_path(path: str) -> str | None:
    """The materialised path of the unit above the one at ``path`` (None for the top)."""
    parts = path.strip("/").split("/")
    return f"/{'/'.join(parts[:-1])}/" if len(parts) > 1 else None


async def unit_path(session: AsyncSession, unit: str) -> str:
    """A unit's path by code or id (NotFound when there is none): what a stream filters by."""
    return (await get_unit(session, unit)).path


class _UnitLike(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def parent_id(self) -> uuid.UUID | None: ...
    @property
    def path(self) -> str: ...


def summary_unit(
    u: _UnitLike, scope: UnitScope, endpoints: dict[str, int], cameras: dict[str, int]
) -> dict[str, Any]:
    """One unit of the summary tree (a table row or the live view's), with its subtree counts."""
    return {
        "unit": u.code,
        "name": u.name,
        "level": u.level,
        # a parent outside the scope is not shown: the unit is the top of the caller's tree
        "parent": str(u.parent_id) if u.parent_id and scope.covers(_parent_path(u.path)) else None,
        "id": str(u.id),
        "counts": dict(endpoints),
        "total": sum(endpoints.values()),
        "cameras": dict(cameras),
        "cameras_total": sum(cameras.values()),
    }


async def summary(session: AsyncSession, unit: str | None, scope: UnitScope = EVERYWHERE) -> dict[str, Any]:
    """Counts by state for a unit and each unit below it (the IOC's tree view).

    ``counts``/``total`` are endpoints, ``cameras``/``cameras_total`` cameras, both over the
    unit's whole subtree; a disabled camera counts in the state it was last seen in.

    Only the units inside ``scope`` are listed, each counting what lies inside it: a district's
    people get their district, with no parent, as the top of their tree.
    """
    root = await get_unit(session, unit) if unit else None
    query = select(Unit).where(scope.where(Unit.path))
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
        summary_unit(u, scope, endpoints.get(u.id, {}), cameras.get(u.id, {}))
        for u in sorted(units, key=lambda u: (u.depth, u.code))
    ]
    return {"units": out}


async def list_alarms(
    session: AsyncSession, filters: AlarmFilter, *, limit: int, offset: int, scope: UnitScope = EVERYWHERE
) -> tuple[list[AlarmPublic], int]:
    """One page of alarms, newest raised first, and the total matching."""
    f = filters
    query = select(Alarm).where(scope.where(Alarm.unit_path))
    if f.entity_id is not None:
        query = query.where(Alarm.entity_id == f.entity_id)
    if f.status != "all":
        query = query.where(Alarm.status == f.status)
    if f.severity:
        query = query.where(Alarm.severity == f.severity)
    if f.kind:
        query = query.where(Alarm.kind == f.kind)
    if f.unit:
        root = await get_unit(session, f.unit)
        query = query.where(Alarm.unit_path.startswith(root.path, autoescape=True))
    if f.acknowledged is not None:
        query = query.where(
            Alarm.acknowledged_at.is_not(None) if f.acknowledged else Alarm.acknowledged_at.is_(None)
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Alarm.raised_at.desc()).limit(limit).offset(offset))
    return [AlarmPublic.model_validate(a, from_attributes=True) for a in rows], int(total or 0)


async def get_alarm(session: AsyncSession, alarm_id: uuid.UUID, scope: UnitScope = EVERYWHERE) -> Alarm:
    """The alarm; one outside the caller's units is as unknown to them as a missing one."""
    alarm = await session.get(Alarm, alarm_id)
    if alarm is None or not scope.covers(alarm.unit_path):
        raise NotFound(f"alarm {alarm_id} does not exist")
    return alarm

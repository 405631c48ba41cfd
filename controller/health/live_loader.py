"""Reads of the tables into the live view: the whole picture, or the rows that changed.

The same joins as the database answers in `controller.health.queries` and the metrics, so a
row reads the same whichever way it is asked for.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from controller.health import queries
from controller.health.live_view import ActiveAlarm, CameraLive, EndpointLive, Snapshot, UnitLive
from controller.health.schemas import AlarmPublic
from controller.models import Alarm, Camera, CameraHealth, Endpoint, EndpointHealth, Unit

__all__ = ["alarms_of", "cameras", "endpoints", "registry_mark", "snapshot", "units"]


async def units(session: AsyncSession) -> list[UnitLive]:
    rows = await session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.level, Unit.parent_id, Unit.path, Unit.depth).order_by(
            Unit.id
        )
    )
    return [UnitLive(*row) for row in rows]


async def endpoints(session: AsyncSession, ids: Collection[uuid.UUID] | None = None) -> list[EndpointLive]:
    """The endpoints with these ids (all when None); an id not returned is gone."""
    query = (
        select(Endpoint, Unit, EndpointHealth)
        .join(Unit, Endpoint.unit_id == Unit.id)
        .outerjoin(EndpointHealth, EndpointHealth.endpoint_id == Endpoint.id)
    )
    if ids is not None:
        query = query.where(Endpoint.id.in_(ids))
    return [
        EndpointLive(ep.id, ep.name, ep.unit_id, ep.state, queries.health_public(h, ep, unit) if h else None)
        for ep, unit, h in (await session.execute(query)).all()
    ]


async def cameras(session: AsyncSession, ids: Collection[uuid.UUID] | None = None) -> list[CameraLive]:
    query = select(
        Camera.id, Camera.name, Camera.unit_id, Camera.state, CameraHealth.measures, CameraHealth.last_ok_at
    ).outerjoin(CameraHealth, CameraHealth.camera_id == Camera.id)
    if ids is not None:
        query = query.where(Camera.id.in_(ids))
    return [_camera(row) for row in await session.execute(query)]


def _camera(row: Any) -> CameraLive:
    cam_id, name, unit_id, state, measures, last_ok = row
    return CameraLive(cam_id, name, unit_id, state, measures or {}, last_ok)


def _alarm(row: Alarm) -> ActiveAlarm:
    return ActiveAlarm(AlarmPublic.model_validate(row, from_attributes=True), row.unit_path)


async def alarms_of(
    session: AsyncSession, *, ids: Collection[uuid.UUID] = (), entities: Collection[uuid.UUID] = ()
) -> list[ActiveAlarm]:
    """The alarms with these ids or about these endpoints and cameras, whatever their status
    (the view drops those no longer active)."""
    found: list[ActiveAlarm] = []
    if ids:
        found += [_alarm(a) for a in await session.scalars(select(Alarm).where(Alarm.id.in_(ids)))]
    if entities:
        found += [
            _alarm(a) for a in await session.scalars(select(Alarm).where(Alarm.entity_id.in_(entities)))
        ]
    return found


async def snapshot(session: AsyncSession) -> Snapshot:
    active = await session.scalars(select(Alarm).where(Alarm.status == "active"))
    return Snapshot(
        units=await units(session),
        endpoints=await endpoints(session),
        cameras=await cameras(session),
        alarms=[_alarm(a) for a in active],
    )


async def registry_mark(session: AsyncSession) -> tuple[Any, ...]:
    """Changes when a unit, endpoint or camera is added, removed or edited (by any process):
    their count and latest ``updated_at``. State writes keep ``updated_at``, so polls do not
    move it."""
    mark: list[Any] = []
    for model in (Unit, Endpoint, Camera):
        mark += (await session.execute(select(func.count(), func.max(model.updated_at)))).one()
    return tuple(mark)

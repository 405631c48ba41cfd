"""What a provisioning job works on: one rule, used by the API's routers and the CLI alike.

A job names a unit (its whole subtree), a list of ids, or (for endpoints) a firmware profile;
the selection is made when the job is created and stored with it, so a job always reports on
what it was asked to do even if the registry changes under it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from controller.cameras import registry as camera_registry
from controller.errors import InvalidInput
from controller.fleet import registry as endpoint_registry
from controller.models import Camera, Endpoint
from controller.units.service import unit_from_body

__all__ = ["select_cameras", "select_endpoints"]

_ALL = 100_000  # a province has a few hundred; the bound is the registry query's own


async def select_endpoints(
    session: AsyncSession,
    *,
    unit: str | None = None,
    endpoints: Sequence[uuid.UUID] | None = None,
    profile: str | None = None,
) -> list[Endpoint]:
    if not (unit or endpoints or profile):
        raise InvalidInput("name a unit, a list of endpoints, or a profile", field="unit")
    flt = endpoint_registry.EndpointFilter(
        unit=await unit_from_body(session, unit) if unit else None,
        profile=profile,
        ids=tuple(endpoints) if endpoints else None,
    )
    rows, _ = await endpoint_registry.list_endpoints(session, flt, limit=_ALL, offset=0)
    if not rows:
        raise InvalidInput("the target selects no endpoints", field="unit")
    return rows


async def select_cameras(
    session: AsyncSession, *, unit: str | None = None, cameras: Sequence[uuid.UUID] | None = None
) -> list[Camera]:
    if not (unit or cameras):
        raise InvalidInput("name a unit or a list of cameras", field="unit")
    flt = camera_registry.CameraFilter(unit=await unit_from_body(session, unit) if unit else None)
    rows, _ = await camera_registry.list_cameras(session, flt, limit=_ALL, offset=0)
    if cameras:
        wanted = set(cameras)
        rows = [c for c in rows if c.id in wanted]
    if not rows:
        raise InvalidInput("the target selects no cameras", field="unit")
    return rows

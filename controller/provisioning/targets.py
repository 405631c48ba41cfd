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
from controller.models import Camera, Endpoint, Unit
from controller.scope import EVERYWHERE, UnitScope
from controller.units.service import unit_from_body

__all__ = ["select_cameras", "select_endpoints"]

_ALL = 100_000  # a province has a few hundred; the bound is the registry query's own


async def _target_unit(session: AsyncSession, unit: str | None, scope: UnitScope) -> Unit | None:
    target = await unit_from_body(session, unit) if unit else None
    if target is not None:
        scope.check(target.path, f"unit {target.code}")
    return target


def _all_listed(wanted: Sequence[uuid.UUID] | None, found: Sequence[uuid.UUID], what: str) -> None:
    """A listed id that selects nothing is said, not dropped: unknown, or outside the caller's units."""
    missing = sorted(set(wanted or ()) - set(found))
    if missing:
        raise InvalidInput(
            f"{len(missing)} listed {what} are unknown or outside the units you are responsible for: "
            + ", ".join(str(m) for m in missing[:10]),
            field=what,
        )


async def select_endpoints(
    session: AsyncSession,
    *,
    unit: str | None = None,
    endpoints: Sequence[uuid.UUID] | None = None,
    profile: str | None = None,
    scope: UnitScope = EVERYWHERE,
) -> list[Endpoint]:
    if not (unit or endpoints or profile):
        raise InvalidInput("name a unit, a list of endpoints, or a profile", field="unit")
    flt = endpoint_registry.EndpointFilter(
        unit=await _target_unit(session, unit, scope),
        profile=profile,
        ids=tuple(endpoints) if endpoints else None,
    )
    rows, _ = await endpoint_registry.list_endpoints(session, flt, limit=_ALL, offset=0, scope=scope)
    if not unit and not profile:
        _all_listed(endpoints, [e.id for e in rows], "endpoints")
    if not rows:
        raise InvalidInput("the target selects no endpoints", field="unit")
    return rows


async def select_cameras(
    session: AsyncSession,
    *,
    unit: str | None = None,
    cameras: Sequence[uuid.UUID] | None = None,
    scope: UnitScope = EVERYWHERE,
) -> list[Camera]:
    if not (unit or cameras):
        raise InvalidInput("name a unit or a list of cameras", field="unit")
    flt = camera_registry.CameraFilter(unit=await _target_unit(session, unit, scope))
    rows, _ = await camera_registry.list_cameras(session, flt, limit=_ALL, offset=0)
    rows = [c for c in rows if scope.covers(c.unit.path)]
    if cameras:
        wanted = set(cameras)
        rows = [c for c in rows if c.id in wanted]
        if not unit:
            _all_listed(cameras, [c.id for c in rows], "cameras")
    if not rows:
        raise InvalidInput("the target selects no cameras", field="unit")
    return rows

"""The province standard configuration (what provisioning brings endpoints to)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from controller.api.deps import Actor, Scope, Session, State, route
from controller.models import Unit
from controller.provisioning import standards
from controller.provisioning.camera_standard import check_camera_value, settable_keys
from controller.provisioning.schemas import StandardPublic, StandardValue
from controller.roles import ALL_ROLES, Role
from controller.scope import UnitScope
from controller.units.service import unit_from_body

router = APIRouter(prefix="/standards", tags=["provisioning"])
Key = Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9_]+$")]
UnitQ = Annotated[
    str | None,
    Query(max_length=64, description="Unit code or id; omit for the province-wide value"),
]


@router.get("", response_model=list[StandardPublic], **route(*ALL_ROLES))
async def list_standard(session: Session) -> list[StandardPublic]:
    rows = await standards.list_values(session)
    out = [StandardPublic(unit=u.code if u else "*", key=s.key, value=s.value) for u, s in rows]
    return sorted(out, key=lambda r: (r.unit != "*", r.unit, r.key))


async def _target(session: Session, unit: str | None, scope: UnitScope) -> Unit | None:
    """The unit a value is set for; a province-wide value is for the province's people only."""
    target = await unit_from_body(session, unit) if unit else None
    if target is None and not scope.everywhere:
        scope.check(None, "the province-wide value")
    if target is not None:
        scope.check(target.path, f"unit {target.code}")
    return target


@router.put("/{key}", response_model=StandardPublic, **route(Role.admin, Role.technician))
async def set_standard(
    key: Key,
    data: StandardValue,
    state: State,
    session: Session,
    actor: Actor,
    scope: Scope,
    unit: UnitQ = None,
) -> StandardPublic:
    target = await _target(session, unit, scope)
    check_camera_value(key, data.value)
    await standards.set_value(
        session, target, key, data.value, settable_keys(state.profiles), actor, state.profiles
    )
    return StandardPublic(unit=target.code if target else "*", key=key, value=data.value)


@router.delete("/{key}", status_code=status.HTTP_204_NO_CONTENT, **route(Role.admin, Role.technician))
async def unset_standard(
    key: Key, state: State, session: Session, actor: Actor, scope: Scope, unit: UnitQ = None
) -> None:
    target = await _target(session, unit, scope)
    await standards.set_value(session, target, key, None, settable_keys(state.profiles), actor)

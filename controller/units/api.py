"""The administrative unit tree."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from controller.api.deps import Actor, Offset, Scope, Session, route
from controller.errors import NotFound
from controller.fields import Page, UnitBrief
from controller.models import Unit
from controller.roles import ALL_ROLES, Role
from controller.scope import UnitScope
from controller.units import service as units
from controller.units.schemas import (
    ProvinceImport,
    UnitCreate,
    UnitImportReport,
    UnitNode,
    UnitPublic,
    UnitUpdate,
)

router = APIRouter(prefix="/units", tags=["units"])
READ = route(*ALL_ROLES)
WRITE = route(Role.admin, Role.technician)


@router.get("", response_model=Page[UnitPublic], **READ)
async def list_units(
    session: Session,
    scope: Scope,
    root: Annotated[str | None, Query(max_length=64, description="Subtree root (id or code)")] = None,
    level: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[
        str | None,
        Query(max_length=100, description="Text in name or code; accent- and case-insensitive"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    offset: Offset = 0,
) -> Page[UnitPublic]:
    root_unit = await units.get_unit(session, root) if root else None
    rows, total = await units.list_units(
        session, root=root_unit, level=level, q=q, limit=limit, offset=offset, scope=scope
    )
    return Page[UnitPublic](
        items=[UnitPublic.model_validate(u, from_attributes=True) for u in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/tree", response_model=list[UnitNode], **READ)
async def unit_tree(
    session: Session,
    scope: Scope,
    root: Annotated[str | None, Query(max_length=64, description="Subtree root (id or code)")] = None,
) -> list[UnitNode]:
    """The tree (or one subtree) with endpoint counts summed over each subtree; a unit's people
    get their own units as the roots."""
    return await units.tree(session, await units.get_unit(session, root) if root else None, scope)


async def _unit_in_scope(session: Session, ref: str, scope: UnitScope) -> Unit:
    """A unit outside the caller's units is as unknown to them as a missing one."""
    unit = await units.get_unit(session, ref)
    if not scope.covers(unit.path):
        raise NotFound(f"unit {ref!s} does not exist")
    return unit


@router.get("/{ref}", response_model=UnitPublic, **READ)
async def get_unit(ref: str, session: Session, scope: Scope) -> Unit:
    return await _unit_in_scope(session, ref, scope)


@router.post("", response_model=UnitPublic, status_code=status.HTTP_201_CREATED, **WRITE)
async def create_unit(data: UnitCreate, session: Session, actor: Actor, scope: Scope) -> Unit:
    parent = await units.unit_from_body(session, data.parent, "parent") if data.parent else None
    scope.check(parent.path if parent else None, f"unit {parent.code}" if parent else "a top-level unit")
    return await units.create_unit(
        session, code=data.code, name=data.name, level=data.level, parent=parent, actor=actor
    )


@router.patch("/{ref}", response_model=UnitPublic, **WRITE)
async def update_unit(ref: str, data: UnitUpdate, session: Session, actor: Actor, scope: Scope) -> Unit:
    unit = await _unit_in_scope(session, ref, scope)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    return await units.update_unit(session, unit, changes, actor)


@router.delete("/{ref}", status_code=status.HTTP_204_NO_CONTENT, **WRITE)
async def delete_unit(ref: str, session: Session, actor: Actor, scope: Scope) -> None:
    unit = await _unit_in_scope(session, ref, scope)
    await units.delete_unit(session, unit, actor)


@router.post("/import", response_model=UnitImportReport, **route(Role.admin, province=True))
async def import_province(data: ProvinceImport, session: Session, actor: Actor) -> UnitImportReport:
    """Load a real province and its communes (2025 two-level structure) by name."""
    created, updated, root = await units.import_province(session, data.province, actor)
    return UnitImportReport(
        created=created,
        updated=updated,
        root=UnitBrief(id=root.id, code=root.code, name=root.name, level=root.level),
    )

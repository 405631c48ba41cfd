"""The administrative unit tree."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy import func, select

from controller.api.deps import Actor, Offset, Session, route
from controller.models import Endpoint, Unit
from controller.roles import ALL_ROLES, Role
from controller.schemas import (
    Page,
    ProvinceImport,
    UnitBrief,
    UnitCreate,
    UnitImportReport,
    UnitNode,
    UnitPublic,
    UnitUpdate,
)
from controller.services import audit, units

router = APIRouter(prefix="/units", tags=["units"])
READ = route(*ALL_ROLES)
WRITE = route(Role.admin, Role.technician)


@router.get("", response_model=Page[UnitPublic], **READ)
async def list_units(
    session: Session,
    root: Annotated[str | None, Query(max_length=64, description="Subtree root (id or code)")] = None,
    level: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    offset: Offset = 0,
) -> Page[UnitPublic]:
    root_unit = await units.get_unit(session, root) if root else None
    rows, total = await units.list_units(
        session, root=root_unit, level=level, q=q, limit=limit, offset=offset
    )
    return Page[UnitPublic](
        items=[UnitPublic.model_validate(u, from_attributes=True) for u in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/tree", response_model=list[UnitNode], **READ)
async def tree(
    session: Session,
    root: Annotated[str | None, Query(max_length=64, description="Subtree root (id or code)")] = None,
) -> list[UnitNode]:
    """The tree (or one subtree) with endpoint counts summed over each subtree."""
    query = select(Unit)
    if root:
        query = query.where(units.subtree_filter(await units.get_unit(session, root)))
    all_units = list(await session.scalars(query.order_by(Unit.depth, Unit.code)))
    direct = dict(
        (await session.execute(select(Endpoint.unit_id, func.count()).group_by(Endpoint.unit_id))).all()
    )
    nodes = {
        u.id: UnitNode(id=u.id, code=u.code, name=u.name, level=u.level, endpoints=direct.get(u.id, 0))
        for u in all_units
    }
    children: dict[uuid.UUID | None, list[UnitNode]] = defaultdict(list)
    for u in all_units:
        children[u.parent_id if u.parent_id in nodes else None].append(nodes[u.id])
    for u in reversed(all_units):  # deepest first: add each subtree into its parent
        node = nodes[u.id]
        node.children = children.get(u.id, [])
        node.endpoints += sum(c.endpoints for c in node.children)
    return children[None]


@router.get("/{ref}", response_model=UnitPublic, **READ)
async def get_unit(ref: str, session: Session) -> Unit:
    return await units.get_unit(session, ref)


@router.post("", response_model=UnitPublic, status_code=status.HTTP_201_CREATED, **WRITE)
async def create_unit(data: UnitCreate, session: Session, actor: Actor) -> Unit:
    parent = await units.unit_from_body(session, data.parent, "parent") if data.parent else None
    unit = await units.create_unit(session, code=data.code, name=data.name, level=data.level, parent=parent)
    audit.record(session, actor, "unit.create", "unit", str(unit.id), data.model_dump())
    return unit


@router.patch("/{ref}", response_model=UnitPublic, **WRITE)
async def update_unit(ref: str, data: UnitUpdate, session: Session, actor: Actor) -> Unit:
    unit = await units.get_unit(session, ref)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    for key, value in changes.items():
        setattr(unit, key, value)
    await session.flush()
    audit.record(session, actor, "unit.update", "unit", str(unit.id), {"code": unit.code} | changes)
    return unit


@router.delete("/{ref}", status_code=status.HTTP_204_NO_CONTENT, **WRITE)
async def delete_unit(ref: str, session: Session, actor: Actor) -> None:
    unit = await units.get_unit(session, ref)
    await units.delete_unit(session, unit)
    audit.record(session, actor, "unit.delete", "unit", str(unit.id), {"code": unit.code, "name": unit.name})


@router.post("/import", response_model=UnitImportReport, **route(Role.admin))
async def import_province(data: ProvinceImport, session: Session, actor: Actor) -> UnitImportReport:
    """Load a real province and its communes (2025 two-level structure) by name."""
    specs = units.province_specs(data.province)
    created, updated = await units.upsert_units(session, specs)
    root = await units.get_unit(session, specs[0].code)
    audit.record(
        session,
        actor,
        "unit.import",
        "unit",
        str(root.id),
        {"province": root.name, "created": created, "updated": updated},
    )
    return UnitImportReport(
        created=created,
        updated=updated,
        root=UnitBrief(id=root.id, code=root.code, name=root.name, level=root.level),
    )

"""The administrative tree: any depth, levels as data.

Two ways to fill it: `import_province` loads a real province and its communes
from the `vietnam-provinces` package (the two-level structure in force since
2025), and `build_legacy_demo_tree` builds the seeds' four-level example
(central, 1 province, 10 districts, 209 communes) for the demo and tests.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from controller import audit
from controller.errors import Conflict, InvalidInput, NotFound
from controller.models import ApiKey, Endpoint, Grant, Unit
from controller.principal import Principal
from controller.scope import EVERYWHERE, UnitScope
from controller.search_text import fold, matches
from controller.units.schemas import UnitNode


def new_unit(code: str, name: str, level: str, parent: Unit | None) -> Unit:
    """A unit placed in the tree: its materialized path and depth follow from the parent."""
    unit_id = uuid.uuid4()
    return Unit(
        id=unit_id,
        code=code,
        name=name,
        level=level,
        parent_id=parent.id if parent else None,
        path=f"{parent.path if parent else '/'}{unit_id}/",
        depth=(parent.depth + 1) if parent else 0,
    )


def subtree_filter(root: Unit) -> ColumnElement[bool]:
    """SQL condition: the unit itself and every descendant."""
    return Unit.path.startswith(root.path, autoescape=True)


async def get_unit(session: AsyncSession, ref: str | uuid.UUID) -> Unit:
    """A unit by id or by code (CSV rows and the CLI name units by code)."""
    unit: Unit | None = None
    if isinstance(ref, uuid.UUID):
        unit = await session.get(Unit, ref)
    else:
        try:
            unit = await session.get(Unit, uuid.UUID(ref))
        except ValueError:
            unit = None
        if unit is None:
            unit = await session.scalar(select(Unit).where(Unit.code == ref))
    if unit is None:
        raise NotFound(f"unit {ref!s} does not exist")
    return unit


async def unit_from_body(session: AsyncSession, ref: str, field: str = "unit") -> Unit:
    """A unit named in a request body or CSV: unknown is invalid input, not a 404."""
    try:
        return await get_unit(session, ref)
    except NotFound as exc:
        raise InvalidInput(exc.detail, field=field) from None


async def create_unit(
    session: AsyncSession, *, code: str, name: str, level: str, parent: Unit | None, actor: Principal
) -> Unit:
    if await session.scalar(select(Unit.id).where(Unit.code == code)):
        raise Conflict(f"a unit with code {code!r} already exists", field="code")
    unit = new_unit(code, name, level, parent)
    session.add(unit)
    await session.flush()
    details = {"code": code, "name": name, "level": level, "parent": parent.code if parent else None}
    audit.record(session, actor, "unit.create", "unit", str(unit.id), details)
    return unit


async def update_unit(session: AsyncSession, unit: Unit, changes: dict[str, Any], actor: Principal) -> Unit:
    """Rename or re-level a unit (its place in the tree does not move)."""
    for key, value in changes.items():
        setattr(unit, key, value)
    await session.flush()
    audit.record(session, actor, "unit.update", "unit", str(unit.id), {"code": unit.code} | changes)
    return unit


async def delete_unit(session: AsyncSession, unit: Unit, actor: Principal) -> None:
    children = await session.scalar(select(func.count()).where(Unit.parent_id == unit.id))
    endpoints = await session.scalar(select(func.count()).where(Endpoint.unit_id == unit.id))
    if children or endpoints:
        raise Conflict(
            f"unit {unit.code} still has {children} child unit(s) and {endpoints} endpoint(s)",
            children=children,
            endpoints=endpoints,
        )
    grants = await session.scalar(select(func.count()).where(Grant.unit_id == unit.id))
    keys = await session.scalar(select(func.count()).where(ApiKey.unit_id == unit.id))
    if grants or keys:
        raise Conflict(
            f"unit {unit.code} is the scope of {grants} user grant(s) and {keys} API key(s); change them first",
            grants=grants,
            api_keys=keys,
        )
    await session.delete(unit)
    audit.record(session, actor, "unit.delete", "unit", str(unit.id), {"code": unit.code, "name": unit.name})


async def list_units(
    session: AsyncSession,
    *,
    root: Unit | None = None,
    level: str | None = None,
    q: str | None = None,
    limit: int = 1000,
    offset: int = 0,
    scope: UnitScope = EVERYWHERE,
) -> tuple[list[Unit], int]:
    query = select(Unit).where(scope.where(Unit.path))
    if root is not None:
        query = query.where(subtree_filter(root))
    if level:
        query = query.where(Unit.level == level)
    if q:  # accent- and case-insensitive: name or code
        query = query.where(matches(Unit.search_key, q))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Unit.depth, Unit.code).limit(limit).offset(offset))
    return list(rows), int(total or 0)


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    level: str
    parent_code: str | None


async def upsert_units(session: AsyncSession, specs: Sequence[UnitSpec]) -> tuple[int, int]:
    """Create or rename units given parents-first; returns (created, updated).

    Re-running an import is safe: codes are the identity, names may change.
    """
    codes = [s.code for s in specs] + [s.parent_code for s in specs if s.parent_code]
    existing = {u.code: u for u in await session.scalars(select(Unit).where(Unit.code.in_(set(codes))))}
    created = updated = 0
    for spec in specs:
        unit = existing.get(spec.code)
        if unit is not None:
            if unit.name != spec.name or unit.level != spec.level:
                unit.name, unit.level = spec.name, spec.level
                updated += 1
            continue
        parent = existing.get(spec.parent_code) if spec.parent_code else None
        if spec.parent_code and parent is None:
            raise InvalidInput(f"parent unit {spec.parent_code} of {spec.code} does not exist")
        unit = new_unit(spec.code, spec.name, spec.level, parent)
        session.add(unit)
        existing[spec.code] = unit
        created += 1
    await session.flush()
    return created, updated


def _province_key(text: str) -> str:
    """Case- and accent-insensitive key: 'Tỉnh Đắk Lắk' and 'dak lak' meet."""
    text = fold(text)
    for prefix in ("thanh pho ", "tinh "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return " ".join(text.replace("_", " ").split())


def province_specs(province_name: str) -> list[UnitSpec]:
    """The province and its communes from `vietnam-provinces`, parents first."""
    from vietnam_provinces import Province, Ward

    wanted = _province_key(province_name)
    found = [p for p in Province.iter_all() if _province_key(p.name) == wanted or p.codename == wanted]
    if not found:
        raise NotFound(f"no province named {province_name!r} in vietnam-provinces")
    province = found[0]
    pcode = f"{int(province.code):02d}"
    specs = [UnitSpec(code=pcode, name=province.name, level="province", parent_code=None)]
    wards = sorted(Ward.iter_by_province(province.code), key=lambda w: int(w.code))
    specs += [
        UnitSpec(code=f"{int(w.code):05d}", name=w.name, level="commune", parent_code=pcode) for w in wards
    ]
    return specs


def legacy_demo_specs(province: str = "Tỉnh Mẫu", districts: int = 10, communes: int = 209) -> list[UnitSpec]:
    """The seeds' four-level example tree: central → province → districts → communes."""
    specs = [
        UnitSpec("TW", "Trung ương", "central", None),
        UnitSpec("DEMO", province, "province", "TW"),
    ]
    per, extra = divmod(communes, districts)
    for d in range(1, districts + 1):
        dcode = f"DEMO-H{d:02d}"
        specs.append(UnitSpec(dcode, f"Huyện Số {d}", "district", "DEMO"))
        for c in range(1, per + (1 if d <= extra else 0) + 1):
            specs.append(UnitSpec(f"{dcode}-X{c:02d}", f"Xã {d}.{c:02d}", "commune", dcode))
    return specs


def leaf_codes(specs: Iterable[UnitSpec]) -> list[str]:
    parents = {s.parent_code for s in specs}
    return [s.code for s in specs if s.code not in parents]


# 250 endpoints: 31 at the province (hall + departments), one per district, one per commune.
PROVINCE_ENDPOINTS = 31


def demo_units(count: int = 250) -> list[str]:
    """The unit of each of ``count`` endpoints. 250 is the province: 31 at the province
    office (hall and departments), one per district, one per commune; fewer fill the
    province office first (so a small demo's endpoints keep their names, DEMO-vc001...)."""
    specs = legacy_demo_specs()
    districts = [s.code for s in specs if s.level == "district"]
    communes = [s.code for s in specs if s.level == "commune"]
    full = ["DEMO"] * PROVINCE_ENDPOINTS + districts + communes
    return full[:count] or ["DEMO"]


DEMO_CAMERAS = 12  # one-stop desks with a camera: the province's and a district's communes


def camera_units() -> list[str]:
    """Where the demo's cameras hang: the province office, then communes."""
    communes = [s.code for s in legacy_demo_specs() if s.level == "commune"]
    return ["DEMO", *communes][:DEMO_CAMERAS]


async def tree(
    session: AsyncSession, root: Unit | None = None, scope: UnitScope = EVERYWHERE
) -> list[UnitNode]:
    """The tree (or one subtree) with endpoint counts summed over each subtree; for a unit's
    people, their units are the roots."""
    query = select(Unit).where(scope.where(Unit.path))
    if root is not None:
        query = query.where(subtree_filter(root))
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


async def import_province(session: AsyncSession, province: str, actor: Principal) -> tuple[int, int, Unit]:
    """Load a real province and its communes (2025 two-level structure) by name: units
    created, units updated, and the province's unit."""
    specs = province_specs(province)
    created, updated = await upsert_units(session, specs)
    root = await get_unit(session, specs[0].code)
    details = {"province": root.name, "created": created, "updated": updated}
    audit.record(session, actor, "unit.import", "unit", str(root.id), details)
    return created, updated, root

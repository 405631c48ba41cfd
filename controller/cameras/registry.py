"""The camera registry: create, list, update, delete, CSV import, with audit.

Credentials are split from the URL on the way in (``camera.urls``) and the
password is encrypted; neither the stored URL nor any response holds them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from camera.urls import split_url
from controller import audit
from controller.cameras.schemas import CameraCreate, CameraPublic, CameraUpdate
from controller.csv_rows import CsvSpec, ParsedFile, Row, Unique, decode, parse, unit_problems
from controller.errors import Conflict, InvalidInput, NotFound
from controller.fields import ImportReport, RowError, UnitBrief
from controller.models import Camera, Unit
from controller.principal import Principal
from controller.repoint import require_password_when_moved, url_address
from controller.scope import EVERYWHERE, UnitScope
from controller.search_text import matches
from controller.security import SecretBox
from controller.units.service import subtree_filter, unit_from_body

AUDITED_FIELDS = ("name", "unit", "site", "username", "description", "enabled", "onvif_url", "tls_insecure")

CSV: CsvSpec[CameraCreate] = CsvSpec(
    model=CameraCreate,
    required=("name", "unit", "url"),
    optional=("username", "password", "site", "description", "enabled", "onvif_url", "tls_insecure"),
    unique=(
        Unique("name", lambda d: (d.unit, d.name), lambda d: d.name, "name and unit"),
        Unique("url", lambda d: split_url(d.url).url, lambda d: split_url(d.url).url, "camera URL"),
    ),
)


@dataclass(frozen=True)
class CameraFilter:
    unit: Unit | None = None
    state: str | None = None
    q: str | None = None


def to_public(cam: Camera) -> CameraPublic:
    u = cam.unit
    return CameraPublic(
        id=cam.id,
        name=cam.name,
        unit=UnitBrief(id=u.id, code=u.code, name=u.name, level=u.level),
        site=cam.site,
        url=cam.url,
        username=cam.username,
        has_password=cam.password_enc is not None,
        description=cam.description,
        enabled=cam.enabled,
        thresholds=dict(cam.thresholds or {}),
        onvif_url=cam.onvif_url,
        tls_insecure=cam.tls_insecure,
        state=cam.state,
        state_since=cam.state_since,
        created_at=cam.created_at,
        updated_at=cam.updated_at,
    )


async def _check_unique(
    session: AsyncSession, *, unit_id: uuid.UUID, name: str, url: str, skip: uuid.UUID | None
) -> None:
    same_name = select(Camera.id).where(Camera.unit_id == unit_id, Camera.name == name)
    same_url = select(Camera.id).where(Camera.url == url)
    if skip is not None:
        same_name, same_url = same_name.where(Camera.id != skip), same_url.where(Camera.id != skip)
    if await session.scalar(same_name):
        raise Conflict(f"a camera named {name!r} already exists in this unit", field="name")
    if await session.scalar(same_url):
        raise Conflict("a camera with this URL is already registered", field="url")


def _new_camera(data: CameraCreate, unit: Unit, box: SecretBox) -> Camera:
    parts = split_url(data.url)
    password = data.password or parts.password
    return Camera(
        id=uuid.uuid4(),
        name=data.name,
        unit_id=unit.id,
        unit=unit,
        site=data.site,
        url=parts.url,
        username=data.username or parts.username,
        password_enc=box.encrypt(password) if password else None,
        description=data.description,
        enabled=data.enabled,
        thresholds=data.thresholds.model_dump(exclude_none=True) if data.thresholds else {},
        onvif_url=data.onvif_url,
        tls_insecure=data.tls_insecure,
    )


async def create_camera(
    session: AsyncSession, box: SecretBox, data: CameraCreate, actor: Principal, scope: UnitScope = EVERYWHERE
) -> Camera:
    unit = await unit_from_body(session, data.unit)
    scope.check(unit.path, f"unit {unit.code}")
    cam = _new_camera(data, unit, box)
    await _check_unique(session, unit_id=unit.id, name=cam.name, url=cam.url, skip=None)
    session.add(cam)
    await session.flush()
    summary = {k: getattr(data, k) for k in AUDITED_FIELDS} | {"unit": unit.code, "url": cam.url}
    audit.record(session, actor, "camera.create", "camera", str(cam.id), summary)
    return cam


async def get_camera(session: AsyncSession, camera_id: uuid.UUID, scope: UnitScope = EVERYWHERE) -> Camera:
    """The camera; one outside the caller's units is as unknown to them as a missing one."""
    cam = await session.get(Camera, camera_id)
    if cam is None or not scope.covers(cam.unit.path):
        raise NotFound(f"camera {camera_id} does not exist")
    return cam


async def list_cameras(
    session: AsyncSession, flt: CameraFilter, *, limit: int, offset: int, scope: UnitScope = EVERYWHERE
) -> tuple[list[Camera], int]:
    query = select(Camera).join(Unit, Camera.unit_id == Unit.id).where(scope.where(Unit.path))
    if flt.unit is not None:
        query = query.where(subtree_filter(flt.unit))
    if flt.state:
        query = query.where(Camera.state == flt.state)
    if flt.q:  # accent- and case-insensitive: name, site or the unit's name or code
        query = query.where(or_(matches(Camera.search_key, flt.q), matches(Unit.search_key, flt.q)))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Unit.code, Camera.name).limit(limit).offset(offset))
    return list(rows.unique()), int(total or 0)


async def update_camera(
    session: AsyncSession,
    box: SecretBox,
    cam: Camera,
    data: CameraUpdate,
    actor: Principal,
    scope: UnitScope = EVERYWHERE,
) -> Camera:
    changes = data.model_dump(exclude_unset=True)
    for key in ("name", "unit", "url", "enabled", "tls_insecure"):
        if key in changes and changes[key] is None:
            raise InvalidInput(f"{key} cannot be cleared", field=key)
    unit = await unit_from_body(session, changes["unit"]) if "unit" in changes else cam.unit
    scope.check(unit.path, f"unit {unit.code}")
    url = split_url(changes["url"]) if "url" in changes else None
    await _check_unique(
        session,
        unit_id=unit.id,
        name=changes.get("name", cam.name),
        url=url.url if url else cam.url,
        skip=cam.id,
    )
    moved = []
    if url is not None and url_address(url.url) != url_address(cam.url):
        moved.append("the stream address")
    if "onvif_url" in changes and url_address(changes["onvif_url"]) != url_address(cam.onvif_url):
        moved.append("the ONVIF address")
    given = "password" in changes or bool(url and url.password)
    require_password_when_moved(moved, password_given=given, has_password=bool(cam.password_enc))
    summary: dict[str, object] = {}
    if url is not None:
        cam.url = url.url
        summary["url"] = url.url
        if url.username:
            changes.setdefault("username", url.username)
        if url.password:
            changes.setdefault("password", url.password)
    for key, value in changes.items():
        if key == "url":
            continue
        if key == "password":
            cam.password_enc = box.encrypt(value) if value else None
            summary["password_changed"] = True
        elif key == "unit":
            cam.unit_id, cam.unit = unit.id, unit
            summary["unit"] = unit.code
        elif key == "thresholds":
            cam.thresholds = {k: v for k, v in (value or {}).items() if v is not None}
            summary["thresholds"] = cam.thresholds
        else:
            setattr(cam, key, value)
            summary[key] = value
    await session.flush()
    audit.record(session, actor, "camera.update", "camera", str(cam.id), summary)
    return cam


async def delete_camera(session: AsyncSession, cam: Camera, actor: Principal) -> None:
    summary = {"name": cam.name, "unit": cam.unit.code, "url": cam.url}
    audit.record(session, actor, "camera.delete", "camera", str(cam.id), summary)
    await session.delete(cam)


async def _check_csv_against_db(
    session: AsyncSession, parsed: ParsedFile[CameraCreate], scope: UnitScope = EVERYWHERE
) -> dict[str, Unit]:
    """Unknown units and clashes with registered cameras become row errors; every row is
    checked on the fields that validated, those `parse` refused too, so one import lists
    every problem (as the endpoint import does)."""
    rows = parsed.every_row()
    codes = {r.data.unit for r in rows if r.has("unit")}
    units = {u.code: u for u in await session.scalars(select(Unit).where(Unit.code.in_(codes)))}
    urls = {split_url(r.data.url).url for r in rows if r.has("url")}
    taken_urls = (
        set((await session.scalars(select(Camera.url).where(Camera.url.in_(urls)))).all()) if urls else set()
    )
    names = {r.data.name for r in rows if r.has("unit", "name")}
    taken_names: set[tuple[str, str]] = set()
    if units and names:
        name_rows = await session.execute(
            select(Unit.code, Camera.name)
            .join(Unit, Camera.unit_id == Unit.id)
            .where(Unit.code.in_(list(units)), Camera.name.in_(names))
        )
        taken_names = {(c, n) for c, n in name_rows}
    reported: dict[int, set[str | None]] = {}
    for e in parsed.errors:
        reported.setdefault(e.line, set()).add(e.field)
    good: list[Row[CameraCreate]] = []
    for row in rows:
        d = row.data
        seen = reported.get(row.line, set())
        problems: list[RowError] = []
        if row.has("unit"):
            problems += unit_problems(row.line, d.unit, units, scope)
        if row.has("unit", "name") and "name" not in seen and (d.unit, d.name) in taken_names:
            problems.append(
                RowError(
                    line=row.line,
                    field="name",
                    value=d.name,
                    reason="a camera with this name exists in the unit",
                    code="camera.name_taken",
                )
            )
        if row.has("url") and "url" not in seen and split_url(d.url).url in taken_urls:
            problems.append(
                RowError(
                    line=row.line,
                    field="url",
                    value=split_url(d.url).url,
                    reason="a camera with this URL is registered",
                    code="camera.url_taken",
                )
            )
        parsed.errors.extend(problems)
        if row.ok and not problems:
            good.append(row)
        elif row.ok:
            row.ok = False
            parsed.invalid.append(row)
    parsed.rows = good
    parsed.invalid.sort(key=lambda r: r.line)
    parsed.sort_errors()
    return units


async def import_csv(
    session: AsyncSession,
    box: SecretBox,
    raw: bytes,
    actor: Principal,
    *,
    valid_only: bool,
    max_rows: int,
    scope: UnitScope = EVERYWHERE,
) -> ImportReport:
    """``name,unit,url[,username,password,site,description,enabled,onvif_url,tls_insecure]``; every bad row by line and field."""
    parsed = parse(decode(raw), CSV, max_rows)
    units = await _check_csv_against_db(session, parsed, scope)
    parsed.reject_or_keep(valid_only)
    cams = [_new_camera(r.data, units[r.data.unit], box) for r in parsed.rows]
    session.add_all(cams)
    await session.flush()
    audit.record(
        session,
        actor,
        "camera.import",
        "camera",
        None,
        {
            "rows": parsed.total,
            "imported": len(cams),
            "rejected_lines": sorted({e.line for e in parsed.errors}),
            "names": [c.name for c in cams][:500],
        },
    )
    return ImportReport(rows=parsed.total, valid=len(cams), imported=len(cams), errors=parsed.errors)

"""The endpoint registry: create, read, list, update, delete, with audit.

Passwords enter here as plaintext and leave only as Fernet ciphertext; the
public schema has no password field at all, so no route can echo one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from controller import audit
from controller.errors import Conflict, InvalidInput, NotFound
from controller.fields import UnitBrief
from controller.fleet.schemas import EndpointCreate, EndpointPublic, EndpointUpdate
from controller.models import Endpoint, Unit
from controller.principal import Principal
from controller.provisioning.standards import check_endpoint_within_limits
from controller.repoint import require_password_when_moved
from controller.scope import EVERYWHERE, UnitScope
from controller.search_text import matches
from controller.security import SecretBox
from controller.units.service import subtree_filter, unit_from_body
from endpoints import Profile, fingerprint

# Fields copied into audit summaries. Passwords are never listed here.
AUDITED_FIELDS = ("name", "unit", "host", "port", "username", "profile", "sip_uri", "description")


@dataclass(frozen=True)
class EndpointFilter:
    unit: Unit | None = None
    state: str | None = None
    profile: str | None = None
    q: str | None = None
    ids: tuple[uuid.UUID, ...] | None = None


def to_public(ep: Endpoint) -> EndpointPublic:
    return EndpointPublic(
        id=ep.id,
        name=ep.name,
        unit=UnitBrief(id=ep.unit.id, code=ep.unit.code, name=ep.unit.name, level=ep.unit.level),
        host=ep.host,
        port=ep.port,
        username=ep.username,
        profile=ep.profile,
        host_key=ep.host_key,
        host_key_source=ep.host_key_source,
        sip_uri=ep.sip_uri,
        description=ep.description,
        state=ep.state,
        host_key_pending=ep.pending_host_key is not None,
        host_key_fingerprint=fingerprint(ep.host_key) if ep.host_key else None,
        pending_host_key_fingerprint=fingerprint(ep.pending_host_key) if ep.pending_host_key else None,
        model=ep.model,
        firmware_version=ep.firmware_version,
        last_contact_at=ep.last_contact_at,
        created_at=ep.created_at,
        updated_at=ep.updated_at,
    )


def check_profile(profile: str, known: Iterable[str]) -> None:
    known = set(known)
    if profile not in known:
        raise InvalidInput(
            f"unknown firmware profile {profile!r}; known: {', '.join(sorted(known))}",
            field="profile",
        )


async def _check_unique(
    session: AsyncSession,
    *,
    unit_id: uuid.UUID,
    name: str,
    host: str,
    port: int,
    skip: uuid.UUID | None,
) -> None:
    same_name = select(Endpoint.id).where(Endpoint.unit_id == unit_id, Endpoint.name == name)
    same_addr = select(Endpoint.id).where(Endpoint.host == host, Endpoint.port == port)
    if skip is not None:
        same_name = same_name.where(Endpoint.id != skip)
        same_addr = same_addr.where(Endpoint.id != skip)
    if await session.scalar(same_name):
        raise Conflict(f"an endpoint named {name!r} already exists in this unit", field="name")
    if await session.scalar(same_addr):
        raise Conflict(f"an endpoint at {host}:{port} is already registered", field="host")


async def create_endpoint(
    session: AsyncSession,
    box: SecretBox,
    profiles: Mapping[str, Profile],
    data: EndpointCreate,
    actor: Principal,
    scope: UnitScope = EVERYWHERE,
) -> Endpoint:
    check_profile(data.profile, profiles)
    unit = await unit_from_body(session, data.unit)
    scope.check(unit.path, f"unit {unit.code}")
    await _check_unique(session, unit_id=unit.id, name=data.name, host=data.host, port=data.port, skip=None)
    ep = Endpoint(
        name=data.name,
        unit_id=unit.id,
        unit=unit,
        host=data.host,
        port=data.port,
        username=data.username,
        password_enc=box.encrypt(data.password),
        profile=data.profile,
        host_key=data.host_key,
        host_key_source="registered" if data.host_key else None,
        sip_uri=data.sip_uri,
        description=data.description,
    )
    await check_endpoint_within_limits(session, ep, profiles)
    session.add(ep)
    await session.flush()
    audit.record(
        session,
        actor,
        "endpoint.create",
        "endpoint",
        str(ep.id),
        {k: getattr(data, k) for k in AUDITED_FIELDS} | {"unit": unit.code},
    )
    return ep


async def get_endpoint(
    session: AsyncSession, endpoint_id: uuid.UUID, scope: UnitScope = EVERYWHERE
) -> Endpoint:
    """The endpoint; one outside the caller's units is as unknown to them as a missing one."""
    ep = await session.get(Endpoint, endpoint_id)
    if ep is None or not scope.covers(ep.unit.path):
        raise NotFound(f"endpoint {endpoint_id} does not exist")
    return ep


async def list_endpoints(
    session: AsyncSession, flt: EndpointFilter, *, limit: int, offset: int, scope: UnitScope = EVERYWHERE
) -> tuple[list[Endpoint], int]:
    query = select(Endpoint).join(Unit, Endpoint.unit_id == Unit.id).where(scope.where(Unit.path))
    if flt.unit is not None:
        query = query.where(subtree_filter(flt.unit))
    if flt.state:
        query = query.where(Endpoint.state == flt.state)
    if flt.profile:
        query = query.where(Endpoint.profile == flt.profile)
    if flt.ids is not None:
        query = query.where(Endpoint.id.in_(flt.ids))
    if flt.q:  # accent- and case-insensitive: name, host, description or the unit's name or code
        query = query.where(or_(matches(Endpoint.search_key, flt.q), matches(Unit.search_key, flt.q)))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Unit.code, Endpoint.name).limit(limit).offset(offset))
    return list(rows.unique()), int(total or 0)


async def update_endpoint(
    session: AsyncSession,
    box: SecretBox,
    profiles: Mapping[str, Profile],
    ep: Endpoint,
    data: EndpointUpdate,
    actor: Principal,
    scope: UnitScope = EVERYWHERE,
) -> Endpoint:
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        return ep
    for key in ("name", "unit", "host", "port", "username", "password", "profile"):
        if key in changes and changes[key] is None:
            raise InvalidInput(f"{key} cannot be cleared", field=key)
    if "profile" in changes:
        check_profile(changes["profile"], profiles)
    require_password_when_moved(
        [k for k in ("host", "port", "host_key") if k in changes and changes[k] != getattr(ep, k)],
        password_given="password" in changes,
        has_password=bool(ep.password_enc),
    )
    unit = await unit_from_body(session, changes["unit"]) if "unit" in changes else ep.unit
    scope.check(unit.path, f"unit {unit.code}")
    await _check_unique(
        session,
        unit_id=unit.id,
        name=changes.get("name", ep.name),
        host=changes.get("host", ep.host),
        port=changes.get("port", ep.port),
        skip=ep.id,
    )
    summary: dict[str, object] = {}
    for key, value in changes.items():
        if key == "password":
            ep.password_enc = box.encrypt(value)
            summary["password_changed"] = True
        elif key == "unit":
            ep.unit_id, ep.unit = unit.id, unit
            summary["unit"] = unit.code
        elif key == "host_key":
            ep.host_key = value
            ep.host_key_source = "registered" if value else None
            summary["host_key"] = "replaced" if value else "cleared"
        else:
            setattr(ep, key, value)
            summary[key] = value
    if {"name", "unit", "profile", "sip_uri", "host"} & set(changes):
        await check_endpoint_within_limits(session, ep, profiles)
    await session.flush()
    audit.record(session, actor, "endpoint.update", "endpoint", str(ep.id), summary)
    return ep


async def delete_endpoint(session: AsyncSession, ep: Endpoint, actor: Principal) -> None:
    audit.record(
        session,
        actor,
        "endpoint.delete",
        "endpoint",
        str(ep.id),
        {"name": ep.name, "unit": ep.unit.code, "host": ep.host, "port": ep.port},
    )
    await session.delete(ep)

"""The endpoint registry: CRUD, filters and CSV import."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile, status

from controller.api.deps import Actor, Offset, Scope, Session, State, read_upload, route
from controller.errors import InvalidInput
from controller.fields import ImportReport, Page
from controller.fleet import csv_import, probe, registry
from controller.fleet.devices import device_target
from controller.fleet.schemas import EndpointCreate, EndpointPublic, EndpointUpdate, ProbeResult
from controller.roles import ALL_ROLES, Role
from controller.units.service import get_unit

router = APIRouter(prefix="/endpoints", tags=["endpoints"])
READ = route(*ALL_ROLES)
WRITE = route(Role.admin, Role.technician)


@router.get("", response_model=Page[EndpointPublic], **READ)
async def list_endpoints(
    session: Session,
    scope: Scope,
    unit: Annotated[
        str | None, Query(max_length=64, description="Unit id or code: its whole subtree")
    ] = None,
    state: Annotated[str | None, Query(max_length=32)] = None,
    profile: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Text in name, host, description, or unit name or code; accent- and case-insensitive",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> Page[EndpointPublic]:
    flt = registry.EndpointFilter(
        unit=await get_unit(session, unit) if unit else None, state=state, profile=profile, q=q
    )
    rows, total = await registry.list_endpoints(session, flt, limit=limit, offset=offset, scope=scope)
    return Page[EndpointPublic](
        items=[registry.to_public(e) for e in rows], total=total, limit=limit, offset=offset
    )


@router.post("", response_model=EndpointPublic, status_code=status.HTTP_201_CREATED, **WRITE)
async def create_endpoint(
    data: EndpointCreate, state: State, session: Session, actor: Actor, scope: Scope
) -> EndpointPublic:
    ep = await registry.create_endpoint(session, state.box, state.profiles, data, actor, scope)
    return registry.to_public(ep)


@router.post("/import", response_model=ImportReport, **WRITE)
async def import_endpoints(
    state: State,
    session: Session,
    actor: Actor,
    scope: Scope,
    file: Annotated[
        UploadFile,
        File(
            description="CSV: name,unit,host,port,username,password,profile [,host_key,sip_uri,description]"
        ),
    ],
    valid_only: Annotated[bool, Query(description="Import the valid rows even if others are bad")] = False,
) -> ImportReport:
    raw = await read_upload(file, state.settings.max_csv_bytes)
    return await csv_import.import_csv(
        session,
        state.box,
        state.profiles,
        raw,
        actor,
        valid_only=valid_only,
        max_rows=state.settings.max_csv_rows,
        source=file.filename or "upload",
        scope=scope,
    )


@router.get("/{endpoint_id}", response_model=EndpointPublic, **READ)
async def get_endpoint(endpoint_id: uuid.UUID, session: Session, scope: Scope) -> EndpointPublic:
    return registry.to_public(await registry.get_endpoint(session, endpoint_id, scope))


@router.patch("/{endpoint_id}", response_model=EndpointPublic, **WRITE)
async def update_endpoint(
    endpoint_id: uuid.UUID, data: EndpointUpdate, state: State, session: Session, actor: Actor, scope: Scope
) -> EndpointPublic:
    ep = await registry.get_endpoint(session, endpoint_id, scope)
    ep = await registry.update_endpoint(session, state.box, state.profiles, ep, data, actor, scope)
    return registry.to_public(ep)


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, **WRITE)
async def delete_endpoint(endpoint_id: uuid.UUID, session: Session, actor: Actor, scope: Scope) -> None:
    await registry.delete_endpoint(session, await registry.get_endpoint(session, endpoint_id, scope), actor)


@router.post("/{endpoint_id}/probe", response_model=ProbeResult, **WRITE)
async def probe_endpoint(
    endpoint_id: uuid.UUID, state: State, session: Session, actor: Actor, scope: Scope
) -> ProbeResult:
    """Contact the device now: identify it, and pin its host key on first contact."""
    ep = await registry.get_endpoint(session, endpoint_id, scope)
    profile = state.profiles.get(ep.profile)
    if profile is None:
        raise InvalidInput(f"profile {ep.profile!r} is no longer installed", field="profile")
    return await probe.probe(session, state.pool, device_target(ep, state.box, state.profiles), ep, actor)

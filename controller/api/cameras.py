"""The camera registry: CRUD, filters and CSV import. URLs come back without credentials."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from controller.api.deps import Actor, Offset, Session, State, read_upload, route
from controller.cameras import registry
from controller.cameras.schemas import CameraCreate, CameraPublic, CameraUpdate
from controller.roles import ALL_ROLES, Role
from controller.schemas import ImportReport, Page
from controller.services.units import get_unit

router = APIRouter(prefix="/cameras", tags=["cameras"])
READ = route(*ALL_ROLES)
WRITE = route(Role.admin, Role.technician)


@router.get("", response_model=Page[CameraPublic], **READ)
async def list_cameras(
    session: Session,
    unit: Annotated[
        str | None, Query(max_length=64, description="Unit id or code: its whole subtree")
    ] = None,
    state: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=100, description="Text in name, site or unit name")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> Page[CameraPublic]:
    flt = registry.CameraFilter(unit=await get_unit(session, unit) if unit else None, state=state, q=q)
    rows, total = await registry.list_cameras(session, flt, limit=limit, offset=offset)
    return Page[CameraPublic](
        items=[registry.to_public(c) for c in rows], total=total, limit=limit, offset=offset
    )


@router.post("", response_model=CameraPublic, status_code=status.HTTP_201_CREATED, **WRITE)
async def create_camera(data: CameraCreate, state: State, session: Session, actor: Actor) -> CameraPublic:
    """Only rtsp:// and rtsps:// URLs; credentials in the URL are split out and encrypted."""
    return registry.to_public(await registry.create_camera(session, state.box, data, actor))


@router.post("/import", response_model=ImportReport, **WRITE)
async def import_cameras(
    state: State,
    session: Session,
    actor: Actor,
    file: Annotated[
        UploadFile, File(description="CSV: name,unit,url [,username,password,site,description,enabled]")
    ],
    valid_only: Annotated[bool, Query(description="Import the valid rows even if others are bad")] = False,
) -> ImportReport:
    raw = await read_upload(file, state.settings.max_csv_bytes)
    return await registry.import_csv(
        session, state.box, raw, actor, valid_only=valid_only, max_rows=state.settings.max_csv_rows
    )


@router.get("/{camera_id}", response_model=CameraPublic, **READ)
async def get_camera(camera_id: uuid.UUID, session: Session) -> CameraPublic:
    return registry.to_public(await registry.get_camera(session, camera_id))


@router.patch("/{camera_id}", response_model=CameraPublic, **WRITE)
async def update_camera(
    camera_id: uuid.UUID, data: CameraUpdate, state: State, session: Session, actor: Actor
) -> CameraPublic:
    cam = await registry.get_camera(session, camera_id)
    return registry.to_public(await registry.update_camera(session, state.box, cam, data, actor))


@router.delete("/{camera_id}", status_code=status.HTTP_204_NO_CONTENT, **WRITE)
async def delete_camera(camera_id: uuid.UUID, session: Session, actor: Actor) -> Response:
    await registry.delete_camera(session, await registry.get_camera(session, camera_id), actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

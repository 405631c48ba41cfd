"""The camera registry: CRUD, filters and CSV import. URLs come back without credentials."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from camera.frames import decode_keyframe, to_jpeg
from controller.api.deps import Actor, Offset, Scope, Session, State, read_upload, route
from controller.cameras import registry
from controller.cameras.monitor import SAMPLE_MEASURES
from controller.cameras.schemas import (
    CameraCreate,
    CameraHealthPublic,
    CameraHistory,
    CameraHistoryPoint,
    CameraPublic,
    CameraUpdate,
)
from controller.db import on_commit, release
from controller.errors import NotFound, Unavailable
from controller.fields import ImportReport, Page
from controller.health import history
from controller.health.history import history_range
from controller.models import CameraSample
from controller.roles import ALL_ROLES, Role
from controller.units.service import get_unit

router = APIRouter(prefix="/cameras", tags=["cameras"])
READ = route(*ALL_ROLES)
WRITE = route(Role.admin, Role.technician)


@router.get("", response_model=Page[CameraPublic], **READ)
async def list_cameras(
    session: Session,
    scope: Scope,
    unit: Annotated[
        str | None, Query(max_length=64, description="Unit id or code: its whole subtree")
    ] = None,
    state: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Text in name, site, or unit name or code; accent- and case-insensitive",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> Page[CameraPublic]:
    flt = registry.CameraFilter(unit=await get_unit(session, unit) if unit else None, state=state, q=q)
    rows, total = await registry.list_cameras(session, flt, limit=limit, offset=offset, scope=scope)
    return Page[CameraPublic](
        items=[registry.to_public(c) for c in rows], total=total, limit=limit, offset=offset
    )


@router.post("", response_model=CameraPublic, status_code=status.HTTP_201_CREATED, **WRITE)
async def create_camera(
    data: CameraCreate, state: State, session: Session, actor: Actor, scope: Scope
) -> CameraPublic:
    """Only rtsp:// and rtsps:// URLs; credentials in the URL are split out and encrypted."""
    return registry.to_public(await registry.create_camera(session, state.box, data, actor, scope))


@router.post("/import", response_model=ImportReport, **WRITE)
async def import_cameras(
    state: State,
    session: Session,
    actor: Actor,
    scope: Scope,
    file: Annotated[
        UploadFile,
        File(
            description="CSV: name,unit,url [,username,password,site,description,enabled,onvif_url,tls_insecure]"
        ),
    ],
    valid_only: Annotated[bool, Query(description="Import the valid rows even if others are bad")] = False,
) -> ImportReport:
    raw = await read_upload(file, state.settings.max_csv_bytes)
    return await registry.import_csv(
        session,
        state.box,
        raw,
        actor,
        valid_only=valid_only,
        max_rows=state.settings.max_csv_rows,
        scope=scope,
    )


@router.get("/{camera_id}", response_model=CameraPublic, **READ)
async def get_camera(camera_id: uuid.UUID, session: Session, scope: Scope) -> CameraPublic:
    return registry.to_public(await registry.get_camera(session, camera_id, scope))


@router.patch("/{camera_id}", response_model=CameraPublic, **WRITE)
async def update_camera(
    camera_id: uuid.UUID, data: CameraUpdate, state: State, session: Session, actor: Actor, scope: Scope
) -> CameraPublic:
    cam = await registry.get_camera(session, camera_id, scope)
    cam = await registry.update_camera(session, state.box, cam, data, actor, scope)
    on_commit(
        session, lambda: asyncio.ensure_future(state.cameras.forget(camera_id))
    )  # reopen with the new URL
    return registry.to_public(cam)


@router.delete("/{camera_id}", status_code=status.HTTP_204_NO_CONTENT, **WRITE)
async def delete_camera(
    camera_id: uuid.UUID, state: State, session: Session, actor: Actor, scope: Scope
) -> Response:
    await registry.delete_camera(session, await registry.get_camera(session, camera_id, scope), actor)
    on_commit(session, lambda: asyncio.ensure_future(state.cameras.forget(camera_id)))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{camera_id}/health", response_model=CameraHealthPublic, **READ)
async def camera_health(
    camera_id: uuid.UUID, state: State, session: Session, scope: Scope
) -> CameraHealthPublic:
    """What the last sample found: state, problems, fps, bitrate, keyframe interval, picture measures."""
    cam = await registry.get_camera(session, camera_id, scope)
    row = await state.camera_monitor.health_row(session, camera_id)
    source = state.cameras.sources.get(camera_id)
    # state, reason and problems from the one health row the monitor writes in one transaction
    # (the camera row is a second read: a sample committed between the two would mix them)
    return CameraHealthPublic(
        camera_id=cam.id,
        state=row.state if row else cam.state,
        reason=row.reason if row else None,
        reason_params=row.reason_params or {} if row else {},
        problems=row.problems if row else [],
        since=(row.since or cam.state_since) if row else cam.state_since,
        last_sample_at=row.last_sample_at if row else None,
        last_ok_at=row.last_ok_at if row else None,
        measures=row.measures if row else {},
        baseline_sharpness=row.baseline_sharpness if row else None,
        pulling=bool(source and source.running),
        subscribers=source.subscribers if source else 0,
        viewers=state.relay.count(cam.id),
        thresholds=asdict(state.camera_monitor.thresholds_for(cam)),
    )


@router.get("/{camera_id}/health/history", response_model=CameraHistory, **READ)
async def camera_health_history(
    camera_id: uuid.UUID,
    session: Session,
    scope: Scope,
    since: Annotated[datetime | None, Query(description="Default: 24 h ago")] = None,
    until: Annotated[datetime | None, Query()] = None,
) -> CameraHistory:
    """Raw samples, oldest first, within the raw retention (older ones are gone: no rollups).

    Past ``history.MAX_POINTS`` the range is thinned in the database to evenly spaced samples,
    keeping every sample whose state differs from the one before: a minute of black
    picture must not fall between two kept points.
    """
    await registry.get_camera(session, camera_id, scope)
    since, until = history_range(since, until)
    S = CameraSample
    columns = [S.at, S.state, *(getattr(S, m) for m in SAMPLE_MEASURES)]
    where = (S.camera_id == camera_id, S.at >= since, S.at < until)
    rows = await history.thinned(session, columns, where, S.at, S.state)
    return CameraHistory(
        resolution="raw", points=[CameraHistoryPoint.model_validate(row._mapping) for row in rows]
    )


JPEG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/jpeg": {}}}}


@router.get("/{camera_id}/snapshot", response_class=Response, responses=JPEG, **READ)
async def camera_snapshot(
    camera_id: uuid.UUID,
    state: State,
    session: Session,
    scope: Scope,
    width: Annotated[int | None, Query(ge=64, le=3840, description="Scale down to this width")] = None,
) -> Response:
    """A JPEG of the camera's picture now: a keyframe of the running pull received within
    `camera_read_timeout_s` (a live pull's cached keyframe, or the next one). A camera that
    sends no picture is a 503 saying since when, never its last picture."""
    cam = await registry.get_camera(session, camera_id, scope)
    source = state.cameras.source(cam)
    await release(session)  # the wait below may take seconds: it holds no pooled connection
    s = state.settings
    fresh_after = time.monotonic() - s.camera_read_timeout_s
    key = await source.wait_keyframe(s.camera_keyframe_wait_s, newer_than=fresh_after)
    if key is None or source.info is None:
        last = source.stats.last_packet_at
        age = round(time.monotonic() - last, 1) if last is not None else None
        since = f"for {age:g} s" if age is not None else "since the controller started"
        raise Unavailable(
            f"camera {cam.name} has sent no picture {since}",
            retry_after=max(1, round(s.camera_sample_interval_s)),
            camera_state=source.stats.state,
            age_s=age,
        )
    image = await asyncio.to_thread(decode_keyframe, key, source.info)
    jpeg = await asyncio.to_thread(to_jpeg, image, width)
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.get("/{camera_id}/thumbnail", response_class=Response, responses=JPEG, **READ)
async def camera_thumbnail(camera_id: uuid.UUID, state: State, session: Session, scope: Scope) -> Response:
    """The thumbnail of the last health sample (320 px wide), for camera walls; costs no decode."""
    await registry.get_camera(session, camera_id, scope)
    w = state.camera_monitor.watched.get(camera_id)
    if w is None or w.thumbnail is None:
        raise NotFound("no thumbnail yet: the camera has not been sampled")
    return Response(w.thumbnail, media_type="image/jpeg", headers={"Cache-Control": "max-age=5"})


@router.post(
    "/{camera_id}/reference", status_code=status.HTTP_202_ACCEPTED, response_model=dict[str, str], **WRITE
)
async def reset_camera_reference(
    camera_id: uuid.UUID, state: State, session: Session, actor: Actor, scope: Scope
) -> dict[str, str]:
    """After re-aiming a camera: its next healthy sample becomes the scene it is compared with."""
    cam = await registry.get_camera(session, camera_id, scope)
    await state.camera_monitor.reset_reference(session, cam, actor)
    return {"status": "the next healthy sample becomes the reference"}

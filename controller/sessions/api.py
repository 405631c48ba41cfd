"""Conference sessions, saved scopes and bridges.

Hosts (and admins) run sessions; technicians and IOC viewers watch them.
Bridges are configured by admins. Every action is audited.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.sse import EventSourceResponse, ServerSentEvent
from sqlalchemy.ext.asyncio import AsyncSession

from controller.api.deps import Actor, Offset, Scope, Session, State, route
from controller.fields import Page
from controller.limits import StreamSlot
from controller.models import ConferenceSession
from controller.readiness import service as readiness
from controller.reports import service as reports
from controller.roles import ALL_ROLES, Role
from controller.sessions import attendance, bridges, saved_scopes, store
from controller.sessions.schemas import (
    Attendance,
    BridgeCreate,
    BridgePublic,
    BridgeUpdate,
    MuteRequest,
    ParticipantAdd,
    ScopeCreate,
    ScopePublic,
    SessionCreate,
    SessionDetail,
    SessionPublic,
    TimelineEntry,
)

router = APIRouter(tags=["sessions"])
WATCH = route(*ALL_ROLES)
RUN = route(Role.admin, Role.host)
CONFIGURE = route(Role.admin, province=True)
SessionStatus = Literal["scheduled", "live", "ended", "cancelled"]


async def existing_session(session_id: uuid.UUID, session: Session, scope: Scope) -> ConferenceSession:
    """Checked before a stream starts or a host acts, so an unknown id (or one outside the
    caller's units) is a 404, not a broken stream or an action on someone else's meeting."""
    return await store.get_session(session, session_id, scope)


InScope = Annotated[ConferenceSession, Depends(existing_session)]

# -- bridges -------------------------------------------------------------------------------


@router.get("/bridges", response_model=list[BridgePublic], **WATCH)
async def list_bridges(session: Session) -> list[BridgePublic]:
    return await bridges.list_bridges(session)


@router.post("/bridges", response_model=BridgePublic, status_code=status.HTTP_201_CREATED, **CONFIGURE)
async def create_bridge(data: BridgeCreate, session: Session, actor: Actor) -> BridgePublic:
    return await bridges.create_bridge(session, actor, data)


@router.patch("/bridges/{bridge_id}", response_model=BridgePublic, **CONFIGURE)
async def update_bridge(
    bridge_id: uuid.UUID, data: BridgeUpdate, session: Session, actor: Actor
) -> BridgePublic:
    return await bridges.update_bridge(session, actor, bridge_id, data)


@router.delete("/bridges/{bridge_id}", status_code=status.HTTP_204_NO_CONTENT, **CONFIGURE)
async def delete_bridge(bridge_id: uuid.UUID, session: Session, actor: Actor) -> Response:
    await bridges.delete_bridge(session, actor, bridge_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- saved scopes --------------------------------------------------------------------------


@router.get("/scopes", response_model=list[ScopePublic], **WATCH)
async def list_scopes(session: Session) -> list[ScopePublic]:
    return await saved_scopes.list_scopes(session)


@router.post("/scopes", response_model=ScopePublic, status_code=status.HTTP_201_CREATED, **RUN)
async def create_scope(data: ScopeCreate, session: Session, actor: Actor, scope: Scope) -> ScopePublic:
    """Unknown units or endpoints are refused now, not when the meeting starts."""
    return await saved_scopes.create_scope(session, actor, data, scope)


@router.delete("/scopes/{scope_id}", status_code=status.HTTP_204_NO_CONTENT, **RUN)
async def delete_scope(scope_id: uuid.UUID, session: Session, actor: Actor, scope: Scope) -> Response:
    await saved_scopes.delete_scope(session, actor, scope_id, scope)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- sessions ------------------------------------------------------------------------------


@router.post("/sessions", response_model=SessionDetail, status_code=status.HTTP_201_CREATED, **RUN)
async def create_session(data: SessionCreate, state: State, actor: Actor, scope: Scope) -> SessionDetail:
    """Start now (every available participant dials at once) or schedule.

    409 when the bridge lacks free ports (with `ports`, `in_use`, `requested`,
    `free`); offline endpoints and endpoints in another live session join as
    `unavailable` with the reason, and the session starts for the rest.
    """
    return await state.sessions.create(data, actor, scope)


@router.get("/sessions", response_model=Page[SessionPublic], **WATCH)
async def list_sessions(
    session: Session,
    scope: Scope,
    status_: Annotated[SessionStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> Page[SessionPublic]:
    items, total = await store.list_sessions(session, status_, limit, offset, scope)
    return Page[SessionPublic](items=items, total=total, limit=limit, offset=offset)


@router.get("/sessions/{session_id}", response_model=SessionDetail, **WATCH)
async def get_session(session_id: uuid.UUID, session: Session, scope: Scope) -> SessionDetail:
    return await store.session_detail(session, await store.get_session(session, session_id, scope))


@router.post("/sessions/{session_id}/end", response_model=SessionDetail, **RUN)
async def end_session(session_id: uuid.UUID, state: State, actor: Actor, _row: InScope) -> SessionDetail:
    """Hang up every participant and confirm each is idle; a scheduled session is cancelled."""
    return await state.sessions.end(session_id, actor)


@router.post("/sessions/{session_id}/participants", response_model=SessionDetail, **RUN)
async def add_participant(
    session_id: uuid.UUID, data: ParticipantAdd, state: State, actor: Actor, scope: Scope
) -> SessionDetail:
    return await state.sessions.add(session_id, data.endpoint, actor, scope)


@router.delete(
    "/sessions/{session_id}/participants/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, **RUN
)
async def remove_participant(
    session_id: uuid.UUID, endpoint_id: uuid.UUID, state: State, actor: Actor, _row: InScope
) -> Response:
    """Hang the endpoint up and take it out of the session (it is not redialled)."""
    await state.sessions.remove(session_id, endpoint_id, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/sessions/{session_id}/participants/{endpoint_id}/redial",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=dict[str, str],
    **RUN,
)
async def redial_participant(
    session_id: uuid.UUID, endpoint_id: uuid.UUID, state: State, actor: Actor, _row: InScope
) -> dict[str, str]:
    """Dial again from attempt 1 (a failed, unavailable or dropped participant, or a bad call)."""
    await state.sessions.redial(session_id, endpoint_id, actor)
    return {"status": "redialling"}


@router.post("/sessions/{session_id}/mute", response_model=dict[str, str | None], **RUN)
async def mute_participants(
    session_id: uuid.UUID, data: MuteRequest, state: State, actor: Actor, _row: InScope
) -> dict[str, str | None]:
    """Mute or unmute one participant or every connected one; per endpoint null or the failure."""
    return await state.sessions.mute(session_id, data.on, data.endpoint, actor)


@router.get("/sessions/{session_id}/timeline", response_model=list[TimelineEntry], **WATCH)
async def session_timeline(
    session_id: uuid.UUID,
    session: Session,
    scope: Scope,
    after: Annotated[int, Query(ge=0, le=2**62, description="Entries with a larger id")] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> list[TimelineEntry]:
    return await store.timeline_after(session, session_id, after, limit, scope)


@router.get(
    "/sessions/{session_id}/attendance",
    response_model=Attendance,
    responses={200: {"content": {"text/csv": {}, reports.XLSX: {}}}},
    **WATCH,
)
async def get_attendance(
    session_id: uuid.UUID,
    session: Session,
    row: InScope,
    format_: Annotated[Literal["json", "csv", "xlsx"], Query(alias="format")] = "json",
) -> Attendance | Response:
    """Per participant: join and leave times, connected time, drops, and this session's
    readiness checks; `absent` is the roll call (CSV for the minutes; xlsx: the province's
    workbook, in Vietnamese, with the roll call on its own sheet)."""
    marks = await readiness.marks_for_session(session, session_id)
    att = attendance.build(row, await store.participants(session, session_id), marks)
    if format_ == "xlsx":
        file = await reports.attendance_download(session, row, att)
        return Response(
            file.content, media_type=file.media_type, headers={"Content-Disposition": file.disposition}
        )
    if format_ == "csv":
        return Response(
            attendance.to_csv(att),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="attendance-{row.conference_id}.csv"'},
        )
    return att


@router.get("/sessions/{session_id}/events", response_class=EventSourceResponse, **WATCH)
async def session_events(
    _slot: StreamSlot,
    session_id: uuid.UUID,
    state: State,
    _row: InScope,
) -> AsyncIterator[ServerSentEvent]:
    """The live board: the whole session first, then each participant change as it happens.

    A client that reconnects receives a fresh snapshot, so nothing is missed.
    """
    async with state.sessions.board.listen(session_id) as queue:

        async def read_detail(session: AsyncSession) -> Any:
            return await store.session_detail(session, await store.get_session(session, session_id))

        detail = await state.db.read(read_detail)
        yield ServerSentEvent(event="session", data=detail.model_dump(mode="json"))
        if detail.status not in ("live", "scheduled"):
            yield ServerSentEvent(event="end", data={"status": detail.status})
            return
        while True:
            message = await queue.get()
            yield ServerSentEvent(event=message["event"], id=str(message["seq"]), data=message["data"])
            if message["event"] == "session" and message["data"].get("status") in ("ended", "cancelled"):
                yield ServerSentEvent(event="end", data={"status": message["data"]["status"]})
                return

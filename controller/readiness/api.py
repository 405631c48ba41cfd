"""Readiness before a meeting: runs of checks, the ready board (also live), acknowledgements.

Hosts and technicians start checks and "check again"; technicians (and hosts) acknowledge
a not-ready endpoint of their units ("on my way", "fixed"); everyone who watches sessions
reads the board.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from fastapi.sse import EventSourceResponse, ServerSentEvent
from sqlalchemy.ext.asyncio import AsyncSession

from controller.api.deps import Actor, Scope, Session, State, route
from controller.limits import StreamSlot
from controller.readiness import service
from controller.readiness.manager import BOARD
from controller.readiness.schemas import AckCreate, Board, CheckPublic, RunCreate, RunPublic
from controller.readiness.service import BoardFilter
from controller.roles import ALL_ROLES, Role

router = APIRouter(tags=["readiness"])
WATCH = route(*ALL_ROLES)
CHECK = route(Role.admin, Role.host, Role.technician)

SessionFilter = Annotated[uuid.UUID | None, Query(alias="session", description="One session's board")]
UnitFilter = Annotated[str | None, Query(description="A unit's subtree (code or id)", max_length=64)]


@router.post("/readiness/runs", response_model=RunPublic, status_code=status.HTTP_202_ACCEPTED, **CHECK)
async def start_readiness_run(data: RunCreate, state: State, actor: Actor, scope: Scope) -> RunPublic:
    """Check a session's participants (or a scope) now: device checks, then a test call to the
    bridge's test conference. Returns at once; follow the board or `/readiness/events`."""
    if data.session is not None:
        return await service.start_for_session(state.readiness, data.session, actor, allowed=scope)
    assert data.scope is not None
    return await service.start_for_scope(state.readiness, data.scope, actor, scope)


@router.get("/readiness/runs/{run_id}", response_model=RunPublic, **WATCH)
async def get_readiness_run(run_id: uuid.UUID, session: Session, scope: Scope) -> RunPublic:
    return await service.get_run(session, run_id, scope)


@router.post(
    "/readiness/endpoints/{endpoint_id}/check",
    response_model=RunPublic,
    status_code=status.HTTP_202_ACCEPTED,
    **CHECK,
)
async def check_endpoint_again(
    endpoint_id: uuid.UUID, state: State, actor: Actor, scope: Scope, session_id: SessionFilter = None
) -> RunPublic:
    """ "Check again" one endpoint (after a fix), for a session's board when `session` is given."""
    return await service.check_endpoint(state.readiness, endpoint_id, actor, session_id, scope)


@router.get("/readiness/endpoints/{endpoint_id}/history", response_model=list[CheckPublic], **WATCH)
async def readiness_history(
    endpoint_id: uuid.UUID,
    session: Session,
    scope: Scope,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[CheckPublic]:
    return await service.endpoint_history(session, endpoint_id, scope, since, limit)


@router.post("/readiness/checks/{check_id}/ack", response_model=CheckPublic, **CHECK)
async def acknowledge_check(
    check_id: uuid.UUID, data: AckCreate, state: State, session: Session, actor: Actor, scope: Scope
) -> CheckPublic:
    """ "On my way" or "fixed" on a not-ready check: kept with it, audited, on the board."""
    return await service.acknowledge(state.readiness, session, actor, check_id, data, scope)


@router.get("/readiness/board", response_model=Board, **WATCH)
async def readiness_board(
    session: Session, scope: Scope, session_id: SessionFilter = None, unit: UnitFilter = None
) -> Board:
    """The latest check of each endpoint, of one session or under a unit."""
    return await service.board(session, scope, session_id, unit)


async def board_filter(
    session: Session, scope: Scope, session_id: SessionFilter = None, unit: UnitFilter = None
) -> BoardFilter:
    """Checked before a stream starts, so an unknown session or unit is a 404, not a broken stream."""
    return await service.board_filter(session, scope, session_id, unit)


@router.get("/readiness/events", response_class=EventSourceResponse, **WATCH)
async def readiness_events(
    _slot: StreamSlot, state: State, scope: Scope, flt: Annotated[BoardFilter, Depends(board_filter)]
) -> AsyncIterator[ServerSentEvent]:
    """The board live: a `board` snapshot first, then each `check` as it moves
    (queued → checking → test_call → done) and each `run` that finishes."""
    async with state.readiness.board.listen(BOARD) as queue:

        async def snapshot(session: AsyncSession) -> Any:
            return await service.board(session, scope, flt.session_id, flt.unit)

        first: Board = await state.db.read(snapshot)
        yield ServerSentEvent(event="board", data=first.model_dump(mode="json"))
        wanted_session = str(flt.session_id) if flt.session_id else None
        while True:
            message = await queue.get()
            data = message["data"]
            if wanted_session is not None and data.get("session_id") != wanted_session:
                continue
            path = data.get("unit_path")
            if path is not None and not (scope.covers(path) and path.startswith(flt.unit_path or "")):
                continue
            yield ServerSentEvent(event=message["event"], id=str(message["seq"]), data=data)

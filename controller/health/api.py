"""Health, alarms and the live event stream (read from the monitor's rows, never the device)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent

from controller import events
from controller.api.deps import Actor, Offset, Scope, Session, State, route
from controller.fields import Page
from controller.health import alarms, queries
from controller.health.schemas import AckBody, AlarmPublic, HealthPublic, HealthSummary
from controller.limits import StreamSlot
from controller.roles import ALL_ROLES, Role

router = APIRouter(tags=["health"])
READ = route(*ALL_ROLES)
UnitQ = Annotated[str | None, Query(max_length=64, description="Unit id or code: its whole subtree")]


CACHED = {
    "description": "Answered from the live view with an `ETag`: `If-None-Match` with it gets 304 "
    "while nothing changed; gzip'ed for a client that accepts it.",
}


@router.get(
    "/health/endpoints",
    response_model=Page[HealthPublic],
    responses={200: CACHED, 304: {"description": "Not modified"}},
    **READ,
)
async def list_health(
    request: Request,
    state: State,
    scope: Scope,
    unit: UnitQ = None,
    status: Annotated[str | None, Query(alias="state", max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 250,
    offset: Offset = 0,
) -> Response:
    answer = await state.status.health_page(unit=unit, state=status, limit=limit, offset=offset, scope=scope)
    return state.responses.respond(request, answer.tag, answer.build)


@router.get(
    "/endpoints/{endpoint_id}/health",
    response_model=HealthPublic,
    responses={200: CACHED, 304: {"description": "Not modified"}},
    **READ,
)
async def endpoint_health(endpoint_id: uuid.UUID, request: Request, state: State, scope: Scope) -> Response:
    answer = await state.status.endpoint_health(endpoint_id, scope)
    return state.responses.respond(request, answer.tag, answer.build)


@router.get("/endpoints/{endpoint_id}/health/history", **READ)
async def health_history(
    endpoint_id: uuid.UUID,
    session: Session,
    state: State,
    scope: Scope,
    since: Annotated[datetime | None, Query(description="Default: 24 h ago")] = None,
    until: Annotated[datetime | None, Query()] = None,
) -> dict[str, Any]:
    """Raw samples for ranges within the raw retention; hourly rollups beyond."""
    return await queries.endpoint_history(
        session,
        endpoint_id,
        since,
        until,
        raw_retention_h=state.settings.health_raw_retention_h,
        scope=scope,
    )


@router.get(
    "/health/summary",
    response_model=HealthSummary,
    responses={200: CACHED, 304: {"description": "Not modified"}},
    **READ,
)
async def health_summary(request: Request, state: State, scope: Scope, unit: UnitQ = None) -> Response:
    """Counts by state for a unit and each unit below it (the IOC's tree view).

    ``counts``/``total`` are endpoints, ``cameras``/``cameras_total`` cameras, both over the
    unit's whole subtree; a disabled camera counts in the state it was last seen in. Only the
    caller's units are listed: the top of a district's tree is the district.
    """
    answer = await state.status.summary(unit, scope)
    return state.responses.respond(request, answer.tag, answer.build)


@router.get(
    "/alarms",
    response_model=Page[AlarmPublic],
    responses={
        200: CACHED | {"description": CACHED["description"] + " (active ones; history from the tables)"},
        304: {"description": "Not modified"},
    },
    **READ,
)
async def list_alarms(
    request: Request,
    state: State,
    scope: Scope,
    status: Annotated[Literal["active", "cleared", "all"], Query()] = "active",
    severity: Annotated[str | None, Query(max_length=16)] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    unit: UnitQ = None,
    acknowledged: Annotated[bool | None, Query()] = None,
    entity_id: Annotated[uuid.UUID | None, Query(description="One endpoint's or camera's alarms")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> Response:
    filters = queries.AlarmFilter(status, severity, kind, unit, acknowledged, entity_id)
    answer = await state.status.alarms(filters, limit=limit, offset=offset, scope=scope)
    return state.responses.respond(request, answer.tag, answer.build)


@router.post(
    "/alarms/{alarm_id}/ack",
    response_model=AlarmPublic,
    **route(Role.admin, Role.technician, Role.ioc_operator),
)
async def acknowledge_alarm(
    alarm_id: uuid.UUID, body: AckBody, session: Session, state: State, actor: Actor, scope: Scope
) -> AlarmPublic:
    await queries.get_alarm(session, alarm_id, scope)  # outside the caller's units: as unknown as missing
    alarm = await alarms.acknowledge(session, state.signal, actor, alarm_id, body.comment)
    return AlarmPublic.model_validate(alarm, from_attributes=True)


async def stream_subtree(session: Session, unit: UnitQ = None) -> str | None:
    """The unit a stream is limited to, found before the stream starts: an unknown one is a 404."""
    return await queries.unit_path(session, unit) if unit else None


@router.get("/events/stream", response_class=EventSourceResponse, **READ)
async def event_stream(
    _slot: StreamSlot,
    state: State,
    scope: Scope,
    subtree: Annotated[str | None, Depends(stream_subtree)],
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", max_length=20, pattern=r"^\d+$")
    ] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="Resume after this event id")] = None,
    types: Annotated[str | None, Query(max_length=200, description="Comma-separated type prefixes")] = None,
) -> AsyncIterator[ServerSentEvent]:
    """Every state and alarm change from the outbox, in order; resumes with Last-Event-ID.

    Without a resume point the stream starts with what happens next. Only the events of the
    caller's units are sent; an event of no unit (a session's) only to a province-wide caller.
    `unit` keeps one unit's subtree (a district's operations room), `types` the events whose
    type starts with one of its comma-separated prefixes (`alarm.,readiness.`).
    """
    prefixes = tuple(t.strip() for t in types.split(",") if t.strip()) if types else ()
    resume = int(last_event_id) if last_event_id else after
    recent = state.live.recent
    cursor: int
    if resume is not None:
        cursor = resume
    elif state.live.view.loaded:
        cursor = recent.last
    else:
        cursor = await state.db.read(events.last_event_id)
    idle = 0.0
    yield ServerSentEvent(comment="stream open")  # headers go out now, not with the first event
    while True:
        held = recent.after(cursor)  # the live view's updater read them once for every stream
        rows = held if held is not None else await state.db.read(partial(events.outbox_after, cursor))
        for row in rows:
            cursor = row.id
            if prefixes and not row.type.startswith(prefixes):
                continue
            if not scope.covers(row.unit_path):
                continue
            if subtree is not None and not (row.unit_path or "").startswith(subtree):
                continue
            yield ServerSentEvent(
                id=str(row.id),
                event=row.type,
                data={
                    "id": row.id,
                    "at": row.at.isoformat(),
                    "type": row.type,
                    "entity_type": row.entity_type,
                    "entity_id": row.entity_id,
                    **row.payload,
                },
            )
        if held is None and len(rows) == 500:
            continue
        await recent.signal.wait(2.0)
        idle += 2.0
        if idle >= 15:
            idle = 0
            yield ServerSentEvent(comment="keepalive")

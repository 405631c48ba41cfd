"""Database reads and writes of sessions: bridges, capacity, conflicts, rows to schemas.

Capacity rule: the participants of live sessions that hold (or are about to
hold) a port on a bridge — waiting, dialling, ringing, connected, dropped,
redialling — never exceed its ``ports``.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from controller.errors import Conflict, InvalidInput, NotFound
from controller.models import (
    Bridge,
    ConferenceSession,
    Endpoint,
    Participant,
    SavedScope,
    SessionEvent,
    utcnow,
)
from controller.scope import EVERYWHERE, UnitScope
from controller.sessions.causes import Cause, code_of
from controller.sessions.schemas import (
    BridgePublic,
    ParticipantPublic,
    SessionDetail,
    SessionPublic,
    TimelineEntry,
)
from controller.settings import Settings

HOLDING = frozenset({"waiting", "dialling", "ringing", "connected", "dropped", "redialling"})
# Endpoint states (monitor) in which a dial cannot succeed: listed as unavailable at start.
DOWN_STATES = frozenset({"offline", "unreachable", "auth_failed", "hostkey_mismatch", "hostkey_unpinned"})
DEFAULT_BRIDGE = "MCU"


async def ensure_default_bridge(session: AsyncSession, settings: Settings) -> None:
    """One bridge (``bridge_ports``, ``bridge_sip_pattern``) when none is configured yet."""
    if await session.scalar(select(func.count()).select_from(Bridge)):
        return
    session.add(
        Bridge(
            name=DEFAULT_BRIDGE,
            ports=settings.bridge_ports,
            sip_pattern=settings.bridge_sip_pattern,
            test_conference=settings.bridge_test_conference,
        )
    )


async def get_bridge(session: AsyncSession, bridge_id: uuid.UUID) -> Bridge:
    bridge = await session.get(Bridge, bridge_id)
    if bridge is None:
        raise NotFound(f"no bridge {bridge_id}")
    return bridge


async def pick_bridge(session: AsyncSession, bridge_id: uuid.UUID | None) -> Bridge:
    if bridge_id is not None:
        bridge = await session.get(Bridge, bridge_id)
        if bridge is None:
            raise InvalidInput(f"no bridge {bridge_id}", field="bridge")
        return bridge
    bridges = (await session.scalars(select(Bridge).limit(2))).all()
    if not bridges:
        raise InvalidInput("no bridge is configured: an admin adds one first", field="bridge")
    if len(bridges) != 1:
        raise InvalidInput("several bridges are configured: name one", field="bridge")
    return bridges[0]


async def ports_in_use(session: AsyncSession, bridge_id: uuid.UUID | None = None) -> dict[uuid.UUID, int]:
    """Ports held per bridge by participants of live sessions."""
    query = (
        select(ConferenceSession.bridge_id, func.count())
        .join(Participant, Participant.session_id == ConferenceSession.id)
        .where(ConferenceSession.status == "live", Participant.state.in_(HOLDING))
        .group_by(ConferenceSession.bridge_id)
    )
    if bridge_id is not None:
        query = query.where(ConferenceSession.bridge_id == bridge_id)
    return {bid: n for bid, n in (await session.execute(query)).all()}


async def ports_held(session: AsyncSession, bridge_id: uuid.UUID) -> int:
    return (await ports_in_use(session, bridge_id)).get(bridge_id, 0)


def check_capacity(bridge: Bridge, in_use: int, requested: int) -> None:
    if in_use + requested > bridge.ports:
        free = max(bridge.ports - in_use, 0)
        raise Conflict(
            f"bridge {bridge.name!r} has {bridge.ports} ports, {in_use} in use by live sessions: "
            f"{requested} more needed, {free} free",
            ports=bridge.ports,
            in_use=in_use,
            requested=requested,
            free=free,
        )


def bridge_public(bridge: Bridge, in_use: int) -> BridgePublic:
    public = BridgePublic.model_validate(bridge)
    public.in_use = in_use
    return public


async def busy_endpoints(session: AsyncSession, exclude: uuid.UUID | None = None) -> dict[uuid.UUID, str]:
    """Endpoints taking part in a live session now: endpoint id → that session's title."""
    query = (
        select(Participant.endpoint_id, ConferenceSession.title)
        .join(ConferenceSession, Participant.session_id == ConferenceSession.id)
        .where(ConferenceSession.status == "live", Participant.state.in_(HOLDING))
    )
    if exclude is not None:
        query = query.where(ConferenceSession.id != exclude)
    return {eid: title for eid, title in (await session.execute(query)).all() if eid is not None}


def availability(ep: Endpoint, busy: dict[uuid.UUID, str]) -> Cause | None:
    """Why an endpoint cannot join now, or None."""
    if ep.id in busy:
        return Cause("in_session", session=busy[ep.id])
    if ep.state in DOWN_STATES:
        return Cause("endpoint_down", state=ep.state)
    if ep.pending_host_key:
        return Cause("host_key_pending")
    return None


def unready_kind(ep: Endpoint, busy: dict[uuid.UUID, str]) -> str | None:
    """Which of the host's pre-start choices (``UnreadyChoices``) applies to an endpoint:
    busy (another session of ours, or a call the monitor saw), offline, key_pending."""
    if ep.id in busy or ep.state == "in_call":
        return "busy"
    if ep.state in DOWN_STATES:
        return "offline"
    if ep.pending_host_key:
        return "key_pending"
    return None


def new_participant(
    session_id: uuid.UUID, ep: Endpoint, state: str, cause: str | None, *, wait_free: bool = False
) -> Participant:
    return Participant(
        id=uuid.uuid4(),
        session_id=session_id,
        endpoint_id=ep.id,
        endpoint_name=ep.name,
        unit_code=ep.unit.code,
        unit_name=ep.unit.name,
        state=state,
        cause=cause,
        cause_code=code_of(cause)[0],
        cause_params=code_of(cause)[1],
        attempts=0,
        drops=0,
        muted=False,
        connected_s=0.0,
        intervals=[],
        state_since=utcnow(),
        wait_free=wait_free,
    )


def timeline(
    session: AsyncSession, session_id: uuid.UUID, kind: str, endpoint_name: str | None = None, **detail: Any
) -> None:
    session.add(
        SessionEvent(
            session_id=session_id, at=utcnow(), kind=kind, endpoint_name=endpoint_name, detail=detail
        )
    )


async def get_session(
    session: AsyncSession, session_id: uuid.UUID, scope: UnitScope = EVERYWHERE
) -> ConferenceSession:
    """A session; one outside the caller's units is as unknown to them as a missing one."""
    row = await session.get(ConferenceSession, session_id)
    if row is None or not scope.covers(row.unit_path):
        raise NotFound(f"no session {session_id}")
    return row


async def get_saved_scope(
    session: AsyncSession, scope_id: uuid.UUID, field: str = "saved_scope"
) -> SavedScope:
    row = await session.get(SavedScope, scope_id)
    if row is None:
        raise InvalidInput(f"no saved scope {scope_id}", field=field)
    return row


async def list_sessions(
    session: AsyncSession, status: str | None, limit: int, offset: int, scope: UnitScope = EVERYWHERE
) -> tuple[list[SessionPublic], int]:
    """One page of sessions, newest first, each with its participants counted by state."""
    query = select(ConferenceSession).where(scope.where(ConferenceSession.unit_path))
    if status:
        query = query.where(ConferenceSession.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = (
        await session.scalars(query.order_by(ConferenceSession.created_at.desc()).limit(limit).offset(offset))
    ).all()
    counts = await state_counts(session, [r.id for r in rows])
    return [session_public(r, counts[r.id]) for r in rows], int(total)


async def timeline_after(
    session: AsyncSession, session_id: uuid.UUID, after: int, limit: int, scope: UnitScope = EVERYWHERE
) -> list[TimelineEntry]:
    """A session's timeline entries after ``after``, in order (a board catching up)."""
    await get_session(session, session_id, scope)
    rows = await session.scalars(
        select(SessionEvent)
        .where(SessionEvent.session_id == session_id, SessionEvent.id > after)
        .order_by(SessionEvent.id)
        .limit(limit)
    )
    return [TimelineEntry.model_validate(r) for r in rows.all()]


async def participants(session: AsyncSession, session_id: uuid.UUID) -> list[Participant]:
    return list(
        (
            await session.scalars(
                select(Participant)
                .where(Participant.session_id == session_id)
                .order_by(Participant.unit_code, Participant.endpoint_name)
            )
        ).all()
    )


async def state_counts(
    session: AsyncSession, session_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    rows = await session.execute(
        select(Participant.session_id, Participant.state, func.count())
        .where(Participant.session_id.in_(session_ids))
        .group_by(Participant.session_id, Participant.state)
    )
    out: dict[uuid.UUID, dict[str, int]] = {sid: {} for sid in session_ids}
    for sid, state, n in rows.all():
        out[sid][state] = n
    return out


def session_public(row: ConferenceSession, counts: dict[str, int]) -> SessionPublic:
    return SessionPublic.model_validate(
        {c.key: getattr(row, c.key) for c in ConferenceSession.__table__.columns}
        | {"counts": counts, "unready": row.unready or {}}
    )


async def session_detail(session: AsyncSession, row: ConferenceSession) -> SessionDetail:
    parts = await participants(session, row.id)
    counts: dict[str, int] = {}
    for p in parts:
        counts[p.state] = counts.get(p.state, 0) + 1
    return SessionDetail(
        **session_public(row, counts).model_dump(),
        participants=[ParticipantPublic.model_validate(p) for p in parts],
    )

"""Readiness for routers, the scheduler and the CLI: start runs, read the board, acknowledge.

A run is for one session (its participants, resolved from its scope as a start would) or
for a scope with no session (the default bridge's test conference). Runs are refused
clearly, never left stuck: a session that is over, a scope outside the caller's units or
selecting nothing. A bridge without a test number still runs the device checks and says
``no_test_number`` on every endpoint, so the board shows what can be seen.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from controller import audit
from controller.errors import Conflict, Forbidden, InvalidInput, NotFound
from controller.events import emit
from controller.models import ConferenceSession, Endpoint, ReadinessCheck, ReadinessRun, Unit, utcnow
from controller.principal import Principal
from controller.readiness.manager import BOARD, Ports, ReadinessManager, check_public
from controller.readiness.not_ready import alarm_until
from controller.readiness.schemas import AckCreate, Board, CheckPublic, RunPublic
from controller.scope import EVERYWHERE, UnitScope
from controller.sessions import store
from controller.sessions.schemas import ReadinessMark
from controller.sessions.scope import Scope, resolve
from controller.units.service import get_unit

UNIT_BOARD_SPAN = timedelta(days=1)

__all__ = [
    "BoardFilter",
    "acknowledge",
    "board",
    "board_filter",
    "check_endpoint",
    "endpoint_history",
    "get_run",
    "marks_for_session",
    "start_for_scope",
    "start_for_session",
]


async def _run_public(session: AsyncSession, run: ReadinessRun) -> RunPublic:
    rows = (
        await session.execute(
            select(ReadinessCheck.status, ReadinessCheck.verdict, func.count())
            .where(ReadinessCheck.run_id == run.id)
            .group_by(ReadinessCheck.status, ReadinessCheck.verdict)
        )
    ).all()
    counts: Counter[str] = Counter()
    for status, verdict, n in rows:
        counts[verdict if status == "done" and verdict else status] += n
    return RunPublic.model_validate(
        {
            "id": run.id,
            "session_id": run.session_id,
            "label": run.label,
            "requested_by": run.requested_by,
            "status": run.status,
            "test_dial": run.test_dial,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "counts": {
                k: counts.get(k, 0) for k in ("queued", "checking", "test_call", "ready", "not_ready")
            },
        }
    )


async def _launch(
    manager: ReadinessManager,
    endpoints: list[Endpoint],
    label: str,
    actor: Principal,
    conference: ConferenceSession | None,
) -> RunPublic:
    async with manager.db.transaction() as session:
        if conference is not None:
            bridge = await store.get_bridge(session, conference.bridge_id)
            protocol = conference.protocol
        else:
            bridge = await store.pick_bridge(session, None)
            protocol = "sip" if bridge.sip_pattern else "h323"
        in_use = await store.ports_held(session, bridge.id)
        run, items = await manager.create_run(
            session,
            endpoints=endpoints,
            bridge=bridge,
            protocol=protocol,
            label=label,
            requested_by=actor.label,
            conference=conference,
        )
        audit.record(
            session,
            actor,
            "readiness.run",
            "readiness_run",
            str(run.id),
            {"label": label, "endpoints": len(items), "session": str(conference.id) if conference else None},
        )
        public = await _run_public(session, run)
        until = alarm_until(conference, run.started_at)
    manager.launch(run, items, Ports(bridge.ports, in_use), until)
    return public


async def start_for_session(
    manager: ReadinessManager,
    session_id: uuid.UUID,
    actor: Principal,
    label: str = "manual",
    allowed: UnitScope = EVERYWHERE,
) -> RunPublic:
    """Check every endpoint a session selects (its scope, resolved now)."""
    async with manager.db.transaction() as session:
        conference = await store.get_session(session, session_id, allowed)
        if conference.status not in ("scheduled", "live"):
            raise Conflict(
                f"the session is {conference.status}: nothing to get ready for",
                session_status=conference.status,
            )
        endpoints = await resolve(session, Scope.model_validate(conference.scope))
        if conference.status == "live":  # its participants are in the call: check the others
            holding = await store.busy_endpoints(session)
            endpoints = [e for e in endpoints if e.id not in holding]
        if not endpoints:
            raise InvalidInput("the session selects no endpoint to check", field="session")
    return await _launch(manager, endpoints, label, actor, conference)


async def start_for_scope(
    manager: ReadinessManager, scope: Scope, actor: Principal, allowed: UnitScope = EVERYWHERE
) -> RunPublic:
    async with manager.db.transaction() as session:
        endpoints = await resolve(session, scope)
    if not endpoints:
        raise InvalidInput("the scope selects no endpoints", field="scope")
    outside = [e.name for e in endpoints if not allowed.covers(e.unit.path)]
    if outside:
        raise Forbidden(f"{len(outside)} of the endpoints are outside your units: {', '.join(outside[:10])}")
    return await _launch(manager, endpoints, "manual", actor, None)


async def check_endpoint(
    manager: ReadinessManager,
    endpoint_id: uuid.UUID,
    actor: Principal,
    session_id: uuid.UUID | None = None,
    allowed: UnitScope = EVERYWHERE,
) -> RunPublic:
    """ "Check again": one endpoint, for a session when named (its board shows the result)."""
    async with manager.db.transaction() as session:
        ep = await session.get(Endpoint, endpoint_id)
        if ep is None or not allowed.covers(ep.unit.path):
            raise NotFound(f"endpoint {endpoint_id} does not exist")
        conference = None
        if session_id is not None:
            conference = await store.get_session(session, session_id, allowed)
            if conference.status not in ("scheduled", "live"):
                raise Conflict(f"the session is {conference.status}", session_status=conference.status)
    return await _launch(manager, [ep], "manual", actor, conference)


@dataclass(frozen=True)
class BoardFilter:
    """Which board a live stream follows: one session's, a unit subtree's, or both."""

    session_id: uuid.UUID | None
    unit: str | None
    unit_path: str | None


async def board_filter(
    session: AsyncSession, allowed: UnitScope, session_id: uuid.UUID | None, unit: str | None
) -> BoardFilter:
    """The filter with its session and unit checked: unknown ones are a 404 before any stream."""
    if session_id is not None:
        await store.get_session(session, session_id, allowed)
    path = (await get_unit(session, unit)).path if unit is not None else None
    return BoardFilter(session_id, unit, path)


async def get_run(session: AsyncSession, run_id: uuid.UUID, allowed: UnitScope = EVERYWHERE) -> RunPublic:
    run = await session.get(ReadinessRun, run_id)
    if run is None or not allowed.covers(run.unit_path):
        raise NotFound(f"readiness run {run_id} does not exist")
    return await _run_public(session, run)


async def board(
    session: AsyncSession,
    allowed: UnitScope,
    session_id: uuid.UUID | None = None,
    unit: str | None = None,
) -> Board:
    """The latest check of each endpoint: of the session's runs, or of every run of the last
    day under the unit (a technician's morning view); only endpoints inside the caller's units."""
    query = select(ReadinessCheck).where(allowed.where(ReadinessCheck.unit_path))
    title = start_at = None
    runs: list[RunPublic] = []
    if session_id is not None:
        conference = await store.get_session(session, session_id, allowed)
        title, start_at = conference.title, conference.start_at
        query = query.where(ReadinessCheck.session_id == session_id)
        for run in await session.scalars(
            select(ReadinessRun)
            .where(ReadinessRun.session_id == session_id)
            .order_by(ReadinessRun.started_at.desc())
        ):
            runs.append(await _run_public(session, run))
    else:  # a unit's morning view: what was checked in the last day, not all history
        query = query.where(ReadinessCheck.created_at >= utcnow() - UNIT_BOARD_SPAN)
    if unit is not None:
        root: Unit = await get_unit(session, unit)
        query = query.where(ReadinessCheck.unit_path.startswith(root.path, autoescape=True))
    latest: dict[Any, ReadinessCheck] = {}
    for row in await session.scalars(query.order_by(ReadinessCheck.created_at, ReadinessCheck.id)):
        latest[row.endpoint_id or row.id] = row
    items = sorted(latest.values(), key=lambda r: (r.unit_path.count("/"), r.unit_code, r.endpoint_name))
    counts = Counter(r.verdict if r.status == "done" and r.verdict else r.status for r in items)
    return Board(
        session_id=session_id,
        title=title,
        start_at=start_at,
        runs=runs,
        counts={k: counts.get(k, 0) for k in ("queued", "checking", "test_call", "ready", "not_ready")},
        items=[CheckPublic.model_validate(check_public(r)) for r in items],
    )


async def acknowledge(
    manager: ReadinessManager,
    session: AsyncSession,
    actor: Principal,
    check_id: uuid.UUID,
    data: AckCreate,
    allowed: UnitScope = EVERYWHERE,
) -> CheckPublic:
    """ "On my way" or "fixed", kept with the check (and audited): the host sees who took it.
    A "fixed" does not make the endpoint ready: the next check does."""
    row = await session.get(ReadinessCheck, check_id)
    if row is None or not allowed.covers(row.unit_path):
        raise NotFound(f"readiness check {check_id} does not exist")
    if row.verdict != "not_ready":
        raise Conflict("only a not-ready check is acknowledged", verdict=row.verdict)
    row.ack_kind, row.ack_by, row.ack_at, row.ack_note = data.kind, actor.label, utcnow(), data.note
    public = check_public(row)
    audit.record(session, actor, "readiness.acknowledge", "readiness_check", str(row.id), {"kind": data.kind})
    emit(
        session,
        manager.signal,
        "readiness.acknowledged",
        "endpoint",
        str(row.endpoint_id),
        public,
        unit_path=row.unit_path,
    )
    manager.board.publish(BOARD, "check", public | {"unit_path": row.unit_path})
    return CheckPublic.model_validate(public)


async def marks_for_session(
    session: AsyncSession, session_id: uuid.UUID
) -> dict[uuid.UUID, list[ReadinessMark]]:
    """Each endpoint's readiness checks for a session, oldest first (the attendance's roll call)."""
    rows = await session.execute(
        select(ReadinessCheck, ReadinessRun.label)
        .join(ReadinessRun, ReadinessCheck.run_id == ReadinessRun.id)
        .where(ReadinessCheck.session_id == session_id, ReadinessCheck.endpoint_id.is_not(None))
        .order_by(ReadinessCheck.created_at, ReadinessCheck.id)
    )
    out: dict[uuid.UUID, list[ReadinessMark]] = {}
    for check, label in rows.all():
        assert check.endpoint_id is not None
        out.setdefault(check.endpoint_id, []).append(
            ReadinessMark(
                label=label,
                at=check.finished_at or check.created_at,
                verdict=check.verdict,
                reasons=[r["code"] for r in check.reasons or [] if r.get("blocking", True)],
                ack_kind=check.ack_kind,
                ack_by=check.ack_by,
            )
        )
    return out


async def endpoint_history(
    session: AsyncSession,
    endpoint_id: uuid.UUID,
    allowed: UnitScope,
    since: datetime | None = None,
    limit: int = 50,
) -> list[CheckPublic]:
    ep = await session.get(Endpoint, endpoint_id)
    if ep is None or not allowed.covers(ep.unit.path):
        raise NotFound(f"endpoint {endpoint_id} does not exist")
    query = select(ReadinessCheck).where(
        ReadinessCheck.endpoint_id == endpoint_id, ReadinessCheck.status == "done"
    )
    if since is not None:
        query = query.where(ReadinessCheck.created_at >= since)
    rows = await session.scalars(query.order_by(ReadinessCheck.created_at.desc()).limit(limit))
    return [CheckPublic.model_validate(check_public(r)) for r in rows]

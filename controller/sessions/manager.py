"""All sessions of this controller: start, host actions, end, the schedule, recovery.

Starting is serialised (one lock) so two hosts cannot both take the last
free ports: the capacity check and the participant rows commit together.
The scheduler starts a scheduled session at its time and ends a session
whose duration has passed. At start-up, sessions still ``live`` are taken up
again without redialling anyone already in the call (``adopt``).

Long because: every host action (start, add, remove, redial, mute, end) takes the same start
lock and writes the same rows under the capacity rule; split by action, that rule would be
spread over several modules.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from controller import audit
from controller.db import Database, on_commit
from controller.errors import Conflict, Forbidden, InvalidInput, NotFound
from controller.events import OutboxSignal, emit
from controller.fanout import Fanout
from controller.fleet.devices import device_target
from controller.models import Bridge, ConferenceSession, Endpoint, Participant, utcnow
from controller.principal import SYSTEM, Principal
from controller.provisioning.recorder import Recorder
from controller.scope import EVERYWHERE, UnitScope, common_path
from controller.security import SecretBox
from controller.sessions import store
from controller.sessions.causes import Cause
from controller.sessions.conductor import Call, Conductor, Part
from controller.sessions.dialplan import dial_string, new_conference_id
from controller.sessions.schemas import SessionCreate, SessionDetail
from controller.sessions.scope import Scope, resolve
from controller.settings import Settings
from controller.tasks import cancel_and_wait
from endpoints.pool import SessionPool
from endpoints.profiles import Profile

log = logging.getLogger("diemcau.sessions")

__all__ = ["SessionManager"]


class SessionManager:
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        profiles: dict[str, Profile],
        pool: SessionPool,
        settings: Settings,
        signal: OutboxSignal | None = None,
    ) -> None:
        self.db = db
        self.box = box
        self.profiles = profiles
        self.pool = pool
        self.settings = settings
        self.signal = signal
        self.board = Fanout()
        self.recorder = Recorder(db)
        self.conductors: dict[uuid.UUID, Conductor] = {}
        self._lock = asyncio.Lock()
        self._tick: asyncio.Task[None] | None = None

    # -- service lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        async with self.db.transaction() as session:
            await store.ensure_default_bridge(session, self.settings)
        await self._resume_live()
        self._tick = asyncio.get_running_loop().create_task(self._schedule_loop(), name="sessions:schedule")

    async def close(self) -> None:
        """Stop watching; calls stay up (a restart adopts them)."""
        await cancel_and_wait([self._tick])
        for conductor in list(self.conductors.values()):
            await conductor.detach()
        self.conductors.clear()
        await self.recorder.close()

    def on_feedback(self, key: str, line: str) -> None:
        for conductor in self.conductors.values():
            conductor.on_feedback(key, line)

    # -- create / start ---------------------------------------------------------------------

    async def create(
        self, data: SessionCreate, actor: Principal, allowed: UnitScope = EVERYWHERE
    ) -> SessionDetail:
        """A session now (started before this returns) or at ``start_at``; every endpoint it
        selects must be inside ``allowed`` (a commune's host invites the commune)."""
        if data.start_at is not None and data.start_at.tzinfo is None:
            raise InvalidInput("start_at needs a time zone (e.g. +07:00)", field="start_at")
        if (data.scope is None) == (data.saved_scope is None):
            raise InvalidInput("give either scope or saved_scope", field="scope")
        async with self._lock:
            async with self.db.transaction() as session:
                bridge = await store.pick_bridge(session, data.bridge)
                pattern = bridge.sip_pattern if data.protocol == "sip" else bridge.h323_pattern
                if pattern is None:
                    raise InvalidInput(
                        f"bridge {bridge.name!r} has no {data.protocol} dial pattern", field="protocol"
                    )
                scope = data.scope
                if data.saved_scope is not None:
                    scope = Scope.model_validate(
                        (await store.get_saved_scope(session, data.saved_scope)).spec
                    )
                assert scope is not None
                endpoints = await resolve(session, scope)
                if not endpoints:
                    raise InvalidInput("the scope selects no endpoints", field="scope")
                outside = [e.name for e in endpoints if not allowed.covers(e.unit.path)]
                if outside:
                    raise Forbidden(
                        f"{len(outside)} of the selected endpoints are outside the units you are "
                        f"responsible for: {', '.join(outside[:10])}"
                    )
                conference = data.conference_id or await self._free_conference_id(session, bridge.id)
                await self._check_conference_free(session, bridge.id, conference)
                try:
                    dial = dial_string(pattern, conference)
                except ValueError as exc:  # a pattern stored before it was checked
                    raise InvalidInput(f"bridge {bridge.name!r}: {exc}", field="bridge") from None
                row = ConferenceSession(
                    id=uuid.uuid4(),
                    title=data.title,
                    host=actor.label,
                    bridge_id=bridge.id,
                    conference_id=conference,
                    dial_string=dial,
                    scope=scope.model_dump(mode="json"),
                    saved_scope_id=data.saved_scope,
                    call_rate=data.call_rate,
                    unready=data.unready.model_dump(exclude_none=True) or None,
                    protocol=data.protocol,
                    status="scheduled",
                    start_at=data.start_at,
                    duration_s=data.duration_min * 60 if data.duration_min else None,
                    unit_path=common_path([e.unit.path for e in endpoints]),
                )
                session.add(row)
                now_start = data.start_at is None or data.start_at <= utcnow()
                launch = None
                if now_start:
                    launch = await self._start_rows(session, row, bridge, endpoints, actor, strict=True)
                else:
                    assert data.start_at is not None  # not starting now: it has a start time
                    store.check_capacity(bridge, 0, len(endpoints))  # could never fit
                    store.timeline(session, row.id, "scheduled", start_at=data.start_at.isoformat())
                audit.record(
                    session,
                    actor,
                    "session.create",
                    "session",
                    str(row.id),
                    {
                        "title": row.title,
                        "endpoints": len(endpoints),
                        "start": "now" if now_start else "scheduled",
                    },
                )
                await session.flush()
                detail = await store.session_detail(session, row)
            if launch is not None:
                self._launch(row, *launch)
        return detail

    async def _free_conference_id(self, session: AsyncSession, bridge_id: uuid.UUID) -> str:
        for _ in range(20):
            candidate = new_conference_id()
            if not await self._conference_taken(session, bridge_id, candidate):
                return candidate
        raise Conflict("could not find a free conference id; name one")

    @staticmethod
    async def _conference_taken(session: AsyncSession, bridge_id: uuid.UUID, conference: str) -> bool:
        return bool(
            await session.scalar(
                select(ConferenceSession.id).where(
                    ConferenceSession.bridge_id == bridge_id,
                    ConferenceSession.conference_id == conference,
                    ConferenceSession.status.in_(("scheduled", "live")),
                )
            )
        )

    async def _check_conference_free(
        self, session: AsyncSession, bridge_id: uuid.UUID, conference: str
    ) -> None:
        if await self._conference_taken(session, bridge_id, conference):
            raise Conflict(
                f"conference {conference} is already used by a scheduled or live session",
                field="conference_id",
            )

    async def _start_rows(
        self,
        session: AsyncSession,
        row: ConferenceSession,
        bridge: Bridge,
        endpoints: list[Endpoint],
        actor: Principal,
        *,
        strict: bool,
    ) -> tuple[list[Participant], list[Endpoint]]:
        """Participants in, session live, in the caller's transaction; what to launch after commit.

        ``strict`` (a host pressing start): not enough free ports is a 409 with the
        counts. Not strict (the scheduler): as many as fit join, in scope order
        (higher units first), the rest are unavailable with the reason.
        """
        busy = await store.busy_endpoints(session, exclude=row.id)
        in_use = await store.ports_held(session, bridge.id)
        choices = row.unready or {}
        planned: list[tuple[Endpoint, Cause | None, bool]] = []
        skipped: list[str] = []
        for ep in endpoints:
            kind = store.unready_kind(ep, busy)
            choice = choices.get(kind) if kind else None
            if choice == "skip":
                skipped.append(ep.name)
            else:
                planned.append((ep, store.availability(ep, busy), choice == "wait"))
        endpoints = [ep for ep, _, _ in planned]
        if strict and not endpoints:
            raise InvalidInput(
                f"every selected endpoint is skipped ({len(skipped)}): nobody would be invited",
                field="unready",
            )
        wanted = sum(1 for _, why, wait in planned if why is None or wait)
        if strict:
            store.check_capacity(bridge, in_use, wanted)
        free = max(bridge.ports - in_use, 0)
        rows: list[Participant] = []
        for ep, why, wait in planned:
            holds = why is None or wait
            if holds and free <= 0:
                why, wait, holds = Cause("bridge_full", bridge=bridge.name, ports=bridge.ports), False, False
            if holds:
                free -= 1
            state = "waiting" if holds else "unavailable"
            rows.append(store.new_participant(row.id, ep, state, why, wait_free=wait))
        session.add_all(rows)
        row.status, row.started_at = "live", utcnow()
        unavailable = {r.endpoint_name: r.cause for r in rows if r.state == "unavailable"}
        store.timeline(
            session,
            row.id,
            "started",
            by=actor.label,
            invited=len(rows),
            dialling=len(rows) - len(unavailable),
            unavailable=len(unavailable),
            waiting_free=sum(1 for r in rows if r.wait_free),
            skipped=len(skipped),
        )
        for r in rows:
            if r.state == "unavailable":
                store.timeline(
                    session,
                    row.id,
                    "participant",
                    r.endpoint_name,
                    state="unavailable",
                    cause=r.cause,
                    cause_code=r.cause_code,
                    cause_params=r.cause_params,
                )
        emit(
            session,
            self.signal,
            "session.started",
            "session",
            str(row.id),
            {
                "title": row.title,
                "conference_id": row.conference_id,
                "invited": len(rows),
                "unavailable": unavailable,
                "skipped": skipped,
            },
            unit_path=row.unit_path,  # a district's hosts see their district's meetings start
        )
        return rows, endpoints

    def _launch(
        self,
        row: ConferenceSession,
        rows: list[Participant],
        endpoints: list[Endpoint],
        *,
        adopt: bool = False,
    ) -> None:
        by_id = {ep.id: ep for ep in endpoints}
        parts = [
            Part.from_row(r, device_target(by_id[r.endpoint_id], self.box, self.profiles))
            for r in rows
            if r.endpoint_id in by_id
        ]
        call = Call(row.id, row.dial_string, row.call_rate, row.protocol, f"diemcau-{row.id.hex[:12]}")
        conductor = Conductor(call, self.pool, self.recorder, self.board, self.settings)
        self.conductors[row.id] = conductor
        conductor.start(parts, adopt=adopt)
        self.board.publish(row.id, "session", {"id": str(row.id), "status": row.status})

    async def _resume_live(self) -> None:
        async with self.db.transaction() as session:
            live = (
                await session.scalars(select(ConferenceSession).where(ConferenceSession.status == "live"))
            ).all()
            for row in live:
                rows = await store.participants(session, row.id)
                ids = [r.endpoint_id for r in rows if r.endpoint_id is not None]
                endpoints = list((await session.scalars(select(Endpoint).where(Endpoint.id.in_(ids)))).all())
                self._launch(row, rows, endpoints, adopt=True)
        if live:
            log.info("took up %d live session(s) again", len(live))

    # -- host actions -----------------------------------------------------------------------

    def _conductor(self, row: ConferenceSession) -> Conductor:
        conductor = self.conductors.get(row.id)
        if row.status != "live" or conductor is None:
            raise Conflict(f"session {row.id} is {row.status}, not live", session_status=row.status)
        return conductor

    async def end(self, session_id: uuid.UUID, actor: Principal) -> SessionDetail:
        """Hang up all and confirm each is idle (a scheduled session is cancelled instead)."""
        async with self._lock:
            async with self.db.transaction() as session:
                row = await store.get_session(session, session_id)
                if row.status == "scheduled":
                    row.status, row.ended_at, row.ended_by = "cancelled", utcnow(), actor.label
                    store.timeline(session, row.id, "cancelled", by=actor.label)
                    audit.record(session, actor, "session.cancel", "session", str(row.id), {})
                    detail = await store.session_detail(session, row)
                    # after commit: a host watching the board sees the cancellation at once
                    on_commit(
                        session,
                        lambda: self.board.publish(
                            session_id, "session", {"id": str(session_id), "status": "cancelled"}
                        ),
                    )
                    return detail
                conductor = self._conductor(row)
                del self.conductors[row.id]
        unconfirmed = await conductor.end()
        async with self.db.transaction() as session:
            row = await store.get_session(session, session_id)
            row.status, row.ended_at, row.ended_by = "ended", utcnow(), actor.label
            store.timeline(session, row.id, "ended", by=actor.label, unconfirmed=unconfirmed)
            audit.record(session, actor, "session.end", "session", str(row.id), {"unconfirmed": unconfirmed})
            detail = await store.session_detail(session, row)
            emit(
                session,
                self.signal,
                "session.ended",
                "session",
                str(row.id),
                {"title": row.title, "counts": detail.counts, "unconfirmed": unconfirmed},
                unit_path=row.unit_path,
            )
        self.board.publish(session_id, "session", {"id": str(session_id), "status": "ended"})
        return detail

    async def _participant(
        self, session: AsyncSession, session_id: uuid.UUID, endpoint_id: uuid.UUID
    ) -> Participant:
        part = await session.scalar(
            select(Participant).where(
                Participant.session_id == session_id, Participant.endpoint_id == endpoint_id
            )
        )
        if part is None:
            raise NotFound(f"endpoint {endpoint_id} is not a participant of session {session_id}")
        return part

    async def add(
        self, session_id: uuid.UUID, endpoint_id: uuid.UUID, actor: Principal, allowed: UnitScope = EVERYWHERE
    ) -> SessionDetail:
        async with self._lock:
            async with self.db.transaction() as session:
                row = await store.get_session(session, session_id, allowed)
                ep = await session.get(Endpoint, endpoint_id)
                if ep is None:
                    raise InvalidInput(f"no endpoint {endpoint_id}", field="endpoint")
                allowed.check(ep.unit.path, f"endpoint {ep.name}")
                conductor = self._conductor(row)
                existing = await session.scalar(
                    select(Participant).where(
                        Participant.session_id == row.id, Participant.endpoint_id == ep.id
                    )
                )
                if existing is not None and existing.state in store.HOLDING:
                    raise Conflict(f"{ep.name} is already taking part ({existing.state})")
                why = store.availability(ep, await store.busy_endpoints(session, exclude=row.id))
                if why is not None:
                    raise Conflict(
                        f"{ep.name} cannot join: {why}",
                        code="session.cannot_join",
                        cause_code=why.code,
                        cause_params=why.params,
                    )
                bridge = await store.get_bridge(session, row.bridge_id)
                store.check_capacity(bridge, await store.ports_held(session, bridge.id), 1)
                if existing is not None:
                    await session.delete(existing)
                    await session.flush()
                new = store.new_participant(row.id, ep, "waiting", None)
                session.add(new)
                # the session now reaches this endpoint's unit too: its people see it
                row.unit_path = common_path([p for p in (row.unit_path, ep.unit.path) if p])
                store.timeline(session, row.id, "action", ep.name, action="add", by=actor.label)
                audit.record(
                    session, actor, "session.participant.add", "session", str(row.id), {"endpoint": ep.name}
                )
                await session.flush()
                detail = await store.session_detail(session, row)
            conductor.add(Part.from_row(new, device_target(ep, self.box, self.profiles)))
        return detail

    async def remove(self, session_id: uuid.UUID, endpoint_id: uuid.UUID, actor: Principal) -> None:
        async with self.db.transaction() as session:
            row = await store.get_session(session, session_id)
            conductor = self._conductor(row)
            part = await self._participant(session, row.id, endpoint_id)
            store.timeline(session, row.id, "action", part.endpoint_name, action="remove", by=actor.label)
            audit.record(
                session,
                actor,
                "session.participant.remove",
                "session",
                str(row.id),
                {"endpoint": part.endpoint_name},
            )
        await conductor.remove(str(endpoint_id))

    async def redial(self, session_id: uuid.UUID, endpoint_id: uuid.UUID, actor: Principal) -> None:
        async with self._lock:
            async with self.db.transaction() as session:
                row = await store.get_session(session, session_id)
                conductor = self._conductor(row)
                part = await self._participant(session, row.id, endpoint_id)
                if part.state not in store.HOLDING:
                    ep = await session.get(Endpoint, endpoint_id)
                    if ep is not None and (
                        why := store.availability(ep, await store.busy_endpoints(session, row.id))
                    ):
                        raise Conflict(
                            f"{part.endpoint_name} cannot join: {why}",
                            code="session.cannot_join",
                            cause_code=why.code,
                            cause_params=why.params,
                        )
                    bridge = await store.get_bridge(session, row.bridge_id)
                    store.check_capacity(bridge, await store.ports_held(session, bridge.id), 1)
                store.timeline(session, row.id, "action", part.endpoint_name, action="redial", by=actor.label)
                audit.record(
                    session,
                    actor,
                    "session.participant.redial",
                    "session",
                    str(row.id),
                    {"endpoint": part.endpoint_name},
                )
            await conductor.redial(str(endpoint_id))

    async def mute(
        self, session_id: uuid.UUID, on: bool, endpoint_id: uuid.UUID | None, actor: Principal
    ) -> dict[str, str | None]:
        async with self.db.transaction() as session:
            row = await store.get_session(session, session_id)
            conductor = self._conductor(row)
            if endpoint_id is not None:
                await self._participant(session, row.id, endpoint_id)
                keys = [str(endpoint_id)]
            else:
                keys = [k for k, p in conductor.parts.items() if p.state == "connected"]
            action = "mute" if on else "unmute"
            store.timeline(
                session, row.id, "action", None, action=action, by=actor.label, participants=len(keys)
            )
            audit.record(
                session, actor, f"session.{action}", "session", str(row.id), {"participants": len(keys)}
            )
        return await conductor.mute(keys, on)

    # -- schedule ---------------------------------------------------------------------------

    async def _schedule_loop(self) -> None:
        while True:
            try:
                await self.run_schedule()
            except Exception as exc:  # noqa: BLE001 - the scheduler must outlive one bad pass
                log.error("session schedule pass failed: %s", type(exc).__name__)
            await asyncio.sleep(self.settings.session_tick_s)

    async def run_schedule(self) -> None:
        """Start what is due, end what has run its duration."""
        now = utcnow()
        async with self.db.transaction() as session:
            due = (
                await session.scalars(
                    select(ConferenceSession.id).where(
                        ConferenceSession.status == "scheduled", ConferenceSession.start_at <= now
                    )
                )
            ).all()
            live = (
                await session.scalars(
                    select(ConferenceSession).where(
                        ConferenceSession.status == "live", ConferenceSession.duration_s.is_not(None)
                    )
                )
            ).all()
            over = [
                r.id
                for r in live
                if r.started_at and r.started_at + timedelta(seconds=r.duration_s or 0) <= now
            ]
        for session_id in due:
            await self._auto_start(session_id)
        for session_id in over:
            if session_id in self.conductors:
                await self.end(session_id, SYSTEM)

    async def _auto_start(self, session_id: uuid.UUID) -> None:
        async with self._lock:
            async with self.db.transaction() as session:
                row = await store.get_session(session, session_id)
                if row.status != "scheduled":
                    return
                bridge = await store.get_bridge(session, row.bridge_id)
                try:
                    endpoints = await resolve(session, Scope.model_validate(row.scope))
                except InvalidInput as exc:
                    endpoints = []
                    store.timeline(session, row.id, "error", reason=exc.detail)
                launch = await self._start_rows(session, row, bridge, endpoints, SYSTEM, strict=False)
                audit.record(session, SYSTEM, "session.start", "session", str(row.id), {"scheduled": True})
                await session.flush()
            self._launch(row, *launch)

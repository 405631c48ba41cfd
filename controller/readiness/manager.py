"""Runs of readiness checks: every endpoint of a run checked, bounded, written, published.

One task per endpoint, as a session's participants have. Two bounds keep a run of 250 kind
to the network: ``readiness_checks_at_once`` endpoints are read at a time (the commune
links and the controller's SSH handshakes), and test calls hold at most
``min(readiness_test_calls, the bridge's free ports at the run's start)`` ports at once
(and ``readiness_test_calls`` across every run), so a live meeting on the same bridge never
loses a port to a check. An endpoint is checked by
one run at a time (a lock per endpoint): "check again" during a round waits its turn.

Every step is written through the group-commit ``Recorder`` and published on ``board``
(SSE); each verdict is also an outbox event (``readiness.verdict``) for the IOC's
systems, and goes to ``not_ready`` (``not_ready.py``), whose not-ready verdicts the alarm
evaluator raises while their session is ahead. A controller that stops mid-run leaves the
unfinished checks ``interrupted`` (on the next start), never stuck as "checking".

Long because: a run's life (create, per-endpoint steps with their bounds, write and publish,
recovery) is one piece of bookkeeping.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from controller.db import Database
from controller.events import OutboxSignal, emit
from controller.fanout import Fanout
from controller.fleet.devices import device_target
from controller.health.catalogue import readiness_text
from controller.models import Bridge, ConferenceSession, Endpoint, ReadinessCheck, ReadinessRun, utcnow
from controller.provisioning.recorder import Recorder
from controller.readiness.checks import Finding, Limits, device_findings, error_finding, verdict
from controller.readiness.not_ready import NotReadyView
from controller.readiness.test_call import CallPlan, run_test_call
from controller.scope import common_path
from controller.security import SecretBox
from controller.sessions import store
from controller.sessions.dialplan import dial_string
from controller.settings import Settings
from controller.tasks import cancel_and_wait
from endpoints.errors import EndpointError
from endpoints.pool import SessionPool, Target
from endpoints.profiles import Profile

log = logging.getLogger("diemcau.readiness")

__all__ = ["BOARD", "Item", "Ports", "ReadinessManager", "check_public"]

BOARD = uuid.UUID(int=0)  # the one Fanout key: listeners filter by session and unit


@dataclass
class Item:
    """One endpoint to check in a run."""

    check_id: uuid.UUID
    endpoint_id: uuid.UUID
    name: str
    unit_path: str
    target: Target
    firmware_version: str | None
    in_session: str | None  # the title of a live session of ours it is in
    session_id: uuid.UUID | None  # the session the run is for


@dataclass(frozen=True)
class Ports:
    """The bridge's ports when the run started: test calls never take more than are free."""

    total: int
    in_use: int

    @property
    def free(self) -> int:
        return max(self.total - self.in_use, 0)


def check_public(row: ReadinessCheck) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "run_id": str(row.run_id),
        "session_id": str(row.session_id) if row.session_id else None,
        "endpoint_id": str(row.endpoint_id) if row.endpoint_id else None,
        "endpoint_name": row.endpoint_name,
        "unit_code": row.unit_code,
        "unit_name": row.unit_name,
        "status": row.status,
        "verdict": row.verdict,
        "reasons": row.reasons or [],
        "results": row.results or {},
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "started_at": row.started_at.isoformat() if row.started_at else None,
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
        "ack_kind": row.ack_kind,
        "ack_by": row.ack_by,
        "ack_at": row.ack_at.isoformat() if row.ack_at else None,
        "ack_note": row.ack_note,
    }


class ReadinessManager:
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        profiles: Mapping[str, Profile],
        pool: SessionPool,
        settings: Settings,
        signal: OutboxSignal | None,
    ) -> None:
        self.db, self.box, self.profiles, self.pool = db, box, profiles, pool
        self.settings, self.signal = settings, signal
        self.limits = Limits.of(settings)
        self.board = Fanout()
        self.recorder = Recorder(db)
        self._reads = asyncio.Semaphore(settings.readiness_checks_at_once)
        # every run's test calls together: two rounds at once (two sessions' T-60) never
        # hold more than readiness_test_calls ports between them
        self._calls = asyncio.Semaphore(settings.readiness_test_calls)
        self._locks: dict[uuid.UUID, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.not_ready = NotReadyView()  # the alarm evaluator reads it

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Close what the last stop left running, and rebuild the not-ready view."""
        now = utcnow()
        async with self.db.transaction() as session:
            open_runs = (
                await session.scalars(select(ReadinessRun.id).where(ReadinessRun.status == "running"))
            ).all()
            if open_runs:
                await session.execute(
                    update(ReadinessRun)
                    .where(ReadinessRun.id.in_(open_runs))
                    .values(status="interrupted", finished_at=now)
                )
                reasons = [Finding("interrupted").as_dict()]
                await session.execute(
                    update(ReadinessCheck)
                    .where(ReadinessCheck.run_id.in_(open_runs), ReadinessCheck.status != "done")
                    .values(status="done", verdict="not_ready", reasons=reasons, finished_at=now)
                )
                log.warning("%d readiness run(s) were interrupted by the last stop", len(open_runs))
            await self.not_ready.load(session, now)

    async def close(self) -> None:
        await cancel_and_wait(list(self._tasks))
        await self.recorder.close()

    # -- runs ---------------------------------------------------------------------------------

    async def create_run(
        self,
        session: AsyncSession,
        *,
        endpoints: list[Endpoint],
        bridge: Bridge,
        protocol: str,
        label: str,
        requested_by: str,
        conference: ConferenceSession | None = None,
    ) -> tuple[ReadinessRun, list[Item]]:
        """The run's rows (every check ``queued``), in the caller's transaction; ``launch``
        once it is committed."""
        pattern = bridge.sip_pattern if protocol == "sip" else bridge.h323_pattern
        test_dial = None
        if bridge.test_conference and pattern:
            try:
                test_dial = dial_string(pattern, bridge.test_conference)
            except ValueError:
                test_dial = None
        run = ReadinessRun(
            id=uuid.uuid4(),
            session_id=conference.id if conference else None,
            label=label,
            requested_by=requested_by,
            unit_path=common_path([e.unit.path for e in endpoints]),
            bridge_id=bridge.id,
            test_dial=test_dial,
            status="running",
            started_at=utcnow(),
        )
        session.add(run)
        busy = await store.busy_endpoints(session)
        items: list[Item] = []
        for ep in endpoints:
            row = ReadinessCheck(
                id=uuid.uuid4(),
                run_id=run.id,
                session_id=run.session_id,
                endpoint_id=ep.id,
                endpoint_name=ep.name,
                unit_code=ep.unit.code,
                unit_name=ep.unit.name,
                unit_path=ep.unit.path,
                status="queued",
                reasons=[],
                results={},
                created_at=run.started_at,
            )
            session.add(row)
            items.append(
                Item(
                    row.id,
                    ep.id,
                    ep.name,
                    ep.unit.path,
                    device_target(ep, self.box, self.profiles),
                    ep.firmware_version,
                    busy.get(ep.id),
                    run.session_id,
                )
            )
        await session.flush()
        return run, items

    def launch(self, run: ReadinessRun, items: list[Item], ports: Ports, until: datetime) -> None:
        """Check every item; the bridge's free ``ports`` bound the test calls, ``until`` is how
        long a not-ready verdict stays an alarm (the session's end) unless a later check says
        ready."""
        task = asyncio.get_running_loop().create_task(
            self._run(run.id, run.test_dial, items, ports, until, run.session_id),
            name=f"readiness:{run.id}",
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(
        self,
        run_id: uuid.UUID,
        test_dial: str | None,
        items: list[Item],
        ports: Ports,
        until: datetime,
        session_id: uuid.UUID | None,
    ) -> None:
        capacity = min(self.settings.readiness_test_calls, ports.free)
        slots = asyncio.Semaphore(capacity) if capacity > 0 else None
        title = None
        if session_id is not None:
            async with self.db.transaction() as session:
                title = await session.scalar(
                    select(ConferenceSession.title).where(ConferenceSession.id == session_id)
                )
        try:
            await asyncio.gather(*(self._one(item, test_dial, slots, ports, until, title) for item in items))
        finally:
            async with self.db.transaction() as session:
                await session.execute(
                    update(ReadinessRun)
                    .where(ReadinessRun.id == run_id, ReadinessRun.status == "running")
                    .values(status="done", finished_at=utcnow())
                )
            self.board.publish(
                BOARD,
                "run",
                {
                    "run_id": str(run_id),
                    "status": "done",
                    "session_id": str(session_id) if session_id else None,
                },
            )

    async def _one(
        self,
        item: Item,
        test_dial: str | None,
        slots: asyncio.Semaphore | None,
        ports: Ports,
        until: datetime,
        title: str | None,
    ) -> None:
        lock = self._locks.setdefault(item.endpoint_id, asyncio.Lock())
        try:
            async with lock:
                findings, results = await self._check(item, test_dial, slots, ports)
        except Exception as exc:  # noqa: BLE001 - one endpoint must never take the run down
            log.exception("readiness check of %s: unexpected %s", item.name, type(exc).__name__)
            findings, results = [Finding("check_failed", {"error": "internal"})], {}
        await self._finish(item, findings, results, until, title)

    async def _check(
        self, item: Item, test_dial: str | None, slots: asyncio.Semaphore | None, ports: Ports
    ) -> tuple[list[Finding], dict[str, Any]]:
        results: dict[str, Any] = {}
        async with self._reads:
            await self._step(item, "checking", started_at=utcnow())
            try:
                driver = await self.pool.driver(item.target, now=True)
                health = await driver.health()
                call = await driver.call_status()
                clock = await driver.clock()
            except EndpointError as exc:
                return [error_finding(exc)], results
        profile = item.target.profile
        findings = device_findings(health, call, clock, item.firmware_version, profile.firmware, self.limits)
        results["device"] = {
            "sip_registered": health.sip_registered,
            "camera_connected": health.camera_connected,
            "microphones_connected": health.microphones_connected,
            "call": call.state,
            "clock_skew_s": None if clock is None else clock.skew_s,
            "ntp_synced": None if clock is None else clock.ntp_synced,
            "firmware_version": item.firmware_version,
        }
        if item.in_session is not None:  # our own meeting's call, not "another call"
            findings = [f for f in findings if f.code != "in_other_call"]
            findings.append(Finding("in_session", {"session": item.in_session}))
        if call.state != "idle" or item.in_session is not None:
            return findings, results  # never a test call on an endpoint in a call
        if test_dial is None:
            return [*findings, Finding("no_test_number")], results
        if slots is None:
            return [
                *findings,
                Finding("no_free_port", {"ports": ports.total, "in_use": ports.in_use}),
            ], results
        async with slots, self._calls:
            await self._step(item, "test_call")
            plan = CallPlan(
                dial=test_dial,
                rate=768,
                protocol="sip" if test_dial.lower().startswith("sip") else "h323",
                setup_s=self.settings.readiness_setup_s,
                window_s=self.settings.readiness_window_s,
                poll_s=self.settings.readiness_poll_s,
                confirm_s=self.settings.session_end_confirm_s,
                limits=self.limits,
            )
            try:
                driver = await self.pool.driver(item.target, now=True)
            except EndpointError as exc:
                return [*findings, error_finding(exc)], results
            test = await run_test_call(driver, plan)
        results["test_call"] = test.figures
        return findings + test.findings, results

    async def _step(self, item: Item, status: str, **values: Any) -> None:
        async def op(session: AsyncSession) -> None:
            await session.execute(
                update(ReadinessCheck)
                .where(ReadinessCheck.id == item.check_id)
                .values(status=status, **values)
            )

        await self.recorder.write(op)
        self.board.publish(
            BOARD,
            "check",
            {
                "id": str(item.check_id),
                "endpoint_id": str(item.endpoint_id),
                "session_id": str(item.session_id) if item.session_id else None,
                "status": status,
                "unit_path": item.unit_path,
            },
        )

    async def _finish(
        self, item: Item, findings: list[Finding], results: dict[str, Any], until: datetime, title: str | None
    ) -> None:
        outcome = verdict(findings)
        reasons = [f.as_dict() for f in findings]
        now = utcnow()
        holder: dict[str, Any] = {}

        async def op(session: AsyncSession) -> None:
            row = await session.get(ReadinessCheck, item.check_id)
            if row is None:
                return  # its run was deleted with its session
            row.status, row.verdict, row.reasons, row.results, row.finished_at = (
                "done",
                outcome,
                reasons,
                results,
                now,
            )
            public = check_public(row)
            holder["public"] = public
            emit(
                session,
                self.signal,
                "readiness.verdict",
                "endpoint",
                str(item.endpoint_id),
                public | {"message": "; ".join(readiness_text(f.code, f.params) for f in findings)},
                unit_path=item.unit_path,
            )

        await self.recorder.write(op)
        if "public" in holder:
            self.board.publish(BOARD, "check", holder["public"] | {"unit_path": item.unit_path})
        self.not_ready.note(
            item.endpoint_id,
            item.check_id,
            item.session_id,
            item.name,
            item.unit_path,
            outcome,
            reasons,
            title,
            until,
        )

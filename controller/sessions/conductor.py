"""One live session: every participant dials the bridge, is watched, and is redialled.

Each participant has its own task, so 250 dials go out at once over the
pooled SSH sessions. A participant's task dials, then watches the call: a
state-feedback line from the device (``xFeedback`` / ``notify callstatus``)
wakes it at once, and a slow poll (``session_watch_poll_s``) is the safety
net for a lost line. What counts as "our call" is the device's reported
remote compared with the session's dial string.

Failed dials are retried with doubling, fully jittered backoff up to
``session_max_attempts``; a connected call that drops is redialled after
``session_redial_delay_s`` without anyone asking, and the attempt count
starts again. Every change is written (group-committed through ``Recorder``)
as the participant row plus a timeline event, then published to the board.

A controller that stops does not hang anyone up: the meeting goes on, and
on restart ``adopt`` finds each device already in the session's call.

Long because: one live session's participants are one state machine (dial, watch, redial,
hang up) whose steps share the call bookkeeping and the recorder.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from controller.fanout import Fanout
from controller.health.tracker import DEFINITIVE
from controller.models import Participant, SessionEvent, utcnow
from controller.provisioning.recorder import Recorder
from controller.sessions.causes import Cause, code_of
from controller.sessions.dialplan import is_session_call
from controller.sessions.store import HOLDING
from controller.settings import Settings
from controller.tasks import cancel_and_wait
from endpoints import CallStatus, EndpointDriver
from endpoints.errors import Backoff, EndpointError
from endpoints.pool import SessionPool, Target

log = logging.getLogger("diemcau.sessions")

__all__ = ["Call", "Conductor", "Part", "describe"]


@dataclass(frozen=True)
class Call:
    """What every participant of one session dials."""

    session_id: uuid.UUID
    dial_string: str
    rate: int
    protocol: str
    tag: str


@dataclass
class Part:
    """A participant's live state; the database row mirrors it."""

    id: uuid.UUID
    endpoint_id: uuid.UUID
    name: str
    target: Target
    state: str
    cause: str | None = None
    cause_code: str | None = None  # the cause as a code with params (sessions/causes.py)
    cause_params: dict[str, Any] | None = None
    attempts: int = 0  # dials in this session, all told (attendance)
    streak: int = 0  # failed dials since the last connect (bounded by session_max_attempts)
    drops: int = 0
    muted: bool = False
    wait_free: bool = False  # the host chose "gọi khi rảnh": never given up
    first_join_at: datetime | None = None
    last_leave_at: datetime | None = None
    connected_s: float = 0.0
    intervals: list[list[str | None]] = field(default_factory=list)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    ended_cause: str | None = None  # from the device's call-ended feedback
    call_id: int | None = None  # the device's id of our call, when its dialect says
    task: asyncio.Task[None] | None = None

    @classmethod
    def from_row(cls, row: Participant, target: Target) -> Part:
        assert row.endpoint_id is not None
        return cls(
            id=row.id,
            endpoint_id=row.endpoint_id,
            name=row.endpoint_name,
            target=target,
            state=row.state,
            cause=row.cause,
            cause_code=row.cause_code,
            cause_params=row.cause_params,
            attempts=row.attempts,
            drops=row.drops,
            muted=row.muted,
            wait_free=row.wait_free,
            first_join_at=row.first_join_at,
            last_leave_at=row.last_leave_at,
            connected_s=row.connected_s,
            intervals=[list(i) for i in row.intervals],
        )

    def public(self) -> dict[str, Any]:
        return {
            "endpoint_id": str(self.endpoint_id),
            "endpoint_name": self.name,
            "state": self.state,
            "cause": self.cause,
            "cause_code": self.cause_code,
            "cause_params": self.cause_params,
            "attempts": self.attempts,
            "drops": self.drops,
            "muted": self.muted,
            "wait_free": self.wait_free,
            "first_join_at": self.first_join_at.isoformat() if self.first_join_at else None,
            "last_leave_at": self.last_leave_at.isoformat() if self.last_leave_at else None,
            "connected_s": round(self.connected_s, 1),
        }


def describe(exc: EndpointError) -> Cause:
    """A cause a host can read: the device's own words when it refused."""
    return Cause.of_error(exc)


def _ended(part: Part) -> Cause | None:
    """The device's own words for why our call ended, when its feedback said."""
    return Cause("device_ended", device_cause=part.ended_cause) if part.ended_cause else None


def refused_for_good(exc: EndpointError) -> bool:
    """The device (or our policy) said no in a way only a person can change."""
    code = exc.last_code if isinstance(exc, Backoff) else exc.code
    return code in DEFINITIVE


class Conductor:
    def __init__(
        self,
        call: Call,
        pool: SessionPool,
        recorder: Recorder,
        board: Fanout,
        settings: Settings,
    ) -> None:
        self.call = call
        self.pool = pool
        self.recorder = recorder
        self.board = board
        self.settings = settings
        self.parts: dict[str, Part] = {}  # by Target.key
        self.ending = False
        self._rng = random.Random()

    # -- lifecycle --------------------------------------------------------------------------

    def start(self, parts: list[Part], *, adopt: bool = False) -> None:
        """Run every participant that should hold a port; ``adopt`` first looks for our call."""
        for part in parts:
            self.parts[part.target.key] = part
            if part.state in HOLDING:
                self._spawn(part, adopt=adopt)

    def _spawn(self, part: Part, *, adopt: bool) -> None:
        part.task = asyncio.get_running_loop().create_task(self._run(part, adopt), name=f"part:{part.name}")

    async def detach(self) -> None:
        """Stop watching without touching any device (controller shutdown)."""
        await cancel_and_wait(p.task for p in self.parts.values())

    async def end(self) -> int:
        """Hang up every participant and confirm each is idle; returns how many were not confirmed."""
        self.ending = True
        await cancel_and_wait(p.task for p in self.parts.values())
        leaving = [p for p in self.parts.values() if p.state in HOLDING]
        causes = await asyncio.gather(*(self._leave(p, "left") for p in leaving))
        return sum(1 for c in causes if c)

    # -- host actions -----------------------------------------------------------------------

    def add(self, part: Part) -> None:
        self.parts[part.target.key] = part
        self._spawn(part, adopt=False)

    async def remove(self, key: str) -> None:
        part = self.parts[key]
        await cancel_and_wait([part.task])
        if part.state in HOLDING:
            await self._leave(part, "removed")
        else:
            await self._set(part, "removed", None)

    async def redial(self, key: str) -> None:
        """Start again from attempt 0, whatever the participant's state (a host asked)."""
        part = self.parts[key]
        await cancel_and_wait([part.task])
        part.streak = 0
        await self._set(part, "waiting", None, action="redial")
        self._spawn(part, adopt=True)

    async def mute(self, keys: list[str], on: bool) -> dict[str, str | None]:
        """Mute or unmute; per participant None (done) or the reason it failed."""

        async def one(part: Part) -> str | None:
            try:
                driver = await self.pool.driver(part.target)
                await driver.mute(on)
            except EndpointError as exc:
                return describe(exc)
            part.muted = on
            await self._write(part, None)
            return None

        parts = [self.parts[k] for k in keys]
        results = await asyncio.gather(*(one(p) for p in parts))
        return {p.name: r for p, r in zip(parts, results, strict=True)}

    def on_feedback(self, key: str, line: str) -> None:
        part = self.parts.get(key)
        if part is None or part.task is None or part.task.done():
            return
        profile = part.target.profile
        ended = profile.call_ended(line)
        if ended is not None:
            part.ended_cause = ended.cause
        if ended is not None or profile.is_state_feedback(line):
            part.wake.set()

    # -- one participant --------------------------------------------------------------------

    async def _run(self, part: Part, adopt: bool) -> None:
        try:
            await self._dial_loop(part, adopt)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a participant must never take the session down
            log.exception("participant %s: unexpected %s", part.name, type(exc).__name__)
            await self._set(part, "failed", f"internal error: {type(exc).__name__}")

    async def _dial_loop(self, part: Part, adopt: bool) -> None:
        s = self.settings
        while True:
            cause = await self._attempt(part, adopt)
            adopt = False
            if cause is None:  # connected
                part.streak = 0
                lost = await self._watch(part)
                part.drops += 1
                await self._set(part, "dropped", lost)
                await asyncio.sleep(s.session_redial_delay_s * self._rng.uniform(0.5, 1.0))
                await self._set(part, "redialling", lost)
                continue
            if part.wait_free:
                await self._wait_until_free(part, cause)
                continue
            if part.streak >= s.session_max_attempts:
                await self._set(part, "failed", cause)
                return
            await self._set(part, "redialling", cause)
            delay = min(s.session_retry_max_s, s.session_retry_base_s * 2 ** (part.streak - 1))
            await asyncio.sleep(self._rng.uniform(0, delay))

    async def _wait_until_free(self, part: Part, cause: str) -> None:
        """Not free yet (busy, down, a key to approve): look again later, for as long as the
        session lasts. The timeline records each new reason, not every look."""
        if part.state != "waiting" or part.cause != cause:
            await self._set(part, "waiting", cause)
        s = self.settings
        delay = min(s.session_retry_max_s, s.session_retry_base_s * 2 ** min(part.streak, 16))
        await asyncio.sleep(self._rng.uniform(delay / 2, delay))

    async def _attempt(self, part: Part, adopt: bool) -> str | None:
        """Dial (or find our call already up) and follow it to connected: None, or why not.

        The device's call list is read before every dial, not only when adopting a session
        after a restart: a call whose hang-up could not be confirmed is followed, never
        dialled over (a second call on the codec while attendance says "left")."""
        try:
            driver = await self.pool.driver(part.target)
            status = await driver.call_status()
            if status.state != "idle" and not is_session_call(self.call.dial_string, status.remote):
                part.streak += 1
                return Cause("busy_other_call", remote=status.remote or "")
            if status.state != "idle":
                part.call_id = status.call_id
                if not adopt:  # a call left from our last attempt counts as another attempt
                    part.streak += 1
                if status.state == "connected":
                    await self._set(part, "connected", None)
                    return None
                if status.state != "disconnecting":
                    return await self._follow_setup(part, driver)
                return Cause("previous_call_ending")
            part.attempts += 1
            part.streak += 1
            part.ended_cause = None
            part.wake.clear()
            part.call_id = await driver.dial(
                self.call.dial_string, self.call.rate, self.call.protocol, self.call.tag
            )
        except EndpointError as exc:
            if refused_for_good(exc):  # a refused key or password: redialling cannot help
                part.streak = self.settings.session_max_attempts
            return describe(exc)
        await self._set(part, "dialling", None)
        return await self._follow_setup(part, driver)

    async def _follow_setup(self, part: Part, driver: EndpointDriver) -> str | None:
        s = self.settings
        loop = asyncio.get_running_loop()
        deadline = loop.time() + s.session_setup_timeout_s
        idle_seen = 0
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                await self._hangup_quietly(driver, part.call_id)
                return Cause("setup_timeout", seconds=f"{s.session_setup_timeout_s:g}")
            await self._sleep_or_wake(part, min(s.session_setup_poll_s, remaining))
            try:
                status = await driver.call_status()
            except EndpointError as exc:
                return describe(exc)
            if status.state == "idle":
                idle_seen += 1
                if part.ended_cause or idle_seen >= 2:  # one idle read may race the device's own update
                    return _ended(part) or Cause("ended_during_setup")
                continue
            if not is_session_call(self.call.dial_string, status.remote):
                continue  # the device has not reported our remote yet
            if status.state == "connected":
                await self._set(part, "connected", None)
                return None
            if status.state == "ringing" and part.state != "ringing":
                await self._set(part, "ringing", None)

    async def _watch(self, part: Part) -> str:
        """Return when the connected call is lost, with the device's cause."""
        failures = 0
        while True:
            await self._sleep_or_wake(part, self.settings.session_watch_poll_s)
            try:
                status = await (await self.pool.driver(part.target)).call_status()
            except EndpointError as exc:
                failures += 1
                if failures >= 2:  # one lost reply is not a lost call
                    return describe(exc)
                continue
            failures = 0
            ours = is_session_call(self.call.dial_string, status.remote)
            if status.state == "connected" and ours:
                part.ended_cause = None
                continue
            if status.state == "disconnecting" and ours:
                continue
            if status.state != "idle" and not ours:
                return Cause("in_other_call", remote=status.remote or "")
            return _ended(part) or Cause("call_ended")

    async def _leave(self, part: Part, final: str) -> str | None:
        """Hang up our call (only ours) and wait until the device is idle; the failure, if any."""
        cause: str | None = None
        try:
            driver = await self.pool.driver(part.target)
            status = await driver.call_status()
            if status.state != "idle" and is_session_call(self.call.dial_string, status.remote):
                await driver.hangup(status.call_id)  # that call, by the device's own id
                cause = await self._await_idle(driver)
        except EndpointError as exc:
            cause = Cause.of_error(exc, "hangup_unconfirmed")
        await self._set(part, final, cause)
        return cause

    async def _await_idle(self, driver: EndpointDriver) -> str | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.session_end_confirm_s
        while loop.time() < deadline:
            status: CallStatus = await driver.call_status()
            if status.state == "idle":
                return None
            await asyncio.sleep(0.3)
        return Cause("still_in_call", seconds=f"{self.settings.session_end_confirm_s:g}")

    @staticmethod
    async def _hangup_quietly(driver: EndpointDriver, call_id: int | None) -> None:
        try:
            await driver.hangup(call_id)
        except EndpointError:
            pass  # the call may already be gone; the next attempt reads the call list first

    @staticmethod
    async def _sleep_or_wake(part: Part, seconds: float) -> None:
        try:
            await asyncio.wait_for(part.wake.wait(), seconds)
        except TimeoutError:
            pass
        part.wake.clear()

    # -- recording ----------------------------------------------------------------------------

    async def _set(self, part: Part, state: str, cause: str | None, **detail: Any) -> None:
        now = utcnow()
        if part.state == "connected" and state != "connected" and part.intervals:
            joined = datetime.fromisoformat(str(part.intervals[-1][0]))
            part.intervals[-1][1] = now.isoformat()
            part.connected_s += (now - joined).total_seconds()
            part.last_leave_at = now
        if state == "connected" and part.state != "connected":
            part.intervals.append([now.isoformat(), None])
            part.first_join_at = part.first_join_at or now
        part.state, part.cause = state, cause
        part.cause_code, part.cause_params = code_of(cause)
        event = {
            "state": state,
            "cause": cause,
            "cause_code": part.cause_code,
            "cause_params": part.cause_params,
            "attempt": part.streak,
            **detail,
        }
        await self._write(part, event, now)

    async def _write(self, part: Part, event: dict[str, Any] | None, now: datetime | None = None) -> None:
        now = now or utcnow()
        values: dict[str, Any] = {
            "state": part.state,
            "cause": part.cause,
            "cause_code": part.cause_code,
            "cause_params": part.cause_params,
            "attempts": part.attempts,
            "drops": part.drops,
            "muted": part.muted,
            "first_join_at": part.first_join_at,
            "last_leave_at": part.last_leave_at,
            "connected_s": part.connected_s,
            "intervals": [list(i) for i in part.intervals],
        }
        if event is not None:
            values["state_since"] = now
        sid = self.call.session_id

        async def op(session: AsyncSession) -> None:
            await session.execute(update(Participant).where(Participant.id == part.id).values(**values))
            if event is not None:
                session.add(
                    SessionEvent(
                        session_id=sid, at=now, kind="participant", endpoint_name=part.name, detail=event
                    )
                )

        await self.recorder.write(op)
        self.board.publish(sid, "participant", part.public() | {"at": now.isoformat()})

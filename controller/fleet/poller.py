"""The monitor: one poll loop per endpoint, started and stopped with the application.

Each loop sleeps a random fraction of the interval first (jitter: 250 polls do
not land in the same second), then probes in layers over the endpoint's pooled
SSH session — the profile's health queries; on failure a bare TCP connect
tells `offline` (the port answers, the codec software does not) from
`unreachable` (no TCP at all). A state-feedback line from the device (a call
started or ended) wakes the loop at once; polling stays the fallback.

Results go to the batched `HealthWriter`: the latest health, a sample, and —
in the same transaction — the state change and its outbox event.
"""

from __future__ import annotations

import asyncio
import logging
import random
import statistics
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

import endpoints
from controller.events import OutboxSignal
from controller.fleet.devices import device_target
from controller.health.catalogue import failure_params
from controller.health.tracker import UP, Observation, Thresholds, Tracker, Transition
from controller.health.writer import HealthWriter
from controller.models import Endpoint, EndpointHealth, Unit, utcnow
from controller.security import SecretBox
from controller.tasks import Row, Supervisor
from endpoints.errors import Backoff
from endpoints.profiles import Profile

log = logging.getLogger("diemcau.monitor")


@dataclass
class Watched:
    """What a loop knows of its endpoint (a snapshot; the loop restarts when the row changes)."""

    id: uuid.UUID
    name: str
    unit_code: str
    unit_path: str
    version: datetime
    tracker: Tracker
    since: datetime | None = None
    wake: asyncio.Event | None = None
    auth_failed_at: float = 0.0
    full_due: bool = True
    polls_since_full: int = 0
    last_ok_at: datetime | None = None
    health: dict[str, Any] = field(default_factory=dict)
    identified: object = None  # the session whose device said what it is (model, firmware)


class Monitor:
    def __init__(
        self,
        db: Any,
        box: SecretBox,
        profiles: dict[str, Profile],
        pool: Any,
        *,
        interval_s: float = 15.0,
        thresholds: Thresholds | None = None,
        signal: OutboxSignal | None = None,
        tcp_timeout_s: float = 2.0,
        reconcile_s: float = 5.0,
        auth_retry_s: float = 300.0,
        full_every: int = 4,
        rng: random.Random | None = None,
        observe_latency: Callable[[float], None] | None = None,
    ) -> None:
        self.db, self.box, self.profiles, self.pool = db, box, profiles, pool
        self.interval_s = interval_s
        self.thresholds = thresholds or Thresholds()
        self.signal = signal
        self.tcp_timeout_s = tcp_timeout_s
        self.reconcile_s = reconcile_s
        self.auth_retry_s = auth_retry_s
        self.full_every = max(1, full_every)
        self.writer = HealthWriter(db, signal)
        self.watched: dict[uuid.UUID, Watched] = {}
        self.poll_latencies: deque[float] = deque(maxlen=10_000)
        self.observe_latency = observe_latency  # e.g. the /metrics histogram
        self.polls = 0
        self.changes = 0  # state transitions seen (the alarm evaluator skips quiet passes)
        self._rng = rng or random.Random()
        self._keys: dict[str, uuid.UUID] = {}
        self._profile_of: dict[uuid.UUID, str] = {}
        self._fingerprint: tuple[Any, ...] | None = None
        self._rows: Supervisor[uuid.UUID, tuple[Endpoint, str, str]] = Supervisor(
            "monitor",
            self._read,
            self._loop,
            every_s=reconcile_s,
            log=log,
            prepare=self._prepare,
            on_stop=self._forget,
        )

    # -- lifecycle ------------------------------------------------------------------
    async def start(self) -> None:
        await self._rows.start(first_now=True)

    async def stop(self) -> None:
        await self._rows.stop()
        self.watched.clear()
        await self.writer.close()

    @property
    def version(self) -> int:
        """Changes when the set of watched endpoints does (the alarm evaluator's cache key)."""
        return self._rows.passes

    def on_feedback(self, key: str, line: str) -> None:
        """Pool callback: a state-feedback line from a device wakes that endpoint's loop."""
        ep_id = self._keys.get(key)
        if ep_id is None:
            return
        w = self.watched.get(ep_id)
        if w is None or w.wake is None:
            return
        profile = self.profiles.get(self._profile_of.get(ep_id, ""))
        if profile is not None and profile.is_state_feedback(line):
            w.full_due = True
            w.wake.set()

    async def reconcile(self) -> None:
        """Start loops for new endpoints, restart changed ones, stop removed ones."""
        await self._rows.reconcile()

    async def _read(self) -> dict[uuid.UUID, Row[tuple[Endpoint, str, str]]] | None:
        async with self.db.transaction() as session:
            # Cheap check first: the registry is unchanged most of the time.
            fingerprint = tuple(
                (await session.execute(select(func.count(Endpoint.id), func.max(Endpoint.updated_at)))).one()
            )
            if fingerprint == self._fingerprint:
                return None
            self._fingerprint = fingerprint
            rows = (
                await session.execute(
                    select(Endpoint, Unit.code, Unit.path).join(Unit, Endpoint.unit_id == Unit.id)
                )
            ).all()
            known = set(await session.scalars(select(EndpointHealth.endpoint_id)))
            for ep, _, _ in rows:
                if ep.id not in known:
                    session.add(EndpointHealth(endpoint_id=ep.id, state=ep.state, since=ep.state_since))
            await session.flush()
            session.expunge_all()
        return {ep.id: Row(ep.updated_at, ep.name, (ep, code, path)) for ep, code, path in rows}

    def _prepare(self, ep_id: uuid.UUID, row: tuple[Endpoint, str, str]) -> None:
        """The loop's view of its endpoint; a changed registration keeps what we knew of the
        device (its state, since when, its last health)."""
        ep, code, path = row
        old = self.watched.get(ep_id)
        tracker = old.tracker if old else Tracker(self.thresholds, state=ep.state)
        w = Watched(ep.id, ep.name, code, path, ep.updated_at, tracker, since=ep.state_since)
        if old is not None:
            w.since, w.last_ok_at, w.health = old.since, old.last_ok_at, old.health
        w.wake = asyncio.Event()
        self.watched[ep_id] = w
        self._keys[str(ep_id)] = ep_id
        self._profile_of[ep_id] = ep.profile

    async def _forget(self, ep_id: uuid.UUID, gone: bool) -> None:
        if gone:
            self.watched.pop(ep_id, None)

    # -- one endpoint -----------------------------------------------------------------
    async def _loop(self, ep_id: uuid.UUID, row: tuple[Endpoint, str, str]) -> None:
        ep, w = row[0], self.watched[ep_id]
        if ep.profile not in self.profiles:
            return
        target = device_target(ep, self.box, self.profiles)
        await asyncio.sleep(self._rng.uniform(0, self.interval_s))
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            if w.tracker.state == "auth_failed" and loop.time() - w.auth_failed_at >= self.auth_retry_s:
                # The pool stops retrying bad credentials (no account lock-out); the monitor
                # asks again now and then, so a password fixed on the device is noticed.
                await self.pool.drop(target.key)
                w.auth_failed_at = loop.time()
            try:
                obs = await self._probe(target, w)
            except Exception:  # noqa: BLE001 - a bug must not silently stop monitoring
                log.exception("probe of %s failed unexpectedly", w.name)
                obs = None
            if obs is not None:
                latency = loop.time() - started
                self.poll_latencies.append(latency)
                if self.observe_latency is not None:
                    self.observe_latency(latency)
                self.polls += 1
                change = w.tracker.observe(obs, time.monotonic())
                if change is not None:
                    self.changes += 1
                if change is not None and change.new == "auth_failed":
                    w.auth_failed_at = loop.time()
                self._record(w, obs, change, latency)
            assert w.wake is not None
            w.wake.clear()
            remaining = self.interval_s - (loop.time() - started)
            if remaining > 0:
                try:
                    await asyncio.wait_for(w.wake.wait(), remaining)
                except TimeoutError:
                    pass

    async def _probe(self, target: endpoints.Target, w: Watched) -> Observation | None:
        """Layered probe; None when the pool is backing off (nothing was tried).

        Most polls are a heartbeat — the one query that says whether a call is up,
        which also proves the session and the codec API alive. Every `full_every`-th
        poll, after a state-feedback line, when the call state flips, or while the
        endpoint is not up, all the profile's health queries run.
        """
        try:
            driver = await self.pool.driver(target)
            if driver.session is not w.identified:
                # a (re)connect: the device may have been upgraded or swapped since
                ident = await driver.identify()
                self.writer.identity(w.id, ident.model, ident.firmware_version, ident.serial, utcnow())
                w.identified = driver.session
            full = w.full_due or w.polls_since_full + 1 >= self.full_every or w.tracker.state not in UP
            if not full:
                in_call = await driver.in_call()
                if in_call == bool(w.health.get("in_call")):
                    w.polls_since_full += 1
                    return Observation(health={**w.health, "in_call": in_call})
            health = await driver.health()
            w.full_due, w.polls_since_full = False, 0
            return Observation(health=health.model_dump())
        except Backoff:
            return None
        except (endpoints.AuthFailed, endpoints.HostKeyMismatch, endpoints.HostKeyUnpinned) as exc:
            return Observation(code=exc.code, message=str(exc), params=failure_params(exc))
        except endpoints.AddressRefused as exc:  # no probe either: the policy forbids the address
            return Observation(code="unreachable", message=str(exc), params=failure_params(exc))
        except endpoints.EndpointError as exc:
            reachable = await endpoints.tcp_probe(target.host, target.port, self.tcp_timeout_s)
            code = "offline" if reachable else "unreachable"
            return Observation(code=code, message=str(exc), params=failure_params(exc))

    def _record(self, w: Watched, obs: Observation, change: Transition | None, latency: float) -> None:
        now = utcnow()
        h = obs.health or {}
        if obs.health is not None:
            w.last_ok_at, w.health = now, h
        if change is not None:
            w.since = now
        latency_ms = round(latency * 1000, 1)
        event = None
        if change is not None:
            event = {
                "endpoint_id": w.id,
                "new": change.new,
                "since": now,
                "unit_path": w.unit_path,
                "payload": {
                    "endpoint_id": str(w.id),
                    "name": w.name,
                    "unit": w.unit_code,
                    "old": change.old,
                    "new": change.new,
                    "reason": change.reason,
                    "reason_params": change.params,  # the reason's code is `new` (catalogue.py)
                    "at": now.isoformat(),
                },
            }
        self.writer.add(
            {
                "b_id": w.id,
                "b_state": w.tracker.state,
                "b_reason": w.tracker.reason,
                "b_reason_params": w.tracker.reason_params,
                "b_since": w.since,
                "b_flapping": w.tracker.flapping,
                "b_last_poll_at": now,
                "b_last_ok_at": w.last_ok_at,
                "b_latency": latency_ms,
                "b_health": w.health,
            },
            {
                "endpoint_id": w.id,
                "at": now,
                "state": w.tracker.state,
                "ok": obs.health is not None,
                "latency_ms": latency_ms,
                "in_call": h.get("in_call"),
                "packet_loss_pct": h.get("packet_loss_pct"),
                "temperature_c": h.get("temperature_c"),
            },
            event,
        )

    # -- figures for the benchmark -----------------------------------------------------
    def latency_stats(self) -> dict[str, float | None]:
        data = sorted(self.poll_latencies)
        if not data:
            return {"poll_p50_s": None, "poll_p95_s": None}
        return {
            "poll_p50_s": round(statistics.median(data), 4),
            "poll_p95_s": round(data[max(0, int(len(data) * 0.95) - 1)], 4),
        }

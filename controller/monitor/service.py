"""The monitor: one poll loop per endpoint, started and stopped with the application.

Each loop sleeps a random fraction of the interval first (jitter: 250 polls do
not land in the same second), then probes in layers over the endpoint's pooled
SSH session — the profile's health queries; on failure a bare TCP connect
tells `offline` (the port answers, the codec software does not) from
`unreachable` (no TCP at all). A state-feedback line from the device (a call
started or ended) wakes the loop at once; polling stays the fallback.

Results go through the group-commit recorder: the latest health, a sample,
and — in the same transaction — the state change and its outbox event.
"""

from __future__ import annotations

import asyncio
import logging
import random
import statistics
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

import endpoints
from controller.events import OutboxSignal, emit
from controller.jobs.recorder import Recorder
from controller.models import Endpoint, EndpointHealth, HealthSample, Unit, utcnow
from controller.monitor.tracker import Observation, Thresholds, Tracker, Transition
from controller.security import SecretBox
from controller.services.devices import device_target
from endpoints.errors import Backoff

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
    task: asyncio.Task[None] | None = None
    wake: asyncio.Event | None = None
    auth_failed_at: float = 0.0


class Monitor:
    def __init__(
        self,
        db: Any,
        box: SecretBox,
        profiles: dict[str, Any],
        pool: Any,
        *,
        interval_s: float = 15.0,
        thresholds: Thresholds | None = None,
        signal: OutboxSignal | None = None,
        tcp_timeout_s: float = 2.0,
        reconcile_s: float = 5.0,
        auth_retry_s: float = 300.0,
        rng: random.Random | None = None,
    ) -> None:
        self.db, self.box, self.profiles, self.pool = db, box, profiles, pool
        self.interval_s = interval_s
        self.thresholds = thresholds or Thresholds()
        self.signal = signal
        self.tcp_timeout_s = tcp_timeout_s
        self.reconcile_s = reconcile_s
        self.auth_retry_s = auth_retry_s
        self.recorder = Recorder(db)
        self.watched: dict[uuid.UUID, Watched] = {}
        self.poll_latencies: deque[float] = deque(maxlen=10_000)
        self.polls = 0
        self._rng = rng or random.Random()
        self._tasks: list[asyncio.Task[None]] = []
        self._keys: dict[str, uuid.UUID] = {}
        self._profile_of: dict[uuid.UUID, str] = {}
        self._reconciling = asyncio.Lock()

    # -- lifecycle ------------------------------------------------------------------
    async def start(self) -> None:
        await self.reconcile()
        self._tasks.append(asyncio.get_running_loop().create_task(self._reconcile_loop()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for w in list(self.watched.values()):
            self._stop_loop(w)
        await asyncio.gather(
            *self._tasks, *(w.task for w in self.watched.values() if w.task), return_exceptions=True
        )
        self.watched.clear()
        await self.recorder.close()

    def on_feedback(self, key: str, line: str) -> None:
        """Pool callback: a state-feedback line from a device wakes that endpoint's loop."""
        ep_id = self._keys.get(key)
        w = self.watched.get(ep_id) if ep_id else None
        if w is None or w.wake is None:
            return
        profile = self.profiles.get(self._profile_of.get(ep_id, ""))
        check = getattr(profile, "is_state_feedback", None)
        if check is None or check(line):
            w.wake.set()

    async def _reconcile_loop(self) -> None:
        while True:
            await asyncio.sleep(self.reconcile_s)
            try:
                await self.reconcile()
            except Exception:  # noqa: BLE001 - the monitor must outlive a bad moment
                log.exception("monitor reconcile failed")

    async def reconcile(self) -> None:
        """Start loops for new endpoints, restart changed ones, stop removed ones."""
        async with self._reconciling:  # two passes at once would start two loops per endpoint
            await self._reconcile()

    async def _reconcile(self) -> None:
        async with self.db.transaction() as session:
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
        seen = set()
        for ep, code, path in rows:
            seen.add(ep.id)
            w = self.watched.get(ep.id)
            if w is not None and w.version == ep.updated_at:
                continue
            if w is not None:
                self._stop_loop(w)
            tracker = w.tracker if w else Tracker(self.thresholds, state=ep.state)
            w = Watched(ep.id, ep.name, code, path, ep.updated_at, tracker, since=ep.state_since)
            self.watched[ep.id] = w
            self._keys[str(ep.id)] = ep.id
            self._profile_of[ep.id] = ep.profile
            w.wake = asyncio.Event()
            w.task = asyncio.get_running_loop().create_task(self._loop(w, ep), name=f"monitor-{ep.name}")
        for ep_id in set(self.watched) - seen:
            self._stop_loop(self.watched.pop(ep_id))

    def _stop_loop(self, w: Watched) -> None:
        if w.task is not None:
            w.task.cancel()

    # -- one endpoint -----------------------------------------------------------------
    async def _loop(self, w: Watched, ep: Endpoint) -> None:
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
                obs = await self._probe(target)
            except Exception:  # noqa: BLE001 - a bug must not silently stop monitoring
                log.exception("probe of %s failed unexpectedly", w.name)
                obs = None
            if obs is not None:
                latency = loop.time() - started
                self.poll_latencies.append(latency)
                self.polls += 1
                change = w.tracker.observe(obs, time.monotonic())
                if change is not None and change.new == "auth_failed":
                    w.auth_failed_at = loop.time()
                try:
                    await self._record(w, obs, change, latency)
                except Exception:  # noqa: BLE001 - keep polling; the recorder logged it
                    pass
            assert w.wake is not None
            w.wake.clear()
            remaining = self.interval_s - (loop.time() - started)
            if remaining > 0:
                try:
                    await asyncio.wait_for(w.wake.wait(), remaining)
                except TimeoutError:
                    pass

    async def _probe(self, target: endpoints.Target) -> Observation | None:
        """Layered probe; None when the pool is backing off (nothing was tried)."""
        try:
            driver = await self.pool.driver(target)
            health = await driver.health()
            return Observation(health=health.model_dump())
        except Backoff:
            return None
        except (endpoints.AuthFailed, endpoints.HostKeyMismatch) as exc:
            return Observation(code=exc.code, message=str(exc))
        except endpoints.EndpointError as exc:
            reachable = await endpoints.tcp_probe(target.host, target.port, self.tcp_timeout_s)
            return Observation(code="offline" if reachable else "unreachable", message=str(exc))

    async def _record(self, w: Watched, obs: Observation, change: Transition | None, latency: float) -> None:
        now = utcnow()
        h = obs.health or {}
        values: dict[str, Any] = {
            "state": w.tracker.state,
            "reason": w.tracker.reason,
            "flapping": w.tracker.flapping,
            "last_poll_at": now,
            "poll_latency_ms": round(latency * 1000, 1),
        }
        if obs.health is not None:
            values["last_ok_at"] = now
            values["health"] = h
        if change is not None:
            values["since"] = now
            w.since = now
        sample = HealthSample(
            endpoint_id=w.id,
            at=now,
            state=w.tracker.state,
            ok=obs.health is not None,
            latency_ms=values["poll_latency_ms"],
            in_call=h.get("in_call"),
            packet_loss_pct=h.get("packet_loss_pct"),
            temperature_c=h.get("temperature_c"),
        )
        signal = self.signal

        async def op(session) -> None:
            await session.execute(
                update(EndpointHealth).where(EndpointHealth.endpoint_id == w.id).values(**values)
            )
            session.add(sample)
            if change is not None:
                await session.execute(
                    update(Endpoint)
                    .where(Endpoint.id == w.id)
                    .values(state=change.new, state_since=now, updated_at=Endpoint.updated_at)
                    .execution_options(synchronize_session=False)
                )
                emit(
                    session,
                    signal,
                    "endpoint.state",
                    "endpoint",
                    str(w.id),
                    {
                        "endpoint_id": str(w.id),
                        "name": w.name,
                        "unit": w.unit_code,
                        "old": change.old,
                        "new": change.new,
                        "reason": change.reason,
                        "at": now.isoformat(),
                    },
                    unit_path=w.unit_path,
                )

        await self.recorder.write(op)

    # -- figures for the benchmark -----------------------------------------------------
    def latency_stats(self) -> dict[str, float | None]:
        data = sorted(self.poll_latencies)
        if not data:
            return {"poll_p50_s": None, "poll_p95_s": None}
        return {
            "poll_p50_s": round(statistics.median(data), 4),
            "poll_p95_s": round(data[max(0, int(len(data) * 0.95) - 1)], 4),
        }

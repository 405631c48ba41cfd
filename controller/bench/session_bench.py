"""`diemcau bench session`: a host starts a 250-endpoint session; how fast does everyone join?

The fleet (and its bridge) runs in its own process with a fixed connect delay
(ring + answer); the controller's session manager runs in this one, so
``cpu_s`` is the controller's alone. SSH sessions are warm before the start,
as the health monitor keeps them in a deployment. Times come from the
session's own timeline (``dialling`` is written when the device acknowledged
the dial, ``connected`` when the controller saw the call up), measured from
the moment the start request is made.

Then 10 % of the calls are dropped by the simulator (cause NetworkError) and
the time until all are connected again is ``redial_s``.

The naive way — one endpoint after another, a fresh SSH connection per dial,
as a script looping over an inventory does — runs on a sample of the same
fleet and is extrapolated to N.
"""

from __future__ import annotations

import asyncio
import csv
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

import endpoints
from controller.bench.fleet_process import open_row, simulated_province
from controller.fleet.devices import device_target
from controller.models import Endpoint, SessionEvent, utcnow
from controller.principal import SYSTEM
from controller.sessions.schemas import SessionCreate
from controller.sessions.scope import Scope, ScopeUnit
from endpoints.profiles import Profile
from endpoints.sim.control import control_request

if TYPE_CHECKING:
    from controller.api.deps import AppState

BRIDGE = "sip:{conference}@bridge.sim"


async def _until(predicate: Callable[[], bool], limit_s: float) -> bool:
    for _ in range(int(limit_s / 0.01)):
        if predicate():
            return True
        await asyncio.sleep(0.01)
    return False


async def _timeline(state: AppState, session_id: uuid.UUID) -> list[SessionEvent]:
    async with state.db.transaction() as session:
        rows = await session.scalars(
            select(SessionEvent)
            .where(SessionEvent.session_id == session_id, SessionEvent.kind == "participant")
            .order_by(SessionEvent.id)
        )
        return list(rows.all())


def _last(events: list[SessionEvent], state: str, after: datetime) -> float | None:
    times = [e.at for e in events if e.detail.get("state") == state and e.at >= after]
    return (max(times) - after).total_seconds() if times else None


async def _naive_dials(rows: list[dict[str, str]], profiles: Mapping[str, Profile], sample: int) -> float:
    """Seconds per endpoint: connect, dial, disconnect, one after another."""
    t0 = time.perf_counter()
    for row in rows[:sample]:
        async with await open_row(row, profiles) as dev:
            await endpoints.EndpointDriver(dev).dial("sip:naive@bridge.sim", 1920, "sip", "naive")
    per = (time.perf_counter() - t0) / sample
    for row in rows[:sample]:  # leave them idle for nobody's benefit but tidiness
        async with await open_row(row, profiles) as dev:
            await endpoints.EndpointDriver(dev).hangup()
    return per


async def _run(
    count: int, latency_ms: int, ring_ms: int, answer_ms: int, drop_pct: float, sample: int
) -> dict[str, Any]:
    settings = {"monitor_enabled": False, "bridge_sip_pattern": BRIDGE, "bridge_ports": max(250, count)}
    extra = (
        "--ring-delay-ms",
        str(ring_ms),
        "--answer-delay-ms",
        str(answer_ms),
        "--bridge-ports",
        str(max(250, count)),
    )
    async with simulated_province(count, latency_ms, extra=extra, **settings) as (state, fleet):
        await state.sessions.start()
        async with state.db.transaction() as session:
            eps = (await session.scalars(select(Endpoint))).all()
            targets = [device_target(ep, state.box, state.profiles) for ep in eps]
        t_warm = time.perf_counter()
        await asyncio.gather(*(state.pool.session(t) for t in targets))
        warm_s = time.perf_counter() - t_warm

        cpu0 = time.process_time()
        t0 = utcnow()
        detail = await state.sessions.create(
            SessionCreate(title="Bench", scope=Scope(units=[ScopeUnit(unit="TW")])), SYSTEM
        )
        sid = detail.id
        conductor = state.sessions.conductors[sid]
        parts = list(conductor.parts.values())
        all_connected = await _until(lambda: all(p.state == "connected" for p in parts), 60)
        cpu_start = time.process_time() - cpu0

        drop = await control_request(fleet.control_file, {"op": "drop_calls", "pct": drop_pct, "seed": 1})
        t_drop = utcnow()
        dropped = len(drop["dropped"])
        redialled = await _until(
            lambda: sum(p.drops for p in parts) >= dropped and all(p.state == "connected" for p in parts), 60
        )
        events = await _timeline(state, sid)
        cpu_s = time.process_time() - cpu0
        failed = sum(1 for p in parts if p.state != "connected")

        t_end = time.perf_counter()
        ended = await state.sessions.end(sid, SYSTEM)
        end_s = time.perf_counter() - t_end

        rows = list(csv.DictReader(fleet.inventory.open(encoding="utf-8")))
        naive_per = await _naive_dials(rows[count - sample :], state.profiles, sample) if sample else None
    acked = _last([e for e in events if e.at < t_drop], "dialling", t0)
    return {
        "bench": "session",
        "endpoints": count,
        "latency_ms": latency_ms,
        "connect_delay_s": (ring_ms + answer_ms) / 1000,
        "all_dials_acked_s": round(acked, 3) if acked is not None else None,
        "all_connected_s": round(_last([e for e in events if e.at < t_drop], "connected", t0) or -1, 3)
        if all_connected
        else None,
        "dropped": dropped,
        "redial_s": round(_last(events, "connected", t_drop) or -1, 3) if redialled else None,
        "cpu_s": round(cpu_s, 3),
        "cpu_start_to_connected_s": round(cpu_start, 3),
        "failed": failed,
        "end_s": round(end_s, 3),
        "end_counts": ended.counts,
        "warm_ssh_s": round(warm_s, 3),
        "naive_all_dials_acked_s": round(naive_per * count, 1) if naive_per else None,
        "naive_note": f"one endpoint after another, new SSH connection per dial; measured on {sample} "
        f"endpoint(s) ({naive_per:.3f} s each) and extrapolated to {count}"
        if naive_per
        else None,
    }


def run(
    count: int, latency_ms: int, ring_ms: int, answer_ms: int, drop_pct: float, sample: int
) -> dict[str, Any]:
    return asyncio.run(_run(count, latency_ms, ring_ms, answer_ms, drop_pct, sample))

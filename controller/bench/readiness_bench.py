"""`diemcau bench readiness`: how long until every endpoint of a province has a verdict?

The fleet (and its bridge, with a test conference) runs in its own process with a fixed
connect delay (ring + answer); the readiness manager runs in this one, so ``cpu_s`` is the
controller's alone. SSH sessions are warm before the run, as the health monitor keeps them
in a deployment. Each endpoint gets the device checks and a test call held for
``window_s``; test calls are bounded by ``test_calls`` (and the bridge's free ports).

The naive way, one endpoint after another with a fresh SSH connection each (what a
technician's script or 200 phone calls amount to), runs the same checks on a sample and is
extrapolated to N.
"""

from __future__ import annotations

import asyncio
import csv
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

import endpoints
from controller.bench.fleet_process import open_row, simulated_province
from controller.fleet.devices import device_target
from controller.models import Endpoint, ReadinessCheck, ReadinessRun
from controller.principal import SYSTEM
from controller.readiness import service
from controller.readiness.checks import Limits, device_findings
from controller.readiness.test_call import CallPlan, run_test_call
from controller.sessions.scope import Scope, ScopeUnit
from controller.sessions.store import ensure_default_bridge
from endpoints.profiles import Profile
from endpoints.sim.control import control_request

if TYPE_CHECKING:
    from controller.api.deps import AppState

BRIDGE = "sip:{conference}@bridge.sim"
TEST = "9999"


async def _naive(rows: list[dict[str, str]], profiles: Mapping[str, Profile], plan: CallPlan) -> float:
    """Seconds per endpoint: connect, read, test call, disconnect, one after another."""
    t0 = time.perf_counter()
    for row in rows:
        async with await open_row(row, profiles) as dev:
            driver = endpoints.EndpointDriver(dev)
            health, call, clock = await driver.health(), await driver.call_status(), await driver.clock()
            device_findings(health, call, clock, None, profiles[row["profile"]].firmware, plan.limits)
            await run_test_call(driver, plan)
    return (time.perf_counter() - t0) / len(rows)


async def _done(state: AppState, run_id: Any, limit_s: float) -> bool:
    for _ in range(int(limit_s / 0.1)):
        async with state.db.transaction() as session:
            if (
                await session.scalar(select(ReadinessRun.status).where(ReadinessRun.id == run_id))
                != "running"
            ):
                return True
        await asyncio.sleep(0.1)
    return False


async def _run(
    count: int, latency_ms: int, ring_ms: int, answer_ms: int, test_calls: int, window_s: float, sample: int
) -> dict[str, Any]:
    settings = {
        "monitor_enabled": False,
        "bridge_sip_pattern": BRIDGE,
        "bridge_ports": 250,
        "bridge_test_conference": TEST,
        "readiness_test_calls": test_calls,
        "readiness_window_s": window_s,
        "readiness_checks_at_once": 50,
    }
    extra = ("--ring-delay-ms", str(ring_ms), "--answer-delay-ms", str(answer_ms), "--bridge-ports", "250")
    async with simulated_province(count, latency_ms, extra=extra, **settings) as (state, fleet):
        async with state.db.transaction() as session:
            await ensure_default_bridge(session, state.settings)
            eps = (await session.scalars(select(Endpoint))).all()
            targets = [device_target(ep, state.box, state.profiles) for ep in eps]
        await asyncio.gather(*(state.pool.session(t) for t in targets))

        cpu0, t0 = time.process_time(), time.perf_counter()
        run = await service.start_for_scope(state.readiness, Scope(units=[ScopeUnit(unit="TW")]), SYSTEM)
        finished = await _done(state, run.id, 600)
        wall_s = time.perf_counter() - t0
        cpu_s = time.process_time() - cpu0
        async with state.db.transaction() as session:
            verdicts = dict(
                (
                    await session.execute(
                        select(ReadinessCheck.verdict, func.count())
                        .where(ReadinessCheck.run_id == run.id)
                        .group_by(ReadinessCheck.verdict)
                    )
                ).all()
            )
            results: list[dict[str, Any]] = list(
                (
                    await session.scalars(
                        select(ReadinessCheck.results).where(ReadinessCheck.run_id == run.id)
                    )
                ).all()
            )
            held = [
                r["test_call"]["held_s"]
                for r in results
                if (r.get("test_call") or {}).get("held_s") is not None
            ]
        bridge = await control_request(fleet.control_file, {"op": "bridge"})
        plan = CallPlan(
            dial=f"sip:{TEST}@bridge.sim",
            rate=768,
            protocol="sip",
            setup_s=state.settings.readiness_setup_s,
            window_s=window_s,
            poll_s=state.settings.readiness_poll_s,
            confirm_s=state.settings.session_end_confirm_s,
            limits=Limits.of(state.settings),
        )
        rows = list(csv.DictReader(fleet.inventory.open(encoding="utf-8")))
        naive_per = await _naive(rows[count - sample :], state.profiles, plan) if sample else None
        await state.readiness.close()
    return {
        "bench": "readiness",
        "endpoints": count,
        "test_calls_at_once": test_calls,
        "window_s": window_s,
        "connect_delay_s": (ring_ms + answer_ms) / 1000,
        "wall_s": round(wall_s, 2) if finished else None,
        "verdicts": sum(n for v, n in verdicts.items() if v),
        "ready": verdicts.get("ready", 0),
        "not_ready": verdicts.get("not_ready", 0),
        "cpu_s": round(cpu_s, 2),
        "bridge_peak_ports": bridge["bridge"]["peak"],
        "test_call_s_mean": round(sum(held) / len(held), 2) if held else None,  # dial to hang-up confirmed
        "baseline_wall_s": round(naive_per * count, 1) if naive_per else None,
        "baseline_note": f"one endpoint after another, a fresh SSH connection each, the same checks and "
        f"test call; measured on {sample} endpoint(s) ({naive_per:.2f} s each) and extrapolated to {count}"
        if naive_per
        else None,
    }


def run(
    count: int, latency_ms: int, ring_ms: int, answer_ms: int, test_calls: int, window_s: float, sample: int
) -> dict[str, Any]:
    return asyncio.run(_run(count, latency_ms, ring_ms, answer_ms, test_calls, window_s, sample))

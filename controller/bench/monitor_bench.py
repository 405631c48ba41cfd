"""`diemcau bench monitor`: the monitor over N simulated endpoints in another process.

Phases, all in one run: steady polling (CPU, poll latency); 10 endpoints killed
(time until all are seen down) and revived (time until all are up again); a
flaky network where 2 % of replies are lost or late (alarms raised = false
alarms, since every device is in fact fine). The naive way for comparison is
a fresh SSH connection per poll, measured on the same fleet.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

import endpoints
from controller.bench.fleet_process import open_row, simulated_province
from controller.models import Alarm
from endpoints.profiles import Profile
from endpoints.sim.control import control_request

if TYPE_CHECKING:
    from controller.fleet.poller import Monitor

UP = {"online", "in_call", "degraded"}
DOWN = {"offline", "unreachable"}


async def _wait_states(monitor: Monitor, names: set[str], wanted: set[str], limit_s: float) -> float | None:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit_s:
        states = {w.name: w.tracker.state for w in monitor.watched.values() if w.name in names}
        if len(states) == len(names) and all(s in wanted for s in states.values()):
            return time.perf_counter() - t0
        await asyncio.sleep(0.05)
    return None


async def _naive_poll_cpu(rows: list[dict[str, str]], profiles: Mapping[str, Profile], sample: int) -> float:
    """CPU seconds per poll when every poll opens a new SSH connection (no pool)."""
    cpu0 = time.process_time()
    for row in rows[:sample]:
        async with await open_row(row, profiles) as dev:
            await endpoints.EndpointDriver(dev).health()
    return (time.process_time() - cpu0) / sample


async def _run(count: int, interval: float, duration: float, kill: int, flaky_pct: float) -> dict[str, Any]:
    import csv

    async with simulated_province(
        count, 20, monitor_interval_s=interval, ssh_connect_timeout_s=5, ssh_command_timeout_s=3
    ) as (state, fleet):
        await state.monitor.start()
        await state.alarms.start()
        names = {w.name for w in state.monitor.watched.values()}
        await _wait_states(state.monitor, names, UP, 3 * interval + 30)
        # Steady state: every session open; measure CPU over `duration`.
        state.monitor.poll_latencies.clear()
        polls0, cpu0, t0 = state.monitor.polls, time.process_time(), time.perf_counter()
        await asyncio.sleep(duration)
        cpu_pct = 100 * (time.process_time() - cpu0) / (time.perf_counter() - t0)
        polls = state.monitor.polls - polls0
        lat = state.monitor.latency_stats()

        # Kill 10 devices for `away` seconds (connections dropped, TCP refused); then they return.
        victims = sorted(names)[:: max(1, count // kill)][:kill]
        away = 6 * interval
        killed_at = time.perf_counter()
        await control_request(
            fleet.control_file,
            {"op": "fault_all", "endpoints": victims, "fault": "reboot", "seconds": away},
        )
        down_s = await _wait_states(state.monitor, set(victims), DOWN, away)
        await asyncio.sleep(max(0.0, killed_at + away - time.perf_counter()))
        up_s = await _wait_states(state.monitor, set(victims), UP, 6 * interval + 30)
        await asyncio.sleep(2 * interval)  # let the kill's alarms clear

        async with state.db.transaction() as session:
            before = int(await session.scalar(select(func.count()).select_from(Alarm)) or 0)
            raised_before = int(await session.scalar(select(func.sum(Alarm.count))) or 0)
        await control_request(
            fleet.control_file,
            {"op": "fault_all", "endpoints": None, "fault": "flaky", "pct": flaky_pct, "delay_ms": 4000},
        )
        flaky_t0, flaky_polls0 = time.perf_counter(), state.monitor.polls
        await asyncio.sleep(duration)
        flaky_polls = state.monitor.polls - flaky_polls0
        async with state.db.transaction() as session:
            raised_after = int(await session.scalar(select(func.sum(Alarm.count))) or 0)
        false_alarms = raised_after - raised_before
        rows = list(csv.DictReader(fleet.inventory.open(encoding="utf-8")))
        await control_request(fleet.control_file, {"op": "fault_all", "endpoints": None, "fault": "clear"})
        naive_cpu = await _naive_poll_cpu(rows, state.profiles, 10)
        flaky_s = time.perf_counter() - flaky_t0
    per_poll_cpu = (cpu_pct / 100) * (duration / max(polls, 1))
    return {
        "bench": "monitor",
        "endpoints": count,
        "interval_s": interval,
        "duration_s": duration,
        "cpu_pct_of_core": round(cpu_pct, 2),
        "polls": polls,
        **lat,
        "detect_offline_s": round(down_s, 2) if down_s is not None else None,
        "detect_online_s": round(up_s, 2) if up_s is not None else None,
        "detect_target_s": 3 * interval + 2,
        "killed": len(victims),
        "false_alarms": false_alarms,
        "flaky_pct": flaky_pct,
        "flaky_phase_s": round(flaky_s, 1),
        "flaky_polls": flaky_polls,
        "alarm_rows_before_flaky": before,
        "cpu_ms_per_poll": round(per_poll_cpu * 1000, 3),
        "baseline_cpu_ms_per_poll_new_connection": round(naive_cpu * 1000, 3),
        "baseline_cpu_pct_of_core": round(100 * naive_cpu * count / interval, 1),
    }


def run(
    count: int = 250, interval: float = 10, duration: float = 60, kill: int = 10, flaky_pct: float = 2.0
) -> dict[str, Any]:
    return asyncio.run(_run(count, interval, duration, kill, flaky_pct))

"""`diemcau bench provision`: plan + apply + verify 8 settings on N endpoints, from cold.

The fleet runs in its own process; the controller (pool, runner, recorder,
SQLite) runs in this one, so `cpu_s` is the controller's alone. The naive way
— one endpoint at a time, a fresh SSH connection per command, read / set /
read back each key as a sequential script does — runs on a sample of the same
fleet and is extrapolated to N.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import endpoints
from controller.bench.fleet_process import open_row, simulated_province
from controller.fleet import registry
from controller.principal import SYSTEM
from controller.provisioning import jobs_query, standards
from endpoints.profiles import Profile
from endpoints.sim.control import control_request

if TYPE_CHECKING:
    from controller.api.deps import AppState

# Every value differs from the simulator's factory settings, so all 8 keys are written.
BENCH_STANDARD = {
    "display_name": "ĐC {name}",
    "sip_uri": "sip:{slug}@vc.tinh.example",
    "h323_name": "{slug}",
    "sip_proxy": "vcs.tinh.example",
    "ntp_server": "ntp.tinh.example",
    "ntp_mode": "auto",
    "time_zone": "Asia/Saigon",
    "default_call_rate": "4096",
    "auto_answer": "on",
}


async def _writes(control_file: Path) -> int:
    reply = await control_request(control_file, {"op": "stats"})
    return sum(s["config_writes"] for s in reply["stats"].values())


async def _job(state: AppState, mode: str) -> dict[str, Any]:
    async with state.db.transaction() as session:
        eps, _ = await registry.list_endpoints(session, registry.EndpointFilter(), limit=100_000, offset=0)
        job = await state.runner.create(
            session,
            kind="provision",
            mode=mode,
            target={"unit": None},
            params={"concurrency": 250},
            endpoints=eps,
            actor=SYSTEM,
        )
    cpu0, t0 = time.process_time(), time.perf_counter()
    await state.runner.start(job.id)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    async with state.db.transaction() as session:
        items = await jobs_query.items(session, job.id)
    per = sorted(
        (i.finished_at - i.started_at).total_seconds() for i in items if i.started_at and i.finished_at
    )
    counts: dict[str, int] = {}
    for i in items:
        counts[i.status] = counts.get(i.status, 0) + 1
    keys_written = sum(len(i.written) for i in items if i.status == "applied")
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "p50_s": round(statistics.median(per), 3) if per else None,
        "p95_s": round(per[int(len(per) * 0.95) - 1], 3) if per else None,
        "failed": counts.get("error", 0),
        "counts": counts,
        "keys_written": keys_written,
    }


async def _baseline(
    rows: list[dict[str, str]], profiles: Mapping[str, Profile], sample: int, timeout_s: float
) -> float:
    """One endpoint at a time; for every key: connect, read; connect, set; connect, read back."""
    t0 = time.perf_counter()
    for row in rows[:sample]:
        profile = profiles[row["profile"]]
        facts = {
            "name": row["name"],
            "slug": standards.slugify(row["name"]),
            "unit_code": row["unit"],
            "unit_name": "",
            "sip_uri": "",
            "host": row["host"],
        }
        for key, template in BENCH_STANDARD.items():
            if key not in profile.config:
                continue
            value = standards.render(template, facts)  # the values the controller writes
            for step in ("read", "set", "verify"):
                async with await open_row(row, profiles, timeout_s) as dev:
                    driver = endpoints.EndpointDriver(dev)
                    if step == "set":
                        await driver.set_config(key, value)
                    else:
                        await driver.read_config([key])
    return (time.perf_counter() - t0) / sample


async def _run(count: int, latency_ms: int, sample: int) -> dict[str, Any]:
    import csv

    async with simulated_province(count, latency_ms) as (state, fleet):
        async with state.db.transaction() as session:
            keys = {k for p in state.profiles.values() for k in p.config}
            for key, value in BENCH_STANDARD.items():
                await standards.set_value(session, None, key, value, keys, SYSTEM)
        writes0 = await _writes(fleet.control_file)
        first = await _job(state, "apply")  # cold: no connection open yet
        writes1 = await _writes(fleet.control_file)
        second = await _job(state, "apply")  # idempotent re-run on warm connections
        writes2 = await _writes(fleet.control_file)
        rows = list(csv.DictReader(fleet.inventory.open(encoding="utf-8")))
        per_endpoint = await _baseline(rows, state.profiles, sample, 10)
    baseline = per_endpoint * count
    return {
        "bench": "provision",
        "endpoints": count,
        "latency_ms": latency_ms,
        "settings": 8,
        "wall_s": first["wall_s"],
        "cpu_s": first["cpu_s"],
        "p50_s": first["p50_s"],
        "p95_s": first["p95_s"],
        "failed": first["failed"],
        "keys_written": first["keys_written"],
        "device_writes": writes1 - writes0,
        "counts": first["counts"],
        "second_run": {**second, "device_writes": writes2 - writes1},
        "baseline_wall_s": round(baseline, 1),
        "baseline_note": f"sequential, new SSH connection per command; measured on {sample} endpoint(s) "
        f"({per_endpoint:.2f} s each) and extrapolated to {count}",
        "speedup_vs_baseline": round(baseline / first["wall_s"], 1) if first["wall_s"] else None,
        "controller_pid": os.getpid(),
    }


def run(endpoints_count: int = 250, latency_ms: int = 20, sample: int = 3) -> dict[str, Any]:
    return asyncio.run(_run(endpoints_count, latency_ms, sample))

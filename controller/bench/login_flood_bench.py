"""`diemcau bench login-flood`: what a flood of password guesses does to everything else.

A controller in its own process monitors a simulated fleet (another process) while this
process floods ``POST /auth/token`` with wrong passwords from a bounded number of workers.
Measured in three phases of equal length: quiet, flood against the default controller
(Argon2 in its worker threads, failed logins throttled per user and per address), and the
same flood against a controller whose throttle is opened wide (the naive way: every guess
costs an Argon2 check). In each phase: the latency of a liveness request (the event loop's
responsiveness), the monitor's polls per second as the devices count them, and the login
answers by status. ``argon2_verify_ms`` is one check's cost. ``event_loop_lag`` is the naive
way measured directly: an event loop ticking every 10 ms while 10 guesses a second are
checked on the loop itself (as before this version) or in the password workers (now).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx

from controller.bench.fleet_process import FleetProcess
from controller.bench.harness import ControllerProcess
from controller.security import hash_password, verify_password, verify_password_async
from endpoints.sim.control import control_request

OPEN_THROTTLE = {
    "DIEMCAU_LOGIN_MAX_FAILURES_PER_USER": "10000",
    "DIEMCAU_LOGIN_MAX_FAILURES_PER_IP": "100000",
    "DIEMCAU_LOGIN_MAX_IN_FLIGHT": "10000",
}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def _device_polls(control_file: Any) -> int:
    stats = (await control_request(control_file, {"op": "stats"}))["stats"]
    return sum(s["batches"] for s in stats.values())


async def _phase(url: str, control_file: Any, seconds: float, workers: int) -> dict[str, Any]:
    """Probe /healthz every 50 ms while ``workers`` post wrong passwords back to back."""
    latencies: list[float] = []
    codes: dict[str, int] = {}
    stop = time.monotonic() + seconds

    async def probe(client: httpx.AsyncClient) -> None:
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            await client.get("/healthz")
            latencies.append(time.perf_counter() - t0)
            await asyncio.sleep(0.05)

    async def guess(client: httpx.AsyncClient, n: int) -> None:
        i = 0
        while time.monotonic() < stop:
            r = await client.post(
                "/api/v1/auth/token", data={"username": f"guess{n}-{i % 50}", "password": "wrong"}
            )
            codes[str(r.status_code)] = codes.get(str(r.status_code), 0) + 1
            i += 1

    polls0 = await _device_polls(control_file)
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        await asyncio.gather(probe(client), *(guess(client, n) for n in range(workers)))
    polls = await _device_polls(control_file) - polls0
    return {
        "healthz_ms_p50": round(1000 * statistics.median(latencies), 1),
        "healthz_ms_p95": round(1000 * _pct(latencies, 0.95), 1),
        "healthz_ms_max": round(1000 * max(latencies), 1),
        "device_reads_per_s": round(polls / seconds, 1),
        "logins_per_s": round(sum(codes.values()) / seconds, 1),
        "login_answers": codes,
    }


async def _loop_lag(stored: str, inline: bool, seconds: float = 3.0) -> dict[str, float]:
    """Tick lag of an event loop (10 ms ticks) while 10 guesses a second are checked."""
    lags: list[float] = []
    loop = asyncio.get_running_loop()
    stop = loop.time() + seconds

    async def ticker() -> None:
        while loop.time() < stop:
            t0 = loop.time()
            await asyncio.sleep(0.01)
            lags.append(max(0.0, loop.time() - t0 - 0.01))

    async def guesser() -> None:
        while loop.time() < stop:
            if inline:
                verify_password(stored, "a guess")
            else:
                await verify_password_async(stored, "a guess")
            await asyncio.sleep(0.1)

    await asyncio.gather(ticker(), guesser())
    return {"lag_ms_p95": round(1000 * _pct(lags, 0.95), 1), "lag_ms_max": round(1000 * max(lags), 1)}


def _register(ctl: ControllerProcess, fleet: FleetProcess) -> None:
    ctl.cli("units", "demo-tree")
    headers = {"Authorization": f"Bearer {ctl.token()}"}
    with httpx.Client(base_url=ctl.url, headers=headers, timeout=120) as client:
        r = client.post(
            "/api/v1/endpoints/import",
            files={"file": ("fleet.csv", fleet.inventory.read_bytes(), "text/csv")},
        )
        r.raise_for_status()


def _controller_run(
    fleet: FleetProcess, settings: dict[str, str], seconds: float, workers: int
) -> dict[str, Any]:
    base = {"DIEMCAU_MONITOR_INTERVAL_S": "2", "DIEMCAU_MONITOR_FULL_EVERY": "1"}
    with ControllerProcess(settings=base | settings) as ctl:
        _register(ctl, fleet)
        time.sleep(6)  # every endpoint connected and polled a few times
        quiet = asyncio.run(_phase(ctl.url, fleet.control_file, seconds, 0))
        flood = asyncio.run(_phase(ctl.url, fleet.control_file, seconds, workers))
    return {"quiet": quiet, "flood": flood}


def run(endpoints_count: int = 50, seconds: float = 10, workers: int = 8) -> dict[str, Any]:
    stored = hash_password("the right one")
    t0 = time.perf_counter()
    for _ in range(5):
        verify_password(stored, "a guess")
    verify_ms = 1000 * (time.perf_counter() - t0) / 5
    lag_inline = asyncio.run(_loop_lag(stored, inline=True))
    lag_workers = asyncio.run(_loop_lag(stored, inline=False))
    units = [f"DEMO-H0{1 + i % 3}-X0{1 + i % 3}" for i in range(3)]
    with FleetProcess(endpoints_count, 5, units) as fleet:
        ours = _controller_run(fleet, {}, seconds, workers)
        naive = _controller_run(fleet, OPEN_THROTTLE, seconds, workers)
    return {
        "bench": "login-flood",
        "endpoints": endpoints_count,
        "flood_workers": workers,
        "phase_s": seconds,
        "argon2_verify_ms": round(verify_ms, 1),
        "event_loop_lag": {"naive_on_the_loop": lag_inline, "password_workers": lag_workers},
        "throttled": ours,
        "naive_unthrottled": naive,
        "healthz_p95_flood_vs_naive": [ours["flood"]["healthz_ms_p95"], naive["flood"]["healthz_ms_p95"]],
    }

"""`diemcau bench api`: the status routes under an operations centre's load.

`diemcau serve` runs in its own process with its monitors polling the simulated fleet (its
own process) and sampling the simulated cameras (GStreamer, its own process). This process
is the load generator: an open loop that sends ``rps`` requests a second to one route at a
time for ``duration`` seconds, each timed from when it was due (so a slow answer delays no
later request's clock: the figures include the queueing a real client sees), at most
``MAX_IN_FLIGHT`` waiting (more are counted as errors, never queued here).

Measured per route: p50/p99 and errors; the controller's CPU (from ``/proc``) and RSS; and
the monitor's poll period during the load, read afterwards from the health samples the
controller wrote (the spacing of each endpoint's polls, which the monitor keeps at its
interval when nothing starves it). The same load then runs against the same routes answered
from the tables on every request (``DIEMCAU_STATUS_SOURCE=database``: the routes as they
were), in the same run.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import time
import uuid
from collections import defaultdict
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from camera.sim.process import CameraSimProcess
from controller.bench.fleet_process import FleetProcess
from controller.bench.harness import ControllerProcess, pin, split_cpus

MAX_IN_FLIGHT = 512
MAX_CONNECTIONS = 64  # a browser opens 6 per host: 64 is a wall of screens and pollers
KEEP_ALIVE_S = 4.0  # a kept connection older than this is dropped: uvicorn closes them at 5 s
ROUTES = {
    "summary": "/api/v1/health/summary",
    "health_endpoints": "/api/v1/health/endpoints?limit=50",
    "alarms_active": "/api/v1/alarms?status=active",
    "endpoints": "/api/v1/endpoints?limit=50",  # the registry: read from the tables either way
}
_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _rss_mb(pid: int, key: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _ms(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


class _Connections:
    """Keep-alive HTTP/1.1 connections, as raw as a load generator can be: httpx spent a whole
    core on 200 answers a second (parsing, decompressing), so the figures were its own."""

    def __init__(self, host: str, port: int, most: int) -> None:
        self.host, self.port, self.most = host, port, most
        self.idle: list[tuple[tuple[asyncio.StreamReader, asyncio.StreamWriter], float]] = []
        self.opened = 0
        self.freed = asyncio.Condition()

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], int]:
        """(status, response headers, body bytes) of one GET. A kept connection the server
        closed meanwhile is replaced once by a new one, as browsers do."""
        for attempt in (1, 2):
            conn, reused = await self._take(fresh=attempt == 2)
            try:
                return await self._exchange(conn, path, headers)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                conn[1].close()
                self.opened -= 1
                async with self.freed:
                    self.freed.notify()
                closed_idle = isinstance(exc, asyncio.IncompleteReadError) and not exc.partial
                if not (reused and closed_idle) or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(
        self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], path: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], int]:
        reader, writer = conn
        lines = [f"GET {path} HTTP/1.1", f"Host: {self.host}", *(f"{k}: {v}" for k, v in headers.items())]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        fields: dict[str, str] = {}
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name:
                fields[name.strip().lower()] = value.strip()
        length = int(fields.get("content-length", "0"))
        if length:
            await reader.readexactly(length)
        self.idle.append((conn, time.monotonic()))
        async with self.freed:
            self.freed.notify()
        return status, fields, length

    async def _take(
        self, fresh: bool = False
    ) -> tuple[tuple[asyncio.StreamReader, asyncio.StreamWriter], bool]:
        """A connection, and whether it was kept from an earlier request (a new one if ``fresh``
        and one may still be opened);
        kept ones the server may have timed out are closed here rather than tried."""
        while True:
            now = time.monotonic()
            for (_, writer), _ in [c for c in self.idle if now - c[1] > KEEP_ALIVE_S]:
                writer.close()
                self.opened -= 1
            self.idle = [c for c in self.idle if now - c[1] <= KEEP_ALIVE_S]
            if self.idle and not (fresh and self.opened < self.most):
                return self.idle.pop()[0], True
            if self.opened < self.most:
                self.opened += 1
                try:
                    return await asyncio.open_connection(self.host, self.port), False
                except OSError:
                    self.opened -= 1
                    raise
            async with self.freed:
                await self.freed.wait()

    def close(self) -> None:
        for (_, writer), _ in self.idle:
            writer.close()


async def _load(
    conns: _Connections, path: str, rps: int, duration: float, headers: dict[str, str]
) -> dict[str, Any]:
    """``rps`` requests a second for ``duration`` seconds, each timed from when it was due.

    How late each request left this process is kept too (``sent_late_*``): a latency figure is
    the controller's only while the generator keeps its own schedule."""
    latencies: list[float] = []
    sent_late: list[float] = []
    errors: dict[str, int] = defaultdict(int)
    statuses: dict[int, int] = defaultdict(int)
    in_flight = 0
    total = int(rps * duration)
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.1

    async def one(due: float) -> None:
        nonlocal in_flight
        try:
            status, _fields, _size = await asyncio.wait_for(conns.get(path, headers), 60)
            statuses[status] += 1
            if status in (200, 304):
                latencies.append(loop.time() - due)
            else:
                errors[f"http_{status}"] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError) as exc:
            errors[type(exc).__name__] += 1
        finally:
            in_flight -= 1

    tasks: list[asyncio.Task[None]] = []
    for i in range(total):
        due = start + i / rps
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if in_flight >= MAX_IN_FLIGHT:
            errors["client_gave_up_too_many_waiting"] += 1
            continue
        in_flight += 1
        sent_late.append(max(loop.time() - due, 0.0))
        tasks.append(asyncio.create_task(one(due)))
    await asyncio.gather(*tasks)
    sent_for = loop.time() - start
    return {
        "requests": total,
        "ok": len(latencies),
        "p50_ms": _ms(latencies, 0.5),
        "p99_ms": _ms(latencies, 0.99),
        "max_ms": _ms(latencies, 1.0),
        "sent_late_p99_ms": _ms(sent_late, 0.99),
        "sent_late_max_ms": _ms(sent_late, 1.0),
        "errors": dict(errors),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "achieved_rps": round(len(latencies) / sent_for, 1) if sent_for else None,
    }


def _prepare(ctl: ControllerProcess, fleet: FleetProcess, cams: CameraSimProcess | None) -> None:
    """Units, the fleet's endpoints and the cameras, written before the server starts."""
    from controller.app import build_state, close_state
    from controller.cameras import registry
    from controller.cameras.schemas import CameraCreate
    from controller.fleet import csv_import
    from controller.principal import SYSTEM
    from controller.settings import Settings
    from controller.units import service as units

    async def go() -> None:
        settings = Settings(
            data_dir=ctl.data_dir, secret_key=ctl.env["DIEMCAU_SECRET_KEY"], device_allow_loopback=True
        )
        state = await build_state(settings)
        try:
            async with state.db.transaction() as session:
                await units.upsert_units(session, units.legacy_demo_specs())
                await csv_import.import_csv(
                    session, state.box, state.profiles, fleet.inventory.read_bytes(), SYSTEM,
                    valid_only=False, max_rows=10_000,
                )  # fmt: skip
                communes = [spec.code for spec in units.legacy_demo_specs() if spec.level == "commune"]
                for n, url in enumerate(cams.urls.values() if cams else []):
                    body = CameraCreate(
                        name=f"Một cửa {n + 1:03d}", unit=communes[n % len(communes)], url=url
                    )
                    await registry.create_camera(session, state.box, body, SYSTEM)
        finally:
            await close_state(state)

    asyncio.run(go())


def _poll_periods(ctl: ControllerProcess, since: datetime, until: datetime) -> list[float]:
    """Seconds between consecutive polls of each endpoint inside [since, until]."""
    from sqlalchemy import select

    from controller.db import Database
    from controller.models import HealthSample
    from controller.settings import Settings

    async def go() -> list[float]:
        db = Database(Settings(data_dir=ctl.data_dir).effective_database_url)
        try:
            async with db.transaction() as session:
                rows = await session.execute(
                    select(HealthSample.endpoint_id, HealthSample.at)
                    .where(HealthSample.at >= since, HealthSample.at <= until)
                    .order_by(HealthSample.endpoint_id, HealthSample.at)
                )
                last: dict[uuid.UUID, datetime] = {}
                periods: list[float] = []
                for ep, at in rows:
                    if ep in last:
                        periods.append((at - last[ep]).total_seconds())
                    last[ep] = at
                return periods
        finally:
            await db.dispose()

    return asyncio.run(go())


def _measure(
    ctl: ControllerProcess,
    source: str,
    endpoints: int,
    rps: int,
    duration: float,
    interval: float,
    cpus: set[int] | None,
) -> dict[str, Any]:
    from controller.models import utcnow

    ctl.settings["DIEMCAU_STATUS_SOURCE"] = source
    ctl.serve()
    pid = ctl.proc.pid if ctl.proc else 0
    if cpus is not None:
        pin(pid, cpus)
    try:
        token = ctl.token()
        auth = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 3 * interval + 30
        while time.monotonic() < deadline:  # every endpoint polled at least once
            r = httpx.get(f"{ctl.url}/api/v1/health/endpoints?limit=1", headers=auth, timeout=30)
            if r.status_code == 200 and r.json()["total"] >= endpoints:
                break
            time.sleep(1)
        time.sleep(interval)  # the polls of this process's monitor, not the last run's, from here on
        out: dict[str, Any] = {"routes": {}}
        began = utcnow()

        async def phases() -> None:
            conns = _Connections(ctl.host, ctl.port, MAX_CONNECTIONS)
            plain = auth | {"Accept-Encoding": "gzip"}
            try:
                if source == "memory":
                    _, _, size = await conns.get(ROUTES["summary"], auth)
                    _, _, zipped = await conns.get(ROUTES["summary"], plain)
                    out["summary_kb"], out["summary_gzip_kb"] = round(size / 1024, 1), round(zipped / 1024, 1)
                for name, path in ROUTES.items():
                    cpu0, self_cpu0, t0 = _cpu_s(pid), time.process_time(), time.monotonic()
                    result = await _load(conns, path, rps, duration, plain)
                    wall = time.monotonic() - t0
                    result["controller_cpu_pct"] = round(100 * (_cpu_s(pid) - cpu0) / wall, 1)
                    result["load_generator_cpu_pct"] = round(
                        100 * (time.process_time() - self_cpu0) / wall, 1
                    )
                    out["routes"][name] = result
                if source == "memory":  # a wall that holds the current summary: 304s
                    _, fields, _ = await conns.get(ROUTES["summary"], plain)
                    tag = fields.get("etag", "")
                    cpu0, t0 = _cpu_s(pid), time.monotonic()
                    result = await _load(
                        conns, ROUTES["summary"], rps, duration, plain | {"If-None-Match": tag}
                    )
                    result["controller_cpu_pct"] = round(
                        100 * (_cpu_s(pid) - cpu0) / (time.monotonic() - t0), 1
                    )
                    out["routes"]["summary_if_none_match"] = result
            finally:
                conns.close()

        # This process imported the controller to prepare the database: a full collection of
        # that heap took 0.3 s, and requests due meanwhile left late (seen as `sent_late_*`).
        gc.collect()
        gc.freeze()
        asyncio.run(phases())
        ended = utcnow()
        out["rss_mb"] = _rss_mb(pid)
        out["rss_peak_mb"] = _rss_mb(pid, "VmHWM")
    finally:
        ctl.stop()
    periods = _poll_periods(ctl, began, ended)
    out["poll_periods"] = len(periods)
    out["poll_period_p50_s"] = round(statistics.median(periods), 2) if periods else None
    out["poll_period_p99_s"] = round(sorted(periods)[int(0.99 * (len(periods) - 1))], 2) if periods else None
    return out


def run(
    endpoints: int, cameras: int, rps: int, duration: float, latency_ms: int = 20, shared_cpu: bool = False
) -> dict[str, Any]:
    """The benchmark; unless ``shared_cpu``, the controller gets half the machine's cores and
    the simulators and this load generator the other half (`harness.split_cpus`)."""
    from controller.units.service import demo_units

    interval = 15.0
    ctl = ControllerProcess(settings={"DIEMCAU_MONITOR_INTERVAL_S": str(interval)})
    with (
        FleetProcess(endpoints, latency_ms, demo_units(endpoints)) as fleet,
        (
            CameraSimProcess(cameras, width=320, height=180, fps=10, bitrate_kbps=200, start_timeout=60)
            if cameras
            else nullcontext()
        ) as cams,
    ):
        _prepare(ctl, fleet, cams)
        ctl.cli("users", "add", "admin", "--role", "admin", "--password-env", "DIEMCAU_ADMIN_PASSWORD")
        mine, others = split_cpus()
        if not shared_cpu:
            for pid in (fleet.proc.pid if fleet.proc else None, cams.pid if cams else None, os.getpid()):
                if pid:
                    pin(pid, others)
        cpus = None if shared_cpu else mine
        memory = _measure(ctl, "memory", endpoints, rps, duration, interval, cpus)
        database = _measure(ctl, "database", endpoints, rps, duration, interval, cpus)
    targets = ("summary", "health_endpoints", "alarms_active")
    return {
        "bench": "api",
        "endpoints": endpoints,
        "cameras": cameras,
        "rps": rps,
        "duration_s": duration,
        "monitor_interval_s": interval,
        "cpus": "shared"
        if shared_cpu
        else {"controller": sorted(mine), "simulators_and_load_generator": sorted(others)},
        "memory": memory,
        "database": database,
        "targets": {
            "p99_le_50ms": {t: (memory["routes"][t]["p99_ms"] or 1e9) <= 50 for t in targets},
            "rss_le_300mb": memory["rss_peak_mb"] <= 300,
            "poll_period_p99_within_10pct": (memory["poll_period_p99_s"] or 1e9) <= 1.1 * interval,
        },
        "baseline_note": "the same load in the same run with DIEMCAU_STATUS_SOURCE=database: each "
        "request read from the tables, as the routes did before the live view",
    }

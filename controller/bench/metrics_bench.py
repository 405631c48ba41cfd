"""`diemcau bench metrics`: how long a Prometheus scrape of a province takes, and how big it is.

A simulated province (its endpoints registered from the simulated fleet) with a health row per
endpoint and ``cameras`` cameras with their last sample, as the monitors leave them; then
``scrapes`` renders of ``/metrics`` as the route does (text format, and OpenMetrics once for
its size). The naive way, one query per device for its series (what a per-device exporter
loop does), renders the same device series in the same run.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from typing import Any

from sqlalchemy import select

from controller.bench.fleet_process import simulated_province
from controller.models import Camera, CameraHealth, Endpoint, EndpointHealth, Unit, utcnow


async def _populate(state: Any, cameras: int) -> int:
    """Health as the monitors leave it: every endpoint polled, every camera sampled."""
    now = utcnow()
    async with state.db.transaction() as session:
        endpoints = (await session.scalars(select(Endpoint))).all()
        for i, ep in enumerate(endpoints):
            ep.state = "online" if i % 10 else "in_call"
            session.add(
                EndpointHealth(
                    endpoint_id=ep.id,
                    state=ep.state,
                    last_poll_at=now,
                    last_ok_at=now,
                    health={"in_call": ep.state == "in_call", "packet_loss_pct": 0.2, "temperature_c": 41.5},
                )
            )
        communes = (await session.scalars(select(Unit).where(Unit.level == "commune").limit(cameras))).all()
        for n in range(cameras):
            camera = Camera(
                id=uuid.uuid4(),
                name=f"Một cửa {n + 1:03d}",
                unit_id=communes[n % len(communes)].id,
                url=f"rtsp://192.0.2.{n % 250 + 1}/stream1",
                state="online",
            )
            session.add(camera)
            await session.flush()
            session.add(
                CameraHealth(
                    camera_id=camera.id,
                    state="online",
                    last_ok_at=now,
                    measures={"fps": 12.5, "bitrate_kbps": 512.0, "keyframe_interval_s": 2.0},
                )
            )
    return len(endpoints)


async def _naive(state: Any) -> bytes:
    """The device series the per-device way: one query per endpoint and per camera."""
    lines: list[str] = []
    async with state.db.transaction() as session:
        for ep_id in (await session.scalars(select(Endpoint.id))).all():
            ep = await session.get(Endpoint, ep_id)
            health = await session.get(EndpointHealth, ep_id)
            assert ep is not None
            lines.append(
                f'diemcau_endpoint_state{{endpoint="{ep.name}",unit="{ep.unit.code}",state="{ep.state}"}} 1'
            )
            if health is not None and health.last_ok_at is not None:
                lines.append(
                    f'diemcau_endpoint_last_seen_timestamp_seconds{{endpoint="{ep.name}"}} {health.last_ok_at.timestamp()}'
                )
        for cam_id in (await session.scalars(select(Camera.id))).all():
            cam = await session.get(Camera, cam_id)
            cam_health = await session.get(CameraHealth, cam_id)
            unit = await session.get(Unit, cam.unit_id) if cam else None
            assert cam is not None and unit is not None
            lines.append(
                f'diemcau_camera_state{{camera="{cam.name}",unit="{unit.code}",state="{cam.state}"}} 1'
            )
            if cam_health is not None:
                lines.append(
                    f'diemcau_camera_frames_per_second{{camera="{cam.name}"}} {cam_health.measures.get("fps")}'
                )
    return ("\n".join(lines) + "\n").encode()


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


async def _run(endpoints: int, cameras: int, scrapes: int) -> dict[str, Any]:
    async with simulated_province(endpoints, 0, monitor_enabled=False) as (state, _fleet):
        count = await _populate(state, cameras)

        async def render(accept: str = "") -> bytes:
            async def go(session: Any) -> bytes:
                body, _ = await state.metrics.render(session, state, accept)
                return body

            body: bytes = await state.db.read(go)
            return body

        await render()  # warm: the first query of each kind is prepared once
        times: list[float] = []
        cpu0 = time.process_time()
        for _ in range(scrapes):
            t0 = time.perf_counter()
            body = await render()
            times.append(time.perf_counter() - t0)
        cpu_per_scrape = (time.process_time() - cpu0) / scrapes
        openmetrics = await render("application/openmetrics-text")
        naive_times = []
        for _ in range(max(1, scrapes // 10)):
            t0 = time.perf_counter()
            naive_body = await _naive(state)
            naive_times.append(time.perf_counter() - t0)
    return {
        "bench": "metrics",
        "endpoints": count,
        "cameras": cameras,
        "scrapes": scrapes,
        "scrape_ms_p50": _ms(times, 0.5),
        "scrape_ms_p99": _ms(times, 0.99),
        "scrape_ms_mean": round(1000 * statistics.fmean(times), 2),
        "cpu_ms_per_scrape": round(1000 * cpu_per_scrape, 2),
        "size_kb": round(len(body) / 1024, 1),
        "openmetrics_size_kb": round(len(openmetrics) / 1024, 1),
        "series": sum(1 for line in body.decode().splitlines() if line and not line.startswith("#")),
        "naive_device_series_ms_p50": _ms(naive_times, 0.5),
        "naive_size_kb": round(len(naive_body) / 1024, 1),
        "naive_note": "the device series alone, one query per endpoint and per camera (an exporter's loop)",
    }


def run(endpoints: int, cameras: int, scrapes: int) -> dict[str, Any]:
    return asyncio.run(_run(endpoints, cameras, scrapes))

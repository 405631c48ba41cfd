"""`diemcau bench analytics`: what camera health costs the controller, per sample and per camera.

The cameras are the GStreamer simulator in its own process; the controller's
``CameraMonitor`` runs in this one, so ``process_time`` is the controller's
alone (RTSP demux threads, keyframe decode, OpenCV measures, database
writes). Each sample opens the shared pull if it is idle, waits for a new
keyframe, times packets for ``camera_measure_s`` and decodes that one keyframe.

The naive way, decoding and analysing every frame of a stream continuously,
is measured on a few of the same cameras in the same run.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import av
from cryptography.fernet import Fernet

from camera.analytics import History, Thresholds, assess, measure
from camera.ingest import PROTOCOLS
from camera.sim.process import CameraSimProcess
from controller.app import build_state, close_state
from controller.cameras import registry
from controller.cameras.schemas import CameraCreate
from controller.principal import SYSTEM
from controller.settings import Settings
from controller.units import service as units


def _naive(url: str, seconds: float) -> tuple[float, int]:
    """Decode and analyse every frame for ``seconds`` of stream: (cpu seconds, frames)."""
    history, t = History(), Thresholds()
    frames = 0
    cpu0 = time.thread_time()
    options = {"rtsp_transport": "tcp", "protocol_whitelist": PROTOCOLS}
    with av.open(url, options=options, timeout=(5, 5)) as container:
        end = time.monotonic() + seconds
        for frame in container.decode(video=0):
            assess(measure(frame.to_ndarray(format="bgr24")), history, t)
            frames += 1
            if time.monotonic() > end:
                break
    return time.thread_time() - cpu0, frames


async def _run(
    count: int, interval: float, duration: float, default_interval: float, naive: int
) -> dict[str, Any]:
    with CameraSimProcess(count, fps=15) as cams, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            secret_key=Fernet.generate_key().decode(),
            monitor_enabled=False,
            device_allow_loopback=True,  # the simulated cameras listen on loopback,
            camera_sample_interval_s=interval,
            camera_idle_stop_s=0.5,
        )
        state = await build_state(settings)
        try:
            async with state.db.transaction() as session:
                await units.upsert_units(session, units.legacy_demo_specs(districts=1, communes=1))
                for name, url in cams.urls.items():
                    await registry.create_camera(
                        session, state.box, CameraCreate(name=f"cam {name}", unit="DEMO", url=url), SYSTEM
                    )
            monitor = state.camera_monitor
            await monitor.start()
            await asyncio.sleep(interval)  # first samples: opening streams, learning baselines
            s0, c0, cpu0, t0 = monitor.samples, monitor.sample_cpu_s, time.process_time(), time.monotonic()
            await asyncio.sleep(duration)
            samples = monitor.samples - s0
            cpu = time.process_time() - cpu0
            wall = time.monotonic() - t0
            decode_cpu = monitor.sample_cpu_s - c0
            states: dict[str, int] = {}
            for w in monitor.watched.values():
                states[w.tracker.state] = states.get(w.tracker.state, 0) + 1
            await monitor.stop()
            await state.cameras.close()
        finally:
            await close_state(state)
        urls = list(cams.urls.values())[:naive]
        naive_runs = [await asyncio.to_thread(_naive, u, 5.0) for u in urls] if naive else []
    per_sample_ms = cpu / samples * 1000 if samples else None
    naive_cpu = sum(c for c, _ in naive_runs)
    naive_frames = sum(f for _, f in naive_runs)
    return {
        "bench": "analytics",
        "cameras": count,
        "sample_interval_s": default_interval,
        "measured_interval_s": interval,
        "samples": samples,
        "cpu_ms_per_sample": round(per_sample_ms, 2) if per_sample_ms else None,
        "decode_analyse_ms_per_sample": round(decode_cpu / samples * 1000, 2) if samples else None,
        "cpu_pct_per_camera": round(per_sample_ms / (default_interval * 1000) * 100, 4)
        if per_sample_ms
        else None,
        "controller_cpu_pct_measured": round(cpu / wall * 100, 1),
        "states": states,
        "naive_cpu_pct_per_camera": round(naive_cpu / (5.0 * len(naive_runs)) * 100, 2)
        if naive_runs
        else None,
        "naive_ms_per_frame": round(naive_cpu / naive_frames * 1000, 2) if naive_frames else None,
        "naive_note": f"every frame decoded and analysed, {len(naive_runs)} camera(s) for 5 s each",
    }


def run(count: int, interval: float, duration: float, default_interval: float, naive: int) -> dict[str, Any]:
    return asyncio.run(_run(count, interval, duration, default_interval, naive))

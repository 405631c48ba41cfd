"""`diemcau bench camera-provision`: plan and apply the stream standard on N simulated cameras
over ONVIF, vs one camera after another.

The cameras (GStreamer RTSP + the simulated ONVIF services) run in their own
processes; the controller's job runner runs here, as in the server. Apply
includes verify: every camera's stream is opened afresh and timed, so the
apply figure is dominated by the measuring window (3 s at a 1 s keyframe
interval), which all cameras share when they run in parallel.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import select

from camera.sim.process import CameraSimProcess
from controller.app import build_state, close_state
from controller.cameras import registry
from controller.cameras.schemas import CameraCreate
from controller.models import Camera, JobItem
from controller.principal import SYSTEM
from controller.provisioning import standards
from controller.provisioning.camera_standard import CAMERA_KEYS, DEMO_CAMERA_STANDARD
from controller.settings import Settings
from controller.units import service as units

# Small enough that 50 simulated encoders fit on the bench machine's 2 cores while verify
# measures them all at once (real cameras encode on their own hardware).
BENCH_STANDARD = DEMO_CAMERA_STANDARD | {"camera_resolution": "320x180", "camera_fps": "10"}


async def _job(state: Any, mode: str, cams: list[Camera], concurrency: int) -> tuple[float, dict[str, int]]:
    async with state.db.transaction() as session:
        job = await state.runner.create(
            session,
            kind="camera_provision",
            mode=mode,
            target={},
            params={"concurrency": concurrency},
            cameras=cams,
            actor=SYSTEM,
        )
    t0 = time.perf_counter()
    state.runner.start(job.id)
    await state.runner.wait(job.id)
    took = time.perf_counter() - t0
    counts: dict[str, int] = {}
    async with state.db.transaction() as session:
        for item in await session.scalars(select(JobItem).where(JobItem.job_id == job.id)):
            counts[item.status] = counts.get(item.status, 0) + 1
    return took, counts


async def _set_standard(state: Any, values: dict[str, str]) -> None:
    async with state.db.transaction() as session:
        for key, value in values.items():
            await standards.set_value(session, None, key, value, CAMERA_KEYS, SYSTEM)


async def _run(sim: CameraSimProcess, n: int, naive_n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            secret_key=Fernet.generate_key().decode(),
            monitor_enabled=False,
            device_allow_loopback=True,  # the simulated cameras listen on loopback
        )
        state = await build_state(settings)
        try:
            async with state.db.transaction() as session:
                await units.upsert_units(session, units.legacy_demo_specs())
                cams = []
                for name in sorted(sim.urls, key=int):
                    data = CameraCreate(
                        name=f"Một cửa {name}",
                        unit="DEMO",
                        url=sim.urls[name],
                        username=sim.onvif_username,
                        password=sim.onvif_password,
                        onvif_url=sim.onvif[name],
                    )
                    cams.append(await registry.create_camera(session, state.box, data, SYSTEM))
                session.expunge_all()
            await _set_standard(state, BENCH_STANDARD)
            plan_s, planned = await _job(state, "plan", cams, n)
            naive_plan_s, _ = await _job(state, "plan", cams, 1)
            apply_s, applied = await _job(state, "apply", cams, n)
            again_s, again = await _job(state, "apply", cams, n)
            # the naive apply: one camera after another, on a few cameras (a new bitrate to write)
            await _set_standard(state, {"camera_bitrate_kbps": "384"})
            naive_apply_s, naive_applied = await _job(state, "apply", cams[:naive_n], 1)
        finally:
            await close_state(state)
    return {
        "bench": "camera-provision",
        "cameras": n,
        "plan_s": round(plan_s, 2),
        "apply_verify_s": round(apply_s, 2),
        "second_run_s": round(again_s, 2),
        "planned": planned,
        "applied": applied,
        "second_run": again,
        "naive_plan_s": round(naive_plan_s, 2),
        "naive_apply_verify_s_per_camera": round(naive_apply_s / max(1, naive_n), 2),
        "naive_apply_verify_s_estimated": round(naive_apply_s / max(1, naive_n) * n, 1),
        "naive_applied": naive_applied,
        "naive_note": f"one camera after another; apply measured on {naive_n} cameras and scaled to {n}",
    }


def run(cameras: int, naive: int) -> dict[str, Any]:
    with CameraSimProcess(cameras, fps=15, onvif=True, start_timeout=60) as sim:
        return asyncio.run(_run(sim, cameras, min(naive, cameras)))

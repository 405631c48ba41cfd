"""Camera health against the real RTSP server: each picture fault is seen, alarmed and cleared."""

from __future__ import annotations

import asyncio

import pytest

from camera.sim.control import camera_control
from camera.sim.process import CameraSimProcess
from controller.roles import Role
from tests.controller.camera_helpers import SAMPLING


@pytest.fixture
def controller_settings() -> dict:
    return dict(SAMPLING)


async def wait_health(ctl, cam_id: str, predicate, limit_s: float = 30) -> dict:
    h = {}
    for _ in range(int(limit_s / 0.2)):
        r = await ctl.client.get(f"/api/v1/cameras/{cam_id}/health", headers=ctl.auth(Role.ioc_viewer))
        h = r.json()
        if predicate(h):
            return h
        await asyncio.sleep(0.2)
    raise AssertionError(f"camera health never matched: {h}")


async def active_alarms(ctl) -> set[str]:
    r = await ctl.client.get("/api/v1/alarms", params={"status": "active"}, headers=ctl.auth(Role.ioc_viewer))
    return {a["kind"] for a in r.json()["items"] if a["entity_type"] == "camera"}


async def test_faults_are_detected_alarmed_and_cleared(controller):
    with CameraSimProcess(1, fps=15, key_int=8) as cams:  # a keyframe every ~0.5 s: quick samples
        r = await controller.client.post(
            "/api/v1/cameras",
            json={"name": "Một cửa", "unit": "DEMO-H01", "url": cams.urls["1"]},
            headers=controller.auth(Role.technician),
        )
        cam_id = r.json()["id"]
        h = await wait_health(
            controller, cam_id, lambda h: h["state"] == "online" and h["baseline_sharpness"]
        )
        assert 12 <= h["measures"]["fps"] <= 18 and h["measures"]["width"] == 640
        assert 0.3 <= h["measures"]["keyframe_interval_s"] <= 0.8
        r = await controller.client.get(
            f"/api/v1/cameras/{cam_id}/thumbnail", headers=controller.auth(Role.host)
        )
        assert r.headers["content-type"] == "image/jpeg" and r.content[:2] == b"\xff\xd8"

        expected = {
            "black": "black",
            "blur": "blurred",
            "freeze": "frozen",
            "shift": "moved",
            "lowfps": "low_fps",
        }
        for fault, problem in expected.items():
            await camera_control(cams.control_file, {"op": "fault", "camera": "1", "fault": fault})
            h = await wait_health(controller, cam_id, lambda h, p=problem: p in h["problems"])
            assert h["state"] == "degraded", h
            for _ in range(50):
                if f"camera_{problem}" in await active_alarms(controller):
                    break
                await asyncio.sleep(0.1)
            assert f"camera_{problem}" in await active_alarms(controller)
            await camera_control(cams.control_file, {"op": "fault", "camera": "1", "fault": "clear"})
            await wait_health(controller, cam_id, lambda h: h["state"] == "online")

        await camera_control(cams.control_file, {"op": "fault", "camera": "1", "fault": "stop"})
        h = await wait_health(controller, cam_id, lambda h: h["state"] in ("offline", "stalled"))
        for _ in range(50):
            if {"camera_offline", "camera_stalled"} & await active_alarms(controller):
                break
            await asyncio.sleep(0.1)
        assert {"camera_offline", "camera_stalled"} & await active_alarms(controller)
        await camera_control(cams.control_file, {"op": "fault", "camera": "1", "fault": "clear"})
        await wait_health(controller, cam_id, lambda h: h["state"] == "online")
        for _ in range(50):
            if not await active_alarms(controller):
                break
            await asyncio.sleep(0.1)
        assert await active_alarms(controller) == set()

"""Camera health against the real RTSP server: each picture fault is seen, alarmed and cleared."""

from __future__ import annotations

import pytest

from camera.sim.control import camera_control
from camera.sim.process import CameraSimProcess
from controller.roles import Role
from tests.controller.camera_helpers import SAMPLING
from tests.support.waiting import until


@pytest.fixture
def controller_settings() -> dict:
    return dict(SAMPLING)


async def wait_health(ctl, cam_id: str, predicate, seconds: float = 30) -> dict:
    async def matched() -> dict | None:
        r = await ctl.client.get(f"/api/v1/cameras/{cam_id}/health", headers=ctl.auth(Role.ioc_viewer))
        return r.json() if predicate(r.json()) else None

    return await until(matched, every=0.2, seconds=seconds, what="camera health matches")


async def active_alarms(ctl) -> set[str]:
    r = await ctl.client.get("/api/v1/alarms", params={"status": "active"}, headers=ctl.auth(Role.ioc_viewer))
    return {a["kind"] for a in r.json()["items"] if a["entity_type"] == "camera"}


async def alarmed(ctl, kinds: set[str]) -> bool:
    """One of ``kinds`` is an active camera alarm; with no kinds: none is."""
    active = await active_alarms(ctl)
    return bool(active & kinds) if kinds else not active


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
            await until(
                lambda p=problem: alarmed(controller, {f"camera_{p}"}), what=f"camera_{problem} alarm"
            )
            await camera_control(cams.control_file, {"op": "fault", "camera": "1", "fault": "clear"})
            await wait_health(controller, cam_id, lambda h: h["state"] == "online")

        await camera_control(cams.control_file, {"op": "fault", "camera": "1", "fault": "stop"})
        h = await wait_health(controller, cam_id, lambda h: h["state"] in ("offline", "stalled"))
        await until(lambda: alarmed(controller, {"camera_offline", "camera_stalled"}), what="offline alarm")
        await camera_control(cams.control_file, {"op": "fault", "camera": "1", "fault": "clear"})
        # after an outage the pull is retried with backoff growing to 30 s (camera.ingest), so a
        # camera back on line may wait that long for its next attempt, then two good samples
        await wait_health(controller, cam_id, lambda h: h["state"] == "online", seconds=75)
        await until(lambda: alarmed(controller, set()), what="no active camera alarm")


async def test_a_camera_blurred_from_its_first_frame_is_blurred(controller):
    """Out of focus since the day it was installed: no sharp history to compare with, still flagged."""
    with CameraSimProcess(1, fps=15, key_int=8) as cams:
        await cams.fault("1", "blur")  # before the controller ever sees a picture
        r = await controller.client.post(
            "/api/v1/cameras",
            json={"name": "Một cửa", "unit": "DEMO-H01", "url": cams.urls["1"]},
            headers=controller.auth(Role.technician),
        )
        cam_id = r.json()["id"]
        h = await wait_health(controller, cam_id, lambda h: "blurred" in h["problems"])
        assert h["state"] == "degraded" and h["baseline_sharpness"] is None, h
        assert h["measures"]["sharpness"] < 15, h
        await until(lambda: alarmed(controller, {"camera_blurred"}), what="camera_blurred alarm")


async def test_a_gop_longer_than_the_keyframe_wait_is_rare_keyframes_not_stalled(controller):
    """A "smart codec" camera: pictures flow, keyframes come every 20 s. The health sample that
    waits 4 s for a new keyframe must not call it a stream that sends nothing."""
    with CameraSimProcess(1, fps=15, key_int=300) as cams:
        r = await controller.client.post(
            "/api/v1/cameras",
            json={"name": "Một cửa", "unit": "DEMO-H01", "url": cams.urls["1"]},
            headers=controller.auth(Role.technician),
        )
        cam_id = r.json()["id"]
        h = await wait_health(controller, cam_id, lambda h: "rare_keyframes" in h["problems"])
        assert h["state"] == "degraded", h
        assert h["measures"]["fps"] and h["measures"]["fps"] > 10, h
        history = await controller.client.get(
            f"/api/v1/cameras/{cam_id}/health/history", headers=controller.auth(Role.ioc_viewer)
        )
        assert "stalled" not in {p.get("state") for p in history.json().get("points", [])}

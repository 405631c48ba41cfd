"""Fresh frames only: a camera that stopped sending is answered with since when, never with the
last picture it sent; health is judged on a picture no older than the sample interval."""

from __future__ import annotations

import pytest

from camera.sim.control import camera_control
from camera.sim.process import CameraSimProcess
from controller.roles import Role
from tests.controller.camera_helpers import SAMPLING
from tests.support.waiting import until


@pytest.fixture
def controller_settings() -> dict:
    return SAMPLING | {"camera_keyframe_wait_s": 2}


async def test_a_dead_cameras_snapshot_is_a_503_with_its_age(controller):
    h = controller.auth(Role.ioc_viewer)
    with CameraSimProcess(1, fps=15, key_int=8) as cams:
        r = await controller.client.post(
            "/api/v1/cameras",
            json={"name": "Một cửa", "unit": "DEMO-H01", "url": cams.urls["1"]},
            headers=controller.auth(Role.technician),
        )
        cam = r.json()["id"]
        r = await controller.client.get(f"/api/v1/cameras/{cam}/snapshot", headers=h)
        assert r.status_code == 200 and r.content[:2] == b"\xff\xd8"

        await camera_control(cams.control_file, {"op": "fault", "camera": "1", "fault": "stop"})

        async def refused():
            r = await controller.client.get(f"/api/v1/cameras/{cam}/snapshot", headers=h)
            return r if r.status_code != 200 else None

        r = await until(refused, what="the snapshot stops answering the last picture")
        problem = r.json()
        assert r.status_code == 503 and problem["type"] == "urn:diemcau:problem:unavailable", problem
        assert problem["age_s"] is not None and problem["age_s"] > 0, problem
        assert int(r.headers["retry-after"]) >= 1

        async def offline() -> bool:
            r = await controller.client.get(f"/api/v1/cameras/{cam}/health", headers=h)
            return r.json()["state"] in ("offline", "stalled")

        await until(offline, what="health says the camera is down")
        await camera_control(cams.control_file, {"op": "fault", "camera": "1", "fault": "clear"})

        async def back():
            r = await controller.client.get(f"/api/v1/cameras/{cam}/snapshot", headers=h)
            return r if r.status_code == 200 else None

        await until(back, what="a picture again")

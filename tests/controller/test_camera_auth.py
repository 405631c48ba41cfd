"""A camera that refuses the stored credentials says so: state `auth_failed` with our words (no
library text), the `camera_auth_failed` alarm, and online again once the password is right.
The simulated camera asks for RTSP Digest authentication, as Hikvision and Dahua ship."""

from __future__ import annotations

import pytest

from camera.sim.process import CameraSimProcess
from controller.roles import Role
from tests.controller.camera_helpers import SAMPLING
from tests.support.waiting import until


@pytest.fixture
def controller_settings() -> dict:
    return dict(SAMPLING)


async def test_refused_credentials_are_auth_failed_and_recover(controller):
    h, tech = controller.auth(Role.ioc_viewer), controller.auth(Role.technician)
    with CameraSimProcess(1, fps=15, key_int=8, rtsp_auth=("admin", "Cam-Pw-1")) as cams:
        body = {"name": "Một cửa", "unit": "DEMO-H01", "url": cams.urls["1"], "username": "admin"}
        r = await controller.client.post("/api/v1/cameras", json=body | {"password": "wrong"}, headers=tech)
        cam = r.json()["id"]

        async def health(state: str) -> dict | None:
            r = await controller.client.get(f"/api/v1/cameras/{cam}/health", headers=h)
            return r.json() if r.json()["state"] == state else None

        refused = await until(lambda: health("auth_failed"), what="auth_failed")
        assert "refused the username or password (RTSP 401)" in refused["reason"], refused
        assert "Error" not in refused["reason"] and "wrong" not in refused["reason"], refused
        assert refused["reason_params"] == {"error": "auth_failed"}  # what the console words

        async def alarm(kind: str) -> bool:
            r = await controller.client.get("/api/v1/alarms", params={"status": "active"}, headers=h)
            return any(a["kind"] == kind for a in r.json()["items"])

        await until(lambda: alarm("camera_auth_failed"), what="camera_auth_failed alarm")
        r = await controller.client.get("/api/v1/alarms", params={"kind": "camera_auth_failed"}, headers=h)
        (raised,) = r.json()["items"]
        assert (raised["code"], raised["params"]) == ("camera_auth_failed", {"error": "auth_failed"})
        r = await controller.client.patch(
            f"/api/v1/cameras/{cam}", json={"password": "Cam-Pw-1"}, headers=tech
        )
        assert r.status_code == 200, r.text
        await until(lambda: health("online"), what="online with the right password")

        async def cleared() -> bool:
            return not await alarm("camera_auth_failed")

        await until(cleared, what="the alarm cleared")

"""Camera provisioning over ONVIF against the simulated camera: plan, apply, verify on the real
RTSP stream, a second run that changes nothing, and a clear per-camera error for each fault."""

from __future__ import annotations

import asyncio

import pytest

from camera.sim.process import CameraSimProcess
from controller.roles import Role

STANDARD = {
    "camera_codec": "H264",
    "camera_resolution": "320x180",
    "camera_fps": "10",
    "camera_keyframe_s": "1",
    "camera_bitrate_kbps": "256",
    "camera_ntp_server": "ntp.tinh.example",
    "camera_time_zone": "Asia/Ho_Chi_Minh",
    "camera_name": "{unit_code}-{slug}",
}


@pytest.fixture
def controller_settings() -> dict:
    return {"camera_onvif_timeout_s": 2, "camera_open_timeout_s": 3, "camera_read_timeout_s": 3}


@pytest.fixture(scope="module")
def cams():
    with CameraSimProcess(3, fps=15, onvif=True, onvif_password="onvif-s3cret") as sim:
        yield sim


async def setup_province(ctl, cams: CameraSimProcess, password: str = "onvif-s3cret") -> dict[str, str]:
    h = ctl.auth(Role.technician)
    for key, value in STANDARD.items():
        r = await ctl.client.put(f"/api/v1/standards/{key}", json={"value": value}, headers=h)
        assert r.status_code == 200, r.text
    ids = {}
    for name in ("1", "2", "3"):
        body = {
            "name": f"Một cửa {name}",
            "unit": "DEMO-H01-X01",
            "url": cams.urls[name],
            "username": cams.onvif_username,
            "password": password,
            "onvif_url": cams.onvif[name],
        }
        r = await ctl.client.post("/api/v1/cameras", json=body, headers=h)
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    return ids


async def run_job(ctl, mode: str, cameras: list[str]) -> list[dict]:
    h = ctl.auth(Role.technician)
    r = await ctl.client.post(
        "/api/v1/provisioning/cameras", json={"cameras": cameras, "mode": mode}, headers=h
    )
    assert r.status_code == 202, r.text
    job = r.json()["id"]
    for _ in range(600):  # bounded: 60 s
        status = (await ctl.client.get(f"/api/v1/jobs/{job}", headers=h)).json()["status"]
        if status in ("done", "failed", "cancelled", "halted"):
            break
        await asyncio.sleep(0.1)
    assert status == "done", status
    items = (await ctl.client.get(f"/api/v1/jobs/{job}/items", headers=h)).json()
    return sorted(items, key=lambda i: i["endpoint_name"])


def rows(item: dict) -> dict[str, dict]:
    return {p["key"]: p for p in item["plan"]}


async def test_plan_apply_verify_then_nothing_to_do(controller, cams):
    await cams.onvif_fault("1", "clear")
    ids = await setup_province(controller, cams)
    (plan,) = await run_job(controller, "plan", [ids["1"]])
    assert plan["status"] == "planned" and plan["camera_id"] == ids["1"], plan
    r = rows(plan)
    assert r["resolution"]["current"] == "640x360" and r["resolution"]["desired"] == "320x180"
    assert r["fps"]["action"] == "set" and r["bitrate_kbps"]["desired"] == 256
    assert r["name"]["desired"] == "DEMO-H01-X01-mot-cua-1"

    (applied,) = await run_job(controller, "apply", [ids["1"]])
    assert applied["status"] == "applied", applied
    measured = rows(applied)
    assert measured["resolution"]["measured"] == "320x180"  # the RTSP stream itself changed
    assert 8.5 <= measured["fps"]["measured"] <= 11.5
    assert 0.85 <= measured["keyframe_s"]["measured"] <= 1.15
    assert measured["bitrate_kbps"]["measured"] <= 256 * 1.25
    assert all(p["after"] is not None for p in applied["plan"])

    (again,) = await run_job(controller, "apply", [ids["1"]])
    assert again["status"] == "unchanged" and all(p["action"] == "ok" for p in again["plan"]), again


async def test_each_fault_gives_its_camera_a_clear_error(controller, cams):
    ids = await setup_province(controller, cams)
    # camera 1 may already be provisioned by another test; 2 and 3 still have the simulator's defaults
    await cams.onvif_fault("2", "ignore_set")  # answers OK and changes nothing: only verify sees it
    await cams.onvif_fault("3", "timeout")
    await cams.onvif_fault("1", "auth", password="rotated")
    try:
        items = await run_job(controller, "apply", list(ids.values()))
    finally:
        for name in ("1", "2", "3"):
            await cams.onvif_fault(name, "clear")
    by_name = {i["endpoint_name"]: i for i in items}
    locked, ignored, slow = by_name["Một cửa 1"], by_name["Một cửa 2"], by_name["Một cửa 3"]
    assert ignored["status"] == "error" and ignored["error_code"] == "verify_failed", ignored
    assert "resolution: set 320x180, the camera reports 640x360" in ignored["message"]
    assert slow["status"] == "error" and slow["error_code"] == "timeout", slow
    assert locked["status"] == "error" and locked["error_code"] == "auth_failed", locked
    assert "onvif-s3cret" not in (locked["transcript"] or "") + locked["message"]


async def test_a_device_fault_and_an_unsupported_setting_are_named(controller, cams):
    ids = await setup_province(controller, cams)
    await cams.onvif_fault("2", "soap_fault")
    await cams.onvif_fault("3", "unsupported")  # the sub stream now takes at most 512 kbit/s, no 720p
    h = controller.auth(Role.technician)
    r = await controller.client.put(
        "/api/v1/standards/camera_resolution", json={"value": "1280x720"}, headers=h
    )
    assert r.status_code == 200, r.text
    try:
        items = await run_job(controller, "plan", [ids["2"], ids["3"]])
    finally:
        for name in ("2", "3"):
            await cams.onvif_fault(name, "clear")
    faulted, limited = items
    assert faulted["status"] == "error" and faulted["error_code"] == "device_fault", faulted
    assert "ActionFailed" in faulted["message"]
    # the plan asks only for what the camera offers: the nearest resolution below 1280x720
    assert limited["status"] == "planned", limited
    assert rows(limited)["resolution"]["desired"] == "640x360"
    assert rows(limited)["bitrate_kbps"]["desired"] == 256  # within its 64..512


async def test_a_camera_taking_only_http_digest_is_provisioned_end_to_end(controller, cams):
    """A camera set to "digest only" answers WS-Security with 401 and a Digest challenge: the job's
    client falls back to HTTP Digest once, stays on it, and plan, apply and verify go as usual."""
    ids = await setup_province(controller, cams)
    h = controller.auth(Role.technician)
    # 640x360 at 12 fps differs from camera 1 whether another test provisioned it (320x180, 10) or not
    for key, value in {"camera_resolution": "640x360", "camera_fps": "12"}.items():
        r = await controller.client.put(f"/api/v1/standards/{key}", json={"value": value}, headers=h)
        assert r.status_code == 200, r.text
    await cams.onvif_fault("1", "digest_only")
    try:
        before = await onvif_credentials(cams, "1")
        (applied,) = await run_job(controller, "apply", [ids["1"]])
        after = await onvif_credentials(cams, "1")
    finally:
        await cams.onvif_fault("1", "clear")
    assert applied["status"] == "applied", applied
    measured = rows(applied)
    assert measured["resolution"]["measured"] == "640x360"
    assert 10.2 <= measured["fps"]["measured"] <= 13.8
    carried = {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)}
    # WS-Security refused twice (the clock read again between), then every call on Digest
    assert carried["ws-security"] == 2 and carried["digest"] >= 8 and "both" not in carried, carried
    assert "onvif-s3cret" not in str(applied)


async def onvif_credentials(cams: CameraSimProcess, name: str) -> dict[str, int]:
    """Requests the simulated camera received, by the credentials they carried."""
    reply = await cams.request({"op": "onvif_list"})
    return next(c for c in reply["cameras"] if c["name"] == name)["credentials"]

"""A stored password cannot be read back by re-pointing a device at a host one controls:
changing an endpoint's host, port or host key, or a camera's stream or ONVIF address, needs the
password in the same request."""

from __future__ import annotations

import pytest

from controller.roles import Role
from endpoints.sim import Fleet

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


async def create_endpoint(ctl, **extra) -> dict:
    body = {
        "name": "A",
        "unit": "DEMO-H01-X01",
        "host": "10.0.0.5",
        "port": 22,
        "username": "admin",
        "password": "Dev-Pass-1",
        "profile": "cisco-roomos",
    } | extra
    r = await ctl.client.post("/api/v1/endpoints", json=body, headers=ctl.auth(Role.technician))
    assert r.status_code == 201, r.text
    return r.json()


@pytest.mark.parametrize(
    "change",
    [{"host": "10.66.6.6"}, {"port": 2222}, {"host_key": KEY}, {"host_key": None}],
    ids=["host", "port", "new-key", "cleared-key"],
)
async def test_moving_an_endpoint_needs_its_password(controller, change):
    h = controller.auth(Role.technician)
    ep = await create_endpoint(controller, host_key=KEY if change == {"host_key": None} else None)
    r = await controller.client.patch(f"/api/v1/endpoints/{ep['id']}", json=change, headers=h)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["field"] == "password" and "password again" in problem["detail"], problem
    after = (await controller.client.get(f"/api/v1/endpoints/{ep['id']}", headers=h)).json()
    assert (after["host"], after["port"], after["host_key"]) == (ep["host"], ep["port"], ep["host_key"])
    r = await controller.client.patch(
        f"/api/v1/endpoints/{ep['id']}", json=change | {"password": "Dev-Pass-2"}, headers=h
    )
    assert r.status_code == 200, r.text


async def test_changes_that_do_not_move_it_need_no_password(controller):
    h = controller.auth(Role.technician)
    ep = await create_endpoint(controller)
    for change in ({"name": "B"}, {"host": "10.0.0.5", "port": 22}, {"description": "phòng họp"}):
        r = await controller.client.patch(f"/api/v1/endpoints/{ep['id']}", json=change, headers=h)
        assert r.status_code == 200, (change, r.text)


async def test_the_monitor_never_logs_in_to_the_new_host_unasked(controller, tmp_path):
    """The attack itself: re-point at a device one controls and wait for the login."""
    async with Fleet(2, units=["DEMO-H01-X01"], latency_ms=0) as fleet:
        real, trap = fleet[0], fleet[1]
        ep = await create_endpoint(controller, host="127.0.0.1", port=real.port)
        r = await controller.client.patch(
            f"/api/v1/endpoints/{ep['id']}",
            json={"port": trap.port},
            headers=controller.auth(Role.technician),
        )
        assert r.status_code == 422
        await controller.state.monitor.reconcile()
        assert fleet.stats()[trap.state.name]["passwords"] == 0


async def test_moving_a_camera_needs_its_password(controller):
    h = controller.auth(Role.technician)
    r = await controller.client.post(
        "/api/v1/cameras",
        json={
            "name": "Một cửa",
            "unit": "DEMO-H01-X01",
            "url": "rtsp://10.0.0.9:554/main",
            "username": "admin",
            "password": "Cam-Pass-1",
            "onvif_url": "http://10.0.0.9/onvif/device_service",
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    cam = r.json()
    for change in (
        {"url": "rtsp://10.66.6.6:554/main"},
        {"url": "rtsp://10.0.0.9:8554/main"},
        {"url": "rtsps://10.0.0.9:554/main"},
        {"onvif_url": "http://10.66.6.6/onvif/device_service"},
    ):
        r = await controller.client.patch(f"/api/v1/cameras/{cam['id']}", json=change, headers=h)
        assert r.status_code == 422, (change, r.text)
        assert r.json()["field"] == "password"
    # the same address with another path, or a move with the password, are fine
    for change in (
        {"url": "rtsp://10.0.0.9:554/sub"},
        {"url": "rtsp://10.66.6.6:554/main", "password": "Cam-Pass-2"},
        {"url": "rtsp://admin:Cam-Pass-3@10.77.7.7:554/main"},
        {"onvif_url": "http://10.77.7.7/onvif/device_service", "password": "Cam-Pass-4"},
    ):
        r = await controller.client.patch(f"/api/v1/cameras/{cam['id']}", json=change, headers=h)
        assert r.status_code == 200, (change, r.text)

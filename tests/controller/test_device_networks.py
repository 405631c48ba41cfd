"""Addresses the controller may reach: refused where they are saved (422 naming the field) and
again where they are connected to, after the name is resolved (security review 16, finding 6).

This module's controller runs with the production default: loopback refused (the shared fixture
allows it for the simulated devices of the other tests).
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from controller.bench.harness import free_port
from controller.bench.webhook_receiver import running_receiver
from controller.events import emit
from controller.ioc.signing import new_secret
from controller.models import Camera, Delivery, Sink
from controller.roles import Role
from tests.support.waiting import until


@pytest.fixture
def controller_settings() -> dict:
    return {"device_allow_loopback": False, "webhook_backoff_base_s": 0.05, "webhook_backoff_max_s": 0.3}


async def refused_delivery(controller) -> str:
    """The error of the first delivery attempt the sink dispatcher made."""

    async def last_error() -> str | None:
        async with controller.state.db.transaction() as session:
            row = await session.scalar(select(Delivery).where(Delivery.attempts > 0))
            return row.last_error if row else None

    return await until(last_error, what="a refused delivery attempt")


REFUSED_HOSTS = [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("[::1]", "loopback"),
    ("[::ffff:127.0.0.1]", "loopback"),  # IPv4-mapped: the same host
    ("localhost", "loopback"),
    ("cam.localhost", "loopback"),  # RFC 6761: always loopback
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("[fe80::1]", "link-local"),
    ("0.0.0.0", "unspecified"),
    ("[::]", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("[ff02::1]", "multicast"),
    ("255.255.255.255", "broadcast"),
]


async def post_camera(ctl, **body):
    data = {"name": f"cam {uuid.uuid4().hex[:6]}", "unit": "DEMO", "url": "rtsp://10.1.2.3/live"} | body
    return await ctl.client.post("/api/v1/cameras", json=data, headers=ctl.auth(Role.technician))


def refused_field(r, field: str, why: str) -> None:
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["type"] == "urn:diemcau:problem:invalid-input"
    errors = problem.get("errors") or [
        {"location": f"body.{problem.get('field')}", "reason": problem["detail"]}
    ]
    assert errors[0]["location"] == f"body.{field}", r.text
    assert why in errors[0]["reason"], r.text


@pytest.mark.parametrize(("host", "why"), REFUSED_HOSTS)
async def test_camera_stream_and_onvif_addresses_are_refused_when_saved(controller, host, why):
    refused_field(await post_camera(controller, url=f"rtsp://{host}:554/live"), "url", why)
    refused_field(
        await post_camera(controller, onvif_url=f"http://{host}/onvif/device_service"), "onvif_url", why
    )


async def test_a_camera_cannot_be_repointed_at_the_controller(controller):
    r = await post_camera(controller, onvif_url="http://10.1.2.3/onvif/device_service")
    assert r.status_code == 201, r.text
    path, h = f"/api/v1/cameras/{r.json()['id']}", controller.auth(Role.technician)
    r = await controller.client.patch(path, json={"onvif_url": "http://127.0.0.1:8000/api/v1/"}, headers=h)
    refused_field(r, "onvif_url", "loopback")
    r = await controller.client.patch(path, json={"url": "rtsp://169.254.169.254/"}, headers=h)
    refused_field(r, "url", "link-local")
    assert (await controller.client.get(path, headers=h)).json()["onvif_url"] == (
        "http://10.1.2.3/onvif/device_service"
    )


async def test_camera_csv_rows_with_refused_addresses_are_reported_by_line_and_field(controller):
    text = (
        "name,unit,url,onvif_url\n"
        "good,DEMO,rtsp://10.9.9.9/live,http://10.9.9.9/onvif/device_service\n"
        "loop,DEMO,rtsp://127.0.0.1/live,\n"
        "meta,DEMO,rtsp://10.9.9.8/live,http://169.254.169.254/latest/meta-data\n"
    )
    r = await controller.client.post(
        "/api/v1/cameras/import",
        files={"file": ("c.csv", text, "text/csv")},
        headers=controller.auth(Role.technician),
    )
    assert r.status_code == 422, r.text
    bad = {(e["line"], e["field"]) for e in r.json()["errors"]}
    assert bad == {(3, "url"), (4, "onvif_url")}, r.text


@pytest.mark.parametrize(("host", "why"), [("127.0.0.1", "loopback"), ("169.254.10.20", "link-local")])
async def test_endpoint_hosts_are_refused_when_saved(controller, host, why):
    body = {
        "name": "Phòng họp",
        "unit": "DEMO-H01-X01",
        "host": host,
        "username": "admin",
        "password": "pw-123456",
        "profile": "cisco-roomos",
    }
    r = await controller.client.post("/api/v1/endpoints", json=body, headers=controller.auth(Role.technician))
    refused_field(r, "host", why)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"url": "https://127.0.0.1/hook"}, "loopback"),
        ({"url": "http://localhost:8000/api/v1/users"}, "loopback"),
        ({"url": "https://169.254.169.254/latest"}, "link-local"),
        ({"kind": "mqtt", "url": "mqtts://[::1]:8883/diemcau", "password": "x"}, "loopback"),
    ],
)
async def test_sinks_to_refused_addresses_are_422(controller, body, why):
    r = await controller.client.post(
        "/api/v1/sinks", json={"name": "IOC"} | body, headers=controller.auth(Role.admin)
    )
    refused_field(r, "url", why)


@pytest.mark.parametrize("controller_settings", [{"device_networks": ["10.0.0.0/8", "fd00::/8"]}])
async def test_device_networks_narrow_what_may_be_saved(controller):
    assert (await post_camera(controller, url="rtsp://10.20.30.40/live")).status_code == 201
    assert (await post_camera(controller, url="rtsp://[fd00::5]/live")).status_code == 201
    refused_field(
        await post_camera(controller, url="rtsp://192.168.1.5/live"), "url", "DIEMCAU_DEVICE_NETWORKS"
    )
    # a DNS name is checked when it is connected to: where it points may change after saving
    assert (await post_camera(controller, url="rtsp://cam.xa.example/live")).status_code == 201


async def test_a_webhook_name_resolving_to_loopback_is_refused_when_connecting(controller):
    """A sink saved when its name pointed elsewhere (or written by hand): delivery resolves and refuses."""
    async with running_receiver() as rx:
        async with controller.state.db.transaction() as session:
            session.add(
                Sink(
                    name="rebound",
                    kind="webhook",
                    url=f"http://localhost:{rx.port}/hook",
                    secret_enc=controller.state.box.encrypt(new_secret()),
                    event_types=[],
                    cursor=0,
                    created_by="test",
                )
            )
            emit(session, controller.state.signal, "endpoint.state", "endpoint", "ep-1", {"state": "online"})
        await controller.state.sinks.reconcile()

        error = await refused_delivery(controller)
        assert "loopback" in error and "localhost" in error, error
        assert rx.received == [] and rx.refused == rx.bad_signatures == 0  # nothing reached it


async def test_an_mqtt_broker_name_resolving_to_loopback_is_refused_when_connecting(controller):
    async with controller.state.db.transaction() as session:
        session.add(
            Sink(
                name="broker",
                kind="mqtt",
                url=f"mqtt://localhost:{free_port()}/diemcau",
                event_types=[],
                cursor=0,
                created_by="test",
            )
        )
        emit(session, controller.state.signal, "endpoint.state", "endpoint", "ep-1", {"state": "online"})
    await controller.state.sinks.reconcile()

    error = await refused_delivery(controller)
    assert "loopback" in error, error


async def test_an_rtsp_name_resolving_to_loopback_is_refused_before_ffmpeg_connects(controller):
    connections = 0

    async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.close()

    server = await asyncio.start_server(count, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        cam_id = uuid.uuid4()
        unit = (await controller.client.get("/api/v1/units/DEMO", headers=controller.auth(Role.admin))).json()
        async with controller.state.db.transaction() as session:
            session.add(
                Camera(
                    id=cam_id, name="rebound", unit_id=uuid.UUID(unit["id"]), url=f"rtsp://localhost:{port}/x"
                )
            )
        async with controller.state.db.transaction() as session:
            cam = await session.get(Camera, cam_id)
        source = controller.state.cameras.source(cam)
        async with source.subscribe():
            error = await until(lambda: source.stats.last_error, what="the pull's first attempt")
        assert "loopback" in error and "localhost" in error, error
        assert connections == 0
    finally:
        server.close()
        await server.wait_closed()


async def test_an_endpoint_saved_before_the_policy_is_refused_when_connecting(controller):
    """A row stored with a loopback host (an older version, or a name re-pointed since) is
    refused at every SSH connect: the device gets no TCP connection, let alone a password."""
    from endpoints.sim import Fleet
    from tests.controller.fleet_helpers import run_job

    async with Fleet(1, units=["DEMO-H01-X01"], latency_ms=0) as fleet:
        device = fleet[0]
        body = {
            "name": "old-row",
            "unit": "DEMO-H01-X01",
            "host": "10.0.0.5",
            "port": device.port,
            "username": device.username,
            "password": device.password,
            "profile": device.state.family,
        }
        r = await controller.client.post(
            "/api/v1/endpoints", json=body, headers=controller.auth(Role.technician)
        )
        assert r.status_code == 201, r.text
        from controller.models import Endpoint

        async with controller.state.db.transaction() as session:
            ep = await session.get(Endpoint, uuid.UUID(r.json()["id"]))
            ep.host = "localhost"
        _, items = await run_job(controller, "/api/v1/provisioning/jobs", {"endpoints": [r.json()["id"]]})
        assert items[0]["error_code"] == "address_refused", items[0]
        assert "loopback" in items[0]["message"], items[0]
        assert fleet.stats()[device.state.name]["connections"] == 0
        assert fleet.stats()[device.state.name]["passwords"] == 0

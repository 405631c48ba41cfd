"""A camera's password never leaves: not in a route, an event, an alarm, a log line, a job item
or a payload a sink delivers, even when the stream fails and the failure is reported everywhere.

The camera below has a password and a stream that cannot open (nothing listens on its port), so
its failure travels every path a reason takes: health, `camera.state` events, the offline alarm,
MQTT retained topics, webhooks, the provisioning job's verify step. FFmpeg's own error text names
the URL it failed to open, credentials and all; this is what the test catches.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from urllib.parse import quote

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import text
from starlette.routing import Mount

from camera.sim.process import CameraSimProcess
from controller.bench.harness import free_port
from controller.bench.mosquitto import PASSWORD, MosquittoBroker
from controller.bench.webhook_receiver import running_receiver
from controller.roles import Role
from tests.controller.camera_helpers import SAMPLING
from tests.controller.test_mqtt import subscriber
from tests.support.sse import read_events
from tests.support.waiting import until

SECRET = "Cam-S3cret!77"
NEEDLES = (SECRET, quote(SECRET, safe=""), quote(SECRET))


@pytest.fixture
def controller_settings() -> dict:
    return SAMPLING | {
        "camera_onvif_timeout_s": 3,
        "webhook_backoff_base_s": 0.05,
        "webhook_backoff_max_s": 0.3,
    }


def served_gets(app) -> list[str]:
    """Every path the application answers GET on, hidden routes included."""
    return [
        c.path
        for c in iter_route_contexts(app.routes)
        if not isinstance(c.original_route, Mount) and "GET" in (c.methods or ())
    ]


def leaks(texts: list[str]) -> list[str]:
    return [t[:300] for t in texts if any(n in t for n in NEEDLES)]


async def test_an_offline_cameras_password_is_never_shown(controller, caplog):
    caplog.set_level(logging.DEBUG)
    c, tech, admin = controller.client, controller.auth(Role.technician), controller.auth(Role.admin)
    closed = free_port()  # nothing listens: the RTSP open fails with FFmpeg's own message
    mqtt_seen: list = []
    with (
        CameraSimProcess(1, fps=10, onvif=True, onvif_password=SECRET) as cams,
        MosquittoBroker() as broker,
    ):
        async with running_receiver() as rx, subscriber(broker, mqtt_seen):
            r = await c.post("/api/v1/sinks", json={"name": "IOC", "url": rx.url}, headers=admin)
            assert r.status_code == 201, r.text
            rx.secret, webhook_sink = r.json()["secret"], r.json()["id"]
            r = await c.post(
                "/api/v1/sinks",
                json={
                    "name": "IOC-MQTT",
                    "kind": "mqtt",
                    "url": broker.url,
                    "password": PASSWORD,
                },
                headers=admin,
            )
            assert r.status_code == 201, r.text
            await controller.state.sinks.reconcile()

            r = await c.post(
                "/api/v1/cameras",
                json={
                    "name": "Một cửa",
                    "unit": "DEMO-H01-X01",
                    "url": f"rtsp://admin:{quote(SECRET, safe='')}@127.0.0.1:{closed}/stream",
                    "onvif_url": cams.onvif["1"],
                },
                headers=tech,
            )
            assert r.status_code == 201, r.text
            cam = r.json()
            assert cam["username"] == "admin"

            async def offline_alarm() -> bool:
                r = await c.get("/api/v1/alarms", params={"status": "active"}, headers=tech)
                return any(a["kind"] == "camera_offline" for a in r.json()["items"])

            await until(offline_alarm, what="camera_offline alarm")
            health = (await c.get(f"/api/v1/cameras/{cam['id']}/health", headers=tech)).json()
            # The reason still says what failed, and where, without the password.
            assert health["state"] == "offline"
            assert "Connection refused" in health["reason"] or "refused" in health["reason"].lower(), health

            r = await c.put("/api/v1/standards/camera_resolution", json={"value": "320x180"}, headers=tech)
            assert r.status_code == 200, r.text
            r = await c.post(
                "/api/v1/provisioning/cameras", json={"cameras": [cam["id"]], "mode": "apply"}, headers=tech
            )
            assert r.status_code == 202, r.text
            job = r.json()["id"]

            async def job_done() -> bool:
                status = (await c.get(f"/api/v1/jobs/{job}", headers=tech)).json()["status"]
                return status in ("done", "failed", "halted")

            await until(job_done, what="camera provisioning job finished")
            await until(lambda: bool(rx.received), what="webhook deliveries")
            await until(
                lambda: any("/camera/" in t and t.endswith("/state") for t, _, _ in mqtt_seen),
                what="camera state on MQTT",
            )

            bodies: list[str] = []
            routes = [
                "/api/v1/cameras",
                f"/api/v1/cameras/{cam['id']}",
                f"/api/v1/cameras/{cam['id']}/health",
                f"/api/v1/cameras/{cam['id']}/health/history",
                "/api/v1/health/summary",
                "/api/v1/alarms?status=active",
                "/api/v1/alarms?status=cleared",
                f"/api/v1/jobs/{job}",
                f"/api/v1/jobs/{job}/items",
                "/api/v1/jobs",
                "/api/v1/audit?limit=1000",
                "/api/v1/relay/stats",
                "/api/v1/sinks",
                "/metrics",
            ]
            for role in Role:
                for url in routes:
                    r = await c.get(url, headers=controller.auth(role))
                    bodies.append(r.text)
            # every other route that answers GET, as the admin (who is shown the most)
            ids = {"camera_id": cam["id"], "job_id": job, "ref": "DEMO-H01-X01", "sink_id": webhook_sink}
            for path in served_gets(controller.app):
                url = re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), uuid.uuid4())), path)
                known = all(name in ids for name in re.findall(r"\{(\w+)\}", path))
                if path.endswith("/events") and known:  # a stream: its first event is the snapshot
                    bodies += [
                        json.dumps(d) for _, _, d in await read_events(controller.app, url, admin, count=1)
                    ]
                elif not path.endswith("/events/stream"):  # read from the start below
                    bodies.append((await c.get(url, headers=admin)).text)
            async with controller.state.db.transaction() as s:
                events = (await s.execute(text("SELECT count(*) FROM outbox"))).scalar_one()
            sse = await read_events(
                controller.app, "/api/v1/events/stream", admin, count=events, query="after=0"
            )
            async with controller.state.db.transaction() as s:
                stored = {
                    table: [str(row) for row in (await s.execute(text(f"SELECT * FROM {table}"))).all()]
                    for table in (
                        "outbox",
                        "alarms",
                        "alarm_history",
                        "camera_health",
                        "camera_samples",
                        "job_items",
                        "sink_deliveries",
                        "audit_log",
                    )
                }
    item = json.loads(bodies[routes.index(f"/api/v1/jobs/{job}/items")])[0]
    assert item["status"] in ("error", "failed", "verify_failed"), item
    assert any(e == "camera.state" for e, _, _ in sse), [e for e, _, _ in sse]
    haystacks = {
        "responses": bodies,
        "events": [json.dumps(d) for _, _, d in sse],
        "webhooks": [json.dumps(p) for p in rx.received],
        "mqtt": [json.dumps(m) for m in mqtt_seen],
        "logs": [r.getMessage() for r in caplog.records] + [caplog.text],
        **stored,
    }
    for where, texts in haystacks.items():
        assert not leaks(texts), f"the camera password is in {where}: {leaks(texts)[:2]}"
    # the failure still names the place: host and port, no userinfo
    assert re.search(rf"127\.0\.0\.1:{closed}", json.dumps(haystacks["events"])) or any(
        str(closed) in b for b in bodies
    )

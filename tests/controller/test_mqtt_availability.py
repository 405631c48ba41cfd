"""The MQTT contract an operations centre relies on, against a real mosquitto: the
controller's availability (a Last Will the broker publishes when the controller is killed),
topics down the unit tree by code (one district is one wildcard), Home Assistant discovery."""

from __future__ import annotations

import asyncio
import json
import time

import aiomqtt
import httpx
import pytest
from sqlalchemy import select

from controller.bench.harness import ControllerProcess
from controller.bench.mosquitto import PASSWORD, USER, MosquittoBroker
from controller.events import emit
from controller.models import Unit
from controller.roles import Role
from tests.controller.test_mqtt import add_sink, subscriber, until


@pytest.fixture
def controller_settings() -> dict:
    return {"webhook_timeout_s": 2, "mqtt_discovery_prefix": "homeassistant"}


@pytest.fixture
def broker():
    with MosquittoBroker() as b:
        yield b


async def retained(broker: MosquittoBroker, topic: str, wait_s: float = 3.0) -> bytes | None:
    """The retained message of ``topic`` as a dashboard connecting now would get it."""
    async with aiomqtt.Client("127.0.0.1", broker.port, username=USER, password=PASSWORD) as client:
        await client.subscribe(topic, qos=1)
        try:
            async with asyncio.timeout(wait_s):
                async for m in client.messages:
                    return bytes(m.payload)
        except TimeoutError:
            return None
    return None


async def test_a_killed_controller_is_reported_offline_by_the_broker(broker):
    with ControllerProcess(
        settings={"DIEMCAU_MQTT_KEEPALIVE_S": "1", "DIEMCAU_SINK_ALLOW_PLAINTEXT": "true"}
    ) as ctl:
        token = await asyncio.to_thread(ctl.token)
        async with httpx.AsyncClient(timeout=10) as http:
            r = await http.post(
                f"{ctl.url}/api/v1/sinks",
                json={"name": "IOC", "kind": "mqtt", "url": broker.url, "password": PASSWORD},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert r.status_code == 201, r.text
        deadline = time.monotonic() + 20
        while await retained(broker, "diemcau/status", 1) != b"online":  # no event needed: it says so at once
            assert time.monotonic() < deadline, "the controller never said it is online"
        killed = time.monotonic()
        ctl.kill()  # SIGKILL: no goodbye; the broker sends the Will
        while (now := await retained(broker, "diemcau/status", 1)) != b"offline":
            assert time.monotonic() - killed < 10, f"still {now!r} 10 s after the kill"
        assert time.monotonic() - killed < 5  # within 1.5 keep-alive intervals of 1 s, plus our polling


async def test_one_district_is_one_wildcard_and_topics_name_units_and_endpoints_by_code(controller, broker):
    async with controller.state.db.transaction() as session:
        paths = {u.code: u.path for u in await session.scalars(select(Unit))}
    chain = [
        c for c, p in sorted(paths.items(), key=lambda kv: len(kv[1])) if paths["DEMO-H01-X02"].startswith(p)
    ]
    district = "diemcau/" + "/".join(chain[:-1]) + "/#"  # ... /DEMO-H01/#
    received: list = []
    async with subscriber(broker, received, topic=district):
        await add_sink(controller, broker.url, password=PASSWORD)
        async with controller.state.db.transaction() as session:
            for code, name in (("DEMO-H01-X02", "Phòng họp xã 1.02"), ("DEMO-H02-X01", "Phòng họp xã 2.01")):
                emit(
                    session,
                    controller.state.signal,
                    "endpoint.state",
                    "endpoint",
                    f"id-{code}",
                    {"name": name, "new": "online"},
                    unit_path=paths[code],
                )
        await until(lambda: len([t for t, _, _ in received if not t.startswith("homeassistant")]) >= 1)
        await asyncio.sleep(0.5)  # the other district's event would have arrived by now
    topics = [t for t, _, _ in received]
    assert topics == ["diemcau/" + "/".join(chain) + "/endpoint/Phòng họp xã 1.02/state"], topics
    assert chain[-2:] == ["DEMO-H01", "DEMO-H01-X02"]
    body = received[0][1]
    assert body["entity"]["id"] == "id-DEMO-H01-X02" and body["data"]["name"] == "Phòng họp xã 1.02"


async def test_home_assistant_discovery_announces_each_entity_once_per_connection(controller, broker):
    async with controller.state.db.transaction() as session:
        path = await session.scalar(select(Unit.path).where(Unit.code == "DEMO-H01-X01"))
    configs: list = []
    async with subscriber(broker, configs, name="ha", topic="homeassistant/#"):
        await add_sink(controller, broker.url, password=PASSWORD)
        for state in ("online", "offline"):
            async with controller.state.db.transaction() as session:
                emit(
                    session,
                    controller.state.signal,
                    "endpoint.state",
                    "endpoint",
                    "e-1",
                    {"name": "vc001", "new": state},
                    unit_path=path,
                )
        await until(lambda: len(configs) >= 2)
        await asyncio.sleep(0.5)
    by_topic = {t: b for t, b, _ in configs}
    assert sorted(by_topic) == [
        "homeassistant/binary_sensor/diemcau_endpoint_e-1_up/config",
        "homeassistant/sensor/diemcau_endpoint_e-1_state/config",
    ]  # once, not once per event
    up = by_topic["homeassistant/binary_sensor/diemcau_endpoint_e-1_up/config"]
    assert up["device_class"] == "connectivity" and up["availability_topic"] == "diemcau/status"
    assert up["state_topic"].endswith("/DEMO-H01-X01/endpoint/vc001/state")
    assert up["device"]["identifiers"] == ["diemcau_endpoint_e-1"]
    # the template turns our state event into HA's ON/OFF (evaluated here the way Jinja would)
    assert "value_json.data.new in [" in up["value_template"] and "'offline'" in up["value_template"]
    r = await controller.client.get("/api/v1/sinks", headers=controller.auth(Role.admin))
    assert r.json()[0]["backlog"] == {"delivered": 2}
    assert json.dumps(by_topic, ensure_ascii=False)  # every config is JSON the broker kept

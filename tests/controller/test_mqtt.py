"""Outbox to a real mosquitto: QoS 1, topics down the unit tree by code, last state retained,
the controller's availability (a Last Will), nothing lost when the broker is down for a while,
a clear error on bad credentials, Home Assistant discovery when asked."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import aiomqtt
import pytest

from controller.bench.mosquitto import PASSWORD, USER, MosquittoBroker
from controller.events import emit
from controller.ioc.mqtt import parse_mqtt_url, topic_for
from controller.models import OutboxEvent
from controller.roles import Role


@pytest.fixture
def controller_settings() -> dict:
    return {"webhook_backoff_base_s": 0.05, "webhook_backoff_max_s": 0.3, "webhook_timeout_s": 2}


@pytest.fixture
def broker():
    with MosquittoBroker() as b:
        yield b


def event(type_: str, entity_type: str, entity_id: str, unit_path: str | None, **payload) -> OutboxEvent:
    return OutboxEvent(
        id=1, type=type_, entity_type=entity_type, entity_id=entity_id, unit_path=unit_path, payload=payload
    )


def test_topics_down_the_unit_tree_by_code():
    u = "/prov/dist/comm/"
    codes = ["TW", "DEMO", "DEMO-H01", "DEMO-H01-X01"]
    assert topic_for("diemcau", event("endpoint.state", "endpoint", "e1", u, name="vc001"), codes) == (
        "diemcau/TW/DEMO/DEMO-H01/DEMO-H01-X01/endpoint/vc001/state",
        True,
    )
    assert topic_for(
        "d", event("alarm.raised", "camera", "c1", u, kind="camera_black", entity_name="Cam 1"), codes[:2]
    ) == (
        "d/TW/DEMO/camera/Cam 1/alarm/camera_black",
        True,
    )
    assert topic_for("d", event("session.started", "session", "s1", None), []) == (
        "d/session/s1/event/session.started",
        False,
    )
    # a name or code can neither add topic levels nor turn into a wildcard
    assert (
        topic_for("d", event("endpoint.state", "endpoint", "e1", u, name="a/+/#"), ["X/+"])[0]
        == "d/X__/endpoint/a____/state"
    )


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://broker/x", "mqtt:// or mqtts://"),
        ("mqtt://u:pw@broker", "password apart"),
        ("mqtt:///prefix", "host"),
        ("mqtt://broker/a/+/b", "prefix"),
        ("mqtt://broker:99999", "port"),
    ],
)
def test_bad_broker_urls(url, error):
    with pytest.raises(ValueError, match=error):
        parse_mqtt_url(url)


def test_broker_url_defaults():
    t = parse_mqtt_url("mqtts://ioc@broker.tinh.example")
    assert (t.host, t.port, t.tls, t.prefix, t.username) == (
        "broker.tinh.example",
        8883,
        True,
        "diemcau",
        "ioc",
    )


STATUS = "diemcau/status"


@contextlib.asynccontextmanager
async def subscriber(
    broker: MosquittoBroker,
    received: list,
    name: str = "ioc-dash",
    topic: str = "diemcau/#",
    status: list | None = None,
) -> AsyncIterator[None]:
    """A dashboard with a persistent session: the broker queues QoS 1 messages while it is away.
    The controller's availability (``diemcau/status``) goes to ``status``, not ``received``."""
    async with aiomqtt.Client(
        "127.0.0.1", broker.port, username=USER, password=PASSWORD, identifier=name, clean_session=False
    ) as client:
        await client.subscribe(topic, qos=1)

        async def collect() -> None:
            async for m in client.messages:
                if str(m.topic) == STATUS:
                    if status is not None:
                        status.append((bytes(m.payload), m.retain))
                    continue
                received.append((str(m.topic), json.loads(m.payload) if m.payload else None, m.retain))

        task = asyncio.create_task(collect())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def add_sink(ctl, url: str, **extra) -> dict:
    r = await ctl.client.post(
        "/api/v1/sinks",
        json={"name": "IOC-MQTT", "kind": "mqtt", "url": url} | extra,
        headers=ctl.auth(Role.admin),
    )
    assert r.status_code == 201, r.text
    await ctl.state.sinks.reconcile()
    return r.json()


async def emit_states(ctl, entities: int, seqs: range) -> None:
    for n in seqs:
        async with ctl.state.db.transaction() as session:
            for e in range(entities):
                emit(
                    session,
                    ctl.state.signal,
                    "endpoint.state",
                    "endpoint",
                    f"ep-{e}",
                    {"seq": n},
                    unit_path=f"/prov/unit-{e % 2}/",
                )


async def until(predicate, limit_s: float = 20, state=lambda: None) -> None:
    for _ in range(int(limit_s / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition not reached: {state()}")


def per_entity(received: list) -> dict[str, list[int]]:
    seqs: dict[str, list[int]] = {}
    for topic, body, _ in received:
        if body and body["type"] == "endpoint.state":
            seqs.setdefault(topic, []).append(body["data"]["seq"])
    return seqs


async def test_delivered_at_qos1_in_order_and_the_last_state_retained(controller, broker):
    received: list = []
    status: list = []
    async with subscriber(broker, received, status=status):
        sink = await add_sink(controller, broker.url, password=PASSWORD)
        assert sink["secret"] is None and "password" not in sink
        await emit_states(controller, entities=6, seqs=range(4))
        async with controller.state.db.transaction() as session:
            alarm = {"kind": "endpoint_offline", "status": "active", "message": "offline"}
            emit(session, None, "alarm.raised", "endpoint", "ep-0", alarm, unit_path="/prov/unit-0/")
            emit(
                session,
                None,
                "alarm.cleared",
                "endpoint",
                "ep-0",
                alarm | {"status": "cleared"},
                "/prov/unit-0/",
            )
            emit(session, controller.state.signal, "session.started", "session", "s-1", {"title": "Giao ban"})
        await until(lambda: len(received) == 27)
    assert (b"online", False) in status  # the sink said the controller is up (live, to a subscriber)
    seqs = per_entity(received)
    # units the tree does not know keep their ids as levels: nothing is merged or lost
    assert seqs == {f"diemcau/prov/unit-{e % 2}/endpoint/ep-{e}/state": [0, 1, 2, 3] for e in range(6)}
    topics = [t for t, _, _ in received]
    assert topics.count("diemcau/prov/unit-0/endpoint/ep-0/alarm/endpoint_offline") == 2
    assert "diemcau/session/s-1/event/session.started" in topics

    late: list = []  # a dashboard that connects now gets the current picture at once
    late_status: list = []
    async with subscriber(broker, late, name="late-dash", status=late_status):
        await until(lambda: len(late) == 7 and late_status)
    assert late_status == [(b"online", True)]
    retained = {t: (body, retain) for t, body, retain in late}
    assert all(retain for _, retain in retained.values())
    assert {t: b["data"]["seq"] for t, (b, _) in retained.items() if t.endswith("/state")} == {
        f"diemcau/prov/unit-{e % 2}/endpoint/ep-{e}/state": 3 for e in range(6)
    }
    alarm_now = retained["diemcau/prov/unit-0/endpoint/ep-0/alarm/endpoint_offline"][0]
    assert alarm_now["data"]["status"] == "cleared"  # the retained alarm says it is over
    assert "diemcau/session/s-1/event/session.started" not in retained  # events are not retained

    r = await controller.client.get("/api/v1/sinks", headers=controller.auth(Role.admin))
    assert r.json()[0]["backlog"] == {"delivered": 27}


async def test_broker_outage_then_everything_arrives_in_order(controller, broker):
    received: list = []
    async with subscriber(broker, received):  # registers the persistent session
        sink = await add_sink(controller, broker.url, password=PASSWORD)
        await emit_states(controller, entities=8, seqs=range(2))
        await until(lambda: len(received) == 16)
    broker.stop()
    await emit_states(controller, entities=8, seqs=range(2, 5))  # 24 events while the broker is down
    h = controller.auth(Role.admin)

    async def failing() -> list[dict]:
        r = await controller.client.get(
            f"/api/v1/sinks/{sink['id']}/deliveries", params={"status": "pending"}, headers=h
        )
        return [d for d in r.json()["items"] if d["attempts"] >= 1]

    for _ in range(200):
        if await failing():
            break
        await asyncio.sleep(0.05)
    tried = await failing()
    assert tried and all(d["last_error"] for d in tried)  # the technician sees why
    broker.start()
    async with subscriber(broker, received):
        # live messages only: subscribing again also brings the retained states
        await until(
            lambda: len([m for m in received if not m[2]]) == 40,
            state=lambda: (per_entity([m for m in received if not m[2]]), controller.state.sinks.delivered),
        )
        await asyncio.sleep(0.3)
    live = [m for m in received if not m[2]]
    assert len(live) == 40  # nothing lost, nothing twice
    assert per_entity(live) == {
        f"diemcau/prov/unit-{e % 2}/endpoint/ep-{e}/state": [0, 1, 2, 3, 4] for e in range(8)
    }


async def test_wrong_password_is_reported_per_delivery(controller, broker):
    sink = await add_sink(controller, broker.url, password="wrong")
    await emit_states(controller, entities=1, seqs=range(1))
    h = controller.auth(Role.admin)
    for _ in range(200):
        r = await controller.client.get(f"/api/v1/sinks/{sink['id']}/deliveries", headers=h)
        items = r.json()["items"]
        if items and items[0]["attempts"] >= 1:
            break
        await asyncio.sleep(0.05)
    assert items[0]["status"] == "pending" and "Not authorized" in items[0]["last_error"], items


async def test_mqtt_sink_validation(controller):
    h = controller.auth(Role.admin)
    cases = [
        ({"url": "mqtt://10.0.0.5/diemcau"}, "url"),  # plaintext beyond loopback
        ({"url": "mqtt://u:pw@127.0.0.1/x"}, "url"),  # a password inside the URL would be stored
        ({"url": "mqtts://broker/x", "secret": "whsec_MTIzNDU2Nzg5MA=="}, "secret"),
        ({"url": "mqtts://broker/x", "password": "a\nb"}, "password"),
    ]
    for body, field in cases:
        r = await controller.client.post(
            "/api/v1/sinks", json={"name": "m", "kind": "mqtt"} | body, headers=h
        )
        assert r.status_code == 422, (body, r.text)
        assert field in json.dumps(r.json()), (body, r.json())
    r = await controller.client.post(
        "/api/v1/sinks",
        json={"name": "w", "url": "https://ioc.tinh.example/hook", "password": "x"},
        headers=h,
    )
    assert r.status_code == 422 and "password" in r.text
    r = await controller.client.post(
        "/api/v1/sinks",
        json={"name": "m", "kind": "mqtt", "url": "mqtts://ioc@broker.tinh.example"},
        headers=h,
    )
    assert r.status_code == 201 and r.json()["url"] == "mqtts://ioc@broker.tinh.example"

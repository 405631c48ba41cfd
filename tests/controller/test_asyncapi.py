"""/asyncapi.json is the events' contract, and a true one.

- It is a valid AsyncAPI 3.0.0 document (the official JSON Schema, from ``@asyncapi/specs``
  installed by ``make setup``), public like /openapi.json.
- What the JSON Schema cannot see is checked here: every ``$ref`` resolves, an operation's
  messages are references into its own channel's messages, every address parameter is
  declared (and none has a 2.x ``schema``), and every event type of the catalogue is on the
  webhook, on the stream and in exactly one MQTT topic family.
- The validator and the checks can fail: broken copies are refused.
- Real events, made by the real code paths (a fleet polled over SSH, an alarm taken, a
  session run, a readiness check, a camera that does not answer) and captured where a
  consumer would (a webhook POST at an HTTP receiver, MQTT messages at a real mosquitto, the
  SSE stream), validate against the schemas the document gives their message, have no field
  it does not document, and each MQTT topic matches exactly one channel address.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import jsonschema_rs
import pytest
from sqlalchemy import select

from controller.bench.mosquitto import PASSWORD, USER, MosquittoBroker
from controller.events import EVENT_TYPES
from controller.ioc.signing import verify
from controller.models import OutboxEvent
from controller.roles import Role
from endpoints.sim import Fleet
from tests.controller.camera_helpers import SAMPLING
from tests.controller.fleet_helpers import register_fleet
from tests.controller.session_helpers import all_in, start_session, wait_for
from tests.controller.test_readiness import board, bridge_with_test_number, by_name, finished, start_run
from tests.support.http_peer import Peer, serving
from tests.support.sse import read_events
from tests.support.waiting import until

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "tests/support/asyncapi/node_modules/@asyncapi/specs/schemas/3.0.0-without-$id.json"
DRAFT_07 = "http://json-schema.org/draft-07/schema#"
PREFIX = "diemcau"  # the MQTT sink's topic prefix (its URL's path)
DISCOVERY = "homeassistant"
UNITS = ["DEMO-H01-X01", "DEMO-H02-X01"]


@pytest.fixture
def controller_settings() -> dict:
    return SAMPLING | {
        "monitor_interval_s": 0.3,
        "monitor_fail_after": 2,
        "monitor_recover_after": 2,
        "alarm_correlation_s": 0.6,
        "camera_open_timeout_s": 1,
        "mqtt_discovery_prefix": DISCOVERY,
        "webhook_backoff_base_s": 0.05,
        "webhook_backoff_max_s": 0.3,
        "webhook_timeout_s": 5,
        "session_setup_poll_s": 0.2,
        "session_end_confirm_s": 5,
        "readiness_setup_s": 5,
        "readiness_window_s": 1.5,
    }


@pytest.fixture(scope="module")
def spec_validator() -> jsonschema_rs.Validator:
    if not SPEC.is_file():
        pytest.fail(f"the AsyncAPI 3.0.0 JSON Schema is missing ({SPEC.relative_to(ROOT)}): run `make setup`")
    return jsonschema_rs.validator_for(json.loads(SPEC.read_text(encoding="utf-8")))


async def served(ctl) -> dict[str, Any]:
    r = await ctl.client.get("/asyncapi.json")  # no credentials: public, like /openapi.json
    assert r.status_code == 200 and r.headers["content-type"] == "application/json", r.text
    return r.json()


def spec_errors(validator: jsonschema_rs.Validator, doc: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.instance_path))}: {e.message[:300]}" for e in validator.iter_errors(doc)]


# --- what the JSON Schema cannot check ---------------------------------------------------------


def resolve(doc: dict[str, Any], ref: str) -> Any:
    """The object a local ``$ref`` points at; KeyError if there is none."""
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def refs(node: Any, where: str = "#") -> Iterator[tuple[str, str]]:
    """(where, $ref) of every reference in the document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield where, value
            else:
                yield from refs(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from refs(value, f"{where}/{i}")


def semantic_problems(doc: dict[str, Any]) -> list[str]:
    problems = []
    for where, ref in refs(doc):
        try:
            resolve(doc, ref)
        except (KeyError, AssertionError):
            problems.append(f"{where}: {ref} resolves to nothing")
    for name, op in doc["operations"].items():
        channel_ref = op["channel"]["$ref"]
        channel_key = channel_ref.removeprefix("#/channels/")
        for m in op.get("messages", []):
            key = m["$ref"].removeprefix(f"{channel_ref}/messages/")
            if key == m["$ref"] or key not in doc["channels"].get(channel_key, {}).get("messages", {}):
                problems.append(f"operation {name}: {m['$ref']} is not a message of {channel_ref}")
    for name, channel in doc["channels"].items():
        params = set(channel.get("parameters", {}))
        used = set(re.findall(r"\{(\w+)\}", channel.get("address") or ""))
        if params != used:
            problems.append(
                f"channel {name}: parameters {sorted(params)} but the address uses {sorted(used)}"
            )
        problems += [
            f"channel {name}: parameter {p} has a schema"
            for p, v in channel.get("parameters", {}).items()
            if "schema" in v
        ]
    for name, server in doc["servers"].items():
        used = set(re.findall(r"\{(\w+)\}", server["host"] + server.get("pathname", "")))
        if used != set(server.get("variables", {})):
            problems.append(
                f"server {name}: variables {sorted(server.get('variables', {}))}, uses {sorted(used)}"
            )
    return problems


async def test_the_served_document_is_valid_asyncapi_3_and_complete(controller, spec_validator):
    doc = await served(controller)
    assert doc["asyncapi"] == "3.0.0"
    assert spec_errors(spec_validator, doc) == []
    assert semantic_problems(doc) == []
    assert all(op["action"] == "send" for op in doc["operations"].values())  # it describes the controller

    # every event type the controller can emit, on every transport
    channels = doc["channels"]
    assert list(channels["webhook"]["messages"]) == list(EVENT_TYPES)
    assert list(channels["stream"]["messages"]) == list(EVENT_TYPES)
    families = [set(channels[f]["messages"]) for f in ("state", "alarm", "event")]
    assert sorted(t for f in families for t in f) == sorted(EVENT_TYPES)  # each in exactly one
    assert channels["eventOfNoUnit"]["messages"] == channels["event"]["messages"]
    # the settings: the Will and keep-alive of the broker, discovery only when asked for
    broker = doc["servers"]["broker"]["bindings"]["mqtt"]
    assert broker["lastWill"] == {"topic": f"{PREFIX}/status", "qos": 1, "message": "offline", "retain": True}
    assert broker["keepAlive"] == controller.settings.mqtt_keepalive_s
    assert channels["haDiscovery"]["address"].startswith(f"{DISCOVERY}/")
    assert channels["stream"]["address"] == "/api/v1/events/stream"
    assert set(doc["operations"]["sendStream"]["bindings"]["http"]["query"]["properties"]) == {
        "unit",
        "after",
        "types",
    }
    assert doc["servers"]["controller"]["host"] == "testserver"
    # the webhook's signature headers are documented on each of its messages
    for m in channels["webhook"]["messages"].values():
        headers = resolve(doc, resolve(doc, m["$ref"])["headers"]["$ref"])
        assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= set(headers["required"])


async def test_broken_documents_are_refused(controller, spec_validator):
    """The validator and the checks above can fail: each broken copy is caught."""
    doc = await served(controller)
    publish = copy.deepcopy(doc)
    publish["operations"]["sendState"]["action"] = "publish"  # AsyncAPI 2's word
    subscribe = copy.deepcopy(doc)
    subscribe["channels"]["state"]["subscribe"] = {"message": {"payload": {"type": "string"}}}
    schema_param = copy.deepcopy(doc)
    schema_param["channels"]["state"]["parameters"]["units"]["schema"] = {"type": "string"}
    no_host = copy.deepcopy(doc)
    del no_host["servers"]["broker"]["host"]
    for broken in (publish, subscribe, schema_param, no_host):
        assert spec_errors(spec_validator, broken)

    into_components = copy.deepcopy(doc)  # valid to the JSON Schema, wrong to AsyncAPI 3
    into_components["operations"]["sendState"]["messages"] = [{"$ref": "#/components/messages/EndpointState"}]
    dangling = copy.deepcopy(doc)
    dangling["components"]["messages"]["EndpointState"]["payload"] = {"$ref": "#/components/schemas/Nope"}
    undeclared = copy.deepcopy(doc)
    del undeclared["channels"]["alarm"]["parameters"]["kind"]
    for broken in (into_components, dangling, undeclared):
        assert spec_errors(spec_validator, broken) == []
        assert semantic_problems(broken)


# --- real events against the document -----------------------------------------------------------


def payload_validator(doc: dict[str, Any], message: dict[str, Any], part: str = "payload") -> Any:
    """A draft-07 validator (AsyncAPI's schema dialect) of a message's payload or headers, its
    references resolved against the document's components; formats checked too."""
    schema = {"$schema": DRAFT_07, **message[part], "components": doc["components"]}
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def undocumented(doc: dict[str, Any], schema: dict[str, Any], value: Any, where: str = "") -> list[str]:
    """Fields of ``value`` its schema does not name (the schemas allow extra fields, as a
    consumer should; the test does not: a new field is documented first)."""
    if "$ref" in schema:
        return undocumented(doc, resolve(doc, schema["$ref"]), value, where)
    if "anyOf" in schema:
        return [
            p for s in schema["anyOf"] if s.get("type") != "null" for p in undocumented(doc, s, value, where)
        ]
    if not isinstance(value, dict) or "properties" not in schema:
        return []
    props = schema["properties"]
    out = [f"{where}/{k}" for k in value if k not in props]
    for k, v in value.items():
        if k in props:
            out += undocumented(doc, props[k], v, f"{where}/{k}")
    return out


def check(doc: dict[str, Any], message_ref: str, value: Any, what: str) -> None:
    message = resolve(doc, message_ref)
    errors = [e.message for e in payload_validator(doc, message).iter_errors(value)]
    assert errors == [], (what, errors, value)
    if "$ref" in message["payload"]:
        assert undocumented(doc, message["payload"], value) == [], (what, value)


def address_pattern(channel: dict[str, Any]) -> re.Pattern[str]:
    """A channel address as a regex, with this sink's prefix; multi-level parameters (the unit
    chain) take one level or more, an enum parameter its values, others one level."""
    address = channel["address"].replace("{prefix}", PREFIX)
    out = ""
    for literal, name in re.findall(r"([^{]*)(?:\{(\w+)\})?", address):
        out += re.escape(literal)
        if name == "units":
            out += r"[^/]+(?:/[^/]+)*"
        elif name and "enum" in channel["parameters"][name]:
            out += "(?:" + "|".join(map(re.escape, channel["parameters"][name]["enum"])) + ")"
        elif name:
            out += "[^/]+"
    return re.compile(out)


@contextlib.asynccontextmanager
async def everything_on(broker: MosquittoBroker, into: list, name: str) -> AsyncIterator[None]:
    """An MQTT client subscribed to every topic: (topic, payload bytes, retained) of each message."""
    async with aiomqtt.Client(
        "127.0.0.1", broker.port, username=USER, password=PASSWORD, identifier=name
    ) as c:
        await c.subscribe("#", qos=1)

        async def collect() -> None:
            async for m in c.messages:
                into.append((str(m.topic), bytes(m.payload), m.retain))

        task = asyncio.create_task(collect())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def http_request(raw: bytes) -> tuple[dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}, body


async def make_every_event(ctl, fleet: Fleet, tmp_path: Path) -> None:
    """Every event type, each by the code that makes it in production."""
    c, tech = ctl.client, ctl.auth(Role.technician)
    ids = await register_fleet(ctl, fleet, tmp_path)
    first, second = sorted(ids)
    cam = {"name": "Một cửa", "unit": UNITS[0], "url": "rtsp://127.0.0.1:9/cam/1"}  # nothing answers
    assert (await c.post("/api/v1/cameras", json=cam, headers=tech)).status_code == 201
    await bridge_with_test_number(ctl)
    await ctl.state.monitor.reconcile()

    async def health() -> dict[str, str]:
        r = await c.get("/api/v1/health/endpoints", headers=ctl.auth(Role.ioc_viewer))
        return {h["name"]: h["state"] for h in r.json()["items"]}

    await until(lambda: health_is(health, {first: "online", second: "online"}), what="the fleet online")

    started = await start_session(ctl, {"endpoints": list(ids.values())})  # session.started
    await wait_for(ctl, started["id"], all_in("connected"))
    r = await c.post(f"/api/v1/sessions/{started['id']}/end", headers=ctl.auth(Role.host))  # session.ended
    assert r.status_code == 200, r.text

    fleet[first].set_state(sip_registered=False)
    run = await start_run(ctl, {"scope": {"endpoints": [ids[first]]}})  # readiness.verdict
    await finished(ctl, run["id"])
    check_id = by_name(await board(ctl))[first]["id"]
    r = await c.post(  # readiness.acknowledged
        f"/api/v1/readiness/checks/{check_id}/ack",
        json={"kind": "on_my_way", "note": "Đang đến"},
        headers=tech,
    )
    assert r.status_code == 200, r.text
    fleet[first].set_state(sip_registered=True)

    await fleet[second].inject("reboot", seconds=3.0)  # endpoint.state, alarm.raised
    await ctl.state.pool.drop(ids[second])

    async def alarm_of(name: str, status: str) -> dict | None:
        r = await c.get("/api/v1/alarms", params={"status": status}, headers=tech)
        return next((a for a in r.json()["items"] if a["entity_name"] == name), None)

    alarm = await until(lambda: alarm_of(second, "active"), what="the endpoint's alarm")
    r = await c.post(f"/api/v1/alarms/{alarm['id']}/ack", json={"comment": "mất điện"}, headers=tech)
    assert r.status_code == 200, r.text  # alarm.acknowledged
    await until(lambda: alarm_of(second, "cleared"), what="the alarm cleared")  # alarm.cleared
    await until(lambda: alarm_of(cam["name"], "active"), what="the camera's alarm")  # camera.state


async def health_is(read, wanted: dict[str, str]) -> bool:
    now = await read()
    return all(now.get(k) == v for k, v in wanted.items())


async def outbox(ctl) -> list[OutboxEvent]:
    async with ctl.state.db.transaction() as session:
        return list(await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))


async def test_real_events_on_every_transport_match_the_document(controller, tmp_path):
    doc = await served(controller)
    channels = doc["channels"]
    mqtt_channels = {k: v for k, v in channels.items() if k not in ("webhook", "stream")}
    patterns = {k: address_pattern(v) for k, v in mqtt_channels.items()}
    retained_channels = {
        op["channel"]["$ref"].removeprefix("#/channels/")
        for op in doc["operations"].values()
        if op["bindings"].get("mqtt", {}).get("retain")
    }
    live: list[tuple[str, bytes, bool]] = []
    h = controller.auth(Role.admin)
    with MosquittoBroker() as broker:
        async with serving(Peer(status=200, content_type="text/plain", body=b"ok")) as receiver:
            async with everything_on(broker, live, "dashboard"):
                webhook = {"name": "IOC", "url": f"http://127.0.0.1:{receiver.port}/hook"}
                r = await controller.client.post("/api/v1/sinks", json=webhook, headers=h)
                assert r.status_code == 201, r.text
                secret = r.json()["secret"]
                mqtt = {"name": "IOC-MQTT", "kind": "mqtt", "url": broker.url, "password": PASSWORD}
                assert (
                    await controller.client.post("/api/v1/sinks", json=mqtt, headers=h)
                ).status_code == 201
                await controller.state.sinks.reconcile()

                async with Fleet(2, units=UNITS, latency_ms=0) as fleet:
                    await make_every_event(controller, fleet, tmp_path)
                    events = await outbox(controller)
                    assert {e.type for e in events} == set(EVENT_TYPES)  # the scenario made every type
                    wanted = {e.id for e in events}

                    def webhook_ids() -> set[int]:
                        return {json.loads(http_request(raw)[1])["id"] for raw in receiver.requests}

                    def mqtt_ids() -> set[int]:
                        bodies = [json.loads(p) for t, p, _ in live if not t.endswith("/status")]
                        return {b["id"] for b in bodies if "entity" in b}

                    await until(
                        lambda: wanted <= webhook_ids() and wanted <= mqtt_ids(), what="every event delivered"
                    )
            retained: list[tuple[str, bytes, bool]] = []
            async with everything_on(broker, retained, "late-dashboard"):
                await until(lambda: len({t for t, _, _ in retained}) >= 3, what="retained messages")
                await asyncio.sleep(0.5)  # a broker sends all retained messages at once on subscribe

    stream = await read_events(controller.app, "/api/v1/events/stream", h, count=len(events), query="after=0")

    # the webhook: signed headers and body as documented
    seen: dict[str, set[str]] = {"webhook": set(), "mqtt": set(), "stream": set()}
    for raw in receiver.requests:
        headers, body = http_request(raw)
        assert verify(secret, headers, body)
        value = json.loads(body)
        message_ref = channels["webhook"]["messages"][value["type"]]["$ref"]
        check(doc, message_ref, value, "webhook body")
        errors = [
            e.message
            for e in payload_validator(doc, resolve(doc, message_ref), "headers").iter_errors(headers)
        ]
        assert errors == [], (errors, headers)
        seen["webhook"].add(value["type"])
    wrong_time = copy.deepcopy(value) | {"timestamp": "yesterday"}  # the checks can fail on a payload
    with pytest.raises(AssertionError):
        check(doc, message_ref, wrong_time, "a timestamp that is none")
    with pytest.raises(AssertionError):
        check(doc, message_ref, value | {"data": value["data"] | {"surprise": 1}}, "an undocumented field")

    # MQTT: each topic in exactly one channel, each payload as that channel's message says
    for topic, raw, _ in live:
        matched = [k for k, p in patterns.items() if p.fullmatch(topic)]
        assert len(matched) == 1, (topic, matched)
        channel = mqtt_channels[matched[0]]
        if matched[0] == "status":
            message_ref = channel["messages"]["status"]["$ref"]
            value: Any = raw.decode()
        else:
            value = json.loads(raw)
            key = value["type"] if "type" in value else next(iter(channel["messages"]))
            assert key in channel["messages"], (topic, key)
            message_ref = channel["messages"][key]["$ref"]
            if "type" in value:
                seen["mqtt"].add(value["type"])
        check(doc, message_ref, value, f"MQTT {topic}")
    assert {m for m in ("status", "haDiscovery") if any(patterns[m].fullmatch(t) for t, _, _ in live)} == {
        "status",
        "haDiscovery",
    }
    # retained exactly where the operations say so: every topic of those channels, no other
    kept = {t for t, _, was in retained if was}
    assert {t for t, _, _ in live if any(patterns[k].fullmatch(t) for k in retained_channels)} <= kept
    assert all(any(patterns[k].fullmatch(t) for k in retained_channels) for t in kept), kept

    # SSE: one message per type, the frame's event and id as documented
    by_id = {e.id: e for e in events}
    for event, event_id, value in stream:
        if int(event_id) not in by_id:  # after the snapshot: the monitor seeing the fleet stop
            assert int(event_id) > max(by_id)
            continue
        assert event == by_id[int(event_id)].type
        check(doc, channels["stream"]["messages"][event]["$ref"], value, f"SSE {event}")
        seen["stream"].add(event)
    assert seen == {k: set(EVENT_TYPES) for k in seen}

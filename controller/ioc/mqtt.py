"""One event, one MQTT PUBLISH at QoS 1; the broker's PUBACK decides delivered or retry.

Topics (``<prefix>`` is the URL's path, ``diemcau`` by default; docs/MQTT.md is the scheme)::

    <prefix>/status                                                retained: online | offline (the Will)
    <prefix>/<unit code>/.../<unit code>/<endpoint|camera>/<name>/state          retained: the last state
    <prefix>/<unit code>/.../<unit code>/<endpoint|camera>/<name>/alarm/<kind>   retained: the alarm now
    <prefix>/<unit code>/.../<unit code>/<entity>/<name or id>/event/<type>      every other event
    <prefix>/<entity>/<id>/event/<type>                                          events of no unit

The units are the codes of the entity's unit chain from the root down (central, province,
district, commune), so ``<prefix>/TW/DEMO/DEMO-H01/#`` is district H01 with its communes and
``<prefix>/+/+/+/DEMO-H01-X03/#`` one commune. Retained state and alarm topics give a
dashboard that connects late the whole picture at once, as Zabbix and Home Assistant
integrations expect. An alarm keeps its topic after it clears (the retained message then says
``"status": "cleared"``), so a subscriber never mistakes an empty retained message for a
missing one.

Availability: every connection carries a Last Will, ``<prefix>/status`` = ``offline``
(retained), and publishes ``online`` (retained) as soon as it is up; a controller that stops
cleanly says ``offline`` itself. A retained state is true only while the status says
``online``: killed, the controller is reported ``offline`` by the broker within 1.5
keep-alive intervals (``DIEMCAU_MQTT_KEEPALIVE_S``). With ``DIEMCAU_MQTT_DISCOVERY_PREFIX``
(``homeassistant``), each endpoint and camera is announced to Home Assistant's MQTT
discovery the first time its state is published on a connection.

Each entity's events are published one after another (the dispatcher's chains)
and the broker keeps one topic's order, so order per entity holds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import ssl
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import aiomqtt
from pydantic import ConfigDict, Field

from camera.netpolicy import AddressRefused, NetPolicy
from camera.urls import redact
from controller.ioc.kinds import Address, SenderContext, SinkKind
from controller.ioc.schemas import MqttPassword, SinkCreateBase
from controller.ioc.webhook import event_body
from controller.models import OutboxEvent, Sink
from controller.units.codes import UnitCodes

__all__ = [
    "DEFAULT_PREFIX",
    "OFFLINE",
    "ONLINE",
    "KIND",
    "MqttSender",
    "MqttSinkCreate",
    "MqttTarget",
    "parse_mqtt_url",
    "discovery_config",
    "entity_code",
    "family",
    "status_topic",
    "topic_for",
]

DEFAULT_PREFIX = "diemcau"
SCHEMES = {"mqtt": 1883, "mqtts": 8883}
_LEVEL_UNSAFE = re.compile(r"[+#/\x00]")
# aiomqtt warns once more than 10 publishes wait for their PUBACK, which is how a sink works
# (one in flight per entity): only its errors are worth a log line.
_CLIENT_LOG = logging.getLogger("diemcau.ioc.mqtt.client")
_CLIENT_LOG.setLevel(logging.ERROR)
_PREFIX = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
ONLINE, OFFLINE = b"online", b"offline"
log = logging.getLogger("diemcau.ioc.mqtt")
# states in which a device does not answer: Home Assistant's connectivity sensor says OFF
_DOWN = (
    "offline",
    "unreachable",
    "auth_failed",
    "hostkey_mismatch",
    "hostkey_unpinned",
    "stalled",
    "unknown",
)


@dataclass(frozen=True)
class MqttTarget:
    host: str
    port: int
    tls: bool
    prefix: str
    username: str | None


def parse_mqtt_url(url: str) -> MqttTarget:
    """``mqtt[s]://[user@]host[:port][/prefix]``; ValueError says what is wrong."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ValueError("must be an mqtt:// or mqtts:// URL (mqtts://broker:8883/prefix)")
    try:
        port = parts.port or SCHEMES[scheme]
    except ValueError:
        raise ValueError("the port must be a number from 1 to 65535") from None
    if not parts.hostname:
        raise ValueError("must name the broker's host")
    if parts.password is not None:
        raise ValueError("give the password apart from the URL, not in it")
    if parts.query or parts.fragment:
        raise ValueError("must not have a ?query or #fragment")
    prefix = parts.path.strip("/") or DEFAULT_PREFIX
    if not _PREFIX.fullmatch(prefix):
        raise ValueError("the topic prefix may hold letters, digits, '_', '.', '-' and '/' only")
    username = unquote(parts.username) if parts.username else None
    return MqttTarget(parts.hostname, port, scheme == "mqtts", prefix, username)


def _level(value: str) -> str:
    """A topic level from a value: wildcards and separators cannot split or widen a topic."""
    return _LEVEL_UNSAFE.sub("_", value) or "_"


def status_topic(prefix: str) -> str:
    return f"{prefix}/status"


def entity_code(event: OutboxEvent) -> str:
    """How a topic names the entity: its name as people know it (an endpoint's or camera's),
    else its id; the payload carries the id either way."""
    p = event.payload or {}
    return str(p.get("name") or p.get("entity_name") or p.get("endpoint_name") or event.entity_id)


def topic_for(prefix: str, event: OutboxEvent, units: list[str]) -> tuple[str, bool]:
    """(topic, retain) of one outbox event; ``units``: the codes of its unit chain, root first."""
    entity = [_level(event.entity_type), _level(entity_code(event) if units else event.entity_id)]
    base = "/".join([prefix, *(_level(code) for code in units), *entity])
    match family(event.type):
        case "state":
            return f"{base}/state", True
        case "alarm":
            kind = str((event.payload or {}).get("kind") or "alarm")
            return f"{base}/alarm/{_level(kind)}", True
        case "event":
            return f"{base}/event/{_level(event.type)}", False


def family(type_: str) -> Literal["state", "alarm", "event"]:
    """Which topic family an event type goes to: the last state (retained), the alarm as it
    is now (retained), or a plain event. One rule for the sender and for /asyncapi.json."""
    if type_.endswith(".state"):
        return "state"
    if type_.startswith("alarm."):
        return "alarm"
    return "event"


def discovery_config(
    discovery: str, prefix: str, event: OutboxEvent, state_topic: str
) -> list[tuple[str, dict[str, Any]]]:
    """Home Assistant MQTT discovery for the entity of a state event: a connectivity
    binary_sensor and a sensor with the state's word, both unavailable while the controller
    is (its status topic), grouped as one device."""
    kind, eid = _level(event.entity_type), _level(event.entity_id)
    name = entity_code(event)
    device = {
        "identifiers": [f"diemcau_{kind}_{eid}"],
        "name": name,
        "manufacturer": "diemcau",
        "model": kind,
    }
    common = {
        "state_topic": state_topic,
        "availability_topic": status_topic(prefix),
        "payload_available": ONLINE.decode(),
        "payload_not_available": OFFLINE.decode(),
        "device": device,
        "origin": {"name": "diemcau"},
    }
    down = "[" + ",".join(f"'{s}'" for s in _DOWN) + "]"
    return [
        (
            f"{discovery}/binary_sensor/diemcau_{kind}_{eid}_up/config",
            common
            | {
                "name": "Kết nối",
                "unique_id": f"diemcau_{kind}_{eid}_up",
                "device_class": "connectivity",
                "value_template": f"{{{{ 'OFF' if value_json.data.new in {down} else 'ON' }}}}",
            },
        ),
        (
            f"{discovery}/sensor/diemcau_{kind}_{eid}_state/config",
            common
            | {
                "name": "Trạng thái",
                "unique_id": f"diemcau_{kind}_{eid}_state",
                "value_template": "{{ value_json.data.new }}",
            },
        ),
    ]


class MqttSender:
    """A connection to the broker kept across events; a failure drops it and the next send reconnects."""

    def __init__(
        self,
        target: MqttTarget,
        password: str | None,
        *,
        client_id: str,
        timeout_s: float,
        inflight: int,
        policy: NetPolicy,
        units: UnitCodes,
        keepalive_s: int = 30,
        discovery_prefix: str | None = None,
    ) -> None:
        self.target, self._password, self.client_id = target, password, client_id
        self.policy, self.units = policy, units
        self.timeout_s, self.inflight, self.keepalive_s = timeout_s, inflight, keepalive_s
        self.discovery_prefix = discovery_prefix
        self._client: aiomqtt.Client | None = None
        self._announced: set[str] = set()  # entities announced to discovery on this connection
        self._lock = asyncio.Lock()

    async def _connected(self) -> aiomqtt.Client:
        async with self._lock:
            if self._client is None:
                t = self.target
                # The broker's name is resolved and checked on every connect. Without TLS the
                # connection goes to the checked address; with TLS to the name, which the broker's
                # certificate must match, so an address swapped in after the check cannot answer.
                addresses = await asyncio.wait_for(self.policy.resolve_async(t.host, t.port), self.timeout_s)
                client = aiomqtt.Client(
                    t.host if t.tls else addresses[0],
                    t.port,
                    username=t.username,
                    password=self._password,
                    identifier=self.client_id,
                    logger=_CLIENT_LOG,
                    timeout=self.timeout_s,
                    keepalive=self.keepalive_s,
                    max_inflight_messages=self.inflight,
                    tls_context=ssl.create_default_context() if t.tls else None,
                    # the broker says this if the connection dies without a goodbye
                    will=aiomqtt.Will(status_topic(t.prefix), OFFLINE, qos=1, retain=True),
                )
                await asyncio.wait_for(client.__aenter__(), self.timeout_s)
                try:
                    await client.publish(
                        status_topic(t.prefix), ONLINE, qos=1, retain=True, timeout=self.timeout_s
                    )
                except BaseException:
                    await asyncio.wait_for(client.__aexit__(None, None, None), 2)
                    raise
                self._client, self._announced = client, set()
            return self._client

    async def _drop(self, client: aiomqtt.Client | None) -> None:
        async with self._lock:
            if client is None or client is not self._client:
                return  # another send already dropped it
            self._client = None
        # aiomqtt records a lost connection on a future nobody awaits; read it, or asyncio
        # logs "exception was never retrieved" when the client is collected
        gone = getattr(client, "_disconnected", None)
        if isinstance(gone, asyncio.Future) and gone.done() and not gone.cancelled():
            gone.exception()
        try:
            await asyncio.wait_for(client.__aexit__(None, None, None), 2)
        except (aiomqtt.MqttError, TimeoutError, OSError):
            pass

    async def open(self) -> None:
        """Connect now, so the status says ``online`` before the first event; a broker that is
        away or refuses is said in the log and tried again by the next send."""
        try:
            await self._connected()
        except (aiomqtt.MqttError, TimeoutError, OSError, AddressRefused) as exc:
            log.warning(
                "MQTT broker %s:%s: %s",
                self.target.host,
                self.target.port,
                redact(f"{type(exc).__name__}: {exc}"),
            )

    async def send(self, event: OutboxEvent) -> tuple[bool, int | None, str | None]:
        """(delivered, None, error): delivered once the broker acknowledged (PUBACK)."""
        units = await self.units.chain(event.unit_path) if event.unit_path else []
        topic, retain = topic_for(self.target.prefix, event, units)
        client: aiomqtt.Client | None = None
        try:
            client = await self._connected()
            await self._announce(client, event, topic)
            await client.publish(topic, event_body(event), qos=1, retain=retain, timeout=self.timeout_s)
        except (aiomqtt.MqttError, TimeoutError, OSError) as exc:
            await self._drop(client or self._client)
            return False, None, redact(f"{type(exc).__name__}: {exc}")[:500]
        except AddressRefused as exc:
            return False, None, str(exc)[:500]
        return True, None, None

    async def _announce(self, client: aiomqtt.Client, event: OutboxEvent, topic: str) -> None:
        if not self.discovery_prefix or not event.type.endswith(".state"):
            return
        key = f"{event.entity_type}:{event.entity_id}"
        if key in self._announced:
            return
        for config_topic, config in discovery_config(self.discovery_prefix, self.target.prefix, event, topic):
            body = json.dumps(config, ensure_ascii=False).encode()
            await client.publish(config_topic, body, qos=1, retain=True, timeout=self.timeout_s)
        self._announced.add(key)

    async def aclose(self) -> None:
        """A clean stop says ``offline`` itself: the broker sends the Will only for a
        connection that died."""
        client = self._client
        if client is not None:
            try:
                await client.publish(status_topic(self.target.prefix), OFFLINE, qos=1, retain=True, timeout=2)
            except (aiomqtt.MqttError, TimeoutError, OSError):
                pass
        await self._drop(client)


class MqttSinkCreate(SinkCreateBase):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "MQTT IOC tỉnh",
                    "kind": "mqtt",
                    "url": "mqtts://diemcau@mqtt.ioc.lamdong.gov.vn:8883/diemcau",
                    "password": "********",
                    "event_types": [],
                    "unit": "68",
                }
            ]
        }
    )
    kind: Literal["mqtt"]
    password: MqttPassword | None = Field(default=None, description="the broker password")


def _address(url: str) -> Address:
    target = parse_mqtt_url(url)
    return Address(target.host, not target.tls)


def _secret(data: MqttSinkCreate) -> tuple[str | None, None]:
    """The broker password, if the broker wants one; never shown again."""
    return data.password, None


def _sender(sink: Sink, secret: str | None, ctx: SenderContext) -> MqttSender:
    return MqttSender(
        parse_mqtt_url(sink.url),
        secret,
        client_id=f"diemcau-{sink.id.hex[:12]}",
        timeout_s=ctx.settings.webhook_timeout_s,
        inflight=ctx.settings.webhook_concurrency,
        policy=ctx.policy,
        units=ctx.unit_codes,
        keepalive_s=ctx.settings.mqtt_keepalive_s,
        discovery_prefix=ctx.settings.mqtt_discovery_prefix,
    )


KIND = SinkKind(
    name="mqtt",
    create=MqttSinkCreate,
    secure_scheme="mqtts",
    address=_address,
    secret=_secret,
    sender=_sender,
    password_field=True,
)

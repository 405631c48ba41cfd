"""One event, one MQTT PUBLISH at QoS 1; the broker's PUBACK decides delivered or retry.

Topics (``<prefix>`` is the URL's path, ``diemcau`` by default)::

    <prefix>/unit/<unit id>/<endpoint|camera>/<id>/state           retained: the last state
    <prefix>/unit/<unit id>/<endpoint|camera>/<id>/alarm/<kind>    retained: the alarm as it is now
    <prefix>/unit/<unit id>/<entity>/<id>/event/<type>             every other event
    <prefix>/<entity>/<id>/event/<type>                            events of no unit (sessions)

The unit is the entity's own unit, one topic level, so an IOC subscribes to one
unit with ``<prefix>/unit/<unit id>/#`` and to one endpoint with
``<prefix>/unit/+/endpoint/<id>/#``. Retained state and alarm topics give a
dashboard that connects late the whole picture at once, as Zabbix and Home
Assistant integrations expect. An alarm keeps its topic after it clears (the
retained message then says ``"status": "cleared"``), so a subscriber never
mistakes an empty retained message for a missing one.

Each entity's events are published one after another (the dispatcher's chains)
and the broker keeps one topic's order, so order per entity holds.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

import aiomqtt
from pydantic import Field

from camera.netpolicy import AddressRefused, NetPolicy
from camera.urls import redact
from controller.ioc.kinds import Address, SenderContext, SinkKind
from controller.ioc.schemas import MqttPassword, SinkCreateBase
from controller.ioc.webhook import event_body
from controller.models import OutboxEvent, Sink

__all__ = [
    "DEFAULT_PREFIX",
    "KIND",
    "MqttSender",
    "MqttSinkCreate",
    "MqttTarget",
    "parse_mqtt_url",
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


def topic_for(prefix: str, event: OutboxEvent) -> tuple[str, bool]:
    """(topic, retain) of one outbox event."""
    entity = f"{_level(event.entity_type)}/{_level(event.entity_id)}"
    if event.unit_path:
        unit = event.unit_path.strip("/").rsplit("/", 1)[-1]
        base = f"{prefix}/unit/{_level(unit)}/{entity}"
    else:
        base = f"{prefix}/{entity}"
    if event.type.endswith(".state"):
        return f"{base}/state", True
    if event.type.startswith("alarm."):
        kind = str((event.payload or {}).get("kind") or "alarm")
        return f"{base}/alarm/{_level(kind)}", True
    return f"{base}/event/{_level(event.type)}", False


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
    ) -> None:
        self.target, self._password, self.client_id = target, password, client_id
        self.policy = policy
        self.timeout_s, self.inflight = timeout_s, inflight
        self._client: aiomqtt.Client | None = None
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
                    keepalive=30,
                    max_inflight_messages=self.inflight,
                    tls_context=ssl.create_default_context() if t.tls else None,
                )
                await asyncio.wait_for(client.__aenter__(), self.timeout_s)
                self._client = client
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

    async def send(self, event: OutboxEvent) -> tuple[bool, int | None, str | None]:
        """(delivered, None, error): delivered once the broker acknowledged (PUBACK)."""
        topic, retain = topic_for(self.target.prefix, event)
        client: aiomqtt.Client | None = None
        try:
            client = await self._connected()
            await client.publish(topic, event_body(event), qos=1, retain=retain, timeout=self.timeout_s)
        except (aiomqtt.MqttError, TimeoutError, OSError) as exc:
            await self._drop(client or self._client)
            return False, None, redact(f"{type(exc).__name__}: {exc}")[:500]
        except AddressRefused as exc:
            return False, None, str(exc)[:500]
        return True, None, None

    async def aclose(self) -> None:
        await self._drop(self._client)


class MqttSinkCreate(SinkCreateBase):
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

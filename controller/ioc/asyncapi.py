"""The AsyncAPI 3.0 description of every event the controller sends: to a webhook, to an MQTT
broker, and on its own SSE stream. Served at ``/asyncapi.json`` (``controller.api.openapi``).

An operations centre generates its consumer from it, or checks its parser against it, as it
does with ``/openapi.json`` for the REST API; so it is generated, never written by hand:

- the event types are the catalogue's (``controller.events.EventType``), each with its payload
  models from ``controller.ioc.payloads``; all schemas are made in one pydantic pass with
  ``#/components/schemas/<model>`` references, its ``$defs`` hoisted into
  ``components.schemas`` (AsyncAPI resolves no ``$defs`` of its own);
- the MQTT topic families come from ``ioc/mqtt.py``'s own rules (``family``, ``status_topic``,
  ``DEFAULT_PREFIX``, the Will's ``OFFLINE``), the settings give the keep-alive, Home Assistant
  discovery and whether plaintext sinks are allowed;
- the SSE route's path and query parameters come from the application's own routes.

The document describes the controller: every operation is a ``send``. Sinks are configured
at run time (``POST /api/v1/sinks``) and the document is public like ``/openapi.json``, so
brokers and receivers are server *templates* (host variables), never a configured sink's
address. AsyncAPI 3 rules kept here (the test checks them): an operation's ``messages`` are
references into its channel's ``messages``; parameter objects have no ``schema``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from controller.events import EVENT_TYPES, EventType
from controller.ioc import payloads
from controller.ioc.mqtt import DEFAULT_PREFIX, OFFLINE, ONLINE, family, status_topic
from controller.settings import Settings

__all__ = ["ASYNCAPI_VERSION", "ControllerAddress", "StreamRoute", "document"]

ASYNCAPI_VERSION = "3.0.0"
SCHEMAS = "#/components/schemas/"
MQTT_BINDING, HTTP_BINDING = "0.2.0", "0.3.0"
RETAINED = frozenset({"status", "state", "alarm", "haDiscovery"})  # MQTT channels of current values


@dataclass(frozen=True)
class ControllerAddress:
    """Where this controller answers, as the caller reached it (``/asyncapi.json``'s request)."""

    scheme: str  # http | https
    host: str  # host[:port]
    pathname: str  # a reverse proxy's path prefix (ASGI root_path); "" for none


@dataclass(frozen=True)
class StreamRoute:
    """The SSE route as the application declares it: its path under ``pathname`` and the
    JSON schema of each query parameter (from the OpenAPI document, so the two agree)."""

    path: str
    query: dict[str, dict[str, Any]]


@cache
def _schemas() -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """(reference of each named model, components.schemas) in one pydantic pass, so two models
    of one name get distinct names and every reference is ``#/components/schemas/...``."""
    named: dict[str, type[BaseModel]] = {
        "WebhookHeaders": payloads.WebhookHeaders,
        "HaDiscoveryConfig": payloads.HaDiscoveryConfig,
    }
    for t in EVENT_TYPES:
        named[f"{t}/event"] = payloads.event_model(t)
        named[f"{t}/stream"] = payloads.stream_model(t)
    refs, top = models_json_schema(
        [(m, "serialization") for m in named.values()], ref_template=SCHEMAS + "{model}"
    )
    by_model = {model: ref for (model, _), ref in refs.items()}
    return {key: by_model[model] for key, model in named.items()}, top.get("$defs", {})


def _ref(path: str) -> dict[str, str]:
    return {"$ref": path}


def _message(name: str, title: str, payload: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "title": title, "payload": payload} | extra


def _summary(type_: EventType) -> str:
    doc = payloads.data_model(type_).__doc__ or type_
    return " ".join(doc.split())


def _messages(settings: Settings) -> dict[str, dict[str, Any]]:
    refs, _ = _schemas()
    out: dict[str, dict[str, Any]] = {
        "ControllerStatus": _message(
            "status",
            "The controller's availability",
            {"type": "string", "enum": [ONLINE.decode(), OFFLINE.decode()]},
            contentType="text/plain",
            summary="online once connected; offline on a clean stop, or from the broker (the Will)",
        )
    }
    for t in EVENT_TYPES:
        stem = payloads.camel(t)
        out[stem] = _message(t, t, refs[f"{t}/event"], summary=_summary(t))
        out[f"{stem}Webhook"] = _message(
            t, t, refs[f"{t}/event"], summary=_summary(t), headers=refs["WebhookHeaders"]
        )
        out[f"{stem}Stream"] = _message(
            t,
            t,
            refs[f"{t}/stream"],
            summary=_summary(t),
            description=f"The SSE frame: `event: {t}`, `id: <outbox id>`, `data:` this JSON.",
        )
    if settings.mqtt_discovery_prefix:
        out["HaDiscoveryConfig"] = _message(
            "homeassistant.discovery", "Home Assistant discovery config", refs["HaDiscoveryConfig"]
        )
    return out


def _param(description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description} | extra


PREFIX = _param(
    f"The MQTT sink URL's path: `{DEFAULT_PREFIX}` unless the URL names one; may hold several levels",
    default=DEFAULT_PREFIX,
    examples=[DEFAULT_PREFIX, "tinh/diemcau"],
)
UNITS = _param(
    "The entity's unit as its chain of unit codes from the root down, one level each (central, "
    "province, district, commune): `diemcau/TW/DEMO/DEMO-H01/#` is a district with its communes",
    examples=["TW/DEMO/DEMO-H01/DEMO-H01-X03", "TW/DEMO"],
)
ENTITY = _param(
    "What the event is about: endpoint, camera, unit or session",
    location="$message.payload#/entity/type",
    examples=["endpoint", "camera", "unit", "session"],
)
NAME = _param(
    "The endpoint's or camera's name as people know it (an alarm's entity name; else the id). "
    "`/`, `+`, `#` in it become `_`; the id is in the payload (`entity.id`)",
    examples=["DEMO-H01-X03-vc064"],
)


def _mqtt_channels(settings: Settings, servers: list[dict[str, str]]) -> dict[str, dict[str, Any]]:
    by_family: dict[str, list[EventType]] = {"state": [], "alarm": [], "event": []}
    for t in EVENT_TYPES:
        by_family[family(t)].append(t)

    def msgs(types: list[EventType]) -> dict[str, dict[str, str]]:
        return {t: _ref(f"#/components/messages/{payloads.camel(t)}") for t in types}

    event_type = _param("The event type", location="$message.payload#/type", enum=list(by_family["event"]))
    unit_base = "{prefix}/{units}/{entity}/{name}"
    channels: dict[str, dict[str, Any]] = {
        "status": {
            "address": status_topic("{prefix}"),
            "title": "The controller's availability (retained; the Last Will)",
            "messages": {"status": _ref("#/components/messages/ControllerStatus")},
            "parameters": {"prefix": PREFIX},
        },
        "state": {
            "address": f"{unit_base}/state",
            "title": "An endpoint's or camera's last state change (retained)",
            "messages": msgs(by_family["state"]),
            "parameters": {"prefix": PREFIX, "units": UNITS, "entity": ENTITY, "name": NAME},
        },
        "alarm": {
            "address": f"{unit_base}/alarm/{{kind}}",
            "title": "An alarm as it is now, active or cleared (retained; the topic stays after it clears)",
            "messages": msgs(by_family["alarm"]),
            "parameters": {
                "prefix": PREFIX,
                "units": UNITS,
                "entity": ENTITY,
                "name": NAME,
                "kind": _param(
                    "The alarm's kind (health/catalogue.py)",
                    location="$message.payload#/data/kind",
                    examples=["unreachable", "uplink", "camera_offline"],
                ),
            },
        },
        "event": {
            "address": f"{unit_base}/event/{{type}}",
            "title": "Every other event of an entity in a unit (not retained)",
            "messages": msgs(by_family["event"]),
            "parameters": {
                "prefix": PREFIX,
                "units": UNITS,
                "entity": ENTITY,
                "name": NAME,
                "type": event_type,
            },
        },
        "eventOfNoUnit": {
            "address": "{prefix}/{entity}/{id}/event/{type}",
            "title": "An event of no unit, e.g. a province-wide session's (not retained)",
            "messages": msgs(by_family["event"]),
            "parameters": {
                "prefix": PREFIX,
                "entity": ENTITY,
                "id": _param("The entity's id", location="$message.payload#/entity/id"),
                "type": event_type,
            },
        },
    }
    if settings.mqtt_discovery_prefix:
        channels["haDiscovery"] = {
            "address": f"{settings.mqtt_discovery_prefix}/{{component}}/{{objectId}}/config",
            "title": "Home Assistant MQTT discovery (retained; the first state of each entity per connection)",
            "messages": {"config": _ref("#/components/messages/HaDiscoveryConfig")},
            "parameters": {
                "component": _param("The Home Assistant component", enum=["binary_sensor", "sensor"]),
                "objectId": _param(
                    "diemcau_<entity>_<id>_up (connectivity) or diemcau_<entity>_<id>_state",
                    examples=["diemcau_endpoint_6d0c..._up"],
                ),
            },
        }
    for channel in channels.values():
        channel["servers"] = servers
    return channels


def _operations(channels: dict[str, dict[str, Any]], stream: StreamRoute) -> dict[str, dict[str, Any]]:
    """One ``send`` per channel, with every message of the channel (as references into it).
    MQTT: QoS 1 (delivered on the broker's PUBACK), retained where the topic is a current
    value (``topic_for``); every other channel is HTTP."""
    bindings: dict[str, dict[str, Any]] = {
        key: {"mqtt": {"qos": 1, "retain": key in RETAINED, "bindingVersion": MQTT_BINDING}}
        for key in channels
    }
    bindings["webhook"] = {"http": {"method": "POST", "bindingVersion": HTTP_BINDING}}
    query = {"type": "object", "properties": stream.query}
    bindings["stream"] = {"http": {"method": "GET", "query": query, "bindingVersion": HTTP_BINDING}}
    return {
        f"send{key[0].upper()}{key[1:]}": {
            "action": "send",
            "channel": _ref(f"#/channels/{key}"),
            "messages": [_ref(f"#/channels/{key}/messages/{m}") for m in channel["messages"]],
            "bindings": bindings[key],
        }
        for key, channel in channels.items()
    }


def _servers(settings: Settings, controller: ControllerAddress) -> dict[str, dict[str, Any]]:
    host = {"description": "The sink URL's host", "examples": ["broker.tinh.gov.vn"]}
    plain = (
        "allowed anywhere (DIEMCAU_SINK_ALLOW_PLAINTEXT)"
        if settings.sink_allow_plaintext
        else ("only to loopback (DIEMCAU_SINK_ALLOW_PLAINTEXT is off)")
    )
    mqtt = {
        "mqtt": {
            "clientId": "diemcau-<the sink id's first 12 hex digits>",
            "cleanSession": True,
            "keepAlive": settings.mqtt_keepalive_s,
            "lastWill": {
                "topic": status_topic(DEFAULT_PREFIX),
                "qos": 1,
                "message": OFFLINE.decode(),
                "retain": True,
            },
            "bindingVersion": MQTT_BINDING,
        }
    }
    return {
        "broker": {
            "host": "{host}:{port}",
            "protocol": "secure-mqtt",
            "title": "An MQTT sink's broker",
            "description": "An admin adds it with POST /api/v1/sinks (`mqtts://[user@]host[:port][/prefix]`). "
            f"Plain `mqtt://` is {plain}. The Last Will's topic is `<prefix>/status`.",
            "variables": {"host": host, "port": {"default": "8883"}},
            "security": [_ref("#/components/securitySchemes/brokerPassword")],
            "bindings": mqtt,
        },
        "webhookReceiver": {
            "host": "{host}",
            "protocol": "https",
            "title": "A webhook sink's receiver",
            "description": "An admin adds it with POST /api/v1/sinks (`https://host/path`); every event "
            f"is one signed POST to that URL. Plain `http://` is {plain}.",
            "variables": {"host": host | {"examples": ["ioc.tinh.gov.vn"]}},
        },
        "controller": {
            "host": controller.host,
            "protocol": controller.scheme,
            "title": "This controller",
            "security": [_ref("#/components/securitySchemes/bearer")],
        }
        | ({"pathname": controller.pathname} if controller.pathname else {}),
    }


def document(
    settings: Settings, *, version: str, controller: ControllerAddress, stream: StreamRoute
) -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document for these settings, this controller's address and SSE route."""
    _, schemas = _schemas()
    mqtt_servers = [_ref("#/servers/broker")]
    channels = _mqtt_channels(settings, mqtt_servers)
    channels["webhook"] = {
        "address": None,
        "title": "A webhook sink: one signed POST per event",
        "description": "The sink's URL (null: set per sink). A 2xx answer is delivered; anything else "
        "is retried with backoff, each entity's events in order, until `webhook_retry_hours` "
        "(then the event is a dead letter an admin can replay).",
        "messages": {t: _ref(f"#/components/messages/{payloads.camel(t)}Webhook") for t in EVENT_TYPES},
        "servers": [_ref("#/servers/webhookReceiver")],
    }
    channels["stream"] = {
        "address": stream.path,
        "title": "The live event stream (SSE)",
        "description": "Every event of the caller's units in outbox order. Without a resume point it "
        "starts with what happens next; a reconnecting client sends `Last-Event-ID` (or `after`). "
        "`types` keeps the events whose type starts with one of its comma-separated prefixes, "
        "`unit` one unit's subtree. A comment (`: keepalive`) comes after about 15 s of quiet.",
        "messages": {t: _ref(f"#/components/messages/{payloads.camel(t)}Stream") for t in EVENT_TYPES},
        "servers": [_ref("#/servers/controller")],
    }
    doc = {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "diemcau events",
            "version": version,
            "description": "Every state change, alarm, session and readiness event of the controller, "
            "as an operations centre receives it: a webhook POST or an MQTT message (the same JSON "
            "body), or an event on the controller's SSE stream. docs/MQTT.md explains the topics.",
        },
        "defaultContentType": "application/json",
        "servers": _servers(settings, controller),
        "channels": channels,
        "operations": _operations(channels, stream),
        "components": {
            "schemas": schemas,
            "messages": _messages(settings),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from POST /api/v1/auth/token, or an API key; any role",
                },
                "brokerPassword": {
                    "type": "userPassword",
                    "description": "The sink URL's user and the sink's password",
                },
            },
        },
    }
    return copy.deepcopy(doc)  # its parts are shared with the cache and between channels

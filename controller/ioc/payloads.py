"""What every event the controller sends carries, as pydantic models: the contract of the
webhook, MQTT and SSE consumers, and the source `/asyncapi.json` is generated from.

The events are written as plain dicts (``controller.events.emit``) by the code that sees the
change; these models describe those dicts and change nothing on the wire.
``tests/controller/test_asyncapi.py`` captures real events from each transport and validates
them against the schemas generated from here, so a payload that drifts from its model fails
there, not at an operations centre.

- ``data_model(type)``: the ``data`` of each `EventType` (exhaustive: the type checker fails
  when a type is added to the catalogue without a model here);
- ``event_model(type)``: the JSON body a webhook receives and an MQTT topic carries
  (``webhook.event_body``): ``id``, ``type``, ``timestamp``, ``entity``, ``data``;
- ``stream_model(type)``: the ``data:`` of an SSE event on ``/api/v1/events/stream``, the
  payload's fields beside the envelope's (``health/api.py``);
- `WebhookHeaders`, `HaDiscoveryConfig`: a webhook's signature headers, and what Home
  Assistant discovery is told.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache
from typing import Any, Literal, assert_never

from pydantic import BaseModel, ConfigDict, Field, create_model

from controller.events import EventType
from controller.health.catalogue import Severity
from controller.readiness.schemas import CheckPublic

__all__ = [
    "AlarmAcknowledgedData",
    "AlarmData",
    "CameraStateData",
    "EndpointStateData",
    "EventEntity",
    "HaDiscoveryConfig",
    "ReadinessVerdictData",
    "SessionEndedData",
    "SessionStartedData",
    "WebhookHeaders",
    "camel",
    "data_model",
    "event_model",
    "stream_model",
]


class EndpointStateData(BaseModel):
    """An endpoint's state changed (the health poller, after its hysteresis)."""

    endpoint_id: uuid.UUID
    name: str = Field(description="The endpoint's name as people know it", examples=["DEMO-H01-X03-vc064"])
    unit: str = Field(description="Its unit's code", examples=["DEMO-H01-X03"])
    old: str = Field(description="The state it leaves", examples=["online"])
    new: str = Field(
        description="online, in_call, degraded, offline, unreachable, auth_failed, hostkey_mismatch, "
        "hostkey_unpinned",
        examples=["unreachable"],
    )
    reason: str | None = Field(description="English; `new` is its code, `reason_params` its specifics")
    reason_params: dict[str, Any] = Field(description="health/catalogue.py: e.g. {error, cause} of a failure")
    at: datetime = Field(description="When the poll saw it")


class CameraStateData(BaseModel):
    """A camera's state changed (the camera monitor)."""

    name: str = Field(examples=["DEMO-H01-X03-cam1"])
    old: str = Field(examples=["online"])
    new: str = Field(description="online, degraded, offline, stalled, ...", examples=["offline"])
    reason: str | None = Field(description="English; `new` is its code, `reason_params` its specifics")
    reason_params: dict[str, Any]
    problems: list[str] = Field(description="The picture's problems now: black, frozen, blurred ...")


class AlarmData(BaseModel):
    """An alarm as it is now (``health/alarms.alarm_view``)."""

    id: uuid.UUID
    key: str = Field(description="What makes it one alarm: a second occurrence raises it again")
    kind: str = Field(description="health/catalogue.py: unreachable, uplink, camera_black ...")
    severity: Severity
    status: Literal["active", "cleared"]
    entity_type: str = Field(description="endpoint, camera or unit")
    entity_id: uuid.UUID
    entity_name: str
    message: str = Field(description="English; `code` and `params` say it for other words")
    code: str = Field(description="Stable: the alarm's kind")
    params: dict[str, Any]
    count: int = Field(description="How many times it was raised")
    first_seen: datetime
    raised_at: datetime
    cleared_at: datetime | None


class AlarmAcknowledgedData(AlarmData):
    """An alarm a person took, with what they said (acknowledging does not clear it)."""

    acknowledged_by: str
    comment: str


class SessionStartedData(BaseModel):
    """A conference session went live: every participant is being dialled."""

    title: str
    conference_id: str
    invited: int
    unavailable: dict[str, str | None] = Field(description="Endpoint name -> why it is not dialled")
    skipped: list[str] = Field(description="Endpoints left out by the session's unready choices")


class SessionEndedData(BaseModel):
    """A session ended, every hang-up confirmed or counted in `unconfirmed`."""

    title: str
    counts: dict[str, int] = Field(description="Participants per state")
    unconfirmed: int = Field(description="Endpoints whose hang-up was not confirmed")


class ReadinessVerdictData(CheckPublic):
    """A readiness check's verdict, with its reasons in English beside their codes."""

    message: str = Field(description="The blocking and other reasons in English, '; '-separated")


def data_model(type_: EventType) -> type[BaseModel]:
    """The model of an event type's ``data``: one arm per type, checked exhaustive by mypy."""
    match type_:
        case "endpoint.state":
            return EndpointStateData
        case "camera.state":
            return CameraStateData
        case "alarm.raised" | "alarm.cleared":
            return AlarmData
        case "alarm.acknowledged":
            return AlarmAcknowledgedData
        case "session.started":
            return SessionStartedData
        case "session.ended":
            return SessionEndedData
        case "readiness.verdict":
            return ReadinessVerdictData
        case "readiness.acknowledged":
            return CheckPublic
        case _:
            assert_never(type_)


class EventEntity(BaseModel):
    """What an event is about. Topics name it by its name; payloads by its id."""

    type: str = Field(description="endpoint, camera, unit or session", examples=["endpoint"])
    id: str = Field(description="Its id (a UUID for what the controller registers)")
    unit_path: str | None = Field(
        description="Its unit's path of unit ids from the root, '/<id>/<id>/'; null: no unit "
        "(a province-wide session)"
    )


class _Event(BaseModel):
    id: int = Field(description="The outbox id: increasing; the webhook-id is msg_<id>, the SSE id is <id>")
    type: str
    timestamp: datetime = Field(description="When the change was written")
    entity: EventEntity
    data: dict[str, Any]


def _exactly(value: str) -> Any:
    """``Literal[value]`` for a value known at run time (its schema: ``const``)."""
    return Literal[value]


def camel(type_: str) -> str:
    """``alarm.raised`` -> ``AlarmRaised``: the stem of a type's model and message names."""
    return "".join(part.capitalize() for word in type_.split(".") for part in word.split("_"))


@cache
def event_model(type_: EventType) -> type[BaseModel]:
    """The body a webhook receives and an MQTT topic carries for one event type."""
    model: type[BaseModel] = create_model(
        f"{camel(type_)}Event",
        __base__=_Event,
        __doc__=f"The {type_} event, as webhooks and MQTT carry it. " + (data_model(type_).__doc__ or ""),
        type=(_exactly(type_), Field(description="The event type")),
        data=(data_model(type_), ...),
    )
    return model


_STREAM_FIELDS: dict[str, Any] = {
    "id": (int, Field(description="The outbox id, as the SSE id (unless the payload has its own id)")),
    "at": (datetime, Field(description="When the change was written")),
    "entity_type": (str, Field(description="endpoint, camera, unit or session")),
    "entity_id": (str, ...),
}


@cache
def stream_model(type_: EventType) -> type[BaseModel]:
    """The ``data:`` of an SSE event: the envelope's fields and the payload's side by side,
    the payload's winning a clash (an alarm's or a check's ``id`` is its own, not the
    outbox id; the SSE frame's ``id:`` line is always the outbox id)."""
    data = data_model(type_)
    envelope = {k: v for k, v in _STREAM_FIELDS.items() if k not in data.model_fields}
    model: type[BaseModel] = create_model(
        f"{camel(type_)}StreamEvent",
        __base__=data,
        __doc__=f"The {type_} event on the SSE stream. " + (data.__doc__ or ""),
        type=(_exactly(type_), Field(description="The event type")),
        **envelope,
    )
    return model


class WebhookHeaders(BaseModel):
    """The headers of a webhook POST: Standard Webhooks signing (``ioc/signing.py``).

    The receiver computes ``v1,`` + base64(HMAC-SHA256(secret bytes, "<webhook-id>.<webhook-
    timestamp>.<body>")) with the bytes behind its ``whsec_<base64>`` secret and compares it
    with each space-separated signature; it refuses an old timestamp (replay) and drops a
    webhook-id it has seen (a retry of a delivered event keeps its id)."""

    model_config = ConfigDict(populate_by_name=True)

    webhook_id: str = Field(
        alias="webhook-id", pattern=r"^msg_[0-9]+$", description="msg_<event id>: stable across retries"
    )
    webhook_timestamp: str = Field(
        alias="webhook-timestamp", pattern=r"^[0-9]+$", description="Unix seconds of this attempt"
    )
    webhook_signature: str = Field(
        alias="webhook-signature",
        pattern=r"^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$",
        description="v1,<base64 HMAC-SHA256>; several, space-separated, while a secret rotates",
    )
    content_type: Literal["application/json"] = Field(alias="content-type")


class HaDevice(BaseModel):
    identifiers: list[str] = Field(examples=[["diemcau_endpoint_6d0c..."]])
    name: str
    manufacturer: Literal["diemcau"]
    model: str = Field(description="endpoint or camera")


class HaOrigin(BaseModel):
    name: Literal["diemcau"]


class HaDiscoveryConfig(BaseModel):
    """A Home Assistant MQTT discovery config (``ioc/mqtt.discovery_config``), retained: a
    connectivity binary_sensor or a state sensor reading the entity's state topic, unavailable
    while the controller's status topic says offline."""

    name: str
    unique_id: str
    state_topic: str
    availability_topic: str
    payload_available: Literal["online"]
    payload_not_available: Literal["offline"]
    device: HaDevice
    origin: HaOrigin
    value_template: str = Field(description="A Jinja template over the state event's JSON")
    device_class: Literal["connectivity"] | None = Field(default=None, description="The binary_sensor's")

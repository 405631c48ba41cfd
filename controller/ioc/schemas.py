"""Request and response models of the sinks API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from controller.fields import Name, Strict, UnitRef, no_control

EventType = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z_]+(\.[a-z_]+)*$")]
SinkUrl = Annotated[str, StringConstraints(min_length=8, max_length=1000), AfterValidator(no_control)]
MqttPassword = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(no_control)]


class SinkCreateBase(Strict):
    """What every kind of sink has; each kind's model (in its sender module) adds its
    ``kind`` tag and its secret, and `controller.ioc.senders.SinkCreate` is their union."""

    name: Name
    url: SinkUrl = Field(
        description="webhook: https://host/path; mqtt: mqtts://[user@]broker[:8883][/topic prefix]. "
        "Plain http:// or mqtt:// only to loopback unless DIEMCAU_SINK_ALLOW_PLAINTEXT"
    )
    event_types: Annotated[list[EventType], Field(max_length=50)] = Field(
        default_factory=list, description="e.g. endpoint.state, alarm.raised; empty: all"
    )
    enabled: bool = True
    unit: UnitRef | None = Field(
        default=None, description="Only this unit's subtree's events (a district's room); none: all"
    )
    from_start: bool = Field(
        default=False, description="Deliver the outbox from its oldest event, not from now"
    )


class SinkUpdate(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"event_types": ["endpoint.state", "alarm.raised"], "enabled": True}]}
    )
    url: SinkUrl | None = None
    password: MqttPassword | None = Field(default=None, description="mqtt: a new broker password")
    event_types: Annotated[list[EventType], Field(max_length=50)] | None = None
    enabled: bool | None = None


class SinkPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "d5f7a9c1-3e5b-4d7f-8a1c-6e8a0c2e4a7b",
                    "name": "MQTT IOC tỉnh",
                    "unit": "68",
                    "kind": "mqtt",
                    "url": "mqtts://diemcau@mqtt.ioc.lamdong.gov.vn:8883/diemcau",
                    "event_types": [],
                    "enabled": True,
                    "cursor": 48213,
                    "backlog": {"pending": 3, "delivered": 48210, "dead": 0},
                    "created_at": "2026-10-01T10:00:00+07:00",
                }
            ]
        }
    )
    id: uuid.UUID
    name: str
    unit: str | None = Field(default=None, description="The subtree whose events it receives; none: all")
    kind: str
    url: str
    event_types: list[str]
    enabled: bool
    cursor: int
    backlog: dict[str, int] = Field(description="Deliveries per status: pending, delivered, dead")
    created_at: datetime


class SinkCreated(SinkPublic):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "d5f7a9c1-3e5b-4d7f-8a1c-6e8a0c2e4a7b",
                    "name": "MQTT IOC tỉnh",
                    "unit": "68",
                    "kind": "mqtt",
                    "url": "mqtts://diemcau@mqtt.ioc.lamdong.gov.vn:8883/diemcau",
                    "event_types": [],
                    "enabled": True,
                    "cursor": 48213,
                    "backlog": {"pending": 3, "delivered": 48210, "dead": 0},
                    "created_at": "2026-10-01T10:00:00+07:00",
                    "secret": None,
                }
            ]
        }
    )
    secret: str | None = Field(
        description="webhook: shown once, the receiver verifies signatures with it; mqtt: null"
    )


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 48214,
                    "event_id": 51377,
                    "entity_key": "endpoint:5a8f2c3e-9b47-4d16-a0e2-7c3b1f9d4e58",
                    "status": "pending",
                    "attempts": 2,
                    "first_attempt_at": "2026-12-07T09:00:06+07:00",
                    "next_attempt_at": "2026-12-07T09:00:36+07:00",
                    "delivered_at": None,
                    "last_status": 503,
                    "last_error": "HTTP 503",
                }
            ]
        }
    )
    id: int
    event_id: int
    entity_key: str
    status: str
    attempts: int
    first_attempt_at: datetime | None
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_status: int | None
    last_error: str | None

"""Health and alarms: the API's response models and the acknowledgement body."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from controller.fields import free_text


class HealthPublic(BaseModel):
    endpoint_id: uuid.UUID
    name: str
    unit: str
    state: str
    reason: str | None
    reason_params: dict[str, Any] = Field(
        default_factory=dict, description="The reason's params; its code is `state` (health/catalogue.py)"
    )
    since: datetime | None
    flapping: bool
    last_poll_at: datetime | None
    last_ok_at: datetime | None
    poll_latency_ms: float | None
    health: dict[str, Any]


class AlarmPublic(BaseModel):
    id: uuid.UUID
    dedupe_key: str
    kind: str
    severity: str
    status: str
    entity_type: str
    entity_id: uuid.UUID
    entity_name: str
    message: str = Field(description="English; `code` and `params` say it for other words")
    code: str = Field(description="Stable: the alarm's kind (health/catalogue.py)")
    params: dict[str, Any] = Field(description="The specifics: failure, problems, unit (health/catalogue.py)")
    count: int
    first_seen: datetime
    last_seen: datetime
    raised_at: datetime
    cleared_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    ack_comment: str | None


class AckBody(BaseModel):
    comment: Annotated[str, StringConstraints(min_length=1, max_length=1000), AfterValidator(free_text)] = (
        Field(description="What the technician did or found")
    )

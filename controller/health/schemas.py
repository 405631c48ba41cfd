"""Health and alarms: the API's response models and the acknowledgement body."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from controller.fields import free_text


class HealthPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "endpoint_id": "5a8f2c3e-9b47-4d16-a0e2-7c3b1f9d4e58",
                    "name": "UBND-XA-TANLAP",
                    "unit": "23134",
                    "state": "degraded",
                    "reason": "SIP not registered",
                    "reason_params": {"problems": ["sip_unregistered"]},
                    "since": "2026-12-07T08:12:40+07:00",
                    "flapping": False,
                    "last_poll_at": "2026-12-07T09:00:05+07:00",
                    "last_ok_at": "2026-12-07T09:00:05+07:00",
                    "poll_latency_ms": 184.2,
                    "health": {
                        "uptime_s": 518400,
                        "in_call": False,
                        "remote": None,
                        "call_duration_s": None,
                        "sip_registered": False,
                        "camera_connected": True,
                        "microphones_connected": True,
                        "packet_loss_pct": None,
                        "temperature_c": 41.5,
                    },
                }
            ]
        }
    )
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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "8f0a2c4e-6b8d-4f1a-9c3e-5d7f9b1d3f6a",
                    "dedupe_key": "endpoint:5a8f2c3e-9b47-4d16-a0e2-7c3b1f9d4e58:unreachable",
                    "kind": "unreachable",
                    "severity": "major",
                    "status": "active",
                    "entity_type": "endpoint",
                    "entity_id": "5a8f2c3e-9b47-4d16-a0e2-7c3b1f9d4e58",
                    "entity_name": "UBND-XA-TANLAP",
                    "message": "no TCP connection to the endpoint",
                    "code": "unreachable",
                    "params": {"error": "timeout"},
                    "count": 3,
                    "first_seen": "2026-12-07T07:58:10+07:00",
                    "last_seen": "2026-12-07T08:03:10+07:00",
                    "raised_at": "2026-12-07T07:58:10+07:00",
                    "cleared_at": None,
                    "acknowledged_by": "vanhanh.ioc",
                    "acknowledged_at": "2026-12-07T08:05:00+07:00",
                    "ack_comment": "Đã gọi cán bộ xã kiểm tra nguồn điện phòng họp",
                }
            ]
        }
    )
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
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"comment": "Đã gọi cán bộ xã kiểm tra nguồn điện phòng họp"}]}
    )
    comment: Annotated[str, StringConstraints(min_length=1, max_length=1000), AfterValidator(free_text)] = (
        Field(description="What the technician did or found")
    )


class SummaryUnit(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "unit": "DEMO-H01",
                    "name": "Huyện Lâm Hà",
                    "level": "district",
                    "parent": "0b7e4c1a-2f3d-4e5a-8b6c-9d0e1f2a3b4c",
                    "id": "6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
                    "counts": {"online": 18, "in_call": 3, "unreachable": 1},
                    "total": 22,
                    "cameras": {"online": 4},
                    "cameras_total": 4,
                }
            ]
        }
    )
    unit: str = Field(description="The unit's code")
    name: str
    level: str
    parent: str | None = Field(description="The parent's id; None at the top of the caller's tree")
    id: str
    counts: dict[str, int] = Field(description="Endpoints per state over the unit's whole subtree")
    total: int
    cameras: dict[str, int] = Field(description="Cameras per state over the unit's whole subtree")
    cameras_total: int


class HealthSummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "units": [
                        {
                            "unit": "DEMO",
                            "name": "Tỉnh Lâm Đồng",
                            "level": "province",
                            "parent": None,
                            "id": "0b7e4c1a-2f3d-4e5a-8b6c-9d0e1f2a3b4c",
                            "counts": {"online": 230, "in_call": 12, "unreachable": 8},
                            "total": 250,
                            "cameras": {"online": 11, "offline": 1},
                            "cameras_total": 12,
                        }
                    ]
                }
            ]
        }
    )
    units: list[SummaryUnit] = Field(
        description="The unit asked for (or the caller's tops) and every unit below, by depth then code"
    )

"""Jobs, standards and firmware campaigns: request and response models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from controller.fields import ProfileId, Strict, UnitRef, no_control


class JobTarget(Strict):
    unit: UnitRef | None = Field(default=None, description="A unit's whole subtree (id or code)")
    endpoints: list[uuid.UUID] | None = Field(default=None, max_length=5000)
    profile: ProfileId | None = None


class ProvisionCreate(JobTarget):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"unit": "68", "profile": "cisco-roomos", "mode": "plan", "concurrency": 50}]
        }
    )
    mode: Literal["plan", "apply"] = "plan"
    concurrency: int = Field(default=250, ge=1, le=1000)


class CameraProvisionCreate(Strict):
    """Cameras to bring to the stream standard: a unit's subtree and/or listed cameras."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"unit": "23134", "mode": "apply", "concurrency": 10}]}
    )

    unit: UnitRef | None = Field(default=None, description="A unit's whole subtree (id or code)")
    cameras: list[uuid.UUID] | None = Field(default=None, max_length=5000)
    mode: Literal["plan", "apply"] = "plan"
    concurrency: int = Field(default=50, ge=1, le=500)


class JobPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "f3a5c7e9-1b3d-4f5a-9c7e-0b2d4f6a8c1e",
                    "kind": "provision",
                    "mode": "plan",
                    "status": "done",
                    "target": {"unit": "68", "endpoints": None, "profile": "cisco-roomos"},
                    "params": {"concurrency": 50},
                    "created_by": "kythuat.tinh",
                    "created_at": "2026-12-01T22:00:00+07:00",
                    "started_at": "2026-12-01T22:00:01+07:00",
                    "finished_at": "2026-12-01T22:03:40+07:00",
                    "message": None,
                    "message_code": None,
                    "message_params": None,
                    "total": 125,
                    "counts": {"planned": 123, "deferred": 1, "error": 1},
                }
            ]
        }
    )
    id: uuid.UUID
    kind: str
    mode: str
    status: str
    target: dict[str, Any]
    params: dict[str, Any]
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    message: str | None
    message_code: str | None = Field(
        default=None, description="The message as a stable code (provisioning/notes.py)"
    )
    message_params: dict[str, Any] | None = Field(default=None, description="Its params, beside message_code")
    total: int
    counts: dict[str, int]


class JobItemPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "7c9e1a3c-5e7a-4c9e-8b1d-3f5b7d9f1b4c",
                    "endpoint_id": "5a8f2c3e-9b47-4d16-a0e2-7c3b1f9d4e58",
                    "camera_id": None,
                    "endpoint_name": "UBND-XA-TANLAP",
                    "wave": 0,
                    "status": "planned",
                    "plan": [
                        {
                            "key": "ntp_server",
                            "current": "pool.ntp.org",
                            "desired": "ntp.lamdong.gov.vn",
                            "action": "set",
                        },
                        {
                            "key": "time_zone",
                            "current": "Asia/Ho_Chi_Minh",
                            "desired": "Asia/Ho_Chi_Minh",
                            "action": "ok",
                        },
                    ],
                    "written": [],
                    "message": "1 to set, 1 already right",
                    "message_code": "plan",
                    "message_params": {"to_set": 1, "right": 1},
                    "error_code": None,
                    "error_params": {},
                    "transcript": None,
                    "started_at": "2026-12-01T22:00:02+07:00",
                    "finished_at": "2026-12-01T22:00:04+07:00",
                }
            ]
        }
    )
    id: uuid.UUID
    endpoint_id: uuid.UUID | None
    camera_id: uuid.UUID | None = Field(default=None, description="Set on a camera provisioning item")
    endpoint_name: str = Field(description="The endpoint's or the camera's name")
    wave: int
    status: str
    plan: list[dict[str, Any]]
    written: list[str]
    message: str | None
    message_code: str | None = Field(
        default=None,
        description="A progress note as a stable code (provisioning/notes.py); failures: error_code",
    )
    message_params: dict[str, Any] | None = Field(default=None, description="Its params, beside message_code")
    error_code: str | None = Field(description="Stable (health/catalogue.py FAILURE_CODES); null: no failure")
    error_params: dict[str, Any] = Field(
        default_factory=dict,
        description="The failure's specifics beside error_code (cause, command, keys ...)",
    )
    transcript: str | None = Field(description="The device exchange; admin and technician only (else null)")
    started_at: datetime | None
    finished_at: datetime | None


class StandardValue(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"value": "ntp.lamdong.gov.vn"}]})
    value: Annotated[str, StringConstraints(min_length=1, max_length=500), AfterValidator(no_control)]


class StandardPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"unit": "*", "key": "ntp_server", "value": "ntp.lamdong.gov.vn"}]}
    )
    unit: str = Field(description="Unit code, or * for the whole province")
    key: str
    value: str


class CampaignPreview(BaseModel):
    """A campaign checked but not started (POST /firmware/campaigns/preview)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "endpoints": 125,
                    "version": "ce11.14.1.5",
                    "already_at": 40,
                    "canary": 3,
                    "waves": 5,
                    "names": ["UBND-TINH-HOITRUONG", "UBND-XA-TANLAP", "UBND-XA-QUANGLAP"],
                }
            ]
        }
    )

    endpoints: int = Field(description="Endpoints it would upgrade (the target, of the profile)")
    version: str
    already_at: int = Field(description="Of them, last seen at the version already (read, then skipped)")
    canary: int = Field(description="Endpoints in the canary wave")
    waves: int = Field(description="Waves, the canary included")
    names: list[str] = Field(description="The first 20 endpoints' names")


class CampaignCreate(JobTarget):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "unit": "68",
                    "profile": "cisco-roomos",
                    "version": "ce11.14.1.5",
                    "canary": 3,
                    "wave_size": 25,
                    "max_failure_rate": 0.2,
                    "window": "22:00-05:00",
                    "timezone": "Asia/Ho_Chi_Minh",
                    "per_unit_level": "commune",
                    "per_unit_limit": 1,
                    "hostkey_policy": "hold",
                }
            ]
        }
    )
    profile: ProfileId = Field(description="A campaign upgrades one firmware family")
    version: Annotated[str, StringConstraints(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")] | None = Field(
        default=None, description="Default: the profile's target"
    )
    canary: int = Field(default=3, ge=1, le=50)
    wave_size: int = Field(default=25, ge=1, le=250)
    max_failure_rate: float = Field(default=0.2, ge=0, le=1)
    canary_max_failures: int = Field(default=0, ge=0, le=50)
    window: Annotated[str, StringConstraints(pattern=r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$")] | None = Field(
        default=None, description="Daily maintenance window in local time, e.g. 22:00-05:00"
    )
    timezone: Annotated[str, StringConstraints(max_length=64)] = "Asia/Ho_Chi_Minh"
    per_unit_level: Annotated[str, StringConstraints(max_length=32, pattern=r"^[a-z_]+$")] | None = Field(
        default=None, description="Share download slots per unit of this level (e.g. district)"
    )
    per_unit_limit: int = Field(default=1, ge=1, le=50)
    hostkey_policy: Literal["accept", "hold"] = Field(
        default="hold",
        description="A host key that changed across the upgrade: hold it for approval (default), "
        "or accept it (an impostor that reports the target version would be pinned; audited)",
    )
    timeout_s: float | None = Field(default=None, gt=0, le=7200)
    poll_s: float = Field(default=5, gt=0, le=300)

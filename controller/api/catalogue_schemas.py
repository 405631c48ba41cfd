"""The read-only catalogues' response models (firmware profiles, the audit log)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "a1c3e5f7-9b2d-4f6a-8c0e-2d4f6a8c0e1b",
                    "at": "2026-11-20T14:02:11+07:00",
                    "actor": "kythuat.tanlap",
                    "actor_role": "technician",
                    "action": "endpoint.update",
                    "target_type": "endpoint",
                    "target_id": "5a8f2c3e-9b47-4d16-a0e2-7c3b1f9d4e58",
                    "summary": {"host": "10.68.134.21"},
                }
            ]
        }
    )
    id: uuid.UUID
    at: datetime
    actor: str
    actor_role: str
    action: str
    target_type: str
    target_id: str | None
    summary: dict[str, Any]


class ProfilePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "cisco-roomos",
                    "summary": {
                        "id": "cisco-roomos",
                        "vendor": "Cisco",
                        "family": "RoomOS",
                        "description": "Cisco Room Kit / Room / Board / Desk series, xAPI in JSON output mode",
                        "firmware": {"minimum": "ce9.15.0", "target": "ce11.14.1.5", "reboot_seconds": 900},
                    },
                }
            ]
        }
    )
    id: str
    summary: dict[str, Any]

"""The read-only catalogues' response models (firmware profiles, the audit log)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditPublic(BaseModel):
    id: uuid.UUID
    at: datetime
    actor: str
    actor_role: str
    action: str
    target_type: str
    target_id: str | None
    summary: dict[str, Any]


class ProfilePublic(BaseModel):
    id: str
    summary: dict[str, Any]

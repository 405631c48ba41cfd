"""Readiness runs, checks and the board, as the API gives them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from controller.fields import Strict, Text
from controller.sessions.scope import Scope

__all__ = ["AckCreate", "Board", "CheckPublic", "Reason", "RunCreate", "RunPublic"]

CheckStatus = Literal["queued", "checking", "test_call", "done"]
Verdict = Literal["ready", "not_ready"]


class RunCreate(Strict):
    """Check a session's participants now, or a scope (no session): exactly one."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"session": "9e2b7c41-5d3a-4f8e-b160-2a4c6e8f0d1b"}]}
    )

    session: uuid.UUID | None = Field(default=None, description="A scheduled or live session")
    scope: Scope | None = Field(default=None, description="Units or endpoints, as a session's scope")

    @model_validator(mode="after")
    def _one(self) -> RunCreate:
        if (self.session is None) == (self.scope is None):
            raise ValueError("give either session or scope")
        return self


class AckCreate(Strict):
    """The unit technician's answer to a not-ready endpoint, kept with its check."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"kind": "on_my_way", "note": "Đang kiểm tra lại tài khoản SIP"}]}
    )

    kind: Literal["on_my_way", "fixed"]
    note: Text | None = None


_REASON: dict[str, Any] = {"code": "sip_unregistered", "params": {}, "blocking": True}
_CHECK: dict[str, Any] = {
    "id": "6b8d0f2a-4c6e-4a8b-9d0f-1a3c5e7b9d2f",
    "run_id": "2a4c6e8f-0b1d-4f3a-8c5e-7d9f1b3d5f7a",
    "session_id": "9e2b7c41-5d3a-4f8e-b160-2a4c6e8f0d1b",
    "endpoint_id": "5a8f2c3e-9b47-4d16-a0e2-7c3b1f9d4e58",
    "endpoint_name": "UBND-XA-TANLAP",
    "unit_code": "23134",
    "unit_name": "Xã Tân Lập",
    "status": "done",
    "verdict": "not_ready",
    "reasons": [_REASON],
    "results": {
        "device": {
            "sip_registered": False,
            "camera_connected": True,
            "microphones_connected": True,
            "call": "idle",
            "clock_skew_s": 0.4,
            "ntp_synced": True,
            "firmware_version": "ce11.14.1.5",
        }
    },
    "created_at": "2026-12-08T07:45:00+07:00",
    "started_at": "2026-12-08T07:45:01+07:00",
    "finished_at": "2026-12-08T07:45:03+07:00",
    "ack_kind": "on_my_way",
    "ack_by": "kythuat.tanlap",
    "ack_at": "2026-12-08T07:47:30+07:00",
    "ack_note": "Đang kiểm tra lại tài khoản SIP",
}
_RUN: dict[str, Any] = {
    "id": "2a4c6e8f-0b1d-4f3a-8c5e-7d9f1b3d5f7a",
    "session_id": "9e2b7c41-5d3a-4f8e-b160-2a4c6e8f0d1b",
    "label": "T-15",
    "requested_by": "system",
    "status": "done",
    "test_dial": "sip:9999@mcu.lamdong.gov.vn",
    "started_at": "2026-12-08T07:45:00+07:00",
    "finished_at": "2026-12-08T07:46:12+07:00",
    "counts": {"queued": 0, "checking": 0, "test_call": 0, "ready": 123, "not_ready": 2},
}


class Reason(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_REASON]})
    code: str = Field(description="A READINESS code of the health catalogue", examples=["sip_unregistered"])
    params: dict[str, Any] = {}
    blocking: bool = Field(description="False: shown, but the endpoint is still ready")


class CheckPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CHECK]})
    id: uuid.UUID
    run_id: uuid.UUID
    session_id: uuid.UUID | None
    endpoint_id: uuid.UUID | None
    endpoint_name: str
    unit_code: str
    unit_name: str
    status: CheckStatus
    verdict: Verdict | None
    reasons: list[Reason]
    results: dict[str, Any] = Field(description="What each check read: device, test_call figures")
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    ack_kind: Literal["on_my_way", "fixed"] | None
    ack_by: str | None
    ack_at: datetime | None
    ack_note: str | None


class RunPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_RUN]})
    id: uuid.UUID
    session_id: uuid.UUID | None
    label: str = Field(examples=["T-60", "T-15", "manual"])
    requested_by: str
    status: Literal["running", "done", "interrupted"]
    test_dial: str | None = Field(description="What test calls dial; null: the bridge has no test number")
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, int] = Field(description="queued, checking, test_call, ready, not_ready")


class Board(BaseModel):
    """The latest check of each endpoint: of one session, or of a unit's subtree."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "session_id": "9e2b7c41-5d3a-4f8e-b160-2a4c6e8f0d1b",
                    "title": "Hội nghị trực tuyến triển khai nhiệm vụ năm 2027",
                    "start_at": "2026-12-08T08:00:00+07:00",
                    "runs": [_RUN],
                    "counts": {"queued": 0, "checking": 0, "test_call": 0, "ready": 123, "not_ready": 2},
                    "items": [_CHECK],
                }
            ]
        }
    )

    session_id: uuid.UUID | None
    title: str | None
    start_at: datetime | None
    runs: list[RunPublic] = Field(description="The session's runs, latest first (none without a session)")
    counts: dict[str, int]
    items: list[CheckPublic]

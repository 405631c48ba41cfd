"""Request and response models of the sessions API (bridges, saved scopes, sessions)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from controller.fields import Name, Strict, Text, no_control
from controller.sessions.dialplan import CONFERENCE_ID, validate_pattern
from controller.sessions.scope import Scope

DialPattern = Annotated[
    str, StringConstraints(min_length=3, max_length=255), AfterValidator(validate_pattern)
]
ConferenceId = Annotated[str, StringConstraints(pattern=CONFERENCE_ID.pattern)]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), AfterValidator(no_control)
]
Protocol = Literal["sip", "h323"]
CallRate = Annotated[int, Field(ge=64, le=6000, description="kbit/s")]

ParticipantState = Literal[
    "waiting",
    "unavailable",
    "dialling",
    "ringing",
    "connected",
    "dropped",
    "redialling",
    "failed",
    "left",
    "removed",
]


_SCOPE: dict[str, Any] = {
    "units": [{"unit": "68", "subtree": False}, {"unit": "23134", "subtree": True}],
    "endpoints": [],
}


class BridgeCreate(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "MCU Lâm Đồng",
                    "ports": 250,
                    "sip_pattern": "sip:{conference}@mcu.lamdong.gov.vn",
                    "h323_pattern": "h323:{conference}@10.68.0.10",
                    "description": "MCU của Trung tâm Hội nghị truyền hình tỉnh",
                    "test_conference": "9999",
                }
            ]
        }
    )
    name: Name
    ports: Annotated[int, Field(ge=1, le=10_000)] = 250
    sip_pattern: DialPattern | None = None
    h323_pattern: DialPattern | None = None
    description: Text | None = None
    test_conference: ConferenceId | None = Field(
        default=None, description="The bridge's test (echo) conference, dialled by readiness test calls"
    )


class BridgeUpdate(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"ports": 300, "test_conference": "9999"}]})
    name: Name | None = None
    ports: Annotated[int, Field(ge=1, le=10_000)] | None = None
    sip_pattern: DialPattern | None = None
    h323_pattern: DialPattern | None = None
    description: Text | None = None
    test_conference: ConferenceId | None = Field(
        default=None, description="The bridge's test (echo) conference, dialled by readiness test calls"
    )


class BridgePublic(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "e8a1d3f5-7b9c-4e2a-8d4f-6c1b3a5e7f90",
                    "name": "MCU Lâm Đồng",
                    "ports": 250,
                    "in_use": 37,
                    "sip_pattern": "sip:{conference}@mcu.lamdong.gov.vn",
                    "h323_pattern": "h323:{conference}@10.68.0.10",
                    "description": "MCU của Trung tâm Hội nghị truyền hình tỉnh",
                    "test_conference": "9999",
                }
            ]
        },
    )
    id: uuid.UUID
    name: str
    ports: int
    in_use: int = Field(default=0, description="Ports held by participants of live sessions")
    sip_pattern: str | None
    h323_pattern: str | None
    description: str | None
    test_conference: str | None = None


class ScopeCreate(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "UBND tỉnh và xã Tân Lập", "scope": _SCOPE}]}
    )
    name: Name
    scope: Scope


class ScopePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "1c7e9a35-4b2d-4e8f-9a16-3d5b7f9e1a2c",
                    "name": "UBND tỉnh và xã Tân Lập",
                    "scope": _SCOPE,
                    "created_by": "chutri.vanphong",
                }
            ]
        }
    )
    id: uuid.UUID
    name: str
    scope: Scope
    created_by: str


UnreadyAction = Literal["wait", "skip"]


class UnreadyChoices(Strict):
    """What to do, at the start, with endpoints that cannot join now, per kind of trouble:
    ``wait`` ("gọi khi rảnh": invited, dialled whenever it can be, never given up) or
    ``skip`` ("bỏ qua": not invited). Absent: invited anyway; the offline and key-pending
    ones are listed unavailable, the busy ones are dialled and retried like any other."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"busy": "wait", "offline": "skip", "key_pending": "skip"}]}
    )

    busy: UnreadyAction | None = Field(default=None, description="In another call or session")
    offline: UnreadyAction | None = Field(default=None, description="Down as the monitor sees it")
    key_pending: UnreadyAction | None = Field(default=None, description="An SSH key awaits approval")


class SessionCreate(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Hội nghị trực tuyến triển khai nhiệm vụ năm 2027",
                    "scope": _SCOPE,
                    "start_at": "2026-12-08T08:00:00+07:00",
                    "duration_min": 180,
                    "call_rate": 1920,
                    "protocol": "sip",
                    "unready": {"busy": "wait", "key_pending": "skip"},
                }
            ]
        }
    )
    title: Title
    bridge: uuid.UUID | None = Field(default=None, description="Default: the only bridge")
    conference_id: ConferenceId | None = Field(default=None, description="Default: a new 6-digit id")
    scope: Scope | None = None
    saved_scope: uuid.UUID | None = None
    start_at: datetime | None = Field(default=None, description="Absent: start now; tz-aware")
    duration_min: Annotated[int, Field(ge=1, le=24 * 60)] | None = Field(
        default=None, description="End automatically this long after the start"
    )
    call_rate: CallRate = 1920
    protocol: Protocol = "sip"
    unready: UnreadyChoices = Field(default_factory=UnreadyChoices)


class ParticipantAdd(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"endpoint": "5a8f2c3e-9b47-4d16-a0e2-7c3b1f9d4e58"}]}
    )
    endpoint: uuid.UUID


class MuteRequest(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"on": True, "endpoint": "5a8f2c3e-9b47-4d16-a0e2-7c3b1f9d4e58"}]}
    )
    on: bool = True
    endpoint: uuid.UUID | None = Field(default=None, description="Absent: every participant")


_PARTICIPANT: dict[str, Any] = {
    "endpoint_id": "5a8f2c3e-9b47-4d16-a0e2-7c3b1f9d4e58",
    "endpoint_name": "UBND-XA-TANLAP",
    "unit_code": "23134",
    "unit_name": "Xã Tân Lập",
    "state": "connected",
    "cause": None,
    "cause_code": None,
    "cause_params": None,
    "attempts": 1,
    "drops": 0,
    "muted": False,
    "first_join_at": "2026-12-08T08:00:14+07:00",
    "last_leave_at": None,
    "connected_s": 0.0,
    "state_since": "2026-12-08T08:00:14+07:00",
    "wait_free": False,
}


class ParticipantPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_PARTICIPANT]})
    endpoint_id: uuid.UUID | None
    endpoint_name: str
    unit_code: str
    unit_name: str
    state: ParticipantState
    cause: str | None
    cause_code: str | None = Field(
        default=None, description="The cause as a stable code (sessions/causes.py)"
    )
    cause_params: dict[str, Any] | None = Field(default=None, description="Its params, beside cause_code")
    attempts: int
    drops: int
    muted: bool
    first_join_at: datetime | None
    last_leave_at: datetime | None
    connected_s: float
    state_since: datetime
    wait_free: bool = Field(default=False, description="Dialled whenever it can be (the host chose to wait)")


_SESSION: dict[str, Any] = {
    "id": "9e2b7c41-5d3a-4f8e-b160-2a4c6e8f0d1b",
    "title": "Hội nghị trực tuyến triển khai nhiệm vụ năm 2027",
    "host": "chutri.vanphong",
    "bridge_id": "e8a1d3f5-7b9c-4e2a-8d4f-6c1b3a5e7f90",
    "conference_id": "482913",
    "dial_string": "sip:482913@mcu.lamdong.gov.vn",
    "scope": _SCOPE,
    "call_rate": 1920,
    "protocol": "sip",
    "status": "live",
    "start_at": "2026-12-08T08:00:00+07:00",
    "duration_s": 10800,
    "started_at": "2026-12-08T08:00:02+07:00",
    "ended_at": None,
    "ended_by": None,
    "unready": {"busy": "wait", "offline": None, "key_pending": "skip"},
    "counts": {"connected": 118, "dialling": 2, "unavailable": 4, "failed": 1},
}


class SessionPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_SESSION]})
    id: uuid.UUID
    title: str
    host: str
    bridge_id: uuid.UUID
    conference_id: str
    dial_string: str
    scope: Scope
    call_rate: int
    protocol: Protocol
    status: Literal["scheduled", "live", "ended", "cancelled"]
    start_at: datetime | None
    duration_s: int | None
    started_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None
    unready: UnreadyChoices = Field(default_factory=UnreadyChoices)
    counts: dict[str, int] = Field(default_factory=dict, description="Participants per state")


class SessionDetail(SessionPublic):
    model_config = ConfigDict(json_schema_extra={"examples": [_SESSION | {"participants": [_PARTICIPANT]}]})
    participants: list[ParticipantPublic]


class TimelineEntry(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 1842,
                    "at": "2026-12-08T08:00:14+07:00",
                    "kind": "participant",
                    "endpoint_name": "UBND-XA-TANLAP",
                    "detail": {
                        "state": "connected",
                        "cause": None,
                        "cause_code": None,
                        "cause_params": None,
                        "attempt": 1,
                    },
                }
            ]
        },
    )
    id: int
    at: datetime
    kind: str
    endpoint_name: str | None
    detail: dict[str, object]


_MARK: dict[str, Any] = {
    "label": "T-15",
    "at": "2026-12-08T07:45:03+07:00",
    "verdict": "not_ready",
    "reasons": ["sip_unregistered"],
    "ack_kind": "fixed",
    "ack_by": "kythuat.tanlap",
}


class ReadinessMark(BaseModel):
    """One readiness check of the participant before (or during) this session."""

    model_config = ConfigDict(json_schema_extra={"examples": [_MARK]})

    label: str = Field(examples=["T-60", "T-15", "manual"])
    at: datetime | None
    verdict: str | None
    reasons: list[str] = Field(description="READINESS codes (controller/health/catalogue.py)")
    ack_kind: str | None = None
    ack_by: str | None = None


_ROW: dict[str, Any] = {
    "endpoint_name": "UBND-XA-TANLAP",
    "unit_code": "23134",
    "unit_name": "Xã Tân Lập",
    "final_state": "left",
    "cause": None,
    "cause_code": None,
    "cause_params": None,
    "first_join_at": "2026-12-08T08:00:14+07:00",
    "last_leave_at": "2026-12-08T10:58:40+07:00",
    "connected_s": 10706.0,
    "drops": 0,
    "attempts": 1,
    "intervals": [["2026-12-08T08:00:14+07:00", "2026-12-08T10:58:40+07:00"]],
    "readiness": [_MARK],
}


class AttendanceRow(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_ROW]})
    endpoint_name: str
    unit_code: str
    unit_name: str
    final_state: str
    cause: str | None
    cause_code: str | None = Field(
        default=None, description="The cause as a stable code (sessions/causes.py)"
    )
    cause_params: dict[str, Any] | None = None
    first_join_at: datetime | None
    last_leave_at: datetime | None
    connected_s: float
    drops: int
    attempts: int
    intervals: list[tuple[datetime, datetime | None]]
    readiness: list[ReadinessMark] = Field(
        default_factory=list, description="This session's readiness checks of the endpoint, oldest first"
    )


class Attendance(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "session_id": "9e2b7c41-5d3a-4f8e-b160-2a4c6e8f0d1b",
                    "title": "Hội nghị trực tuyến triển khai nhiệm vụ năm 2027",
                    "conference_id": "482913",
                    "started_at": "2026-12-08T08:00:02+07:00",
                    "ended_at": "2026-12-08T11:00:05+07:00",
                    "invited": 125,
                    "joined": 124,
                    "absent": ["UBND-XA-QUANGLAP"],
                    "participants": [_ROW],
                }
            ]
        }
    )
    session_id: uuid.UUID
    title: str
    conference_id: str
    started_at: datetime | None
    ended_at: datetime | None
    invited: int
    joined: int
    absent: list[str] = Field(
        default_factory=list,
        description="Roll call: the invited endpoints that never joined (their "
        "readiness history is on their rows)",
    )
    participants: list[AttendanceRow]

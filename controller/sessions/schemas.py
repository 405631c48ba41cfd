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


class BridgeCreate(Strict):
    name: Name
    ports: Annotated[int, Field(ge=1, le=10_000)] = 250
    sip_pattern: DialPattern | None = None
    h323_pattern: DialPattern | None = None
    description: Text | None = None
    test_conference: ConferenceId | None = Field(
        default=None, description="The bridge's test (echo) conference, dialled by readiness test calls"
    )


class BridgeUpdate(Strict):
    name: Name | None = None
    ports: Annotated[int, Field(ge=1, le=10_000)] | None = None
    sip_pattern: DialPattern | None = None
    h323_pattern: DialPattern | None = None
    description: Text | None = None
    test_conference: ConferenceId | None = Field(
        default=None, description="The bridge's test (echo) conference, dialled by readiness test calls"
    )


class BridgePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    ports: int
    in_use: int = Field(default=0, description="Ports held by participants of live sessions")
    sip_pattern: str | None
    h323_pattern: str | None
    description: str | None
    test_conference: str | None = None


class ScopeCreate(Strict):
    name: Name
    scope: Scope


class ScopePublic(BaseModel):
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

    busy: UnreadyAction | None = Field(default=None, description="In another call or session")
    offline: UnreadyAction | None = Field(default=None, description="Down as the monitor sees it")
    key_pending: UnreadyAction | None = Field(default=None, description="An SSH key awaits approval")


class SessionCreate(Strict):
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
    endpoint: uuid.UUID


class MuteRequest(Strict):
    on: bool = True
    endpoint: uuid.UUID | None = Field(default=None, description="Absent: every participant")


class ParticipantPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
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


class SessionPublic(BaseModel):
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
    participants: list[ParticipantPublic]


class TimelineEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    kind: str
    endpoint_name: str | None
    detail: dict[str, object]


class ReadinessMark(BaseModel):
    """One readiness check of the participant before (or during) this session."""

    label: str = Field(examples=["T-60", "T-15", "manual"])
    at: datetime | None
    verdict: str | None
    reasons: list[str] = Field(description="READINESS codes (controller/health/catalogue.py)")
    ack_kind: str | None = None
    ack_by: str | None = None


class AttendanceRow(BaseModel):
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

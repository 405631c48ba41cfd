"""Request and response models of the alert rules and their messages."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from controller.alerts.rules import parse_hhmm
from controller.fields import Name, Strict, UnitRef, no_control
from controller.health.catalogue import Severity

__all__ = [
    "AlertNotificationPublic",
    "AlertRuleCreate",
    "AlertRuleCreated",
    "AlertRulePublic",
    "AlertRuleUpdate",
    "TestOutcome",
    "TestSent",
]

# One address, no display name: nothing a header could be folded or injected through.
Email = Annotated[
    str,
    StringConstraints(
        min_length=3, max_length=254, pattern=r"^[^@\s<>,;:\"()\[\]\\]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$"
    ),
]
Emails = Annotated[list[Email], Field(max_length=50)]
Kind = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[a-z_]+$")]


def _hhmm(value: str) -> str:
    parse_hhmm(value)  # 24:00 or 07:60 is refused with the value in the message
    return value


HHMM = Annotated[str, StringConstraints(pattern=r"^\d\d:\d\d$"), AfterValidator(_hhmm)]
ChatUrl = Annotated[str, StringConstraints(min_length=8, max_length=1000), AfterValidator(no_control)]
Secret = Annotated[str, StringConstraints(min_length=10, max_length=200, pattern=r"^whsec_[A-Za-z0-9+/=]+$")]


def _distinct(values: list[str], field: str) -> None:
    if len({v.lower() for v in values}) != len(values):
        raise ValueError(f"{field} lists an address twice")


class _RuleFields(Strict):
    @model_validator(mode="after")
    def _consistent(self) -> _RuleFields:
        quiet_from, quiet_until = getattr(self, "quiet_from", None), getattr(self, "quiet_until", None)
        if (quiet_from is None) != (quiet_until is None):
            raise ValueError("quiet_from and quiet_until go together")
        if quiet_from is not None and quiet_from == quiet_until:
            raise ValueError("quiet hours from and until the same time are no quiet hours: leave both out")
        for field in ("recipients", "escalate_to"):
            values = getattr(self, field, None)
            if values:
                _distinct(values, field)
        return self


class AlertRuleCreate(_RuleFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Kỹ thuật Huyện Đức Trọng",
                    "unit": "672",
                    "min_severity": "major",
                    "kinds": [],
                    "channel": "email",
                    "recipients": ["kythuat.ductrong@lamdong.gov.vn"],
                    "quiet_from": "22:00",
                    "quiet_until": "06:00",
                    "escalate_after_min": 15,
                    "escalate_to": ["truongphong.cntt@lamdong.gov.vn"],
                }
            ]
        }
    )

    name: Name
    enabled: bool = True
    unit: UnitRef | None = Field(
        default=None, description="Only this unit's subtree; none: the whole province"
    )
    min_severity: Severity = Field(default="major", description="This severity and the more urgent ones")
    kinds: Annotated[list[Kind], Field(max_length=50)] = Field(
        default_factory=list, description="Alarm kinds (unreachable, camera_offline, ...); empty: every kind"
    )
    channel: Literal["email", "webhook"] = "email"
    recipients: Emails = Field(default_factory=list, description="email: the addresses told")
    url: ChatUrl | None = Field(
        default=None, description="webhook: the chat's incoming webhook, https:// (http:// only to loopback)"
    )
    secret: Secret | None = Field(
        default=None, description="webhook: whsec_<base64>; absent: one is generated"
    )
    quiet_from: HHMM | None = Field(
        default=None, description="Local time: from then only critical alarms go out"
    )
    quiet_until: HHMM | None = Field(
        default=None, description="Local time: then the held alarms go out together"
    )
    escalate_after_min: int | None = Field(
        default=None,
        ge=1,
        le=24 * 60,
        description="Unacknowledged this long after the first message: tell escalate_to",
    )
    escalate_to: Emails = Field(
        default_factory=list, description="The addresses told when nobody acknowledges"
    )

    @model_validator(mode="after")
    def _channel(self) -> AlertRuleCreate:
        if self.channel == "email" and not self.recipients:
            raise ValueError("an email rule needs recipients")
        if self.channel == "email" and (self.url or self.secret):
            raise ValueError("url and secret are for a webhook rule")
        if self.channel == "webhook" and (self.url is None or self.recipients):
            raise ValueError("a webhook rule needs url and no recipients")
        if (self.escalate_after_min is None) != (not self.escalate_to):
            raise ValueError("escalate_after_min and escalate_to go together")
        return self


class AlertRuleUpdate(_RuleFields):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"enabled": False}, {"recipients": ["trucban@lamdong.gov.vn"]}]}
    )

    enabled: bool | None = None
    min_severity: Severity | None = None
    kinds: Annotated[list[Kind], Field(max_length=50)] | None = None
    recipients: Emails | None = None
    url: ChatUrl | None = None
    quiet_from: HHMM | None = None
    quiet_until: HHMM | None = None
    escalate_after_min: int | None = Field(default=None, ge=1, le=24 * 60)
    escalate_to: Emails | None = None


class AlertRulePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b0b6a52-3c1e-4d55-9a53-0f0f7c3d1a10",
                    "name": "Kỹ thuật Huyện Đức Trọng",
                    "enabled": True,
                    "unit": "672",
                    "min_severity": "major",
                    "kinds": [],
                    "channel": "email",
                    "recipients": ["kythuat.ductrong@lamdong.gov.vn"],
                    "url": None,
                    "quiet_from": "22:00",
                    "quiet_until": "06:00",
                    "escalate_after_min": 15,
                    "escalate_to": ["truongphong.cntt@lamdong.gov.vn"],
                    "created_by": "admin",
                    "created_at": "2026-12-07T01:30:00Z",
                    "counts": {"sent": 12, "dead": 1},
                }
            ]
        }
    )

    id: uuid.UUID
    name: str
    enabled: bool
    unit: str | None = Field(description="The unit's code; none: the whole province")
    min_severity: str
    kinds: list[str]
    channel: str
    recipients: list[str]
    url: str | None
    quiet_from: str | None
    quiet_until: str | None
    escalate_after_min: int | None
    escalate_to: list[str]
    created_by: str
    created_at: datetime
    counts: dict[str, int] = Field(description="Its messages by status: pending, sent, dead")


class AlertRuleCreated(AlertRulePublic):
    secret: str | None = Field(description="webhook: the signing secret, shown this once")


class AlertNotificationPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5d7e0f6e-7f0c-4e9b-a0a7-5e9f3d2b8c11",
                    "rule_id": "0b0b6a52-3c1e-4d55-9a53-0f0f7c3d1a10",
                    "rule_name": "Kỹ thuật Huyện Đức Trọng",
                    "stage": "notify",
                    "channel": "email",
                    "recipient": "kythuat.ductrong@lamdong.gov.vn",
                    "subject": "[diemcau] 14 cảnh báo: Không truy cập được (14)",
                    "alarms": 14,
                    "status": "dead",
                    "attempts": 9,
                    "created_at": "2026-12-07T00:30:00Z",
                    "next_attempt_at": "2026-12-07T06:15:00Z",
                    "sent_at": None,
                    "last_error": "mail.lamdong.gov.vn:587: ConnectionRefusedError: [Errno 111] Connection refused",
                    "acked_at": None,
                }
            ]
        }
    )

    id: uuid.UUID
    rule_id: uuid.UUID
    rule_name: str
    stage: str = Field(description="notify, escalate or test")
    channel: str
    recipient: str = Field(description="The address; webhook for a chat rule")
    subject: str
    alarms: int = Field(description="How many alarms the message names")
    status: str = Field(description="pending, sent or dead")
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None
    acked_at: datetime | None = Field(description="When its link acknowledged its alarms")


class TestOutcome(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5d7e0f6e-7f0c-4e9b-a0a7-5e9f3d2b8c11",
                    "status": "dead",
                    "error": "SMTPRecipientsRefused: ...",
                }
            ]
        }
    )

    id: uuid.UUID
    status: str = Field(description="sent, or dead with the relay's answer (a test is not retried)")
    error: str | None


class TestSent(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "messages": [
                        {"id": "5d7e0f6e-7f0c-4e9b-a0a7-5e9f3d2b8c11", "status": "sent", "error": None}
                    ]
                }
            ]
        }
    )

    messages: list[TestOutcome]

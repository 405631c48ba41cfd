"""Readiness runs, checks and the board, as the API gives them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from controller.fields import Strict, Text
from controller.sessions.scope import Scope

__all__ = ["AckCreate", "Board", "CheckPublic", "Reason", "RunCreate", "RunPublic"]

CheckStatus = Literal["queued", "checking", "test_call", "done"]
Verdict = Literal["ready", "not_ready"]


class RunCreate(Strict):
    """Check a session's participants now, or a scope (no session): exactly one."""

    session: uuid.UUID | None = Field(default=None, description="A scheduled or live session")
    scope: Scope | None = Field(default=None, description="Units or endpoints, as a session's scope")

    @model_validator(mode="after")
    def _one(self) -> RunCreate:
        if (self.session is None) == (self.scope is None):
            raise ValueError("give either session or scope")
        return self


class AckCreate(Strict):
    """The unit technician's answer to a not-ready endpoint, kept with its check."""

    kind: Literal["on_my_way", "fixed"]
    note: Text | None = None


class Reason(BaseModel):
    code: str = Field(description="A READINESS code of the health catalogue", examples=["sip_unregistered"])
    params: dict[str, Any] = {}
    blocking: bool = Field(description="False: shown, but the endpoint is still ready")


class CheckPublic(BaseModel):
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

    session_id: uuid.UUID | None
    title: str | None
    start_at: datetime | None
    runs: list[RunPublic] = Field(description="The session's runs, latest first (none without a session)")
    counts: dict[str, int]
    items: list[CheckPublic]

"""The not-ready verdicts worth an alarm: each endpoint's latest, while its meeting is ahead.

The alarm evaluator is level-triggered (``health/alarms.py``): it asks ``wanted_alarms`` on
each pass and raises or clears to match, so this view only has to say what is true now. It
is kept in memory (fed by every verdict, rebuilt from the last day's checks on start) and
its ``changes`` counter tells the evaluator when to look again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from controller.health.alarms import Wanted
from controller.health.catalogue import READINESS, readiness_text
from controller.models import ConferenceSession, ReadinessCheck

__all__ = ["NotReady", "NotReadyView", "alarm_until"]

KEPT_WITHOUT_SESSION = timedelta(hours=12)  # a manual check's alarm, if nobody checks again
PREFIX = "not ready: "
assert "not_ready" not in READINESS  # the alarm kind is the state; its reasons are READINESS codes


@dataclass(frozen=True)
class NotReady:
    check_id: uuid.UUID
    session_id: uuid.UUID | None
    name: str
    unit_path: str
    reasons: list[dict[str, Any]]
    session_title: str | None
    until: datetime


def alarm_until(conference: ConferenceSession | None, checked_at: datetime) -> datetime:
    """How long a not-ready verdict is worth an alarm: until its session is over (its start
    plus its duration, or three hours), or half a day after a check outside any session."""
    if conference is None:
        return checked_at + KEPT_WITHOUT_SESSION
    if conference.status in ("ended", "cancelled"):
        return conference.ended_at or checked_at
    start = conference.start_at or conference.started_at or checked_at
    return start + timedelta(seconds=conference.duration_s or 3 * 3600)


class NotReadyView:
    def __init__(self) -> None:
        self.entries: dict[uuid.UUID, NotReady] = {}  # endpoint id → its latest not-ready verdict
        self.changes = 0  # bumped whenever entries change

    def note(
        self,
        endpoint_id: uuid.UUID,
        check_id: uuid.UUID,
        session_id: uuid.UUID | None,
        name: str,
        unit_path: str,
        outcome: str | None,
        reasons: list[dict[str, Any]],
        title: str | None,
        until: datetime,
    ) -> None:
        """A verdict: a not-ready one replaces the endpoint's entry, a ready one removes it."""
        if outcome == "not_ready":
            self.entries[endpoint_id] = NotReady(check_id, session_id, name, unit_path, reasons, title, until)
        elif self.entries.pop(endpoint_id, None) is None:
            return
        self.changes += 1

    async def load(self, session: AsyncSession, now: datetime) -> None:
        """The latest verdict of each endpoint checked in the last day, with its session."""
        rows = (
            await session.execute(
                select(ReadinessCheck, ConferenceSession)
                .outerjoin(ConferenceSession, ReadinessCheck.session_id == ConferenceSession.id)
                .where(ReadinessCheck.status == "done", ReadinessCheck.finished_at >= now - timedelta(days=1))
                .order_by(ReadinessCheck.finished_at)
            )
        ).all()
        for check, conference in rows:
            if check.endpoint_id is None:
                continue
            self.note(
                check.endpoint_id,
                check.id,
                check.session_id,
                check.endpoint_name,
                check.unit_path,
                check.verdict,
                check.reasons or [],
                conference.title if conference else None,
                alarm_until(conference, check.finished_at or now),
            )

    async def prune(self, session: AsyncSession) -> None:
        """Forget the verdicts whose session has ended or was cancelled: no meeting is left
        to warn of (the schedule calls this on every pass)."""
        sessions = {e.session_id for e in self.entries.values() if e.session_id is not None}
        if not sessions:
            return
        over = set(
            (
                await session.scalars(
                    select(ConferenceSession.id).where(
                        ConferenceSession.id.in_(sessions),
                        ConferenceSession.status.in_(("ended", "cancelled")),
                    )
                )
            ).all()
        )
        gone = [eid for eid, e in self.entries.items() if e.session_id in over]
        for eid in gone:
            del self.entries[eid]
        self.changes += bool(gone)

    def wanted_alarms(self, now: datetime) -> dict[str, Wanted]:
        out: dict[str, Wanted] = {}
        for endpoint_id, entry in self.entries.items():
            if entry.until <= now:
                continue
            blocking = [r for r in entry.reasons if r.get("blocking", True)]
            text = "; ".join(readiness_text(r["code"], r.get("params") or {}) for r in blocking)
            key = f"endpoint:{endpoint_id}:not_ready"
            message = f"{PREFIX}{text}" if text else PREFIX.rstrip(": ")
            params = {
                "reasons": [r["code"] for r in blocking],
                "check": str(entry.check_id),
                "session": entry.session_title,
            }
            out[key] = Wanted(
                key, "not_ready", "endpoint", endpoint_id, entry.name, entry.unit_path, message[:500], params
            )
        return out

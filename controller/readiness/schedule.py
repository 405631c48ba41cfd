"""Rounds of readiness checks before each scheduled session, at ``readiness_offsets_min``.

Each pass looks at the sessions starting within the largest offset. For a session, the due
round is the latest offset already reached (``T-15`` once fifteen minutes remain); it runs
once. A session scheduled 10 minutes ahead gets one round at once, labelled by the
offset it is inside (``T-15``), not every round it missed; a controller down at T-60 and
back at T-30 runs ``T-60`` late rather than never.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from controller.errors import DomainError
from controller.models import ConferenceSession, ReadinessRun, utcnow
from controller.principal import SYSTEM
from controller.readiness import service
from controller.readiness.manager import ReadinessManager
from controller.tasks import cancel_and_wait

log = logging.getLogger("diemcau.readiness")

__all__ = ["ReadinessSchedule", "due_label"]


def due_label(start_at: datetime, now: datetime, offsets_min: list[int]) -> str | None:
    """The round due now for a session starting at ``start_at``, or None."""
    reached = [m for m in offsets_min if now >= start_at - timedelta(minutes=m)]
    return f"T-{min(reached)}" if reached and now < start_at else None


class ReadinessSchedule:
    def __init__(self, manager: ReadinessManager, every_s: float = 15.0) -> None:
        self.manager, self.every_s = manager, every_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="readiness-schedule")

    async def stop(self) -> None:
        await cancel_and_wait([self._task])

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_pass()
            except Exception as exc:  # noqa: BLE001 - the schedule must outlive one bad pass
                log.error("readiness schedule pass failed: %s", type(exc).__name__)
            await asyncio.sleep(self.every_s)

    async def run_pass(self, now: datetime | None = None) -> list[str]:
        """Start the rounds that are due; returns their labels (for tests and logs)."""
        offsets = self.manager.settings.readiness_offsets_min
        now = now or utcnow()
        async with self.manager.db.transaction() as session:
            await self.manager.not_ready.prune(session)
            if not offsets:
                return []
            soon = (
                await session.scalars(
                    select(ConferenceSession).where(
                        ConferenceSession.status == "scheduled",
                        ConferenceSession.start_at > now,
                        ConferenceSession.start_at <= now + timedelta(minutes=max(offsets)),
                    )
                )
            ).all()
            wanted: list[tuple[ConferenceSession, str]] = []
            for row in soon:
                assert row.start_at is not None
                label = due_label(row.start_at, now, offsets)
                if label is None:
                    continue
                done = await session.scalar(
                    select(ReadinessRun.id).where(
                        ReadinessRun.session_id == row.id, ReadinessRun.label == label
                    )
                )
                if done is None:
                    wanted.append((row, label))
        started: list[str] = []
        for row, label in wanted:
            try:
                await service.start_for_session(self.manager, row.id, SYSTEM, label)
            except DomainError as exc:  # a scope that selects nothing now: said in the log, tried next pass
                log.warning("readiness round %s of %r not started: %s", label, row.title, exc.detail)
                continue
            log.info("readiness round %s of %r started", label, row.title)
            started.append(label)
        return started

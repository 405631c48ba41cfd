"""From active alarms to messages people read, the way Alertmanager and Zabbix actions do it.

Each pass has two steps:

1. *Plan*: for every enabled rule and every recipient, the active, unacknowledged alarms it
   selects that this recipient has not been told about (at this raise of the alarm) are
   grouped into one message, once the oldest has waited ``alert_group_wait_s`` (alarms
   raised together arrive together) and the rule's last message to that recipient is
   ``alert_group_interval_s`` old. Quiet hours hold all but critical alarms. An alarm told
   and still unacknowledged ``escalate_after_min`` later goes to the escalation list.
   Queueing the message and recording who was told happen in one transaction: a restart
   sends nothing twice and forgets nothing.
2. *Deliver*: due messages go out (bounded in parallel). A failure is retried with
   doubling, jittered backoff for ``alert_retry_hours``; then the message is dead, listed for
   the admin to see and send again.

The pass reads the alarm table, not the event stream: an alarm raised and cleared inside the
group wait never reaches anyone (a blip is not worth a phone buzzing), and a rule added now
applies to the alarms already active.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from controller.alerts.delivery import Courier, Outcome, alarm_lines
from controller.alerts.digest import compose
from controller.alerts.rules import Match, in_quiet_hours
from controller.db import Database
from controller.models import Alarm, AlertNotification, AlertRule, AlertSent, Unit, utcnow
from controller.security import SecretBox
from controller.settings import Settings
from controller.tasks import cancel_and_wait

log = logging.getLogger("diemcau.alerts")

__all__ = ["AlertEngine", "Outcome"]

# A chat rule's one recipient: its URL often holds the channel's key, so it is not repeated
# in every message row that operators can list.
WEBHOOK = "webhook"


class AlertEngine:
    def __init__(self, db: Database, box: SecretBox, settings: Settings) -> None:
        self.db, self.box, self.settings = db, box, settings
        self.courier = Courier(db, box, settings)
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    # -- life --------------------------------------------------------------------------
    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        await cancel_and_wait([self._task])
        await self.courier.close()

    def poke(self) -> None:
        """Evaluate now (a rule was added, a dead message is sent again)."""
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # noqa: BLE001 - people must keep being told
                log.exception("alert pass failed")
            try:
                await asyncio.wait_for(self._wake.wait(), self.settings.alert_eval_s)
            except TimeoutError:
                pass
            self._wake.clear()

    async def tick(self, now: datetime | None = None) -> tuple[int, list[Outcome]]:
        """One pass: (messages queued, what the deliveries did)."""
        now = now or utcnow()
        queued = await self.plan(now)
        return queued, await self.courier.deliver(now)

    # -- plan --------------------------------------------------------------------------
    async def plan(self, now: datetime) -> int:
        s = self.settings
        async with self.db.transaction() as session:
            rules = (await session.scalars(select(AlertRule).where(AlertRule.enabled.is_(True)))).all()
            if not rules:
                return 0
            alarms = (
                await session.scalars(
                    select(Alarm).where(Alarm.status == "active", Alarm.acknowledged_at.is_(None))
                )
            ).all()
            if not alarms:
                return 0
            told = await _told(session)
            recent = await _recent(session, now - timedelta(seconds=s.alert_group_interval_s))
            paths = await _unit_paths(session, {r.unit_id for r in rules if r.unit_id is not None})
            queued = 0
            for rule in rules:
                match = Match(
                    unit_path=paths.get(rule.unit_id) if rule.unit_id else None,
                    min_severity=rule.min_severity,
                    kinds=frozenset(rule.kinds or ()),
                )
                if rule.unit_id is not None and match.unit_path is None:
                    continue  # its unit is gone (RESTRICT makes this rare): select nothing
                selected = [a for a in alarms if match.selects(a.unit_path, a.severity, a.kind)]
                if not selected:
                    continue
                quiet = in_quiet_hours(rule.quiet_from, rule.quiet_until, now)
                if quiet:
                    selected = [a for a in selected if a.severity == "critical"]
                wait = timedelta(seconds=s.alert_group_wait_s)
                for recipient in _recipients(rule):
                    fresh = [a for a in selected if (a.id, rule.id, recipient, "notify", a.count) not in told]
                    if not fresh or min(a.raised_at for a in fresh) > now - wait:
                        continue
                    if (rule.id, recipient, "notify") in recent:
                        continue
                    await self._queue(session, rule, "notify", rule.channel, recipient, fresh, now)
                    queued += 1
                if rule.escalate_after_min and rule.escalate_to:
                    late_before = now - timedelta(minutes=rule.escalate_after_min)
                    first_told = _first_told(told, rule.id)
                    late = [
                        a for a in selected if (at := first_told.get((a.id, a.count))) and at <= late_before
                    ]
                    for recipient in rule.escalate_to:
                        fresh = [
                            a for a in late if (a.id, rule.id, recipient, "escalate", a.count) not in told
                        ]
                        if not fresh or (rule.id, recipient, "escalate") in recent:
                            continue
                        await self._queue(session, rule, "escalate", "email", recipient, fresh, now)
                        queued += 1
        if queued:
            log.info("alerts: %d message(s) queued", queued)
        return queued

    async def _queue(
        self,
        session: AsyncSession,
        rule: AlertRule,
        stage: str,
        channel: str,
        recipient: str,
        alarms: Sequence[Alarm],
        now: datetime,
    ) -> AlertNotification:
        lines = await alarm_lines(session, alarms)
        digest = compose(
            lines,
            stage=stage,
            rule_name=rule.name,
            ack_url=None,
            console_url=self.courier.console_url,
            escalate_after_min=rule.escalate_after_min,
        )
        row = AlertNotification(
            id=uuid.uuid4(),
            rule_id=rule.id,
            rule_name=rule.name,
            stage=stage,
            channel=channel,
            recipient=recipient,
            alarm_ids=[str(a.id) for a in alarms],
            subject=digest.subject,
            status="pending",
            attempts=0,
            created_at=now,
            next_attempt_at=now,
            ack_expires_at=now + timedelta(hours=self.settings.alert_ack_link_hours) if alarms else None,
        )
        session.add(row)
        await session.flush()
        session.add_all(
            AlertSent(
                alarm_id=a.id,
                rule_id=rule.id,
                recipient=recipient,
                stage=stage,
                raise_count=a.count,
                notification_id=row.id,
                at=now,
            )
            for a in alarms
        )
        return row

    async def queue_test(self, rule: AlertRule) -> list[uuid.UUID]:
        """A message with no alarm to each of the rule's recipients (the "send a test" button)."""
        now = utcnow()
        async with self.db.transaction() as session:
            fresh = await session.get(AlertRule, rule.id)
            assert fresh is not None
            rows = [
                await self._queue(session, fresh, "test", fresh.channel, r, [], now)
                for r in _recipients(fresh)
            ]
            return [row.id for row in rows]


def _recipients(rule: AlertRule) -> list[str]:
    return list(rule.recipients) if rule.channel == "email" else [WEBHOOK]


async def _told(session: AsyncSession) -> dict[tuple[uuid.UUID, uuid.UUID, str, str, int], datetime]:
    """Who was told about which active alarm, at which raise: ``(alarm, rule, recipient, stage, count) -> at``."""
    rows = await session.execute(
        select(
            AlertSent.alarm_id,
            AlertSent.rule_id,
            AlertSent.recipient,
            AlertSent.stage,
            AlertSent.raise_count,
            AlertSent.at,
        )
        .join(Alarm, Alarm.id == AlertSent.alarm_id)
        .where(Alarm.status == "active")
    )
    return {(a, r, who, stage, n): at for a, r, who, stage, n, at in rows}


def _first_told(
    told: dict[tuple[uuid.UUID, uuid.UUID, str, str, int], datetime], rule_id: uuid.UUID
) -> dict[tuple[uuid.UUID, int], datetime]:
    """When a rule first told anyone about each alarm's raise: escalation counts from there."""
    first: dict[tuple[uuid.UUID, int], datetime] = {}
    for (alarm_id, rid, _who, stage, count), at in told.items():
        if rid == rule_id and stage == "notify":
            key = (alarm_id, count)
            first[key] = min(at, first.get(key, at))
    return first


async def _recent(session: AsyncSession, since: datetime) -> set[tuple[uuid.UUID, str, str]]:
    """``(rule, recipient, stage)`` told since ``since``: the group interval's holds."""
    rows = await session.execute(
        select(AlertNotification.rule_id, AlertNotification.recipient, AlertNotification.stage)
        .where(AlertNotification.created_at > since, AlertNotification.stage != "test")
        .group_by(AlertNotification.rule_id, AlertNotification.recipient, AlertNotification.stage)
        .having(func.count() > 0)
    )
    return {(r, who, stage) for r, who, stage in rows}


async def _unit_paths(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Unit.id, Unit.path).where(Unit.id.in_(ids)))
    return {uid: path for uid, path in rows}

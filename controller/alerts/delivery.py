"""Sending queued alert messages: e-mail or chat, bounded in parallel, retried with backoff,
dead after the retry period. The words are composed at sending time, so a message that
waited for a relay says which of its alarms have cleared since."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from camera.guarded_http import guarded_transport
from controller import netpolicy
from controller.alerts import ack
from controller.alerts.chat import chat_body, send_chat
from controller.alerts.digest import AlarmLine, Digest, compose
from controller.alerts.email import DeliveryFailed, send_mail
from controller.db import Database
from controller.health.alarms import alarm_view
from controller.models import Alarm, AlertNotification, AlertRule, Unit, utcnow
from controller.security import SecretBox
from controller.settings import Settings

log = logging.getLogger("diemcau.alerts")

__all__ = ["Courier", "Outcome", "alarm_lines"]

DELIVER_BATCH = 50
DELIVER_AT_ONCE = 4  # a mail relay throttles a burst of connections from one client


@dataclass(frozen=True)
class Outcome:
    """What one delivery did: for the test-send answer and the logs."""

    id: uuid.UUID
    status: str  # sent | pending | dead
    error: str | None


@dataclass
class _Prepared:
    row: AlertNotification
    lines: list[AlarmLine]
    alarms: list[dict[str, Any]]
    rule: AlertRule | None


class Courier:
    def __init__(self, db: Database, box: SecretBox, settings: Settings) -> None:
        self.db, self.box, self.settings = db, box, settings
        self._client: httpx.AsyncClient | None = None
        self._rng = random.Random()
        self.sent = 0

    def _open_client(self) -> httpx.AsyncClient:
        if self._client is None:
            # connects only where the network policy allows, to the address it checked
            transport = guarded_transport(netpolicy.policy(self.settings))
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.settings.webhook_timeout_s),
                follow_redirects=False,
                transport=transport,
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- deliver -----------------------------------------------------------------------
    @property
    def console_url(self) -> str:
        return f"{self.settings.public_url.rstrip('/')}/console/#/ioc/alarms"

    def ack_url(self, notification_id: uuid.UUID) -> str:
        token = ack.link_token(self.box, notification_id)
        return f"{self.settings.public_url.rstrip('/')}/api/v1/alerts/ack/{token}"

    async def deliver(
        self, now: datetime | None = None, ids: Iterable[uuid.UUID] | None = None
    ) -> list[Outcome]:
        """Send what is due (or exactly ``ids``, whatever their due time)."""
        now = now or utcnow()
        async with self.db.transaction() as session:
            query = select(AlertNotification).where(AlertNotification.status == "pending")
            if ids is not None:
                query = query.where(AlertNotification.id.in_(list(ids)))
            else:
                query = query.where(AlertNotification.next_attempt_at <= now)
            rows = (
                await session.scalars(query.order_by(AlertNotification.created_at).limit(DELIVER_BATCH))
            ).all()
            prepared = [await self._prepare(session, row) for row in rows]
            session.expunge_all()
        if not prepared:
            return []
        gate = asyncio.Semaphore(DELIVER_AT_ONCE)

        async def one(p: _Prepared) -> tuple[_Prepared, str | None]:
            async with gate:
                try:
                    await self._send(p)
                except DeliveryFailed as exc:
                    return p, str(exc)
                return p, None

        results = await asyncio.gather(*(one(p) for p in prepared))
        return await self._record(results, now)

    async def _prepare(self, session: AsyncSession, row: AlertNotification) -> _Prepared:
        ids = [uuid.UUID(i) for i in row.alarm_ids]
        alarms = (await session.scalars(select(Alarm).where(Alarm.id.in_(ids)))).all() if ids else []
        return _Prepared(
            row,
            await alarm_lines(session, alarms),
            [alarm_view(a) for a in alarms],
            await session.get(AlertRule, row.rule_id),
        )

    async def _send(self, p: _Prepared) -> None:
        row, rule = p.row, p.rule
        if rule is None:
            raise DeliveryFailed("its rule was deleted")
        ack_url = self.ack_url(row.id) if p.lines else None
        digest = Digest(
            subject=row.subject,
            text=compose(
                p.lines,
                stage=row.stage,
                rule_name=row.rule_name,
                ack_url=ack_url,
                console_url=self.console_url,
                escalate_after_min=rule.escalate_after_min,
            ).text,
        )
        if row.channel == "email":
            if self.settings.smtp is None:
                raise DeliveryFailed("no mail server is configured (DIEMCAU_SMTP)")
            await send_mail(self.settings.smtp, row.recipient, digest)
        else:
            if not rule.url or not rule.secret_enc:
                raise DeliveryFailed("the rule has no webhook URL")
            body = chat_body(digest, row.id, row.stage, p.alarms, ack_url)
            await send_chat(self._open_client(), rule.url, self.box.decrypt(rule.secret_enc), row.id, body)

    async def _record(self, results: Sequence[tuple[_Prepared, str | None]], now: datetime) -> list[Outcome]:
        s = self.settings
        out: list[Outcome] = []
        async with self.db.transaction() as session:
            for p, error in results:
                row = await session.get(AlertNotification, p.row.id)
                if row is None:
                    continue  # its rule was deleted meanwhile
                row.attempts += 1
                if error is None:
                    row.status, row.sent_at, row.last_error = "sent", now, None
                    self.sent += 1
                else:
                    row.last_error = error
                    expired = now - row.created_at >= timedelta(hours=s.alert_retry_hours)
                    if expired or row.stage == "test":
                        row.status = "dead"
                        log.warning(
                            "alert %s to %s is dead after %d attempt(s): %s",
                            row.id,
                            row.recipient,
                            row.attempts,
                            error,
                        )
                    else:
                        row.next_attempt_at = now + timedelta(seconds=self.backoff(row.attempts))
                out.append(Outcome(row.id, row.status, row.last_error))
        return out

    def backoff(self, attempts: int) -> float:
        """Doubling from the base up to the cap, the second half of it jittered: a relay back
        from an outage is not met by every queued message in the same second."""
        s = self.settings
        ceiling = min(s.alert_backoff_max_s, s.alert_backoff_base_s * 2 ** (attempts - 1))
        return self._rng.uniform(ceiling / 2, ceiling)


async def alarm_lines(session: AsyncSession, alarms: Sequence[Alarm]) -> list[AlarmLine]:
    """The alarms as a message shows them, each with its unit and the unit's parents by name."""
    if not alarms:
        return []
    wanted: set[uuid.UUID] = set()
    for a in alarms:
        wanted |= {uuid.UUID(p) for p in a.unit_path.strip("/").split("/") if p}
    names: dict[uuid.UUID, str] = defaultdict(str)
    for uid, name in await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(wanted))):
        names[uid] = name
    out = []
    for a in alarms:
        chain = [names[uuid.UUID(p)] or p for p in reversed(a.unit_path.strip("/").split("/")) if p]
        out.append(
            AlarmLine(
                id=str(a.id),
                kind=a.kind,
                severity=a.severity,
                entity_name=a.entity_name,
                unit=", ".join(chain[:3]),
                message=a.message,
                raised_at=a.raised_at,
                active=a.status == "active",
                acknowledged_by=a.acknowledged_by,
            )
        )
    return out

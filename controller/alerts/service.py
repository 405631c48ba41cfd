"""Alert rules and their messages: what the routes do, and the acknowledgement link's two steps."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from camera.netpolicy import NetPolicy
from controller import audit
from controller.alerts import ack
from controller.alerts.engine import AlertEngine
from controller.alerts.schemas import (
    AlertNotificationPublic,
    AlertRuleCreate,
    AlertRuleCreated,
    AlertRulePublic,
    AlertRuleUpdate,
    TestOutcome,
    TestSent,
)
from controller.alerts.settings import SmtpSettings
from controller.errors import Conflict, InvalidInput, NotFound
from controller.events import OutboxSignal
from controller.fields import Page
from controller.health.alarms import acknowledge
from controller.ioc import signing
from controller.ioc.sinks import check_url
from controller.models import Alarm, AlertNotification, AlertRule, Unit, utcnow
from controller.principal import Principal
from controller.roles import Role
from controller.security import SecretBox
from controller.units.service import unit_from_body

__all__ = [
    "AckView",
    "acknowledge_by_link",
    "create_rule",
    "delete_rule",
    "get_rule",
    "list_notifications",
    "list_rules",
    "read_link",
    "resend",
    "send_test",
    "update_rule",
]


async def _counts(session: AsyncSession, rule_id: uuid.UUID) -> dict[str, int]:
    rows = await session.execute(
        select(AlertNotification.status, func.count())
        .where(AlertNotification.rule_id == rule_id)
        .group_by(AlertNotification.status)
    )
    return {s: n for s, n in rows.all()}


async def public(session: AsyncSession, rule: AlertRule) -> AlertRulePublic:
    unit = await session.scalar(select(Unit.code).where(Unit.id == rule.unit_id)) if rule.unit_id else None
    return AlertRulePublic(
        id=rule.id,
        name=rule.name,
        enabled=rule.enabled,
        unit=unit,
        min_severity=rule.min_severity,
        kinds=list(rule.kinds),
        channel=rule.channel,
        recipients=list(rule.recipients),
        url=rule.url,
        quiet_from=rule.quiet_from,
        quiet_until=rule.quiet_until,
        escalate_after_min=rule.escalate_after_min,
        escalate_to=list(rule.escalate_to),
        created_by=rule.created_by,
        created_at=rule.created_at,
        counts=await _counts(session, rule.id),
    )


async def get_rule(session: AsyncSession, rule_id: uuid.UUID) -> AlertRule:
    rule = await session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFound(f"no alert rule {rule_id}")
    return rule


async def list_rules(session: AsyncSession) -> list[AlertRulePublic]:
    rules = (await session.scalars(select(AlertRule).order_by(AlertRule.name))).all()
    return [await public(session, r) for r in rules]


async def create_rule(
    session: AsyncSession,
    data: AlertRuleCreate,
    *,
    box: SecretBox,
    smtp: SmtpSettings | None,
    allow_plaintext: bool,
    policy: NetPolicy,
    actor: Principal,
) -> AlertRuleCreated:
    """A webhook rule's signing secret is returned once, as for the IOC's sinks."""
    _check_channel(data.channel, bool(data.escalate_to), smtp)
    if data.url is not None:
        check_url("webhook", data.url, allow_plaintext, policy)
    if await session.scalar(select(AlertRule.id).where(AlertRule.name == data.name)):
        raise Conflict(f"an alert rule named {data.name!r} exists", field="name")
    unit = await unit_from_body(session, data.unit) if data.unit else None
    secret = (data.secret or signing.new_secret()) if data.channel == "webhook" else None
    rule = AlertRule(
        name=data.name,
        enabled=data.enabled,
        unit_id=unit.id if unit else None,
        min_severity=data.min_severity,
        kinds=sorted(set(data.kinds)),
        channel=data.channel,
        recipients=list(data.recipients),
        url=data.url,
        secret_enc=box.encrypt(secret) if secret else None,
        quiet_from=data.quiet_from,
        quiet_until=data.quiet_until,
        escalate_after_min=data.escalate_after_min,
        escalate_to=list(data.escalate_to),
        created_by=actor.label,
    )
    session.add(rule)
    await session.flush()
    audit.record(
        session,
        actor,
        "alert_rule.create",
        "alert_rule",
        str(rule.id),
        {"name": rule.name, "channel": rule.channel},
    )
    return AlertRuleCreated(**(await public(session, rule)).model_dump(), secret=secret)


def _check_channel(channel: str, escalates: bool, smtp: SmtpSettings | None) -> None:
    """An e-mail rule without a mail server would only fill the dead letters: say so now."""
    if smtp is None and (channel == "email" or escalates):
        raise InvalidInput(
            "no mail server is configured: set DIEMCAU_SMTP before e-mail rules or escalation",
            field="channel" if channel == "email" else "escalate_to",
        )


async def update_rule(
    session: AsyncSession,
    rule: AlertRule,
    data: AlertRuleUpdate,
    *,
    smtp: SmtpSettings | None,
    allow_plaintext: bool,
    policy: NetPolicy,
    actor: Principal,
) -> AlertRulePublic:
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    if rule.channel == "email" and changes.get("recipients") == []:
        raise InvalidInput("an email rule needs recipients", field="recipients")
    if "recipients" in changes and rule.channel != "email":
        raise InvalidInput("a webhook rule has no recipients", field="recipients")
    if "url" in changes:
        if rule.channel != "webhook" or changes["url"] is None:
            raise InvalidInput("url is a webhook rule's, and it keeps one", field="url")
        check_url("webhook", changes["url"], allow_plaintext, policy)
    quiet = (changes.get("quiet_from", rule.quiet_from), changes.get("quiet_until", rule.quiet_until))
    if (quiet[0] is None) != (quiet[1] is None):
        raise InvalidInput("quiet_from and quiet_until go together", field="quiet_from")
    escalation = (
        changes.get("escalate_after_min", rule.escalate_after_min),
        changes.get("escalate_to", rule.escalate_to),
    )
    if (escalation[0] is None) != (not escalation[1]):
        raise InvalidInput("escalate_after_min and escalate_to go together", field="escalate_to")
    _check_channel(rule.channel, bool(escalation[1]), smtp)
    for key, value in changes.items():
        setattr(rule, key, sorted(set(value)) if key == "kinds" else value)
    await session.flush()
    audit.record(
        session, actor, "alert_rule.update", "alert_rule", str(rule.id), {"changed": sorted(changes)}
    )
    return await public(session, rule)


async def delete_rule(session: AsyncSession, rule: AlertRule, actor: Principal) -> None:
    """Its messages go with it (a pending one would have nowhere to go)."""
    audit.record(session, actor, "alert_rule.delete", "alert_rule", str(rule.id), {"name": rule.name})
    await session.delete(rule)


def _notification(row: AlertNotification) -> AlertNotificationPublic:
    return AlertNotificationPublic(
        id=row.id,
        rule_id=row.rule_id,
        rule_name=row.rule_name,
        stage=row.stage,
        channel=row.channel,
        recipient=row.recipient,
        subject=row.subject,
        alarms=len(row.alarm_ids),
        status=row.status,
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
        last_error=row.last_error,
        acked_at=row.acked_at,
    )


async def list_notifications(
    session: AsyncSession, status: str | None, rule_id: uuid.UUID | None, limit: int, offset: int
) -> Page[AlertNotificationPublic]:
    """Newest first: the dead letters the admin looks for are recent ones."""
    query = select(AlertNotification)
    if status is not None:
        query = query.where(AlertNotification.status == status)
    if rule_id is not None:
        query = query.where(AlertNotification.rule_id == rule_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = (
        await session.scalars(
            query.order_by(AlertNotification.created_at.desc(), AlertNotification.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return Page(items=[_notification(r) for r in rows], total=total, limit=limit, offset=offset)


async def resend(
    session: AsyncSession, notification_id: uuid.UUID, actor: Principal
) -> AlertNotificationPublic:
    """A dead message back in the queue (the relay is fixed): it goes out at the next pass."""
    row = await session.get(AlertNotification, notification_id)
    if row is None:
        raise NotFound(f"no alert message {notification_id}")
    if row.status != "dead":
        raise Conflict(f"the message is {row.status}, not dead", field="status")
    now = utcnow()
    row.status, row.next_attempt_at, row.created_at = "pending", now, now  # a new retry period
    audit.record(
        session, actor, "alert_message.resend", "alert_message", str(row.id), {"recipient": row.recipient}
    )
    await session.flush()
    return _notification(row)


async def send_test(engine: AlertEngine, rule: AlertRule) -> TestSent:
    """Sent now, and answered with what the relay said: a test is for finding out."""
    ids = await engine.queue_test(rule)
    outcomes = await engine.courier.deliver(ids=ids)
    return TestSent(messages=[TestOutcome(id=o.id, status=o.status, error=o.error) for o in outcomes])


# -- the acknowledgement link ---------------------------------------------------------------


class AckView:
    """What the link's page shows: the message and its alarms, and whether it still works."""

    def __init__(self, row: AlertNotification, alarms: list[Alarm], usable: str | None) -> None:
        self.row, self.alarms, self.refusal = row, alarms, usable


async def read_link(session: AsyncSession, box: SecretBox, token: str) -> AckView:
    """The message a link names; a link not signed here is a 404 (nothing to guess from)."""
    notification_id = ack.read_token(box, token)
    row = await session.get(AlertNotification, notification_id) if notification_id else None
    if row is None or not row.alarm_ids:
        raise NotFound("this acknowledgement link is not valid")
    alarms = list(
        (
            await session.scalars(select(Alarm).where(Alarm.id.in_([uuid.UUID(i) for i in row.alarm_ids])))
        ).all()
    )
    refusal = None
    if row.acked_at is not None:
        refusal = "used"
    elif row.ack_expires_at is None or row.ack_expires_at <= utcnow():
        refusal = "expired"
    return AckView(row, alarms, refusal)


async def acknowledge_by_link(
    session: AsyncSession, signal: OutboxSignal | None, box: SecretBox, token: str
) -> tuple[AckView, int]:
    """Acknowledge the message's still-active, unacknowledged alarms, once; (view, how many).

    The acknowledger is the recipient (``email:<address>``; a chat rule's ``chat:<rule>``),
    as the audit trail and the alarm's history show."""
    view = await read_link(session, box, token)
    if view.refusal is not None:
        return view, 0
    row = view.row
    if row.channel == "email":
        actor = Principal(name=row.recipient, role=Role.ioc_operator, kind="email")
    else:
        actor = Principal(name=row.rule_name, role=Role.ioc_operator, kind="chat")
    done = 0
    for alarm in view.alarms:
        if alarm.status == "active" and alarm.acknowledged_at is None:
            await acknowledge(
                session,
                signal,
                actor,
                alarm.id,
                f"acknowledged from the alert message {row.subject!r}"[:1000],
            )
            done += 1
    row.acked_at = utcnow()
    await session.flush()
    return view, done

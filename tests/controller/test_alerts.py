"""Alerts reach people: digests over a real SMTP server (aiosmtpd), quiet hours, escalation,
the acknowledgement link, retries and dead letters, and the signed chat webhook.

The engine's background loop is stopped in most tests and passes are run with a chosen
``now``, so group waits and escalations are exact; `test_the_running_controller_mails_*`
keeps the loop running, as in production.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from controller.alerts.engine import AlertEngine
from controller.ioc.signing import verify
from controller.models import Alarm, AlarmHistory, AlertNotification, OutboxEvent, Unit
from controller.roles import Role
from tests.support.http_peer import Peer, serving
from tests.support.smtp_server import SmtpServer

T0 = datetime(2026, 12, 7, 0, 30, tzinfo=UTC)  # 07:30 in the province
TECH, BOSS = "kythuat.huyen1@tinh.gov.vn", "truongphong@tinh.gov.vn"


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpServer]:
    server = SmtpServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def controller_settings(smtp: SmtpServer) -> dict:
    return {
        "smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none", "sender": "diemcau@tinh.gov.vn"},
        "public_url": "https://diemcau.tinh.gov.vn",
        "alert_group_wait_s": 30,
        "alert_group_interval_s": 300,
        "alert_backoff_base_s": 30,
        "alert_retry_hours": 1,
    }


@pytest.fixture
async def engine(controller) -> AlertEngine:
    """The controller's engine with its loop stopped: the test runs each pass itself."""
    alerts: AlertEngine = controller.state.alerts
    await alerts.stop()
    return alerts


async def communes(controller) -> list[Unit]:
    async with controller.state.db.transaction() as session:
        rows = (await session.scalars(select(Unit).where(Unit.level == "commune").order_by(Unit.code))).all()
        session.expunge_all()
    return list(rows)


async def raise_alarms(
    controller, count: int, at: datetime, *, kind="unreachable", severity="major", units=None
) -> list[uuid.UUID]:
    """``count`` active alarms, one per endpoint, spread over the communes (as an evaluator writes them)."""
    units = units or await communes(controller)
    ids = []
    async with controller.state.db.transaction() as session:
        for i in range(count):
            unit = units[i % len(units)]
            entity = uuid.uuid4()
            alarm = Alarm(
                dedupe_key=f"endpoint:{entity}:{kind}",
                entity_type="endpoint",
                entity_id=entity,
                entity_name=f"UBND-{unit.code}-{i:03d}",
                unit_path=unit.path,
                kind=kind,
                severity=severity,
                status="active",
                message="No TCP connection to the endpoint",
                code=kind,
                params={},
                first_seen=at,
                last_seen=at,
                raised_at=at,
            )
            session.add(alarm)
            await session.flush()
            ids.append(alarm.id)
    return ids


async def add_rule(controller, **body) -> dict:
    body = {"name": "Kỹ thuật tỉnh", "recipients": [TECH], "min_severity": "major"} | body
    r = await controller.client.post("/api/v1/alerts/rules", json=body, headers=controller.auth(Role.admin))
    assert r.status_code == 201, r.text
    return r.json()


async def messages(controller, **params) -> list[dict]:
    r = await controller.client.get(
        "/api/v1/alerts/messages", params=params, headers=controller.auth(Role.admin)
    )
    assert r.status_code == 200, r.text
    return r.json()["items"]


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


# -- digests --------------------------------------------------------------------------------------


async def test_two_hundred_alarms_make_one_message_per_recipient(controller, engine, smtp):
    await add_rule(controller, recipients=[TECH, BOSS])
    await raise_alarms(controller, 200, T0)
    queued, sent = await engine.tick(T0 + timedelta(seconds=10))
    assert (queued, sent) == (0, [])  # inside the group wait: more may be on the way
    queued, sent = await engine.tick(T0 + timedelta(seconds=31))
    assert queued == 2 and [o.status for o in sent] == ["sent", "sent"]
    assert len(smtp.inbox.messages) == 2
    (mail,) = smtp.inbox.to(TECH)
    assert mail["Subject"] == "[diemcau] 200 cảnh báo: Không truy cập được (200)"
    assert mail["From"] == "diemcau@tinh.gov.vn" and mail["Auto-Submitted"] == "auto-generated"
    text = body_of(mail)
    lines = [line for line in text.split("-- English --")[0].splitlines() if line.startswith("- ")]
    assert len(lines) == 100 and "... và 100 cảnh báo khác" in text
    assert lines[0].startswith("- Cao · Không truy cập được · UBND-") and "từ 07:30 07/12" in lines[0]
    assert "Huyện Số 1, Tỉnh Mẫu" in text  # the commune, then its parents
    assert re.search(r"https://diemcau\.tinh\.gov\.vn/api/v1/alerts/ack/[A-Za-z0-9_-]{40,}", text)
    # nothing twice: the next pass has nothing new to say
    assert await engine.tick(T0 + timedelta(seconds=60)) == (0, [])
    # a new alarm waits for the group interval (300 s since the last message), then goes alone
    await raise_alarms(controller, 1, T0 + timedelta(seconds=70), kind="camera_offline")
    assert (await engine.tick(T0 + timedelta(seconds=200)))[0] == 0
    queued, _ = await engine.tick(T0 + timedelta(seconds=332))
    assert queued == 2
    later = smtp.inbox.to(TECH)[1]
    assert later["Subject"] == "[diemcau] 1 cảnh báo: Camera mất kết nối (1)"
    listed = await messages(controller)
    assert [m["alarms"] for m in listed] == [1, 1, 200, 200] and {m["status"] for m in listed} == {"sent"}


async def test_a_rule_sends_only_its_subtree_its_kinds_and_severities(controller, engine, smtp):
    units = await communes(controller)
    district = units[0].path.strip("/").split("/")[-2]
    async with controller.state.db.transaction() as session:
        code = (await session.get(Unit, uuid.UUID(district))).code
    await add_rule(controller, name="Huyện 1", unit=code, kinds=["unreachable"], min_severity="major")
    inside = [u for u in units if u.path.startswith(units[0].path.rsplit("/", 2)[0] + "/")]
    outside = [u for u in units if u not in inside]
    assert inside and outside
    await raise_alarms(controller, 2, T0, units=inside)
    await raise_alarms(controller, 3, T0, units=outside)  # another district
    await raise_alarms(controller, 1, T0, units=inside, kind="camera_black")  # another kind
    await raise_alarms(controller, 1, T0, units=inside, severity="minor")  # below major
    await engine.tick(T0 + timedelta(minutes=1))
    (mail,) = smtp.inbox.messages
    assert mail["Subject"] == "[diemcau] 2 cảnh báo: Không truy cập được (2)"


async def test_quiet_hours_hold_all_but_critical_until_they_end(controller, engine, smtp):
    await add_rule(controller, quiet_from="22:00", quiet_until="06:00")
    night = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)  # 23:00 local
    await raise_alarms(controller, 3, night)
    await raise_alarms(controller, 1, night, kind="uplink", severity="critical")
    await engine.tick(night + timedelta(minutes=1))
    (mail,) = smtp.inbox.messages
    assert mail["Subject"] == "[diemcau] 1 cảnh báo: Mất đường truyền cả đơn vị (1)"
    await engine.tick(night + timedelta(hours=6))  # 05:00: still quiet
    assert len(smtp.inbox.messages) == 1
    await engine.tick(night + timedelta(hours=7, minutes=1))  # 06:01
    assert smtp.inbox.messages[1]["Subject"] == "[diemcau] 3 cảnh báo: Không truy cập được (3)"


async def test_nobody_acknowledges_then_the_escalation_list_is_told(controller, engine, smtp):
    await add_rule(controller, escalate_after_min=15, escalate_to=[BOSS])
    first, second = await raise_alarms(controller, 2, T0)
    await engine.tick(T0 + timedelta(minutes=1))
    assert [m["To"] for m in smtp.inbox.messages] == [TECH]
    # one of the two is acknowledged on the console in time
    r = await controller.client.post(
        f"/api/v1/alarms/{first}/ack",
        json={"comment": "đang xử lý"},
        headers=controller.auth(Role.ioc_operator),
    )
    assert r.status_code == 200, r.text
    await engine.tick(T0 + timedelta(minutes=10))
    assert len(smtp.inbox.messages) == 1  # not late yet
    await engine.tick(T0 + timedelta(minutes=17))
    escalation = smtp.inbox.to(BOSS)
    assert len(escalation) == 1
    assert (
        escalation[0]["Subject"]
        == "[diemcau] CHƯA AI XÁC NHẬN sau 15 phút: 1 cảnh báo: Không truy cập được (1)"
    )
    assert "chưa ai xác nhận sau 15 phút" in body_of(escalation[0])
    await engine.tick(T0 + timedelta(minutes=40))
    assert len(smtp.inbox.messages) == 2  # each alarm escalates once per raise


# -- the acknowledgement link ---------------------------------------------------------------------


async def test_the_link_in_the_message_acknowledges_its_alarms_once(controller, engine, smtp):
    await add_rule(controller)
    ids = await raise_alarms(controller, 3, T0)
    await engine.tick(T0 + timedelta(minutes=1))
    (mail,) = smtp.inbox.messages
    url = re.search(
        r"https://diemcau\.tinh\.gov\.vn(/api/v1/alerts/ack/[A-Za-z0-9_-]+)", body_of(mail)
    ).group(1)
    c = controller.client
    page = await c.get(url)  # no token: the link is the credential; opening it changes nothing
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Xác nhận 3 cảnh báo / Acknowledge 3" in page.text and 'method="post"' in page.text
    async with controller.state.db.transaction() as session:
        assert all(a.acknowledged_at is None for a in (await session.scalars(select(Alarm))).all())
    done = await c.post(url)
    assert done.status_code == 200 and "Đã xác nhận 3 cảnh báo." in done.text
    async with controller.state.db.transaction() as session:
        alarms = (await session.scalars(select(Alarm).where(Alarm.id.in_(ids)))).all()
        assert {a.acknowledged_by for a in alarms} == {f"email:{TECH}"}
        history = (
            await session.scalars(select(AlarmHistory).where(AlarmHistory.action == "acknowledged"))
        ).all()
        assert len(history) == 3 and history[0].actor == f"email:{TECH}"
        events = (
            await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "alarm.acknowledged"))
        ).all()
        assert len(events) == 3
    again = await c.post(url)
    assert again.status_code == 410 and "Liên kết này đã được dùng." in again.text
    token = url.rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    r = await c.post(url.replace(token, forged))
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert (await c.get("/api/v1/alerts/ack/not-a-token-at-all")).status_code == 404
    # acknowledged: the escalation and later passes leave them alone
    assert await engine.tick(T0 + timedelta(hours=1)) == (0, [])


async def test_an_expired_link_acknowledges_nothing(controller, engine, smtp):
    await add_rule(controller)
    (alarm_id,) = await raise_alarms(controller, 1, T0)
    await engine.tick(T0 + timedelta(minutes=1))
    url = re.search(r"(/api/v1/alerts/ack/[A-Za-z0-9_-]+)", body_of(smtp.inbox.messages[0])).group(1)
    async with controller.state.db.transaction() as session:
        row = (await session.scalars(select(AlertNotification))).one()
        assert row.ack_expires_at == T0 + timedelta(minutes=1, hours=72)  # DIEMCAU_ALERT_ACK_LINK_HOURS
        row.ack_expires_at = datetime.now(UTC) - timedelta(seconds=1)
    r = await controller.client.post(url)
    assert r.status_code == 410 and "Liên kết này đã hết hạn." in r.text
    async with controller.state.db.transaction() as session:
        assert (await session.get(Alarm, alarm_id)).acknowledged_at is None


# -- a relay that is down -------------------------------------------------------------------------


async def test_a_relay_that_is_down_is_retried_then_dead_then_sent_again(controller, engine, smtp):
    await smtp.stop()
    await add_rule(controller)
    await raise_alarms(controller, 5, T0)
    await engine.tick(T0 + timedelta(minutes=1))
    (row,) = await messages(controller)
    assert row["status"] == "pending" and row["attempts"] == 1
    assert row["last_error"].startswith("SMTPConnectError") and f"port {smtp.port}" in row["last_error"]
    retry_at = datetime.fromisoformat(row["next_attempt_at"])
    assert timedelta(seconds=15) <= retry_at - (T0 + timedelta(minutes=1)) <= timedelta(seconds=31)
    assert (await engine.tick(T0 + timedelta(minutes=1, seconds=10)))[1] == []  # not due yet
    # past the retry period (1 h in this test): a dead letter, listed for the admin
    await engine.tick(T0 + timedelta(hours=2))
    (dead,) = await messages(controller, status="dead")
    assert dead["attempts"] == 2 and dead["alarms"] == 5 and dead["last_error"]
    assert not smtp.inbox.messages
    scrape = await controller.client.get("/metrics", headers=controller.auth(Role.admin))
    assert 'diemcau_alert_messages{rule="Kỹ thuật tỉnh",status="dead"} 1.0' in scrape.text
    # the relay is back; the admin sends the dead letter again
    await smtp.start()
    r = await controller.client.post(
        f"/api/v1/alerts/messages/{dead['id']}/resend", headers=controller.auth(Role.admin)
    )
    assert r.status_code == 200 and r.json()["status"] == "pending", r.text
    await engine.tick()
    assert [m["status"] for m in await messages(controller)] == ["sent"]
    assert smtp.inbox.messages[0]["Subject"] == "[diemcau] 5 cảnh báo: Không truy cập được (5)"
    again = await controller.client.post(
        f"/api/v1/alerts/messages/{dead['id']}/resend", headers=controller.auth(Role.admin)
    )
    assert again.status_code == 409


async def test_a_test_message_answers_with_what_the_relay_said(controller, engine, smtp):
    smtp.inbox.refuse.add(BOSS)
    rule = await add_rule(controller, recipients=[TECH, BOSS])
    r = await controller.client.post(
        f"/api/v1/alerts/rules/{rule['id']}/test", headers=controller.auth(Role.admin)
    )
    assert r.status_code == 200, r.text
    outcomes = r.json()["messages"]
    assert sorted(o["status"] for o in outcomes) == ["dead", "sent"]
    refused = next(o for o in outcomes if o["status"] == "dead")
    assert "550" in refused["error"] and "no such mailbox" in refused["error"]
    (mail,) = smtp.inbox.messages
    assert mail["To"] == TECH and "Thư thử" in mail["Subject"]
    assert "/alerts/ack/" not in body_of(mail)  # a test names no alarm: nothing to acknowledge


# -- the chat webhook -----------------------------------------------------------------------------


async def test_a_chat_rule_posts_a_signed_digest(controller, engine):
    async with serving(Peer(status=200, content_type="application/json", body=b"{}")) as peer:
        rule = await add_rule(
            controller,
            name="Nhóm Mattermost",
            channel="webhook",
            recipients=[],
            url=f"http://127.0.0.1:{peer.port}/hooks/x",
        )
        secret = rule["secret"]
        assert secret.startswith("whsec_")
        got = await controller.client.get(
            f"/api/v1/alerts/rules/{rule['id']}", headers=controller.auth(Role.admin)
        )
        assert "secret" not in got.json()
        await raise_alarms(controller, 4, T0)
        queued, sent = await engine.tick(T0 + timedelta(minutes=1))
        assert queued == 1 and sent[0].status == "sent"
        (request,) = peer.requests
    head, body = request.split(b"\r\n\r\n", 1)
    headers = {
        k.strip().lower(): v.strip()
        for k, v in (line.split(":", 1) for line in head.decode().split("\r\n")[1:] if ":" in line)
    }
    assert verify(secret, headers, body)
    assert headers["webhook-id"].startswith("alert_")
    data = json.loads(body)
    assert data["subject"] == "[diemcau] 4 cảnh báo: Không truy cập được (4)"
    assert data["text"].startswith(data["subject"]) and len(data["alarms"]) == 4
    assert data["ack_url"].startswith("https://diemcau.tinh.gov.vn/api/v1/alerts/ack/")
    (row,) = await messages(controller)
    assert row["recipient"] == "webhook"  # the URL (the channel's key) is not repeated in every row


# -- the loop as it runs ------------------------------------------------------------------------


async def test_the_running_controller_mails_a_new_alarm_by_itself(controller, smtp):
    controller.state.settings.alert_group_wait_s = 0.5
    controller.state.settings.alert_eval_s = 0.5
    await add_rule(controller)  # pokes the loop
    await raise_alarms(controller, 2, datetime.now(UTC))
    await smtp.inbox.wait_for(1, timeout_s=20)
    assert smtp.inbox.messages[0]["Subject"] == "[diemcau] 2 cảnh báo: Không truy cập được (2)"
    await asyncio.sleep(1.5)
    assert len(smtp.inbox.messages) == 1


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"recipients": []}, None, "an email rule needs recipients"),
        ({"recipients": ["a@x.vn", "A@x.vn"]}, None, "lists an address twice"),
        ({"recipients": ["kythuat@x.vn\r\nBcc: all@x.vn"]}, "recipients", "pattern"),
        ({"recipients": ["Tên <a@x.vn>"]}, "recipients", "pattern"),
        ({"quiet_from": "22:00"}, None, "quiet_from and quiet_until go together"),
        ({"quiet_from": "24:00", "quiet_until": "06:00"}, "quiet_from", "not a time of day"),
        ({"escalate_after_min": 15}, None, "escalate_after_min and escalate_to go together"),
        ({"min_severity": "urgent"}, "min_severity", None),
        ({"kinds": ["Unreachable!"]}, "kinds", "pattern"),
        (
            {"channel": "webhook", "recipients": [], "url": "file:///etc/passwd"},
            "url",
            "must be https://host",
        ),
        (
            {"channel": "webhook", "recipients": [], "url": "http://chat.tinh.gov.vn/hooks/x"},
            "url",
            "plaintext",
        ),
        ({"unit": "NO-SUCH-UNIT"}, "unit", None),
        ({"password": "x"}, "password", None),
    ],
)
async def test_a_bad_rule_is_refused_with_its_field(controller, body, field, words):
    base = {"name": "Sai", "recipients": [TECH]}
    r = await controller.client.post(
        "/api/v1/alerts/rules", json=base | body, headers=controller.auth(Role.admin)
    )
    assert r.status_code in (404, 422), r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    shown = json.dumps(problem, ensure_ascii=False)
    if field is not None:
        assert field in shown, problem
    if words is not None:
        assert words in shown, problem
    listed = await controller.client.get("/api/v1/alerts/rules", headers=controller.auth(Role.admin))
    assert listed.json() == []


async def test_email_rules_need_a_mail_server(controller):
    controller.state.settings.smtp = None  # as a controller started without DIEMCAU_SMTP
    r = await controller.client.post(
        "/api/v1/alerts/rules", json={"name": "x", "recipients": [TECH]}, headers=controller.auth(Role.admin)
    )
    assert r.status_code == 422
    assert "no mail server is configured: set DIEMCAU_SMTP" in r.json()["detail"]


async def test_rules_and_messages_are_the_provinces(controller):
    rule = await add_rule(controller)
    for role, allowed in (
        (Role.ioc_operator, True),
        (Role.technician, False),
        (Role.host, False),
        (Role.ioc_viewer, False),
    ):
        r = await controller.client.get("/api/v1/alerts/rules", headers=controller.auth(role))
        assert (r.status_code == 200) is allowed, (role, r.status_code)
    r = await controller.client.patch(
        f"/api/v1/alerts/rules/{rule['id']}",
        json={"enabled": False},
        headers=controller.auth(Role.ioc_operator),
    )
    assert r.status_code == 403
    r = await controller.client.patch(
        f"/api/v1/alerts/rules/{rule['id']}",
        json={"quiet_from": "23:00"},
        headers=controller.auth(Role.admin),
    )
    assert r.status_code == 422 and "quiet_from and quiet_until go together" in r.text
    r = await controller.client.patch(
        f"/api/v1/alerts/rules/{rule['id']}",
        json={"quiet_from": "23:00", "quiet_until": "05:30", "kinds": ["uplink", "unreachable", "uplink"]},
        headers=controller.auth(Role.admin),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["quiet_from"], r.json()["quiet_until"], r.json()["kinds"]) == (
        "23:00",
        "05:30",
        ["unreachable", "uplink"],
    )
    r = await controller.client.delete(
        f"/api/v1/alerts/rules/{rule['id']}", headers=controller.auth(Role.admin)
    )
    assert r.status_code == 204
    assert (
        await controller.client.get(f"/api/v1/alerts/rules/{rule['id']}", headers=controller.auth(Role.admin))
    ).status_code == 404


# -- the pure parts -----------------------------------------------------------------------------


def test_quiet_hours_cross_midnight_in_the_provinces_time():
    from controller.alerts.rules import in_quiet_hours, quiet_hours_end

    at = lambda hh, mm: datetime(2026, 12, 7, hh, mm, tzinfo=UTC) - timedelta(hours=7)  # noqa: E731 - local hh:mm
    assert [
        in_quiet_hours("22:00", "06:00", at(h, m)) for h, m in ((21, 59), (22, 0), (3, 0), (5, 59), (6, 0))
    ] == [
        False,
        True,
        True,
        True,
        False,
    ]
    assert [
        in_quiet_hours("12:00", "13:30", at(h, m)) for h, m in ((11, 59), (12, 0), (13, 29), (13, 30))
    ] == [
        False,
        True,
        True,
        False,
    ]
    assert not in_quiet_hours(None, None, at(23, 0))
    assert quiet_hours_end("06:00", at(23, 0)) == at(6, 0) + timedelta(days=1)


def test_a_rule_never_silences_an_alarm_of_unknown_severity():
    from controller.alerts.rules import Match

    rule = Match(unit_path="/a/b/", min_severity="critical", kinds=frozenset())
    assert rule.selects("/a/b/c/", "critical", "uplink") and not rule.selects("/a/b/c/", "major", "uplink")
    assert rule.selects("/a/b/c/", "apocalyptic", "uplink")
    assert not rule.selects("/a/bb/", "critical", "uplink")  # a sibling whose id starts alike


def test_a_mail_server_without_tls_is_refused_beyond_loopback():
    from pydantic import ValidationError

    from controller.alerts.settings import SmtpSettings

    with pytest.raises(ValidationError, match="security none sends the password and alerts in clear"):
        SmtpSettings(host="mail.tinh.gov.vn", security="none")
    assert SmtpSettings(host="mail.tinh.gov.vn").effective_port == 587
    assert SmtpSettings(host="mail.tinh.gov.vn", security="tls").effective_port == 465
    with pytest.raises(ValidationError, match="username and password go together"):
        SmtpSettings(host="mail.tinh.gov.vn", username="diemcau")

"""Logs an operator can use: one setup, key=value or JSON lines, a request id on the lines of
a request and in its problem responses, one line per state change, no secret on any line."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import uuid

import pytest

from controller import logs
from controller.logs import REQUEST_ID, JsonFormatter, KeyValueFormatter, Redact
from controller.models import Alarm, utcnow
from controller.roles import Role
from controller.settings import Settings


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("open rtsp://admin:Cam-Pass-77@10.0.0.5/stream failed", "Cam-Pass-77"),
        ("sink secret whsec_MTIzNDU2Nzg5MGFiY2RlZg== made", "MTIzNDU2Nzg5MGFiY2RlZg"),
        ("api key dck_AbCdEf123456_xyz used", "AbCdEf123456_xyz"),
        ("refresh drt_Zm9vYmFyYmF6cXV4 rotated", "Zm9vYmFyYmF6cXV4"),
        ("header Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl seen", "c2lnbmF0dXJl"),
        ('xConfiguration password="Dev1ce-Pw" sent', "Dev1ce-Pw"),
        ("login password=hunter2-x&user=a", "hunter2-x"),
        ('{"password": "Json-Pw-1", "name": "a"}', "Json-Pw-1"),
        ("stored gAAAAABm0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCD== row", "0123456789abcdefghij"),
    ],
)
def test_anything_that_looks_like_a_secret_is_redacted(line, secret):
    out = logs.redact(line)
    assert secret not in out
    assert out.split()[0] == line.split()[0]  # the rest of the line is kept


def test_redaction_keeps_ordinary_text():
    text = "endpoint.state: endpoint HUYEN-1 online -> offline reason=timeout url=rtsp://10.0.0.5/s"
    assert logs.redact(text) == text


def _handler(formatter: logging.Formatter) -> tuple[logging.Handler, io.StringIO]:
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.addFilter(Redact())
    handler.setFormatter(formatter)
    return handler, buf


def _emit(formatter: logging.Formatter, request_id: str | None = None) -> str:
    handler, buf = _handler(formatter)
    log = logging.getLogger(f"test.logs.{uuid.uuid4().hex}")
    log.addHandler(handler)
    log.propagate = False
    log.setLevel(logging.DEBUG)
    token = REQUEST_ID.set(request_id)
    try:
        log.warning("camera %s: %s", "CAM 1", "rtsp://u:Leak-9@h/x refused")
        logs.state_change(
            log,
            "camera.state",
            "camera CAM 1 online -> offline",
            {"old": "online", "new": "offline", "reason": "no stream"},
        )
        try:
            raise ValueError("password=Trace-Pw-3")
        except ValueError:
            log.exception("probe failed")
    finally:
        REQUEST_ID.reset(token)
    return buf.getvalue()


def test_key_value_lines_carry_level_logger_request_id_and_fields():
    out = _emit(KeyValueFormatter(), request_id="req-42")
    lines = out.splitlines()
    assert " WARNING test.logs." in lines[0] and "request_id=req-42" in lines[0]
    assert "Leak-9" not in out and "Trace-Pw-3" not in out  # message and traceback alike
    state = lines[1]
    assert "INFO" in state and "event=camera.state" in state
    assert "old=online" in state and "new=offline" in state and 'reason="no stream"' in state
    assert "ValueError" in out  # the traceback is kept, redacted


def test_json_lines_parse_and_carry_the_same():
    out = _emit(JsonFormatter(), request_id=None)
    docs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [d["level"] for d in docs] == ["WARNING", "INFO", "ERROR"]
    assert docs[0]["request_id"] is None and "Leak-9" not in docs[0]["msg"]
    assert docs[1]["event"] == "camera.state" and docs[1]["new"] == "offline"
    assert "ValueError" in docs[2]["exc"] and "Trace-Pw-3" not in docs[2]["exc"]


def test_the_level_and_format_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DIEMCAU_LOG_LEVEL", "debug")
    monkeypatch.setenv("DIEMCAU_LOG_FORMAT", "json")
    s = Settings()
    assert (s.log_level, s.log_format) == ("DEBUG", "json")
    monkeypatch.setenv("DIEMCAU_LOG_LEVEL", "loud")
    with pytest.raises(ValueError):
        Settings()


def test_configure_routes_uvicorn_and_ours_through_one_redacting_handler(capsys):
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    named = {
        n: (logging.getLogger(n).handlers[:], logging.getLogger(n).propagate, logging.getLogger(n).level)
        for n in ("uvicorn", "uvicorn.error", "uvicorn.access", "asyncssh")
    }
    try:
        # a uvicorn.Config made earlier in the process (a test's receiver) leaves its level behind
        logging.getLogger("uvicorn.error").setLevel(logging.ERROR)
        logs.configure("INFO", "kv")
        logging.getLogger("uvicorn.error").info("Started server process with %s", "Bearer tok-123")
        logging.getLogger("diemcau.x").debug("not shown at INFO")
        logging.getLogger("asyncssh").info("channel chatter is held back")
        err = capsys.readouterr().err
    finally:
        root.handlers[:], root.level = saved
        for n, (handlers, propagate, level) in named.items():
            lg = logging.getLogger(n)
            lg.handlers[:], lg.propagate, lg.level = handlers, propagate, level
    assert "INFO uvicorn.error request_id=- Started server process with Bearer ***" in err
    assert "tok-123" not in err and "not shown" not in err and "chatter" not in err
    assert err.count("Started server process") == 1  # no second copy from uvicorn's handlers


async def test_a_request_id_is_echoed_and_put_in_problems(controller):
    c, h = controller.client, controller.auth(Role.admin)
    r = await c.get(f"/api/v1/endpoints/{uuid.uuid4()}", headers=h | {"X-Request-ID": "proxy-7f3a"})
    assert r.status_code == 404
    assert r.headers["x-request-id"] == "proxy-7f3a" and r.json()["request_id"] == "proxy-7f3a"
    r = await c.get("/api/v1/endpoints", headers=h | {"X-Request-ID": "bad id\twith=junk"})
    rid = r.headers["x-request-id"]
    assert r.status_code == 200 and rid != "bad id\twith=junk" and len(rid) == 16
    r = await c.get("/api/v1/endpoints")  # the middleware's own 401 carries one too
    assert r.status_code == 401 and r.json()["request_id"] == r.headers["x-request-id"]


async def test_a_state_change_is_one_line_once_committed(controller, caplog):
    caplog.set_level(logging.INFO, logger="diemcau.events")
    from controller.events import emit

    async with controller.state.db.transaction() as session:
        emit(
            session,
            None,
            "camera.state",
            "camera",
            "c-1",
            {"name": "CAM-X", "old": "online", "new": "offline"},
        )
        assert not [r for r in caplog.records if r.name == "diemcau.events"]  # not before commit
    await _settle()
    lines = [r for r in caplog.records if r.name == "diemcau.events"]
    assert len(lines) == 1 and lines[0].getMessage() == "camera.state: camera CAM-X online -> offline"
    assert lines[0].fields["entity_id"] == "c-1" and lines[0].fields["new"] == "offline"

    with pytest.raises(RuntimeError):
        async with controller.state.db.transaction() as session:
            emit(session, None, "camera.state", "camera", "c-2", {"name": "rolled back"})
            raise RuntimeError("the change fails")
    await _settle()
    assert not any("rolled back" in r.getMessage() for r in caplog.records)


async def test_the_line_of_a_change_made_by_a_request_carries_its_id(controller, caplog):
    caplog.set_level(logging.INFO, logger="diemcau.events")
    caplog.handler.addFilter(Redact())  # what sets request_id on a record in the real handler
    now = utcnow()
    async with controller.state.db.transaction() as session:
        alarm = Alarm(
            dedupe_key="offline:x",
            entity_type="endpoint",
            entity_id=uuid.uuid4(),
            entity_name="HUYEN-1",
            unit_path="/x/",
            kind="offline",
            severity="major",
            status="active",
            message="offline",
            first_seen=now,
            last_seen=now,
            raised_at=now,
        )
        session.add(alarm)
    c, h = controller.client, controller.auth(Role.technician)
    r = await c.post(
        f"/api/v1/alarms/{alarm.id}/ack",
        json={"comment": "called the commune"},
        headers=h | {"X-Request-ID": "ioc-req-1"},
    )
    assert r.status_code == 200
    await _settle()
    [line] = [r for r in caplog.records if r.name == "diemcau.events"]
    assert line.getMessage() == "alarm.acknowledged: endpoint HUYEN-1"
    assert line.request_id == "ioc-req-1" and line.fields["acknowledged_by"]


async def _settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)

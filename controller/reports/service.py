"""The reports' reads: the units a report names, the attendance workbook, the readiness
export (the board as it is), the monthly summary (a handful of grouped queries whatever the
number of units).

Every report is scoped like the page it comes from: the readiness export is the caller's
board (`readiness.service.board`), the monthly summary covers only units inside the
caller's units.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import and_, exists, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from controller.models import ConferenceSession, Endpoint, Participant, ReadinessCheck, Unit, utcnow
from controller.readiness import service as readiness
from controller.reports.monthly import CheckRow, Tally, count_fixes, month_bounds, monthly_table
from controller.reports.schemas import MonthlyReport, MonthlyRow
from controller.reports.sheets import attendance_tables, readiness_table
from controller.reports.tables import Table, UnitTree, to_csv
from controller.reports.xlsx import MEDIA_TYPE, workbook
from controller.scope import UnitScope
from controller.sessions.attendance import LOCAL
from controller.sessions.schemas import Attendance
from controller.units.service import get_unit

__all__ = ["XLSX", "Download", "attendance_download", "monthly", "monthly_download", "readiness_download"]

XLSX = MEDIA_TYPE
FileFormat = Literal["xlsx", "csv"]


@dataclass(frozen=True)
class Download:
    content: bytes
    media_type: str
    filename: str

    @property
    def disposition(self) -> str:
        return f'attachment; filename="{self.filename}"'


def _filename(*parts: str, ext: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(parts)) + f".{ext}"


def _file(tables: list[Table], fmt: FileFormat, *name: str) -> Download:
    if fmt == "csv":  # one table: the first sheet (a CSV has no second one)
        return Download(
            to_csv(tables[0]).encode("utf-8"), "text/csv; charset=utf-8", _filename(*name, ext="csv")
        )
    return Download(workbook(tables), XLSX, _filename(*name, ext="xlsx"))


def _path_ids(path: str) -> list[uuid.UUID]:
    return [uuid.UUID(part) for part in path.strip("/").split("/") if part]


async def _with_ancestors(session: AsyncSession, units: list[Unit]) -> UnitTree:
    """The units and every ancestor of theirs (their names make the tree columns)."""
    have = {u.id for u in units}
    missing = {i for u in units for i in _path_ids(u.path)} - have
    if missing:
        units = units + list(await session.scalars(select(Unit).where(Unit.id.in_(sorted(missing)))))
    return UnitTree.of(units)


async def unit_tree(session: AsyncSession, codes: Iterable[str]) -> UnitTree:
    """The units of these codes with their ancestors: two queries."""
    wanted = sorted(set(codes))
    units = list(await session.scalars(select(Unit).where(Unit.code.in_(wanted)))) if wanted else []
    return await _with_ancestors(session, units)


async def attendance_download(session: AsyncSession, row: ConferenceSession, att: Attendance) -> Download:
    """The attendance as a workbook: the participants and the roll call."""
    tree = await unit_tree(session, (p.unit_code for p in att.participants))
    return _file(attendance_tables(att, row.dial_string, tree), "xlsx", "attendance", row.conference_id)


async def readiness_download(
    session: AsyncSession,
    allowed: UnitScope,
    session_id: uuid.UUID | None,
    unit: str | None,
    fmt: FileFormat,
) -> Download:
    """The readiness board (of a session, or under a unit) as a file."""
    board = await readiness.board(session, allowed, session_id, unit)
    tree = await unit_tree(session, (item.unit_code for item in board.items))
    label = None
    if unit is not None:
        root = await get_unit(session, unit)
        label = f"{root.name} ({root.code})"
    now = utcnow()
    table = readiness_table(board, tree, label, now)
    which = str(session_id) if session_id else (unit or "all")
    return _file([table], fmt, "readiness", which, now.astimezone(LOCAL).strftime("%Y%m%d-%H%M"))


def _inside(path: Any, allowed: UnitScope, root: Unit | None) -> ColumnElement[bool]:
    sub = path.startswith(root.path, autoescape=True) if root is not None else true()
    return and_(allowed.where(path), sub)


async def _participations(
    session: AsyncSession, inside: ColumnElement[bool], start: datetime, end: datetime
) -> list[tuple[uuid.UUID, str, int, int]]:
    """(session, unit code, invited, joined) of the sessions started in the month."""
    rows = await session.execute(
        select(
            Participant.session_id,
            Participant.unit_code,
            func.count(),
            func.count(Participant.first_join_at),
        )
        .join(ConferenceSession, Participant.session_id == ConferenceSession.id)
        .join(Unit, Unit.code == Participant.unit_code)
        .where(
            inside,
            ConferenceSession.status.in_(("live", "ended")),
            ConferenceSession.started_at >= start,
            ConferenceSession.started_at < end,
        )
        .group_by(Participant.session_id, Participant.unit_code)
    )
    return [(sid, code, int(n), int(joined)) for sid, code, n, joined in rows.all()]


async def _checks(
    session: AsyncSession, inside: ColumnElement[bool], start: datetime, end: datetime
) -> list[CheckRow]:
    rows = await session.execute(
        select(
            ReadinessCheck.endpoint_id,
            ReadinessCheck.unit_path,
            ReadinessCheck.verdict,
            ReadinessCheck.reasons,
            ReadinessCheck.created_at,
        )
        .where(
            inside,
            ReadinessCheck.status == "done",
            ReadinessCheck.created_at >= start,
            ReadinessCheck.created_at < end,
        )
        .order_by(ReadinessCheck.created_at, ReadinessCheck.id)
    )
    return [
        CheckRow(
            endpoint_id=row.endpoint_id,
            unit_id=_path_ids(row.unit_path)[-1],
            verdict=row.verdict,
            blocking=tuple(r["code"] for r in row.reasons or [] if r.get("blocking", True)),
            at=row.created_at,
        )
        for row in rows.all()
    ]


async def _open_at(
    session: AsyncSession, allowed: UnitScope, root: Unit | None, start: datetime
) -> dict[uuid.UUID, datetime]:
    """Endpoints not ready when the month began: since their first not-ready check after
    their last ready one (one query, whatever the history's length)."""
    broken, later = aliased(ReadinessCheck), aliased(ReadinessCheck)
    fixed_since = exists().where(
        later.endpoint_id == broken.endpoint_id,
        later.status == "done",
        later.verdict == "ready",
        later.created_at > broken.created_at,
        later.created_at < start,
    )
    rows = await session.execute(
        select(broken.endpoint_id, func.min(broken.created_at))
        .where(
            _inside(broken.unit_path, allowed, root),
            broken.endpoint_id.is_not(None),
            broken.status == "done",
            broken.verdict == "not_ready",
            broken.created_at < start,
            ~fixed_since,
        )
        .group_by(broken.endpoint_id)
    )
    return {ep: at for ep, at in rows.all() if ep is not None}


async def monthly(
    session: AsyncSession, allowed: UnitScope, month: str, unit: str | None = None
) -> MonthlyReport:
    """Each unit of the subtree inside the caller's units, over the province's month."""
    start, end = month_bounds(month)
    root = await get_unit(session, unit) if unit is not None else None
    in_units = _inside(Unit.path, allowed, root)
    units = list(await session.scalars(select(Unit).where(in_units)))
    tree = await _with_ancestors(session, units)
    tally: dict[uuid.UUID, Tally] = defaultdict(Tally)
    total = Tally()
    counted = await session.execute(
        select(Endpoint.unit_id, func.count())
        .join(Unit, Endpoint.unit_id == Unit.id)
        .where(in_units)
        .group_by(Endpoint.unit_id)
    )
    for unit_id, n in counted.all():
        tally[unit_id].endpoints = int(n)
        total.endpoints += int(n)
    for sid, code, invited, joined in await _participations(session, in_units, start, end):
        target = tree.by_code(code)
        for t in (tally[target.id] if target else Tally(), total):
            t.sessions.add(sid)
            t.invited += invited
            t.joined += joined
    checks = await _checks(session, _inside(ReadinessCheck.unit_path, allowed, root), start, end)
    for c in checks:
        tally[c.unit_id].add_check(c)
        total.add_check(c)
    for unit_id, seconds in count_fixes(await _open_at(session, allowed, root, start), checks):
        tally[unit_id].fix_s.append(seconds)
        total.fix_s.append(seconds)
    rows = []
    for u in sorted(units, key=lambda u: tree.order(u)):
        district, commune = tree.columns(u)
        rows.append(
            MonthlyRow(
                unit_code=u.code,
                unit_name=u.name,
                level=u.level,
                district=district,
                commune=commune,
                **tally[u.id].figures().model_dump(),
            )
        )
    return MonthlyReport(
        month=month,
        unit=root.code if root else None,
        unit_name=root.name if root else None,
        period_start=start.astimezone(UTC),
        period_end=end.astimezone(UTC),
        rows=rows,
        totals=total.figures(),
    )


def monthly_download(report: MonthlyReport, fmt: FileFormat) -> Download:
    label = f"{report.unit_name} ({report.unit})" if report.unit else None
    return _file([monthly_table(report, label)], fmt, "monthly", report.month, report.unit or "all")

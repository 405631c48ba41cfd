"""A report as a table, whatever file it becomes: the unit tree as columns, typed cells, CSV.

A `Table` is one sheet: a title block (label, value) above a header row and data rows whose
cells are text, numbers or times. `xlsx.py` writes it as a worksheet; `to_csv` writes the
header and rows only, with the same Vietnamese headers, so a clerk sees the same columns in
either file. Times in a table are local (Asia/Ho_Chi_Minh) and naive, as Excel wants them.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from controller.models import Unit
from controller.sessions.attendance import LOCAL, safe_cell

__all__ = ["TIME_NOTE", "UNIT_HEADERS", "Cell", "Table", "UnitTree", "local", "to_csv"]

Cell = str | int | float | datetime | None
UNIT_HEADERS = ["Huyện/Thị xã", "Xã/Phường", "Mã đơn vị"]
TIME_NOTE = "Giờ Việt Nam (UTC+7)"


@dataclass
class Table:
    sheet: str  # the worksheet's name (at most 31 characters)
    title: str
    facts: list[tuple[str, Cell]]  # the title block under the title: label, value
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    strong: set[int] = field(default_factory=set)  # indexes of rows shown bold (districts, totals)
    wide: set[str] = field(default_factory=set)  # headers of columns holding long text


def local(at: datetime | None) -> datetime | None:
    """A stored UTC time as Excel wants it: the province's wall clock, naive, whole seconds."""
    return at.astimezone(LOCAL).replace(tzinfo=None, microsecond=0) if at else None


@dataclass
class UnitTree:
    """The units a report names, with their ancestors: where each sits in the tree."""

    by_id: dict[uuid.UUID, Unit]
    codes: dict[str, Unit]

    @classmethod
    def of(cls, units: Iterable[Unit]) -> UnitTree:
        listed = list(units)
        return cls({u.id: u for u in listed}, {u.code: u for u in listed})

    def by_code(self, code: str) -> Unit | None:
        return self.codes.get(code)

    def chain(self, unit: Unit) -> list[Unit]:
        """The unit's ancestors and itself, the root first (those this tree holds)."""
        ids = [uuid.UUID(part) for part in unit.path.strip("/").split("/") if part]
        return [self.by_id[i] for i in ids if i in self.by_id] or [unit]

    def columns(self, unit: Unit | None, fallback: str = "") -> tuple[str, str]:
        """(district, commune) names: a commune has both; a district its own name and no
        commune; the province office the province in the district column and no commune.
        A commune straight under its province (the two-level structure of 2025) has the
        province in the district column; a unit deeper than a commune shows its path."""
        if unit is None:
            return fallback, ""
        chain = self.chain(unit)
        top = next((i for i, u in enumerate(chain) if u.level == "province"), 0)
        below = chain[top + 1 :]
        if not below:
            return chain[top].name, ""
        if below[0].level == "commune":
            return chain[top].name, " / ".join(u.name for u in below)
        return below[0].name, " / ".join(u.name for u in below[1:])

    def order(self, unit: Unit | None, fallback: str = "") -> tuple[int, tuple[str, ...]]:
        """Sort key: the tree depth-first, siblings by code; units no longer known last."""
        if unit is None:
            return 1, (fallback,)
        return 0, tuple(u.code for u in self.chain(unit))


def _csv_value(value: Cell) -> str:
    """Text through the attendance CSV's formula guard; our own numbers and times as they
    are (a clock skew of -3.0 s stays a number, not the text ``'-3.0``)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, int):
        return str(value)
    return safe_cell(value)


def to_csv(table: Table) -> str:
    """UTF-8 with a BOM (Excel then reads Vietnamese right), every field quoted, every text
    cell guarded against formulas; the header row and the rows (no title block)."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(safe_cell(h) for h in table.headers)
    for row in table.rows:
        writer.writerow(_csv_value(value) for value in row)
    return buf.getvalue()

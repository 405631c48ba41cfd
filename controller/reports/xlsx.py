"""Tables as an Excel workbook (openpyxl): one worksheet per `Table`.

Each sheet: the title and its facts, then the header row (frozen, with an autofilter) and the
rows. Times are real Excel date-times holding the province's wall clock (Excel has no time
zones; the title block says "Giờ Việt Nam (UTC+7)"), numbers are numbers. Every text cell
is written as a string (``data_type = "s"``), never a formula, whatever it starts with: an
endpoint named ``=HYPERLINK(...)`` shows as typed; one that looks like a formula also gets
the quote prefix, so editing the cell in Excel keeps it text.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from controller.reports.tables import Cell, Table

__all__ = ["MEDIA_TYPE", "workbook"]

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm:ss"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def _put(ws: Any, row: int, col: int, value: Cell) -> Any:
    cell = ws.cell(row=row, column=col)
    if value == "":
        return cell  # an empty cell, not an empty string: Excel's filters show it as blank
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl would make "=..." a formula
        if value.lstrip().startswith(_FORMULA_START):
            cell.quotePrefix = True
    elif isinstance(value, datetime):
        cell.value = value
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, float):
        cell.value = value
        cell.number_format = "0.0"
    else:
        cell.value = value
    return cell


def _width(value: Cell) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 19
    if isinstance(value, float):
        return len(f"{value:.1f}")
    return max(len(line) for line in str(value).split("\n"))


def _sheet(ws: Any, table: Table) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    bold, header_fill = Font(bold=True), PatternFill("solid", start_color="DDE4EE")
    wrap_top = Alignment(wrap_text=True, vertical="top")
    ws.title = table.sheet[:31]
    _put(ws, 1, 1, table.title).font = Font(bold=True, size=14)
    for i, (label, value) in enumerate(table.facts, start=2):
        _put(ws, i, 1, label).font = bold
        _put(ws, i, 2, value).alignment = Alignment(horizontal="left")
    header = len(table.facts) + 3
    for col, name in enumerate(table.headers, start=1):
        cell = _put(ws, header, col, name)
        cell.font, cell.fill, cell.alignment = bold, header_fill, wrap_top
    wrap = {i for i, name in enumerate(table.headers) if name in table.wide}
    for r, values in enumerate(table.rows, start=header + 1):
        for col, value in enumerate(values, start=1):
            cell = _put(ws, r, col, value)
            if col - 1 in wrap:
                cell.alignment = wrap_top
            if r - header - 1 in table.strong:
                cell.font = bold
    for col, name in enumerate(table.headers, start=1):
        longest = max([_width(row[col - 1]) for row in table.rows] + [len(name) // 2 + 1, 8])
        limit = 60 if col - 1 in wrap else 40
        ws.column_dimensions[get_column_letter(col)].width = min(longest + 2, limit)
    last = get_column_letter(len(table.headers))
    ws.freeze_panes = f"A{header + 1}"
    ws.auto_filter.ref = f"A{header}:{last}{header + max(len(table.rows), 1)}"


def workbook(tables: list[Table]) -> bytes:
    """The tables as one .xlsx file, a worksheet each, in order."""
    # imported here: openpyxl is 26 MB of a process that writes a workbook now and then
    from openpyxl import Workbook  # type: ignore[import-untyped]

    wb = Workbook()
    wb.properties.creator = "diemcau"
    for i, table in enumerate(tables):
        _sheet(wb.active if i == 0 else wb.create_sheet(), table)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

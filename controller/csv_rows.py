"""Reading a spreadsheet export (CSV) into validated rows, whatever is being imported.

Every problem is reported as (line, field, reason) so a technician can fix the
file in one pass: all rows are checked, not just up to the first error. Excel's
BOM and semicolon-separated files are accepted; secret columns are never echoed
back in an error.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from controller.errors import ImportRejected, InvalidInput
from controller.fields import RowError
from controller.models import Unit
from controller.scope import UnitScope

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Unique(Generic[M]):
    """Rows must differ in ``key``; a repeat is reported on ``field`` with ``what``."""

    field: str
    key: Callable[[M], Hashable]
    shown: Callable[[M], str]
    what: str


@dataclass(frozen=True)
class CsvSpec(Generic[M]):
    model: type[M]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    secret: frozenset[str] = frozenset({"password"})
    unique: tuple[Unique[M], ...] = ()


@dataclass
class Row(Generic[M]):
    line: int
    data: M


@dataclass
class ParsedFile(Generic[M]):
    rows: list[Row[M]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0

    def reject_or_keep(self, valid_only: bool) -> None:
        """All-or-nothing unless ``valid_only``: then the good rows go on and the bad are listed."""
        self.errors.sort(key=lambda e: (e.line, e.field or ""))
        if self.errors and not valid_only:
            raise ImportRejected(
                f"{len(self.errors)} problem(s) in {self.total} row(s); nothing was imported",
                errors=[e.model_dump() for e in self.errors],
                rows=self.total,
                code="import.rejected",
            )


def shown(spec: CsvSpec[M], column: str | None, value: str | None) -> str | None:
    if column in spec.secret or value is None:
        return None
    return value if len(value) <= 80 else value[:77] + "..."


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"the file is not UTF-8 (byte {exc.start}); in Excel use 'CSV UTF-8' when saving",
            field="file",
        ) from None


def _header(reader: Iterator[list[str]], spec: CsvSpec[M]) -> list[str]:
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("the file is empty; expected a header line", field="file") from None
    except csv.Error as exc:
        raise InvalidInput(f"line 1: {exc}", field="file") from None
    columns = [h.strip().lower() for h in header]
    missing = [c for c in spec.required if c not in columns]
    unknown = [c for c in columns if c not in spec.required + spec.optional]
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    header_errors = (
        [
            RowError(line=1, field=c, reason="required column is missing", code="column.missing")
            for c in missing
        ]
        + [
            RowError(line=1, field=c or None, reason="unknown column", value=c, code="column.unknown")
            for c in unknown
        ]
        + [
            RowError(line=1, field=c, reason="column appears more than once", code="column.repeated")
            for c in dupes
        ]
    )
    if header_errors:
        raise ImportRejected(
            "the header line is not valid",
            errors=[e.model_dump() for e in header_errors],
            rows=0,
            code="import.header",
        )
    return columns


def scalar_params(ctx: dict[str, Any] | None) -> dict[str, str | int | float]:
    """A validation error's details that a console can word (limits, expected values)."""
    out: dict[str, str | int | float] = {}
    for key, value in (ctx or {}).items():
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            continue
        out[key] = value
    return out


def parse(text: str, spec: CsvSpec[M], max_rows: int) -> ParsedFile[M]:
    """Validate every row with ``spec.model``; repeats within the file are caught here too."""
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    columns = _header(reader, spec)
    out: ParsedFile[M] = ParsedFile()
    seen: list[dict[Hashable, int]] = [{} for _ in spec.unique]
    line = reader.line_num
    while True:
        start = line + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            out.errors.append(
                RowError(
                    line=start,
                    field=None,
                    reason=f"cannot parse CSV: {exc}",
                    code="csv.unreadable",
                    params={"detail": str(exc)},
                )
            )
            break
        line = reader.line_num
        if not values or all(not v.strip() for v in values):
            continue
        out.total += 1
        if out.total > max_rows:
            raise InvalidInput(f"more than {max_rows} data rows; split the file", field="file")
        if len(values) != len(columns):
            out.errors.append(
                RowError(
                    line=start,
                    field=None,
                    reason=f"expected {len(columns)} fields, found {len(values)}",
                    code="row.field_count",
                    params={"expected": len(columns), "found": len(values)},
                )
            )
            continue
        record = {c: v if c in spec.secret else v.strip() for c, v in zip(columns, values, strict=True)}
        payload = {k: v for k, v in record.items() if v != "" or k in spec.required}
        try:
            data = spec.model.model_validate(payload)
        except ValidationError as exc:
            for err in exc.errors():
                col = str(err["loc"][0]) if err["loc"] else None
                out.errors.append(
                    RowError(
                        line=start,
                        field=col,
                        reason=err["msg"],
                        value=shown(spec, col, record.get(col or "")),
                        code=f"value.{err['type']}",
                        params=scalar_params(err.get("ctx")),
                    )
                )
            continue
        clash = next(
            (
                (u, seen_u[u.key(data)])
                for u, seen_u in zip(spec.unique, seen, strict=True)
                if u.key(data) in seen_u
            ),
            None,
        )
        if clash is not None:
            u, first = clash
            out.errors.append(
                RowError(
                    line=start,
                    field=u.field,
                    value=u.shown(data),
                    reason=f"same {u.what} as line {first}",
                    code="row.repeated",
                    params={"line": first},
                )
            )
            continue
        for u, seen_u in zip(spec.unique, seen, strict=True):
            seen_u[u.key(data)] = start
        out.rows.append(Row(start, data))
    return out


def unit_problems(line: int, code: str, units: Mapping[str, Unit], scope: UnitScope) -> list[RowError]:
    """What is wrong with a row's unit: it does not exist, or lies outside the caller's units
    (endpoints and cameras alike)."""
    if code not in units:
        return [
            RowError(
                line=line, field="unit", value=code, reason="no unit with this code", code="unit.unknown"
            )
        ]
    if not scope.covers(units[code].path):
        return [
            RowError(
                line=line,
                field="unit",
                value=code,
                reason="outside the units you are responsible for",
                code="unit.outside_scope",
            )
        ]
    return []

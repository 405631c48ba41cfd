"""Reading a spreadsheet export (CSV) into validated rows, whatever is being imported.

Every problem is reported as (line, field, reason) so a technician can fix the
file in one pass: all rows are checked, not just up to the first error, and a row
that fails validation is still checked on the fields that did validate (repeats in
the file here; unit, profile and clashes with what is registered by the importer),
so fixing one problem never uncovers the next. Excel's BOM and semicolon-separated
files are accepted; secret columns are never echoed back in an error.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from controller.errors import ImportRejected, InvalidInput
from controller.fields import RowError
from controller.models import Unit
from controller.scope import UnitScope

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Unique(Generic[M]):
    """Rows must differ in ``key``; a repeat is reported on ``field`` with ``what``.

    ``key`` also sees the partial data of a row that failed validation (`Row.has`): reading
    a field that did not validate raises AttributeError, and the row is then not compared."""

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
    """One data line. ``ok``: it may be imported (so far). A row that failed validation
    holds only the fields that validated on their own: ``bad`` names the others, which are
    absent from ``data`` (reading one raises AttributeError); ask `has` before reading."""

    line: int
    data: M
    ok: bool = True
    bad: frozenset[str] = frozenset()

    def has(self, *names: str) -> bool:
        """Whether every one of ``names`` holds a valid value (given, or its default)."""
        return all(n in vars(self.data) for n in names)


@dataclass
class ParsedFile(Generic[M]):
    rows: list[Row[M]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0
    invalid: list[Row[M]] = field(default_factory=list)
    """Rows with a problem, kept (with their valid fields) to be checked further."""
    columns: list[str] = field(default_factory=list)

    def every_row(self) -> list[Row[M]]:
        """The good rows and the bad ones (whose columns had the right count), by line."""
        return sorted([*self.rows, *self.invalid], key=lambda r: r.line)

    def sort_errors(self) -> None:
        """By line, then by the file's column order (a problem of the whole row first)."""
        order = {c: i for i, c in enumerate(self.columns)}
        self.errors.sort(key=lambda e: (e.line, -1 if e.field is None else order.get(e.field, len(order))))

    def reject_or_keep(self, valid_only: bool) -> None:
        """All-or-nothing unless ``valid_only``: then the good rows go on and the bad are listed."""
        self.sort_errors()
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


@functools.cache
def _field_adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any] | None:
    """One field's own validation, for a row whose other fields fail; None when the model
    checks the field with its own ``@field_validator`` (not run here: the field is not used)."""
    validators = model.__pydantic_decorators__.field_validators.values()
    if any(name in v.info.fields or "*" in v.info.fields for v in validators):
        return None
    return TypeAdapter(model.model_fields[name].rebuild_annotation(), config=model.model_config)


def _partial(model: type[M], payload: dict[str, str], bad: set[str]) -> M:
    """``model`` with the fields that validate on their own (or their defaults); the rest absent."""
    values: dict[str, Any] = {}
    for name, raw in payload.items():
        if name in bad or name not in model.model_fields:
            continue
        adapter = _field_adapter(model, name)
        if adapter is None:
            bad.add(name)
            continue
        try:
            values[name] = adapter.validate_python(raw)
        except ValidationError:
            bad.add(name)
    data = model.model_construct(**values)
    for name in bad:
        vars(data).pop(name, None)
    return data


def _validate(spec: CsvSpec[M], line: int, record: dict[str, str], out: ParsedFile[M]) -> Row[M]:
    payload = {k: v for k, v in record.items() if v != "" or k in spec.required}
    try:
        return Row(line, spec.model.model_validate(payload))
    except ValidationError as exc:
        bad: set[str] = set()
        for err in exc.errors():
            col = str(err["loc"][0]) if err["loc"] else None
            if col is not None:
                bad.add(col)
            out.errors.append(
                RowError(
                    line=line,
                    field=col,
                    reason=err["msg"],
                    value=shown(spec, col, record.get(col or "")),
                    code=f"value.{err['type']}",
                    params=scalar_params(err.get("ctx")),
                )
            )
        data = _partial(spec.model, payload, bad)
        return Row(line, data, ok=False, bad=frozenset(bad))


def _key(u: Unique[M], row: Row[M]) -> Hashable | None:
    try:
        return u.key(row.data)
    except AttributeError:  # a field the key needs did not validate
        return None


def _repeats(spec: CsvSpec[M], rows: list[Row[M]]) -> list[RowError]:
    """Repeats inside the file. The good rows are compared first, among themselves, as if
    the bad ones were not there: with ``valid_only`` a bad row never holds back a good one.
    A bad row is then compared with the good rows, then with the bad rows already seen; a
    repeat that involves a bad row is reported on the bad row."""
    first_good: list[dict[Hashable, int]] = [{} for _ in spec.unique]
    first_bad: list[dict[Hashable, int]] = [{} for _ in spec.unique]
    errors: list[RowError] = []
    for row in sorted(rows, key=lambda r: (not r.ok, r.line)):
        keys = [_key(u, row) for u in spec.unique]
        clashes = 0
        for u, key, good, bad in zip(spec.unique, keys, first_good, first_bad, strict=True):
            first = None if key is None else good.get(key) if row.ok else good.get(key, bad.get(key))
            if first is None:
                continue
            clashes += 1
            errors.append(
                RowError(
                    line=row.line,
                    field=u.field,
                    value=u.shown(row.data),
                    reason=f"same {u.what} as line {first}",
                    code="row.repeated",
                    params={"line": first},
                )
            )
        if clashes:
            row.ok = False
        for key, seen in zip(keys, first_good if row.ok else first_bad, strict=True):
            if key is not None:
                seen.setdefault(key, row.line)
    return errors


def parse(text: str, spec: CsvSpec[M], max_rows: int) -> ParsedFile[M]:
    """Validate every row with ``spec.model``; repeats within the file are caught here too.

    ``rows`` are the good rows; ``invalid`` the others whose fields could be told apart,
    with what did validate, for the importer's own checks."""
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    columns = _header(reader, spec)
    out: ParsedFile[M] = ParsedFile(columns=columns)
    rows: list[Row[M]] = []
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
        rows.append(_validate(spec, start, record, out))
    out.errors += _repeats(spec, rows)
    out.rows = [r for r in rows if r.ok]
    out.invalid = [r for r in rows if not r.ok]
    out.sort_errors()
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

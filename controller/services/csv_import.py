"""Bulk registration from a spreadsheet export (CSV).

Every problem is reported as (line, field, reason) so a technician can fix the
file in one pass: all rows are checked, not just up to the first error. The
default is all-or-nothing; `valid_only` imports the good rows and still lists
the bad ones, so nothing is dropped silently.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from controller.errors import ImportRejected, InvalidInput
from controller.models import Endpoint, Unit
from controller.principal import Principal
from controller.schemas import EndpointCreate, ImportReport, RowError
from controller.security import SecretBox
from controller.services import audit

REQUIRED = ("name", "unit", "host", "port", "username", "password", "profile")
OPTIONAL = ("host_key", "sip_uri", "description")
SECRET_COLUMNS = frozenset({"password"})


@dataclass
class _Row:
    line: int
    data: EndpointCreate


@dataclass
class ParsedFile:
    rows: list[_Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0


def _shown(column: str | None, value: str | None) -> str | None:
    if column in SECRET_COLUMNS or value is None:
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


def parse(text: str, max_rows: int) -> ParsedFile:
    """Validate every row; cross-row duplicates are caught here too."""
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    out = ParsedFile()
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("the file is empty; expected a header line", field="file") from None
    except csv.Error as exc:
        raise InvalidInput(f"line 1: {exc}", field="file") from None
    columns = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in columns]
    unknown = [c for c in columns if c not in REQUIRED + OPTIONAL]
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    header_errors = (
        [RowError(line=1, field=c, reason="required column is missing") for c in missing]
        + [RowError(line=1, field=c or None, reason="unknown column", value=c) for c in unknown]
        + [RowError(line=1, field=c, reason="column appears more than once") for c in dupes]
    )
    if header_errors:
        raise ImportRejected(
            "the header line is not valid", errors=[e.model_dump() for e in header_errors], rows=0
        )

    seen_names: dict[tuple[str, str], int] = {}
    seen_addrs: dict[tuple[str, int], int] = {}
    line = reader.line_num
    while True:
        start = line + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            out.errors.append(RowError(line=start, field=None, reason=f"cannot parse CSV: {exc}"))
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
                )
            )
            continue
        record = {c: v.strip() if c != "password" else v for c, v in zip(columns, values, strict=True)}
        payload = {k: v for k, v in record.items() if v != "" or k in REQUIRED}
        try:
            data = EndpointCreate.model_validate(payload)
        except ValidationError as exc:
            for err in exc.errors():
                col = str(err["loc"][0]) if err["loc"] else None
                out.errors.append(
                    RowError(
                        line=start,
                        field=col,
                        reason=err["msg"],
                        value=_shown(col, record.get(col or "")),
                    )
                )
            continue
        name_key, addr_key = (data.unit, data.name), (data.host, data.port)
        if name_key in seen_names:
            out.errors.append(
                RowError(
                    line=start,
                    field="name",
                    value=data.name,
                    reason=f"same name and unit as line {seen_names[name_key]}",
                )
            )
            continue
        if addr_key in seen_addrs:
            out.errors.append(
                RowError(
                    line=start,
                    field="host",
                    value=f"{data.host}:{data.port}",
                    reason=f"same host and port as line {seen_addrs[addr_key]}",
                )
            )
            continue
        seen_names[name_key], seen_addrs[addr_key] = start, start
        out.rows.append(_Row(start, data))
    return out


async def check_against_db(
    session: AsyncSession, parsed: ParsedFile, profiles: Iterable[str]
) -> dict[str, Unit]:
    """Unknown units/profiles and clashes with registered endpoints become row errors."""
    known_profiles = set(profiles)
    codes = {r.data.unit for r in parsed.rows}
    units = {u.code: u for u in await session.scalars(select(Unit).where(Unit.code.in_(codes)))}
    names = {(r.data.unit, r.data.name) for r in parsed.rows}
    addrs = {(r.data.host, r.data.port) for r in parsed.rows}
    taken_names: set[tuple[str, str]] = set()
    if units and names:
        rows = await session.execute(
            select(Unit.code, Endpoint.name)
            .join(Unit, Endpoint.unit_id == Unit.id)
            .where(Unit.code.in_(list(units)), Endpoint.name.in_({n for _, n in names}))
        )
        taken_names = {(c, n) for c, n in rows}
    taken_addrs: set[tuple[str, int]] = set()
    if addrs:
        rows = await session.execute(
            select(Endpoint.host, Endpoint.port).where(tuple_(Endpoint.host, Endpoint.port).in_(addrs))
        )
        taken_addrs = {(h, p) for h, p in rows}
    good: list[_Row] = []
    for row in parsed.rows:
        d = row.data
        problems = []
        if d.unit not in units:
            problems.append(
                RowError(line=row.line, field="unit", value=d.unit, reason="no unit with this code")
            )
        if d.profile not in known_profiles:
            problems.append(
                RowError(
                    line=row.line,
                    field="profile",
                    value=d.profile,
                    reason=f"unknown profile; known: {', '.join(sorted(known_profiles))}",
                )
            )
        if (d.unit, d.name) in taken_names:
            problems.append(
                RowError(
                    line=row.line,
                    field="name",
                    value=d.name,
                    reason="an endpoint with this name already exists in the unit",
                )
            )
        if (d.host, d.port) in taken_addrs:
            problems.append(
                RowError(
                    line=row.line,
                    field="host",
                    value=f"{d.host}:{d.port}",
                    reason="an endpoint at this host and port is already registered",
                )
            )
        if problems:
            parsed.errors.extend(problems)
        else:
            good.append(row)
    parsed.rows = good
    return units


async def import_csv(
    session: AsyncSession,
    box: SecretBox,
    profiles: Iterable[str],
    raw: bytes,
    actor: Principal,
    *,
    valid_only: bool,
    max_rows: int,
    source: str = "upload",
) -> ImportReport:
    parsed = parse(decode(raw), max_rows)
    units = await check_against_db(session, parsed, profiles)
    parsed.errors.sort(key=lambda e: (e.line, e.field or ""))
    if parsed.errors and not valid_only:
        raise ImportRejected(
            f"{len(parsed.errors)} problem(s) in {parsed.total} row(s); nothing was imported",
            errors=[e.model_dump() for e in parsed.errors],
            rows=parsed.total,
        )
    endpoints = [
        Endpoint(
            name=r.data.name,
            unit_id=units[r.data.unit].id,
            host=r.data.host,
            port=r.data.port,
            username=r.data.username,
            password_enc=box.encrypt(r.data.password),
            profile=r.data.profile,
            host_key=r.data.host_key,
            host_key_source="registered" if r.data.host_key else None,
            sip_uri=r.data.sip_uri,
            description=r.data.description,
        )
        for r in parsed.rows
    ]
    session.add_all(endpoints)
    await session.flush()
    audit.record(
        session,
        actor,
        "endpoint.import",
        "endpoint",
        None,
        {
            "source": source,
            "rows": parsed.total,
            "imported": len(endpoints),
            "rejected_lines": sorted({e.line for e in parsed.errors}),
            "names": [e.name for e in endpoints][:500],
        },
    )
    return ImportReport(
        rows=parsed.total, valid=len(endpoints), imported=len(endpoints), errors=parsed.errors
    )

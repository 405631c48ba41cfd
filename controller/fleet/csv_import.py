"""Bulk registration of endpoints from a spreadsheet export (CSV).

Rows are read by `csv_rows` (every problem as line, field, reason); here they
are checked against the database. The default is all-or-nothing; `valid_only`
imports the good rows and still lists the bad ones, so nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from controller import audit
from controller.csv_rows import CsvSpec, ParsedFile, Row, Unique, decode, parse, unit_problems
from controller.fields import ImportReport, RowError
from controller.fleet.schemas import EndpointCreate
from controller.models import Endpoint, Unit
from controller.principal import Principal
from controller.provisioning.standards import StandardResolver, device_problems, facts
from controller.scope import EVERYWHERE, UnitScope
from controller.security import SecretBox
from endpoints import Profile

SPEC: CsvSpec[EndpointCreate] = CsvSpec(
    model=EndpointCreate,
    required=("name", "unit", "host", "port", "username", "password", "profile"),
    optional=("host_key", "sip_uri", "description"),
    unique=(
        Unique("name", lambda d: (d.unit, d.name), lambda d: d.name, "name and unit"),
        Unique("host", lambda d: (d.host, d.port), lambda d: f"{d.host}:{d.port}", "host and port"),
    ),
)


@dataclass(frozen=True)
class _Registered:
    """What the database holds that a file's rows are checked against."""

    units: dict[str, Unit]
    names: set[tuple[str, str]]
    addrs: set[tuple[str, int]]
    resolver: StandardResolver


def _row_problems(
    row: Row[EndpointCreate],
    db: _Registered,
    profiles: Mapping[str, Profile],
    scope: UnitScope,
    reported: set[str | None],
) -> list[RowError]:
    """Each check runs on the fields it needs when they validated (`Row.has`); a clash is not
    looked for on a field already reported (e.g. repeated in the file)."""
    d, line = row.data, row.line
    problems: list[RowError] = []
    if row.has("unit"):
        problems += unit_problems(line, d.unit, db.units, scope)
    unit_ok = row.has("unit") and not problems
    profile_ok = row.has("profile") and d.profile in profiles
    if row.has("profile") and not profile_ok:
        known = ", ".join(sorted(profiles))
        problems.append(
            RowError(
                line=line,
                field="profile",
                value=d.profile,
                reason=f"unknown profile; known: {known}",
                code="profile.unknown",
                params={"known": known},
            )
        )
    if unit_ok and row.has("name") and "name" not in reported and (d.unit, d.name) in db.names:
        problems.append(
            RowError(
                line=line,
                field="name",
                value=d.name,
                reason="an endpoint with this name already exists in the unit",
                code="endpoint.name_taken",
            )
        )
    if row.has("host", "port") and "host" not in reported and (d.host, d.port) in db.addrs:
        problems.append(
            RowError(
                line=line,
                field="host",
                value=f"{d.host}:{d.port}",
                reason="an endpoint at this host and port is already registered",
                code="endpoint.address_taken",
            )
        )
    if unit_ok and profile_ok and row.has("name", "host", "sip_uri"):
        unit = db.units[d.unit]
        problems += [
            RowError(
                line=line,
                field="name",
                value=d.name,
                reason=f"the province standard's {problem}",
                code="standard.limit",
                params={"problem": problem},
            )
            for problem in device_problems(
                db.resolver, unit, facts(d.name, unit, d.sip_uri, d.host), profiles[d.profile]
            )
        ]
    return problems


async def check_against_db(
    session: AsyncSession,
    parsed: ParsedFile[EndpointCreate],
    profiles: Mapping[str, Profile],
    scope: UnitScope = EVERYWHERE,
) -> dict[str, Unit]:
    """Unknown units/profiles, clashes with registered endpoints and names that would make
    the province standard exceed the device's limits become row errors.

    Every row is checked, those `parse` already refused too (on the fields that validated),
    and every check runs whatever else is wrong with the row: one import lists all of it."""
    rows = parsed.every_row()
    codes = {r.data.unit for r in rows if r.has("unit")}
    units = {u.code: u for u in await session.scalars(select(Unit).where(Unit.code.in_(codes)))}
    names = {(r.data.unit, r.data.name) for r in rows if r.has("unit", "name")}
    addrs = {(r.data.host, r.data.port) for r in rows if r.has("host", "port")}
    taken_names: set[tuple[str, str]] = set()
    if units and names:
        name_rows = await session.execute(
            select(Unit.code, Endpoint.name)
            .join(Unit, Endpoint.unit_id == Unit.id)
            .where(Unit.code.in_(list(units)), Endpoint.name.in_({n for _, n in names}))
        )
        taken_names = {(c, n) for c, n in name_rows}
    taken_addrs: set[tuple[str, int]] = set()
    if addrs:
        addr_rows = await session.execute(
            select(Endpoint.host, Endpoint.port).where(tuple_(Endpoint.host, Endpoint.port).in_(addrs))
        )
        taken_addrs = {(h, p) for h, p in addr_rows}
    db = _Registered(units, taken_names, taken_addrs, await StandardResolver.load(session))
    reported: dict[int, set[str | None]] = {}
    for e in parsed.errors:
        reported.setdefault(e.line, set()).add(e.field)
    good: list[Row[EndpointCreate]] = []
    for row in rows:
        problems = _row_problems(row, db, profiles, scope, reported.get(row.line, set()))
        parsed.errors.extend(problems)
        if row.ok and not problems:
            good.append(row)
        elif row.ok:
            row.ok = False
            parsed.invalid.append(row)
    parsed.rows = good
    parsed.invalid.sort(key=lambda r: r.line)
    parsed.sort_errors()
    return units


async def import_csv(
    session: AsyncSession,
    box: SecretBox,
    profiles: Mapping[str, Profile],
    raw: bytes,
    actor: Principal,
    *,
    valid_only: bool,
    max_rows: int,
    source: str = "upload",
    scope: UnitScope = EVERYWHERE,
) -> ImportReport:
    parsed = parse(decode(raw), SPEC, max_rows)
    units = await check_against_db(session, parsed, profiles, scope)
    parsed.reject_or_keep(valid_only)
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

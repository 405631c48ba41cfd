"""Bulk registration of endpoints from a spreadsheet export (CSV).

Rows are read by `csv_rows` (every problem as line, field, reason); here they
are checked against the database. The default is all-or-nothing; `valid_only`
imports the good rows and still lists the bad ones, so nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping

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


async def check_against_db(
    session: AsyncSession,
    parsed: ParsedFile[EndpointCreate],
    profiles: Mapping[str, Profile],
    scope: UnitScope = EVERYWHERE,
) -> dict[str, Unit]:
    """Unknown units/profiles, clashes with registered endpoints and names that would make
    the province standard exceed the device's limits become row errors."""
    known_profiles = set(profiles)
    resolver = await StandardResolver.load(session)
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
        addr_rows = await session.execute(
            select(Endpoint.host, Endpoint.port).where(tuple_(Endpoint.host, Endpoint.port).in_(addrs))
        )
        taken_addrs = {(h, p) for h, p in addr_rows}
    good: list[Row[EndpointCreate]] = []
    for row in parsed.rows:
        d = row.data
        problems: list[RowError] = []
        problems += unit_problems(row.line, d.unit, units, scope)
        if d.profile not in known_profiles:
            problems.append(
                RowError(
                    line=row.line,
                    field="profile",
                    value=d.profile,
                    reason=f"unknown profile; known: {', '.join(sorted(known_profiles))}",
                    code="profile.unknown",
                    params={"known": ", ".join(sorted(known_profiles))},
                )
            )
        if (d.unit, d.name) in taken_names:
            problems.append(
                RowError(
                    line=row.line,
                    field="name",
                    value=d.name,
                    reason="an endpoint with this name already exists in the unit",
                    code="endpoint.name_taken",
                )
            )
        if (d.host, d.port) in taken_addrs:
            problems.append(
                RowError(
                    line=row.line,
                    field="host",
                    value=f"{d.host}:{d.port}",
                    reason="an endpoint at this host and port is already registered",
                    code="endpoint.address_taken",
                )
            )
        if not problems and (unit := units.get(d.unit)) is not None:
            problems = [
                RowError(
                    line=row.line,
                    field="name",
                    value=d.name,
                    reason=f"the province standard's {problem}",
                    code="standard.limit",
                    params={"problem": problem},
                )
                for problem in device_problems(
                    resolver, unit, facts(d.name, unit, d.sip_uri, d.host), profiles.get(d.profile)
                )
            ]
        if problems:
            parsed.errors.extend(problems)
        else:
            good.append(row)
    parsed.rows = good
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

"""The province standard: desired configuration per unit subtree, rendered per endpoint.

Settings are inherited down the tree and the deepest unit wins, so the
province sets the NTP server once and a district with its own call-control
server overrides only `sip_proxy`. Values may name endpoint facts in braces;
rendering happens here, escaping for the device happens in `endpoints` when
the command is built.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from controller import audit, templates
from controller.errors import InvalidInput
from controller.fields import no_control
from controller.models import ConfigStandard, Endpoint, Unit
from controller.principal import Principal
from controller.search_text import fold
from controller.units.service import subtree_filter
from endpoints import Profile

log = logging.getLogger(__name__)

PLACEHOLDERS = ("name", "slug", "unit_code", "unit_name", "sip_uri", "host")
# The longest each fact can be (the API's limits; a slug as long as a host name), so a
# template that could render beyond `templates.MAX_RENDERED` is refused when it is saved.
FACT_MAX = {"name": 128, "slug": 255, "unit_code": 64, "unit_name": 200, "sip_uri": 255, "host": 255}

# What `make demo` and a fresh province start from; every value can be changed.
DEMO_STANDARD: dict[str, str] = {
    "display_name": "{name}",
    "sip_uri": "sip:{slug}@vc.tinh.example",
    "h323_name": "{slug}",
    "sip_proxy": "vcs.tinh.example",
    "ntp_server": "ntp.tinh.example",
    "ntp_mode": "manual",
    "time_zone": "Asia/Ho_Chi_Minh",
    "default_call_rate": "1920",
    "auto_answer": "off",
}


def slugify(text: str) -> str:
    """ASCII, lower case, dots and dashes: 'Xã 1.01 VC' -> 'xa-1.01-vc'. Folded as searches
    are, after compatibility forms are unified (full-width 'Ｘ' is 'x')."""
    text = fold(unicodedata.normalize("NFKC", text))
    return re.sub(r"[^a-z0-9.]+", "-", text).strip("-.") or "endpoint"


MAX_TEMPLATE = 500  # characters of a stored value, as the API's StandardValue


def _invalid(why: str) -> InvalidInput:
    return InvalidInput(f"value {why}", field="value")


def check_template(key: str, value: str, known_keys: Iterable[str]) -> None:
    """Refuse (422 on ``value``) what the API's schema refuses and any template that is not
    bare known placeholders: the CLI saves through here without the schema."""
    known = set(known_keys)
    if key not in known:
        raise InvalidInput(
            f"no firmware profile can set {key!r}; settable keys: {', '.join(sorted(known))}",
            field="key",
        )
    if not 1 <= len(value) <= MAX_TEMPLATE:
        raise _invalid(f"must be 1 to {MAX_TEMPLATE} characters")
    try:
        no_control(value)
        names = templates.check(value, PLACEHOLDERS)
    except ValueError as exc:
        raise _invalid(str(exc)) from None
    worst = len(value) + sum(FACT_MAX[n] for n in names)
    if worst > templates.MAX_RENDERED:
        raise _invalid(
            f"could render to {worst} characters for a long name; at most {templates.MAX_RENDERED}"
            " are allowed: use fewer placeholders"
        )


def render(template: str, facts: Mapping[str, str]) -> str:
    """A standard's value for one endpoint or camera; TemplateError for a template that is
    not bare placeholders or that would render beyond `templates.MAX_RENDERED`."""
    return templates.render(template, {k: facts.get(k, "") for k in PLACEHOLDERS})


def endpoint_facts(ep: Endpoint) -> dict[str, str]:
    return facts(ep.name, ep.unit, ep.sip_uri, ep.host)


def facts(name: str, unit: Unit, sip_uri: str | None, host: str) -> dict[str, str]:
    """What a standard's placeholders stand for, for an endpoint registered or about to be."""
    return {
        "name": name,
        "slug": slugify(name),
        "unit_code": unit.code,
        "unit_name": unit.name,
        "sip_uri": sip_uri or "",
        "host": host,
    }


async def set_value(
    session: AsyncSession,
    unit: Unit | None,
    key: str,
    value: str | None,
    known_keys: Iterable[str],
    actor: Principal,
    profiles: Mapping[str, Profile] | None = None,
) -> None:
    """Set (or with None, remove) one key of the standard for a unit's subtree; with
    ``profiles``, a value some endpoint's device would refuse is refused here."""
    unit_id = unit.id if unit else None
    row = await session.scalar(
        select(ConfigStandard).where(
            ConfigStandard.unit_id.is_(None) if unit_id is None else ConfigStandard.unit_id == unit_id,
            ConfigStandard.key == key,
        )
    )
    if value is None:
        if row is not None:
            await session.delete(row)
    else:
        check_template(key, value, known_keys)
        if profiles is not None:
            await check_standard_within_limits(session, unit, key, value, profiles)
        if row is None:
            session.add(ConfigStandard(unit_id=unit_id, key=key, value=value))
        else:
            row.value = value
    audit.record(
        session,
        actor,
        "standard.set" if value is not None else "standard.unset",
        "unit",
        str(unit_id) if unit_id else None,
        {"unit": unit.code if unit else "*", "key": key, "value": value},
    )


async def list_values(session: AsyncSession) -> list[tuple[Unit | None, ConfigStandard]]:
    rows = await session.execute(
        select(ConfigStandard, Unit).outerjoin(Unit, ConfigStandard.unit_id == Unit.id)
    )
    return [(u, s) for s, u in rows.all()]


class StandardResolver:
    """Resolves the effective standard of many endpoints with one query."""

    def __init__(self, rows: list[ConfigStandard]) -> None:
        self._by_unit: dict[uuid.UUID | None, dict[str, str]] = {}
        for row in rows:
            self._by_unit.setdefault(row.unit_id, {})[row.key] = row.value

    def with_value(self, unit_id: uuid.UUID | None, key: str, value: str | None) -> StandardResolver:
        """This standard as it would be with one value set (or, None, removed) at a unit."""
        other = StandardResolver([])
        other._by_unit = {u: dict(values) for u, values in self._by_unit.items()}
        values = other._by_unit.setdefault(unit_id, {})
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
        return other

    @classmethod
    async def load(cls, session: AsyncSession) -> StandardResolver:
        return cls(list(await session.scalars(select(ConfigStandard))))

    def templates_for(self, unit: Unit) -> dict[str, str]:
        merged = dict(self._by_unit.get(None, {}))
        for part in unit.path.strip("/").split("/"):  # root first, the unit itself last
            merged.update(self._by_unit.get(uuid.UUID(part), {}))
        return merged

    def desired(self, ep: Endpoint, settable: Iterable[str]) -> dict[str, str]:
        """The values this endpoint should have, limited to what its profile can set."""
        return self.rendered(ep.unit, endpoint_facts(ep), settable)

    def rendered(self, unit: Unit, facts: Mapping[str, str], settable: Iterable[str]) -> dict[str, str]:
        """The unit's effective values of ``settable`` keys, placeholders filled from ``facts``.

        A template that cannot be rendered (saved before the rules of `controller.templates`,
        or rendering beyond its cap) is left out: nothing is written for it, nothing big built."""
        keys = set(settable)
        out = {}
        for key, template in self.templates_for(unit).items():
            if key in keys:
                try:
                    value = render(template, facts)
                except templates.TemplateError as exc:
                    log.warning("standard %s for unit %s left out: %r", key, unit.code, str(exc))
                    continue
                if value:
                    out[key] = value
        return out


def device_problems(
    resolver: StandardResolver,
    unit: Unit,
    endpoint_facts: Mapping[str, str],
    profile: Profile | None,
    keys: Iterable[str] | None = None,
) -> list[str]:
    """What the device would refuse of the standard rendered for one endpoint (its
    profile's limits, e.g. RoomOS's 50-character SystemUnit Name): one sentence per key."""
    if profile is None:
        return []
    wanted = set(keys) if keys is not None else None
    settable = [k for k in profile.config if wanted is None or k in wanted]
    return [
        f"{key} {value!r} {problem}"
        for key, value in resolver.rendered(unit, endpoint_facts, settable).items()
        if (problem := profile.config[key].problem(value)) is not None
    ]


async def check_standard_within_limits(
    session: AsyncSession, unit: Unit | None, key: str, value: str, profiles: Mapping[str, Profile]
) -> None:
    """Refuse a standard value that renders, for an endpoint it reaches, to something its
    device would refuse: found now, with the device's limit, not on the night of the upgrade."""
    resolver = (await StandardResolver.load(session)).with_value(unit.id if unit else None, key, value)
    query = select(Endpoint).join(Unit, Endpoint.unit_id == Unit.id).options(selectinload(Endpoint.unit))
    if unit is not None:
        query = query.where(subtree_filter(unit))
    problems = [
        f"{ep.name}: {problem}"
        for ep in await session.scalars(query)
        for problem in device_problems(resolver, ep.unit, endpoint_facts(ep), profiles.get(ep.profile), [key])
    ]
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise InvalidInput(
            f"{len(problems)} endpoint(s) would refuse this value: " + "; ".join(problems[:3]) + more,
            field="value",
        )


async def check_endpoint_within_limits(
    session: AsyncSession, ep: Endpoint, profiles: Mapping[str, Profile]
) -> None:
    """Refuse an endpoint whose name, unit or profile makes the standard render to a value
    its device would refuse (the 422 names the key, the value and the device's limit)."""
    resolver = await StandardResolver.load(session)
    problems = device_problems(resolver, ep.unit, endpoint_facts(ep), profiles.get(ep.profile))
    if problems:
        raise InvalidInput(
            "the province standard would give this endpoint a value its device refuses: "
            + "; ".join(problems),
            field="name",
        )

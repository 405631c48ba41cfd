"""The province standard: desired configuration per unit subtree, rendered per endpoint.

Settings are inherited down the tree and the deepest unit wins, so the
province sets the NTP server once and a district with its own call-control
server overrides only `sip_proxy`. Values may name endpoint facts in braces;
rendering happens here, escaping for the device happens in `endpoints` when
the command is built.
"""

from __future__ import annotations

import re
import string
import unicodedata
import uuid
from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from controller.errors import InvalidInput
from controller.models import ConfigStandard, Endpoint, Unit
from controller.principal import Principal
from controller.services import audit

PLACEHOLDERS = ("name", "slug", "unit_code", "unit_name", "sip_uri", "host")

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
    """ASCII, lower case, dots and dashes: 'Xã 1.01 VC' -> 'xa-1.01-vc'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9.]+", "-", text).strip("-.") or "endpoint"


def check_template(key: str, value: str, known_keys: Iterable[str]) -> None:
    known = set(known_keys)
    if key not in known:
        raise InvalidInput(
            f"no firmware profile can set {key!r}; settable keys: {', '.join(sorted(known))}",
            field="key",
        )
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
    except ValueError as exc:
        raise InvalidInput(f"value template is malformed: {exc}", field="value") from None
    unknown = names - set(PLACEHOLDERS)
    if unknown:
        raise InvalidInput(
            f"unknown placeholder(s) {sorted(unknown)}; allowed: {', '.join(PLACEHOLDERS)}",
            field="value",
        )


def render(template: str, facts: Mapping[str, str]) -> str:
    return template.format_map({k: facts.get(k, "") for k in PLACEHOLDERS})


def endpoint_facts(ep: Endpoint) -> dict[str, str]:
    return {
        "name": ep.name,
        "slug": slugify(ep.name),
        "unit_code": ep.unit.code,
        "unit_name": ep.unit.name,
        "sip_uri": ep.sip_uri or "",
        "host": ep.host,
    }


async def set_value(
    session: AsyncSession,
    unit: Unit | None,
    key: str,
    value: str | None,
    known_keys: Iterable[str],
    actor: Principal,
) -> None:
    """Set (or with None, remove) one key of the standard for a unit's subtree."""
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
        """The unit's effective values of ``settable`` keys, placeholders filled from ``facts``."""
        keys = set(settable)
        out = {}
        for key, template in self.templates_for(unit).items():
            if key in keys:
                value = render(template, facts)
                if value:
                    out[key] = value
        return out

"""Firmware versions: comparison, compliance against each profile's minimum and target."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from controller.errors import InvalidInput
from controller.models import Endpoint, Unit
from controller.scope import EVERYWHERE, UnitScope
from controller.units.service import subtree_filter
from endpoints.profiles import Profile


def version_key(version: str) -> tuple[int, ...]:
    """'ce11.14.1.5' -> (11, 14, 1, 5): vendors prefix letters, the numbers carry the order."""
    return tuple(int(n) for n in re.findall(r"\d+", version))


def bucket(version: str | None, minimum: str, target: str) -> str:
    if not version:
        return "unknown"
    key = version_key(version)
    if key < version_key(minimum):
        return "below_minimum"
    if key < version_key(target):
        return "below_target"
    return "at_target"


async def compliance(
    session: AsyncSession, profiles: Mapping[str, Profile], root: Unit | None, scope: UnitScope = EVERYWHERE
) -> list[dict[str, Any]]:
    query = (
        select(Endpoint.id, Endpoint.name, Endpoint.profile, Endpoint.firmware_version)
        .join(Unit, Endpoint.unit_id == Unit.id)
        .where(scope.where(Unit.path))
    )
    if root is not None:
        query = query.where(subtree_filter(root))
    report: dict[str, dict[str, Any]] = {}
    for ep_id, name, profile_id, version in (await session.execute(query)).all():
        profile = profiles.get(profile_id)
        if profile is None:
            continue
        fw = profile.firmware
        entry = report.setdefault(
            profile_id,
            {
                "profile": profile_id,
                "minimum": fw.minimum,
                "target": fw.target,
                "upgradable": fw.upgrade is not None,
                "counts": {"below_minimum": 0, "below_target": 0, "at_target": 0, "unknown": 0},
                "endpoints": {"below_minimum": [], "below_target": [], "unknown": []},
            },
        )
        b = bucket(version, fw.minimum, fw.target)
        entry["counts"][b] += 1
        if b != "at_target":
            entry["endpoints"][b].append({"id": str(ep_id), "name": name, "version": version})
    return [report[k] for k in sorted(report)]


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except Exception:  # noqa: BLE001 - zoneinfo raises several types
        raise InvalidInput(f"unknown time zone {name!r}", field="timezone") from None


class Window:
    """A daily maintenance window in local time, e.g. '22:00-05:00' Asia/Ho_Chi_Minh."""

    def __init__(self, spec: str, tz: str) -> None:
        match = re.fullmatch(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", spec.strip())
        if not match:
            raise InvalidInput(f"window {spec!r} is not HH:MM-HH:MM", field="window")
        h1, m1, h2, m2 = (int(x) for x in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise InvalidInput(f"window {spec!r} has an impossible time", field="window")
        self.tz = zone(tz)
        self.start, self.end = time(h1, m1), time(h2, m2)

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(self.tz).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # spans midnight

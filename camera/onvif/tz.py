"""POSIX time zone strings as cameras read and write them, compared by UTC offset.

A camera may store ``ICT-7`` and hand back ``CST-7:00:00`` (Hikvision) or
``<+07>-7`` (tzdata's own form): all three are UTC+7. Comparing strings would
make every second provisioning run plan a time zone change, so plans compare
the parsed offset and DST flag instead (``same_zone``).

POSIX inverts the sign: ``ICT-7`` is *east* of Greenwich, UTC+7. ``UTC-7`` is
read the POSIX way too (UTC+7), which is what firmwares that take a POSIX TZ do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["TZ_STYLES", "TimeZone", "TzStyle", "format_tz", "parse_tz", "same_zone"]

TzStyle = Literal["posix", "posix_numeric", "hikvision"]
TZ_STYLES: tuple[TzStyle, ...] = ("posix", "posix_numeric", "hikvision")

_NAME = r"(?:<[A-Za-z0-9+-]+>|[A-Za-z]{3,})"
_OFFSET = r"[+-]?\d{1,2}(?::\d{1,2}(?::\d{1,2})?)?"
_TZ = re.compile(
    rf"^(?P<std>{_NAME})(?P<offset>{_OFFSET})?"
    rf"(?P<dst>{_NAME}(?:{_OFFSET})?(?:,(?P<rule>.+))?)?$"
)
_ZERO_NAMES = frozenset({"UTC", "GMT", "UCT", "Z", "ZULU"})  # a bare name that needs no offset


@dataclass(frozen=True)
class TimeZone:
    """A parsed TZ: minutes east of UTC (UTC+7 -> 420), whether it carries a DST rule, and the text."""

    offset_min: int
    dst: bool
    text: str


def _posix_offset_min(text: str) -> int:
    """POSIX ``[+-]hh[:mm[:ss]]`` (west positive) -> minutes east of UTC."""
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")]
    hours, minutes, seconds = (parts + [0, 0])[:3]
    if hours > 24 or minutes > 59 or seconds > 59:
        raise ValueError(f"time zone offset {text!r} is out of range")
    return -sign * (hours * 60 + minutes + round(seconds / 60))


def parse_tz(text: str) -> TimeZone:
    """Parse a POSIX TZ (``ICT-7``, ``<+07>-7``, ``UTC-7``) or Hikvision's ``CST-7:00:00``.

    Only the standard offset and the presence of a DST part matter here: the
    DST rule itself is never written by the province standard (Vietnam has
    none, and Hikvision refuses DST strings), so it is not interpreted.
    """
    stripped = text.strip()
    m = _TZ.match(stripped)
    if not m:
        raise ValueError(f"not a POSIX time zone: {text!r}")
    offset = m["offset"]
    if offset is None and m["std"].upper() not in _ZERO_NAMES:
        raise ValueError(f"time zone {text!r} has no UTC offset")
    return TimeZone(
        offset_min=_posix_offset_min(offset) if offset else 0, dst=m["dst"] is not None, text=stripped
    )


def _posix_clock(minutes_west: int, *, seconds: bool) -> str:
    sign = "-" if minutes_west < 0 else ("+" if seconds else "")
    hours, minutes = divmod(abs(minutes_west), 60)
    if seconds:  # Hikvision always writes h:mm:ss and an explicit sign
        return f"{sign}{hours}:{minutes:02d}:00"
    return f"{sign}{hours}:{minutes:02d}" if minutes else f"{sign}{hours}"


def format_tz(tz: str | TimeZone, style: TzStyle) -> str:
    """The TZ string to write to a camera of a given ``time.tz_write`` style.

    ``posix`` writes the standard's own string as it is (``ICT-7``);
    ``posix_numeric`` the tzdata form (``<+07>-7``) for firmwares that know no
    abbreviations; ``hikvision`` ``CST-7:00:00`` (Hikvision always says CST).
    The last two cannot carry a DST rule, so a zone with one is a ValueError.
    """
    zone = parse_tz(tz) if isinstance(tz, str) else tz
    if style == "posix":
        return zone.text
    if zone.dst:
        raise ValueError(f"time zone {zone.text!r} has a DST rule, which style {style!r} cannot write")
    if style == "hikvision":
        return "CST" + _posix_clock(-zone.offset_min, seconds=True)
    if style == "posix_numeric":
        east = zone.offset_min
        hours, minutes = divmod(abs(east), 60)
        name = f"<{'-' if east < 0 else '+'}{hours:02d}{f'{minutes:02d}' if minutes else ''}>"
        return name + _posix_clock(-east, seconds=False)
    raise ValueError(f"unknown time zone style {style!r}")


def same_zone(a: str | None, b: str | None) -> bool:
    """Whether two TZ strings mean the same zone: same UTC offset and both with or without DST.

    A string that cannot be parsed is never the same as anything, so a plan
    rewrites an unreadable camera zone instead of trusting it.
    """
    if a is None or b is None:
        return False
    try:
        za, zb = parse_tz(a), parse_tz(b)
    except ValueError:
        return False
    return (za.offset_min, za.dst) == (zb.offset_min, zb.dst)


def to_posix(value: str) -> str:
    """A zone as the standard says it (IANA "Asia/Ho_Chi_Minh" or POSIX "ICT-7") in POSIX form.

    An IANA zone becomes its fixed offset ("<+07>-7"); one with daylight saving is a
    ValueError, because cameras are sent no DST rules (Vietnam has none).
    """
    if "/" not in value:
        parse_tz(value)  # a POSIX zone: checked, sent as written
        return value
    from datetime import datetime
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        zone = ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    year = datetime.now().year
    offsets = {datetime(year, month, 1, tzinfo=zone).utcoffset() for month in (1, 7)}
    if len(offsets) > 1:
        raise ValueError(f"time zone {value!r} has daylight saving, which cameras are not sent")
    minutes = int(offsets.pop().total_seconds() // 60)  # type: ignore[union-attr]
    sign, hours, rest = ("-" if minutes >= 0 else "+"), abs(minutes) // 60, abs(minutes) % 60
    name = f"<{'+' if minutes >= 0 else '-'}{hours:02d}" + (f"{rest:02d}>" if rest else ">")
    return f"{name}{sign}{hours}" + (f":{rest:02d}" if rest else "")

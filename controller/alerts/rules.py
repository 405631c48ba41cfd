"""Which alarms a rule sends, and when: pure functions of a rule, an alarm and the time.

Quiet hours hold non-critical alarms until they end (nothing is dropped: a broken camera at
23:00 is in the 06:00 digest); a critical alarm goes out at once, as an on-call rota expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from controller.sessions.attendance import LOCAL

__all__ = ["SEVERITY_RANK", "Match", "in_quiet_hours", "matches", "parse_hhmm"]

# Most urgent last, so "at least major" is a comparison.
SEVERITY_RANK: dict[str, int] = {"warning": 0, "minor": 1, "major": 2, "critical": 3}


@dataclass(frozen=True)
class Match:
    """What a rule selects on, read once per evaluation."""

    unit_path: str | None  # the subtree; None: the whole province
    min_severity: str
    kinds: frozenset[str]  # empty: every kind

    def selects(self, unit_path: str, severity: str, kind: str) -> bool:
        return matches(self, unit_path, severity, kind)


def matches(rule: Match, unit_path: str, severity: str, kind: str) -> bool:
    """An unknown severity counts as the most urgent: an alarm is never silenced by a typo."""
    if rule.unit_path is not None and not unit_path.startswith(rule.unit_path):
        return False
    if rule.kinds and kind not in rule.kinds:
        return False
    return SEVERITY_RANK.get(severity, max(SEVERITY_RANK.values())) >= SEVERITY_RANK[rule.min_severity]


def parse_hhmm(value: str) -> time:
    """``"22:00"`` -> 22:00; raises ValueError with the value on anything else."""
    try:
        hours, minutes = value.split(":")
        if len(hours) != 2 or len(minutes) != 2:
            raise ValueError
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{value!r} is not a time of day as HH:MM (00:00 to 23:59)") from None


def in_quiet_hours(quiet_from: str | None, quiet_until: str | None, now: datetime) -> bool:
    """Whether ``now`` (aware) falls in [from, until) local time; the window may cross midnight."""
    if quiet_from is None or quiet_until is None:
        return False
    start, end = parse_hhmm(quiet_from), parse_hhmm(quiet_until)
    local = now.astimezone(LOCAL).time().replace(second=0, microsecond=0)
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_hours_end(quiet_until: str, now: datetime) -> datetime:
    """The next local ``quiet_until`` after ``now``, as an aware time (for the held count's "until")."""
    end = parse_hhmm(quiet_until)
    local = now.astimezone(LOCAL)
    at = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return at if at > local else at + timedelta(days=1)

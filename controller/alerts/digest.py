"""The words of one message: many alarms in one digest, Vietnamese first, English after.

A district losing power raises hundreds of alarms in a minute; a technician's phone should
buzz once, with the count by kind in the subject and the list by unit in the body. The list
is cut at ``MAX_LINES`` (the rest are counted, and all of them are on the console).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from controller.reports.words import ALARM_VI, SEVERITY_VI
from controller.sessions.attendance import LOCAL

__all__ = ["MAX_LINES", "AlarmLine", "Digest", "compose"]

MAX_LINES = 100
_SEVERITY_EN = {"critical": "Critical", "major": "Major", "minor": "Minor", "warning": "Warning"}


@dataclass(frozen=True)
class AlarmLine:
    """One alarm as a message shows it."""

    id: str
    kind: str
    severity: str
    entity_name: str
    unit: str  # "Xã Tân Lập, Huyện Đức Trọng": the alarm's unit, then its parents
    message: str  # the English words the alarm carries
    raised_at: datetime
    active: bool  # false: cleared since it was queued
    acknowledged_by: str | None = None


@dataclass(frozen=True)
class Digest:
    subject: str
    text: str


def _local(at: datetime) -> str:
    return at.astimezone(LOCAL).strftime("%H:%M %d/%m")


def _order(lines: Sequence[AlarmLine]) -> list[AlarmLine]:
    rank = {"critical": 0, "major": 1, "minor": 2, "warning": 3}
    return sorted(lines, key=lambda a: (rank.get(a.severity, 0), a.unit, a.entity_name))


def compose(
    lines: Sequence[AlarmLine],
    *,
    stage: str,
    rule_name: str,
    ack_url: str | None,
    console_url: str,
    escalate_after_min: int | None = None,
) -> Digest:
    """Subject and plain-text body. ``stage``: notify, escalate or test."""
    kinds = Counter(a.kind for a in lines)
    by_kind_vi = ", ".join(f"{ALARM_VI.get(k, k)} ({n})" for k, n in kinds.most_common(3))
    more = "" if len(kinds) <= 3 else f", +{len(kinds) - 3} loại khác"
    if stage == "test":
        subject = f"[diemcau] Thư thử của quy tắc «{rule_name}» / test message"
    elif stage == "escalate":
        subject = f"[diemcau] CHƯA AI XÁC NHẬN sau {escalate_after_min} phút: {len(lines)} cảnh báo: {by_kind_vi}{more}"
    else:
        subject = f"[diemcau] {len(lines)} cảnh báo: {by_kind_vi}{more}"
    subject = subject[:300]
    shown = _order(lines)[:MAX_LINES]
    rest = len(lines) - len(shown)
    vi, en = [], []
    if stage == "test":
        vi.append(f"Đây là thư thử của quy tắc cảnh báo «{rule_name}»: quy tắc gửi được tới địa chỉ này.")
        en.append(f"A test message of the alert rule «{rule_name}»: the rule reaches this address.")
    else:
        lead = f"Quy tắc «{rule_name}»: {len(lines)} cảnh báo"
        if stage == "escalate":
            lead += f" chưa ai xác nhận sau {escalate_after_min} phút"
        vi.append(lead + ".")
        en.append(
            f"Rule «{rule_name}»: {len(lines)} alarm(s)"
            + (f" unacknowledged after {escalate_after_min} min" if stage == "escalate" else "")
            + "."
        )
    vi.append("")
    en.append("")
    for a in shown:
        state_vi = "" if a.active else " [đã hết]"
        state_en = "" if a.active else " [cleared]"
        if a.acknowledged_by:
            state_vi += f" [{a.acknowledged_by} đã xác nhận]"
            state_en += f" [acknowledged by {a.acknowledged_by}]"
        vi.append(
            f"- {SEVERITY_VI.get(a.severity, a.severity)} · {ALARM_VI.get(a.kind, a.kind)} · "
            f"{a.entity_name} · {a.unit} · từ {_local(a.raised_at)}{state_vi}"
        )
        en.append(
            f"- {_SEVERITY_EN.get(a.severity, a.severity)} · {a.message} · {a.entity_name} · "
            f"{a.unit} · since {_local(a.raised_at)}{state_en}"
        )
    if rest:
        vi.append(f"... và {rest} cảnh báo khác (xem trên bảng điều khiển).")
        en.append(f"... and {rest} more (see the console).")
    vi.append("")
    if ack_url:
        vi.append(f"Xác nhận đã nhận (một lần, cho mọi cảnh báo trong thư): {ack_url}")
    vi.append(f"Bảng cảnh báo: {console_url}")
    en.append("")
    if ack_url:
        en.append(f"Acknowledge (once, every alarm in this message): {ack_url}")
    en.append(f"Alarms on the console: {console_url}")
    text = "\n".join(vi) + "\n\n-- English --\n\n" + "\n".join(en) + "\n"
    return Digest(subject=subject, text=text)

"""The small page an acknowledgement link opens: Vietnamese first, English after, no script.

It shows the message's alarms and one button; the button's POST acknowledges (a GET never
does: mail scanners and chat previews open links by themselves).
"""

from __future__ import annotations

from html import escape

from controller.models import Alarm
from controller.reports.words import ALARM_VI, SEVERITY_VI
from controller.sessions.attendance import LOCAL

__all__ = ["confirm_page", "done_page", "refused_page"]

_REFUSED = {
    "used": ("Liên kết này đã được dùng.", "This link was already used."),
    "expired": ("Liên kết này đã hết hạn.", "This link has expired."),
}


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head><body>{body}</body></html>"
    )


def _rows(alarms: list[Alarm]) -> str:
    items = []
    for a in alarms:
        state = "đang xảy ra" if a.status == "active" else "đã hết"
        if a.acknowledged_by:
            state += f", {a.acknowledged_by} đã xác nhận"
        items.append(
            f"<li>{escape(SEVERITY_VI.get(a.severity, a.severity))} · {escape(ALARM_VI.get(a.kind, a.kind))} · "
            f"{escape(a.entity_name)} · từ {a.raised_at.astimezone(LOCAL):%H:%M %d/%m} ({escape(state)})</li>"
        )
    return "<ul>" + "".join(items) + "</ul>"


def confirm_page(subject: str, alarms: list[Alarm], action: str) -> str:
    waiting = sum(a.status == "active" and a.acknowledged_at is None for a in alarms)
    return _page(
        "Xác nhận cảnh báo",
        f"<h1>Xác nhận đã nhận cảnh báo</h1><p>{escape(subject)}</p>{_rows(alarms)}"
        f'<form method="post" action="{escape(action)}">'
        f'<button type="submit">Xác nhận {waiting} cảnh báo / Acknowledge {waiting}</button></form>'
        '<p lang="en">Acknowledge the alarms of this message: the IOC and the console show who did.</p>',
    )


def done_page(count: int) -> str:
    return _page(
        "Đã xác nhận",
        f'<h1>Đã xác nhận {count} cảnh báo.</h1><p lang="en">{count} alarm(s) acknowledged.</p>',
    )


def refused_page(reason: str) -> str:
    vi, en = _REFUSED[reason]
    return _page("Không xác nhận được", f'<h1>{escape(vi)}</h1><p lang="en">{escape(en)}</p>')

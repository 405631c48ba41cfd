"""Dial strings from a bridge's patterns, and telling whether a device's call is ours.

A device reports its remote in its own spelling (``sip:40001@mcu`` or
``40001@mcu``, maybe with ``;transport=tls``), so "is this call the session's"
compares a normalised form, not the raw strings.
"""

from __future__ import annotations

import re
import secrets

from controller import templates

__all__ = ["CONFERENCE_ID", "dial_string", "is_session_call", "new_conference_id", "validate_pattern"]

CONFERENCE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_PATTERN_BODY = re.compile(r"^[A-Za-z0-9._:@+#*-]*\{conference\}[A-Za-z0-9._:@+#*-]*$")
_SCHEME = re.compile(r"^(sips?|h323|tel):", re.IGNORECASE)


def validate_pattern(pattern: str) -> str:
    """A pattern holds ``{conference}`` once and only characters a dial string may carry."""
    try:
        names = templates.check(pattern, ("conference",))
    except templates.TemplateError:
        names = []
    if names != ["conference"] or not _PATTERN_BODY.fullmatch(pattern):
        raise ValueError(
            "must contain {conference} exactly once and otherwise only letters, digits and ._:@+#*-"
            " (e.g. sip:{conference}@mcu.tinh.gov.vn)"
        )
    return pattern


def dial_string(pattern: str, conference_id: str) -> str:
    """The pattern with the conference id in it, by the one template renderer."""
    if not CONFERENCE_ID.fullmatch(conference_id):
        raise ValueError("conference id must be 1-64 letters, digits, '.', '_' or '-'")
    return templates.render(pattern, {"conference": conference_id})


def _normal(uri: str) -> str:
    return _SCHEME.sub("", uri.strip()).split(";", 1)[0].lower()


def is_session_call(dialled: str, remote: str | None) -> bool:
    """Whether a device's current call (its reported remote) is the one we dialled."""
    return remote is not None and _normal(remote) == _normal(dialled)


def new_conference_id() -> str:
    """A six-digit numeric id: dialable from keypads and H.323 gateways too."""
    return str(100000 + secrets.randbelow(900000))

"""Value templates: bare ``{name}`` placeholders and nothing else, bounded when rendered.

A standard's value (``ĐC {name}``), a bridge's dial pattern
(``sip:{conference}@mcu``) and the firmware URL (``.../{profile}/{version}.pkg``)
name facts in braces. ``str.format`` would also obey a format spec
(``{name:>999999999}`` builds a gigabyte on the event loop), a conversion
(``{name!r}``) and attribute or index access (``{name.__class__}``,
``{name[0]}``), so it is never used on them. This module reads only bare,
known names (``{{`` and ``}}`` stay literal braces, as in ``str.format``) and
adds up the size of a rendering before building it: a template stored before
these rules cannot blow up either.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

__all__ = ["MAX_RENDERED", "TemplateError", "check", "render"]

# Far above any device's own limit (RoomOS names: 50) and any value the API takes (500).
MAX_RENDERED = 1000

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


class TemplateError(ValueError):
    """Why a template is refused; the message is for the technician."""


def _placeholders(allowed: Collection[str]) -> str:
    return ", ".join("{" + a + "}" for a in allowed)


def _refuse(inner: str, allowed: Collection[str]) -> TemplateError:
    shown = "{" + (inner if len(inner) <= 40 else inner[:37] + "...") + "}"
    first = next((c for c in inner if c in ":!.["), "")  # what str.format would read it as
    why = {
        ":": "format specs (':') are not allowed",
        "!": "conversions ('!') are not allowed",
        ".": "attribute and index access are not allowed",
        "[": "attribute and index access are not allowed",
    }.get(first, "is not a known placeholder")
    return TemplateError(f"{shown}: {why}; placeholders: {_placeholders(allowed)}")


def _parts(template: str, allowed: Collection[str]) -> list[tuple[str, str | None]]:
    """(literal, placeholder) pairs; the last pair's placeholder is None."""
    parts: list[tuple[str, str | None]] = []
    literal: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(template):
        literal.append(template[pos : m.start()])
        pos = m.end()
        token, inner = m.group(), m.group(1)
        if token in ("{{", "}}"):
            literal.append(token[0])
        elif inner is None:
            raise TemplateError(
                f"unmatched {token!r} at character {m.start() + 1}; write {token * 2} for a literal brace"
            )
        elif inner in allowed:
            parts.append(("".join(literal), inner))
            literal = []
        else:
            raise _refuse(inner, allowed)
    literal.append(template[pos:])
    parts.append(("".join(literal), None))
    return parts


def check(template: str, allowed: Collection[str]) -> list[str]:
    """The placeholders ``template`` uses, in order and repeated; TemplateError if it holds
    anything but bare names from ``allowed`` and literal text."""
    return [name for _, name in _parts(template, allowed) if name is not None]


def render(template: str, values: Mapping[str, str], limit: int = MAX_RENDERED) -> str:
    """``template`` with each placeholder replaced by its value; TemplateError for a bad
    template or one that would render to more than ``limit`` characters (checked first)."""
    parts = _parts(template, values.keys())
    size = sum(len(literal) + (len(values[name]) if name is not None else 0) for literal, name in parts)
    if size > limit:
        raise TemplateError(f"renders to {size} characters; at most {limit} are allowed")
    return "".join(literal + (values[name] if name is not None else "") for literal, name in parts)

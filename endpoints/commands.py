"""Render command templates with values made literal for the profile's dialect.

Every value reaching a device goes through here, because a value is data
supplied by people (room names, URIs) and both dialects are line-oriented
shells: a stray newline would be a second command, a stray quote or
``| resultId=`` would change what the device parses or which response we
match.  Placeholders declare how a value is rendered:

``{name}`` / ``{name:q}``
    always quoted; the profile's escapes applied inside the quotes.
``{name:word}``
    bare token, must match the profile's ``word`` regex (e.g. ``On``, ``sip``).
``{name:int}``
    an integer, rendered with ``str(int)``.

Anything that cannot be made safe raises ``UnsafeValue``; nothing is silently
dropped or truncated.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping
from typing import TYPE_CHECKING

from endpoints.errors import UnsafeValue

if TYPE_CHECKING:
    from endpoints.profiles import Escaping

__all__ = ["json_unescape", "quote", "render", "template_fields", "unquote"]

_FORMATTER = string.Formatter()
_SPECS = ("", "q", "word", "int")


def template_fields(template: str) -> set[str]:
    """Placeholder names used by a template (raises ValueError on a bad spec)."""
    names: set[str] = set()
    for _, name, spec, conv in _FORMATTER.parse(template):
        if name is None:
            continue
        if not name or conv or spec not in _SPECS:
            raise ValueError(f"bad placeholder {{{name}:{spec}}} in {template!r}")
        names.add(name)
    return names


def quote(value: str, escaping: Escaping) -> str:
    """Return ``value`` as one quoted literal in this dialect, or raise UnsafeValue."""
    if not isinstance(value, str):
        raise UnsafeValue(value, "expected a string")
    if len(value) > escaping.max_length:
        raise UnsafeValue(value, f"longer than {escaping.max_length} characters")
    if bad := re.search(escaping.reject, value):
        raise UnsafeValue(value, f"character {bad.group()!r} is not allowed")
    escaped = "".join(escaping.escapes.get(ch, ch) for ch in value)
    q = escaping.quote
    # A quote character left unescaped would end the literal early.
    if q in value and q not in escaping.escapes:
        raise UnsafeValue(value, f"contains the quote character {q!r}")
    return f"{q}{escaped}{q}"


def json_unescape(text: str) -> str:
    """A string captured from compact JSON (between its quotes), decoded."""
    try:
        return str(json.loads(f'"{text}"'))
    except json.JSONDecodeError:
        return text


def unquote(text: str, escaping: Escaping) -> str:
    """Inverse of :func:`quote` for text a device printed (quotes optional)."""
    q = escaping.quote
    if len(text) >= 2 and text.startswith(q) and text.endswith(q):
        text = text[1:-1]
    if not escaping.escapes:
        return text
    reverse = {rep: ch for ch, rep in escaping.escapes.items()}
    pattern = re.compile("|".join(re.escape(r) for r in sorted(reverse, key=len, reverse=True)))
    return pattern.sub(lambda m: reverse[m.group()], text)


def _render_one(value: object, spec: str, escaping: Escaping) -> str:
    if spec == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise UnsafeValue(value, "expected an integer")
        return str(value)
    if spec == "word":
        if not isinstance(value, str) or not re.fullmatch(escaping.word, value):
            raise UnsafeValue(value, "not a bare word in this dialect")
        return value
    return quote(value if isinstance(value, str) else str(value), escaping)


def render(template: str, values: Mapping[str, object], escaping: Escaping) -> str:
    """Fill ``template`` so that each value stays exactly one literal.

    The result is also checked to be one line: the template is trusted data
    from the profile, but a last guard costs nothing.
    """
    out: list[str] = []
    for literal, name, spec, _ in _FORMATTER.parse(template):
        out.append(literal)
        if name is None:
            continue
        if name not in values:
            raise UnsafeValue(name, "no value given for placeholder")
        out.append(_render_one(values[name], spec or "", escaping))
    line = "".join(out)
    if "\n" in line or "\r" in line:
        raise UnsafeValue(line, "rendered command spans lines")
    return line

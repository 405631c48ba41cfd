"""Accent- and case-insensitive text search, one rule for the server and the console.

`fold` is the console's `fold()` (controller/web/lib/format.js) in Python, character for
character: canonical decomposition, the combining marks U+0300-U+036F dropped, đ/Đ to d/D,
lower case. So "xa 1.05" finds "Xã 1.05" and "DA LAT" finds "Đà Lạt", in the browser's
filters as in the API's ``q`` (tests/controller/test_search_folding.py runs both).

The database does not fold: SQLite's lower() knows ASCII only, PostgreSQL's depends on the
locale, neither strips accents without an extension. Each searched table keeps a folded copy
of its searched fields instead, ``search_key``, written by the ORM whenever the row is
(controller/models.py); a search folds the query the same way and looks for it in that copy.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import ColumnElement
from sqlalchemy.orm import QueryableAttribute

_MARKS = re.compile("[\u0300-\u036f]")
_SEPARATOR = "\n"  # between fields: a query never runs from one field into the next


def fold(text: str | None) -> str:
    """'Đà Lạt' -> 'da lat'; the same as the console's fold()."""
    text = _MARKS.sub("", unicodedata.normalize("NFD", text or ""))
    return text.replace("đ", "d").replace("Đ", "D").lower()


def search_key(*fields: str | None) -> str:
    """What a row is searched by: its searched fields folded, empty ones left out."""
    return _SEPARATOR.join(fold(f) for f in fields if f)


def matches(key: QueryableAttribute[str], query: str) -> ColumnElement[bool]:
    """SQL condition: the folded query occurs in the key. ``%``, ``_`` and the escape
    character are escaped (SQLAlchemy's ``autoescape``), so they match only themselves."""
    return key.contains(fold(query), autoescape=True)

"""No source module grows past about 400 lines without saying why at its top.

A long module is sometimes right (a simulator of one device, one file the browser loads
alone); it should then say so where a reader starts, so the next person splits the
others rather than adding to them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 420
REASON = "Long because:"


def _sources() -> list[Path]:
    found = [p for pkg in ("controller", "endpoints", "camera") for p in (ROOT / pkg).rglob("*.py")]
    found += list((ROOT / "controller" / "web").rglob("*.js"))
    return [p for p in found if "migrations" not in p.parts]


def test_the_scan_sees_the_sources():
    names = {p.name for p in _sources()}
    assert {"app.py", "roomos.py", "host.js", "ioc.js"} <= names


def _top(path: Path, text: str) -> str:
    """The module's docstring, or a script's first comment block."""
    if path.suffix == ".py":
        return ast.get_docstring(ast.parse(text)) or ""
    match = re.match(r"\s*/\*\*(.*?)\*/", text, re.S)
    return match.group(1) if match else ""


def test_long_modules_say_why_at_their_top():
    unexplained = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > LIMIT and REASON not in _top(path, text):
            unexplained.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert unexplained == []

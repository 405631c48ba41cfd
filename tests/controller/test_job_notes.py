"""A job's and its items' progress notes: every code the controller can send has words in
both of the console's languages, and every note the code writes is one of them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from controller.provisioning.notes import NOTES, note

ROOT = Path(__file__).resolve().parents[2]
WORDS = ROOT / "controller/web/lib/job-text.js"


def test_the_console_words_every_note_in_vietnamese_and_english():
    found = re.findall(r'"note\.([a-z_]+)"\s*:', WORDS.read_text(encoding="utf-8"))
    missing = [code for code in NOTES if found.count(code) != 2]  # one per language
    assert missing == []


def test_every_note_the_jobs_write_is_in_the_catalogue():
    """The codes named in note(...) calls across provisioning/ are exactly NOTES' keys."""
    used: set[str] = set()
    for path in (ROOT / "controller/provisioning").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "note" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant):
                    used.add(arg.value)
                elif isinstance(arg, ast.IfExp):  # note("a" if ... else "b")
                    used |= {n.value for n in (arg.body, arg.orelse) if isinstance(n, ast.Constant)}
    assert used == set(NOTES)


def test_a_note_is_english_text_beside_its_code_and_params():
    fields = note("plan", to_set=3, right=2, refused=1, unsettable=0)
    assert fields == {
        "message": "3 to set, 2 already right, 1 refused",
        "message_code": "plan",
        "message_params": {"to_set": 3, "right": 2, "refused": 1, "unsettable": 0},
    }
    assert note("halted_wave", wave=2, failed=3, tried=10, percent=30)["message"] == (
        "wave 2: 3 of 10 failed (30%); campaign halted"
    )
    with pytest.raises(KeyError):
        note("no_such_note")

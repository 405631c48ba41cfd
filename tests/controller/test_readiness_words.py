"""Every readiness reason has its words in both languages: a name for lists, a sentence with
its figures, and what the unit's technician does about it (web/lib/readiness-text.js); and
the checks emit only reasons the catalogue knows."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from controller.health.catalogue import READINESS, blocks_readiness, readiness_text

ROOT = Path(__file__).resolve().parents[2]
WORDS = ROOT / "controller/web/lib/readiness-text.js"
CHECKS = ("controller/readiness/checks.py", "controller/readiness/test_call.py", "controller/readiness/manager.py")


def emitted_codes() -> set[str]:
    """The first argument of every ``Finding(...)`` the readiness code builds."""
    found: set[str] = set()
    for path in CHECKS:
        for node in ast.walk(ast.parse((ROOT / path).read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Finding" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.add(arg.value)
    return found


def test_every_reason_a_check_emits_is_in_the_catalogue():
    emitted = emitted_codes()
    assert {"sip_unregistered", "test_call_timeout", "no_free_port", "clock_skew"} <= emitted  # the scan works
    # error_finding passes the device's own trust codes through
    assert emitted | {"auth_failed", "hostkey_mismatch", "hostkey_unpinned"} == set(READINESS)


def test_every_reason_has_a_name_a_sentence_and_advice_in_both_languages():
    text = WORDS.read_text()
    counts: dict[str, int] = {}
    for key in re.findall(r'"((?:readiness|says\.r|fix\.r)\.[a-z_]+)"\s*:', text):
        counts[key] = counts.get(key, 0) + 1
    wanted = [f"{prefix}.{code}" for code in READINESS for prefix in ("readiness", "says.r", "fix.r")]
    assert [k for k in wanted if counts.get(k, 0) != 2] == []


def test_warnings_do_not_block_and_english_text_fills_its_figures():
    assert not blocks_readiness("firmware_below_target") and not blocks_readiness("media_not_measured")
    assert blocks_readiness("sip_unregistered") and blocks_readiness("a_code_from_the_future")
    assert readiness_text("clock_skew", {"skew_s": -312, "limit_s": 30.0}) == "clock -312 s off (limit 30 s)"
    assert readiness_text("clock_skew", {}) == "clock"  # missing figures: the words before them

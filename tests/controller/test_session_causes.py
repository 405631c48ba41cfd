"""Why a participant is not in the meeting: every cause code has words in both of the
console's languages, and every cause the sessions code makes is one of them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from controller.sessions.causes import CAUSES, Cause, code_of
from endpoints.errors import CommandFailed, ConnectFailed

ROOT = Path(__file__).resolve().parents[2]


def test_the_console_words_every_cause_in_vietnamese_and_english():
    found = re.findall(
        r'"host\.cause\.([a-z_]+)"\s*:', (ROOT / "controller/web/views/host-i18n.js").read_text()
    )
    assert [code for code in CAUSES if found.count(code) != 2] == []


def test_every_cause_the_sessions_make_is_in_the_catalogue():
    used: set[str] = set()
    for path in (ROOT / "controller/sessions").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            func = getattr(node, "func", None)
            if isinstance(node, ast.Call) and getattr(func, "id", None) == "Cause" and node.args:
                assert isinstance(node.args[0], ast.Constant), ast.dump(node)
                used.add(node.args[0].value)
            if isinstance(node, ast.Call) and getattr(func, "attr", None) == "of_error":
                used.add(node.args[1].value if len(node.args) > 1 else "device_error")
    assert used == set(CAUSES)


def test_a_cause_is_its_english_text_with_a_code_and_params():
    busy = Cause("busy_other_call", remote="")
    assert busy == "busy: in another call (unknown remote)" and isinstance(busy, str)
    assert code_of(busy) == ("busy_other_call", {"remote": ""})
    refused = Cause.of_error(
        CommandFailed(
            "xCommand Dial", "*r DialResult (status=Error): Busy Here", "Busy Here", endpoint="10.0.0.5:22"
        )
    )
    assert refused == "Busy Here"  # the device's own words, as before
    assert refused.code == "device_error" and refused.params["error"] == "command_failed"
    assert refused.params["device_message"] == "Busy Here" and "text" not in refused.params
    lost = Cause.of_error(ConnectFailed("cannot connect", cause="connection_refused"), "hangup_unconfirmed")
    assert lost.startswith("hang-up not confirmed: unreachable: cannot connect")
    assert lost.params == {"error": "unreachable", "cause": "connection_refused"}
    assert code_of("plain text") == (None, None)

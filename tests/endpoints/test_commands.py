"""A value can never become a second command or change the tag (both dialects)."""

from __future__ import annotations

import pytest

from endpoints import Profile, UnsafeValue, render
from endpoints.sim.tokens import split_outside_quotes, tokenize

from .conftest import PROFILE_IDS

HOSTILE_OK = [
    'a"b',
    'x" ; hangup all ; "',
    "back\\slash\\",
    '\\"',
    'pipe | resultId="evil"',
    'end" | resultId="x',
    "semi; colon: xCommand Call Disconnect",
    "Phòng họp UBND xã Tân Phú",
]
HOSTILE_REJECTED = [
    "line\nxCommand Call Disconnect",
    "cr\rhangup all",
    "tab\tx",
    "nul\x00",
    "esc\x1b[",
    "nel\x85xCommand Call Disconnect",  # C1 NEXT LINE
    "csi\x9b2J",  # C1 control sequence introducer
    "ls\u2028hangup all",  # LINE SEPARATOR
    "ps\u2029hangup all",  # PARAGRAPH SEPARATOR
]


@pytest.mark.parametrize("pid", PROFILE_IDS)
@pytest.mark.parametrize("value", HOSTILE_OK)
def test_hostile_value_stays_one_literal(profiles: dict[str, Profile], pid: str, value: str) -> None:
    profile = profiles[pid]
    template = profile.config["display_name"].set
    line = render(template, {"value": value}, profile.escaping)
    wire = profile.session.command_template.format(command=line, tag="t1")
    assert "\n" not in wire and "\r" not in wire
    # The device's own reading: one quoted token holding the literal value ...
    tokens = tokenize(line)
    assert [t for t in tokens if t.quoted] == [tokens[-1]]
    assert tokens[-1].text == value
    # ... and, for the tagged dialect, exactly one pipe: ours.
    parts = split_outside_quotes(wire, "|")
    if "{tag}" in profile.session.command_template:
        assert len(parts) == 2 and tokenize(parts[1])[1].text == "t1"
    else:
        assert len(parts) == 1


@pytest.mark.parametrize("pid", PROFILE_IDS)
@pytest.mark.parametrize("value", HOSTILE_REJECTED)
def test_control_characters_are_rejected(profiles: dict[str, Profile], pid: str, value: str) -> None:
    profile = profiles[pid]
    with pytest.raises(UnsafeValue):
        render(profile.config["display_name"].set, {"value": value}, profile.escaping)


@pytest.mark.parametrize("pid", PROFILE_IDS)
def test_word_and_int_placeholders_refuse_anything_else(profiles: dict[str, Profile], pid: str) -> None:
    profile = profiles[pid]
    dial = profile.calls.dial
    with pytest.raises(UnsafeValue):
        render(
            dial,
            {"uri": "a", "rate": "1920; hangup", "protocol": "sip", "tag": ""},
            profile.escaping,
        )
    with pytest.raises(UnsafeValue):
        render(dial, {"uri": "a", "rate": 1920, "protocol": 'sip" x', "tag": ""}, profile.escaping)
    with pytest.raises(UnsafeValue):
        render(profile.config["time_zone"].set, {"value": "UTC | resultId=x"}, profile.escaping)
    with pytest.raises(UnsafeValue):
        render(profile.config["display_name"].set, {"value": "x" * 1000}, profile.escaping)

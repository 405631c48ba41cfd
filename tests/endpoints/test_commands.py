"""A value can never become a second command or change the tag (both dialects)."""

from __future__ import annotations

import pytest

from endpoints import Profile, UnsafeValue, render
from endpoints.sim import FAMILIES, EndpointState
from endpoints.sim.shell import DeviceHooks, DeviceShell

from .conftest import PROFILE_IDS, STORED_AS

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


def _device(pid: str) -> tuple[DeviceShell, EndpointState, list[str]]:
    """A simulated device of family ``pid``, played from its vendor's documents, and what it was asked to do."""
    shell_cls = FAMILIES[pid]
    state = EndpointState(
        name="DEMO-vc001",
        unit="DEMO",
        family=pid,
        model=shell_cls.models[0],
        firmware=shell_cls.firmware,
        serial="SIM0000001",
        config=shell_cls.initial_config("DEMO-vc001", 0),
    )
    actions: list[str] = []
    hooks = DeviceHooks(
        dial=lambda call: actions.append("dial"),
        hangup=lambda call_id: actions.append("hangup") or True,
        upgrade=lambda url: actions.append("upgrade"),
        reboot=lambda: actions.append("reboot"),
    )
    return shell_cls(state, hooks), state, actions


@pytest.mark.parametrize("pid", PROFILE_IDS)
@pytest.mark.parametrize("value", HOSTILE_OK)
def test_hostile_value_stays_one_literal(profiles: dict[str, Profile], pid: str, value: str) -> None:
    """The device's own reading of what we send: one setting, holding exactly the value."""
    profile = profiles[pid]
    try:
        line = render(profile.config["display_name"].set, {"value": value}, profile.escaping)
    except UnsafeValue:
        assert '"' in value and '"' in profile.escaping.reject  # Poly: no documented way to quote a quote
        return
    wire = profile.session.command_template.format(command=line, tag="t1") + profile.session.line_ending
    assert "\n" not in wire[:-1] and "\r" not in wire[:-1]
    shell, state, actions = _device(pid)
    lines, rest = shell.split(wire)
    assert len(lines) == 1 and rest == ""  # one command
    shell.handle(lines[0])
    assert STORED_AS[pid]["display_name"] in state.config
    assert state.config[STORED_AS[pid]["display_name"]] == value and actions == []
    assert state.commands == [lines[0]]


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
    words = [k for k in profile.config.values() if "{value:word}" in k.set]
    for key in words:
        with pytest.raises(UnsafeValue):
            render(key.set, {"value": "UTC | resultId=x"}, profile.escaping)
    with pytest.raises(UnsafeValue):
        render(profile.config["display_name"].set, {"value": "x" * 1000}, profile.escaping)

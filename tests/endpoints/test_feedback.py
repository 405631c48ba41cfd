"""Feedback-driven state: registrations on every (re)connect, state changes pushed at once."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from endpoints import EndpointDriver, ProfileError, default_profiles_dir, load_profile, open_session
from endpoints.sim import ControlServer, Fleet, SimEndpoint, control_request
from tests.support.waiting import PATIENT_S, until

from .conftest import connect, profile_of
from .test_pool import make_pool, target, until_connected, until_dead

# What each dialect pushes, by event (a registered session sees these lines; regexes, {id}
# standing for the call's id). RoomOS feedback is a JSON document, here in compact form.
CALL_UP = {
    "cisco-roomos": r'^\{"Status":\{"Call":\[\{"id":"{id}".*"Status":\{"Value":"Connected"\}',
    "poly-group": r"^notification:callstatus:incoming:{id}:[^:]*:sip:ubnd-xa@vc\.example\.gov\.vn:connected:",
}
CALL_DOWN = {
    "cisco-roomos": [r'^\{"Status":\{"Call":\[\{"id":"{id}","ghost":"True"\}', r'^\{"Event":\{"CallDisconnect":'],
    "poly-group": [r"^notification:callstatus:incoming:{id}:[^:]*:sip:ubnd-xa@vc\.example\.gov\.vn:disconnected:"],
}
CAMERA_OFF = {
    "cisco-roomos": r'^\{"Status":\{"Cameras":\{"Camera":\[\{"id":"1","Connected":\{"Value":"False"\}',
    "poly-group": r"^notification:sysstatus:camera:offline$",
}
SIP_FAILED = {
    "cisco-roomos": r'^\{"Status":\{"SIP":\{"Registration":.*"Status":\{"Value":"Failed"\}',
    "poly-group": r"^notification:sysstatus:sipserver:offline$",
}


def seen(pattern: str, lines: list[str], call_id: int | None = None) -> bool:
    regex = pattern.replace("{id}", str(call_id)) if call_id is not None else pattern
    return any(re.search(regex, line) for line in lines)


REMOTE = "sip:ubnd-xa@vc.example.gov.vn"


async def now(fn: Callable[..., object], *args: object, **kw: object) -> None:
    """Call a simulator method from inside the loop (it writes to live SSH channels)."""
    fn(*args, **kw)


class Recorder:
    """The pool's ``on_feedback``: every line with its key, and what the device had been
    asked by the time each line arrived (so a test can tell pushed from polled)."""

    def __init__(self, device: SimEndpoint) -> None:
        self.device = device
        self.profile = profile_of(device)
        self.lines: list[tuple[str, str, int]] = []
        self.state_change = asyncio.Event()

    def __call__(self, key: str, line: str) -> None:
        self.lines.append((key, line, len(self.device.state.commands)))
        if self.profile.is_state_feedback(line):
            self.state_change.set()

    async def after(
        self, action: object, done: Callable[[list[str]], bool] = lambda lines: True
    ) -> tuple[list[str], list[str]]:
        """Run ``action`` (awaitable) and wait for a state-feedback line and for ``done(lines)``
        (the rest of a burst, where the test needs it). Returns the commands the device
        received before the first state-feedback line (none when it was pushed), and the lines."""
        self.lines.clear()
        self.state_change.clear()
        asked = len(self.device.state.commands)
        await action  # type: ignore[misc]
        await asyncio.wait_for(self.state_change.wait(), PATIENT_S)
        await until(lambda: done(self.seen()), what="the rest of the burst")
        first = next(n for _, line, n in self.lines if self.profile.is_state_feedback(line))
        return self.device.state.commands[asked:first], self.seen()

    def seen(self) -> list[str]:
        return [line for _, line, _ in self.lines]


@pytest.fixture
async def control(fleet: Fleet, tmp_path: Path) -> AsyncIterator[Path]:
    server = ControlServer(fleet)
    await server.start(tmp_path / "control.json")
    try:
        yield tmp_path / "control.json"
    finally:
        await server.stop()


async def set_state(cf: Path, device: SimEndpoint, **fields: object) -> None:
    reply = await control_request(cf, {"op": "set", "endpoint": device.state.name, **fields})
    assert reply["ok"], reply


async def test_control_api_call_is_state_feedback_at_once_and_after_reconnect(
    device: SimEndpoint, control: Path
) -> None:
    pid = profile_of(device).id
    rec = Recorder(device)
    pool = make_pool(on_feedback=rec, backoff_base=0.05)
    t = target(device)
    try:
        first = await pool.session(t)
        assert first.registration_errors == []
        polled, lines = await rec.after(set_state(control, device, call={"remote": REMOTE, "rate": 1920}))
        assert polled == [], polled  # pushed by the device, not found by asking
        assert {k for k, _, _ in rec.lines} == {t.key}
        assert seen(CALL_UP[pid], lines, device.state.call.call_id), lines  # type: ignore[union-attr]
        assert (await (await pool.driver(t)).health()).in_call is True

        await device.inject("reboot", seconds=0.2)  # the call is gone with the reboot
        await until_dead(first)
        second = await until_connected(pool, t)
        assert second is not first
        for cmd in profile_of(device).session.feedback_register:  # registered again on the new shell
            assert sum(c.split(" | ")[0] == cmd for c in device.state.commands) == 2

        polled, lines = await rec.after(set_state(control, device, call={"remote": REMOTE}))
        assert polled == [], polled
        call_id = device.state.call.call_id  # type: ignore[union-attr]
        assert seen(CALL_UP[pid], lines, call_id), lines

        polled, lines = await rec.after(
            set_state(control, device, call=None),
            lambda lines: all(seen(x, lines, call_id) for x in CALL_DOWN[pid]),
        )
        assert polled == [], polled
        assert (await (await pool.driver(t)).health()).in_call is False
    finally:
        await pool.close()


async def test_peripheral_and_sip_changes_are_state_feedback(device: SimEndpoint) -> None:
    rec = Recorder(device)
    pool = make_pool(on_feedback=rec)
    try:
        await pool.session(target(device))
        pid = profile_of(device).id
        polled, lines = await rec.after(
            now(device.set_state, camera_connected=False), lambda lines: seen(CAMERA_OFF[pid], lines)
        )
        assert polled == [], (polled, lines)
        _, lines = await rec.after(
            now(device.set_state, sip_registered=False), lambda lines: seen(SIP_FAILED[pid], lines)
        )
        rec.lines.clear()
        device.set_state(camera_connected=False, temperature_c=70.0)  # no change to report
        await asyncio.sleep(0.1)
        assert not any(profile_of(device).is_state_feedback(x) for _, x, _ in rec.lines)
    finally:
        await pool.close()


async def test_dial_and_hangup_by_us_are_state_feedback_too(device: SimEndpoint) -> None:
    rec = Recorder(device)
    pool = make_pool(on_feedback=rec)
    try:
        driver = await pool.driver(target(device))
        _, up = await rec.after(driver.dial(REMOTE, 768, "sip", "BK-7"))
        _, down = await rec.after(driver.hangup())
        assert any(profile_of(device).is_state_feedback(x) for x in up)
        assert any(profile_of(device).is_state_feedback(x) for x in down)
    finally:
        await pool.close()


async def test_unregistered_session_hears_nothing(device: SimEndpoint) -> None:
    profile = profile_of(device)
    bare = profile.model_copy(
        update={"session": profile.session.model_copy(update={"feedback_register": []})}
    )
    async with await open_session(
        "127.0.0.1", device.port, "admin", "sim-password", bare, known_host_key=device.public_key
    ) as quiet:
        device.start_call(REMOTE)
        device.set_state(camera_connected=False)
        await asyncio.sleep(0.1)
        assert quiet.feedback.empty()
        assert (await EndpointDriver(quiet).health()).in_call is True


async def test_feedback_during_a_pending_command_is_set_aside(device: SimEndpoint) -> None:
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        for _ in range(5):
            health, _ = await asyncio.gather(driver.health(), now(device.start_call, REMOTE))
            assert device.state.call is not None
            device.end_call()
            assert health.remote in (None, REMOTE)
        lines: list[str] = []

        def ten_state_lines() -> bool:
            lines.extend(session.feedback.get_nowait() for _ in range(session.feedback.qsize()))
            return sum(profile_of(device).is_state_feedback(x) for x in lines) >= 10

        await until(ten_state_lines, what="10 state-feedback lines set aside")


def test_state_feedback_regexes_are_validated(tmp_path: Path) -> None:
    text = (default_profiles_dir() / "poly-group.yaml").read_text(encoding="utf-8")
    bad = text.replace("- '^notification:callstatus:'", "- '^notification:(callstatus:'")
    assert bad != text
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(tmp_path / "bad.yaml")
    assert "session.state_feedback" in str(info.value) and "invalid regex" in str(info.value)


def test_is_state_feedback_per_dialect(profiles: dict) -> None:
    cisco, poly = profiles["cisco-roomos"], profiles["poly-group"]
    assert cisco.is_state_feedback('{"Status":{"Call":[{"id":"12","Status":{"Value":"Connected"}}]}}')
    assert cisco.is_state_feedback('{"Status":{"Call":[{"id":"12","ghost":"True"}]}}')
    assert cisco.is_state_feedback('{"Event":{"CallDisconnect":{"CauseType":{"Value":"RemoteDisconnect"}}}}')
    assert cisco.is_state_feedback('{"Status":{"Cameras":{"Camera":[{"id":"1","Connected":{"Value":"False"}}]}}}')
    assert not cisco.is_state_feedback('{"Event":{"Audio":{"Volume":{"Value":"50"}}}}')
    assert poly.is_state_feedback(
        "notification:callstatus:outgoing:34:Demo:192.168.1.101:connected:384:0:videocall"
    )
    assert poly.is_state_feedback("notification:sysstatus:camera:offline")
    assert not poly.is_state_feedback("notification:mutestatus:near:1:x:y:muted")

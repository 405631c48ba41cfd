"""Calls that take time, fail and drop, and the simulated MCU bridge: real SSH, both dialects.

A listener learns *that* something changed from a state-feedback line and
*what* from ``call_status()``; a call-ended line (``profile.call_ended``)
carries the cause.  These tests follow that pattern.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from endpoints import (
    CallEnded,
    CallStatus,
    CommandFailed,
    EndpointDriver,
    EndpointSession,
    Profile,
    ProfileError,
    UnsafeValue,
)
from endpoints.json_framing import compact
from endpoints.profiles import default_profiles_dir, load_profile
from endpoints.sim import ControlServer, Fleet, SimEndpoint, control_request
from endpoints.sim.bridge import SimBridge, split_uri
from tests.support.waiting import until

from .conftest import PASSWORD, PROFILE_IDS, connect, profile_of

BRIDGE_URI = "sip:40001@bridge.sim"
P2P_URI = "sip:so-y-te@vc.example.gov.vn"
# How each dialect words a network failure in its call-ended feedback (Poly gives no cause).
# How each family says why a call ended (RoomOS: the SIP reason in CauseString; Poly: nothing)
NETWORK_ERROR = {"cisco-roomos": "Request Timeout", "poly-group": "disconnected"}


async def next_wake(session: EndpointSession, seconds: float = 2) -> str:
    """The next feedback line that means "poll now"."""
    while True:
        line = await asyncio.wait_for(session.feedback.get(), seconds)
        if session.profile.is_state_feedback(line):
            return line


async def next_ended(session: EndpointSession, seconds: float = 2) -> CallEnded:
    """The next call-ended event on the session's feedback stream."""
    while True:
        line = await asyncio.wait_for(session.feedback.get(), seconds)
        if (ended := session.profile.call_ended(line)) is not None:
            return ended


def drain(session: EndpointSession) -> list[str]:
    return [session.feedback.get_nowait() for _ in range(session.feedback.qsize())]


async def until_state(driver: EndpointDriver, state: str) -> CallStatus:
    async def reached() -> CallStatus | None:
        status = await driver.call_status()
        return status if status.state == state else None

    return await until(reached, what=f"the call is {state}")


@pytest.fixture
async def control(fleet: Fleet, tmp_path: Path) -> AsyncIterator[Path]:
    server = ControlServer(fleet)
    await server.start(tmp_path / "control.json")
    try:
        yield tmp_path / "control.json"
    finally:
        await server.stop()


async def test_dial_with_delays_wakes_on_dialling_ringing_connected(device: SimEndpoint) -> None:
    device.ring_delay_ms, device.answer_delay_ms = 150, 150
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        assert await driver.call_status() == CallStatus(state="idle")
        await driver.dial(BRIDGE_URI)
        seen = [(await driver.call_status()).state]
        while seen[-1] != "connected":
            await next_wake(session)  # every step is pushed: no polling needed
            state = (await driver.call_status()).state
            if state != seen[-1]:
                seen.append(state)
                if state == "ringing":
                    assert (await driver.health()).in_call is False  # in_call means connected
        assert seen == ["dialling", "ringing", "connected"]
        status = await driver.call_status()
        assert status.remote == BRIDGE_URI and status.call_id == device.state.call.call_id  # type: ignore[union-attr]
        assert (await driver.health()).in_call is True


async def test_progress_pushed_right_after_the_dial_reply_is_not_part_of_it(device: SimEndpoint) -> None:
    """No ring delay but an answer delay: "ringing" is pushed in the very next loop
    turn, on the heels of the reply (on Poly, on the prompt's line)."""
    device.ring_delay_ms, device.answer_delay_ms = 0, 50
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        for _ in range(3):
            await driver.dial(BRIDGE_URI)
            await until_state(driver, "connected")
            await driver.hangup()


async def test_without_delays_a_dial_is_connected_when_answered(device: SimEndpoint) -> None:
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        await driver.dial(P2P_URI)
        assert await driver.call_status() == CallStatus(
            state="connected",
            remote=P2P_URI,
            call_id=device.state.call.call_id,  # type: ignore[union-attr]
        )


async def test_full_bridge_refuses_with_no_resources(tmp_path: Path) -> None:
    async with Fleet(4, profiles=PROFILE_IDS, bridge_ports=2, ring_delay_ms=20, password=PASSWORD) as fleet:
        control = ControlServer(fleet)
        cf = tmp_path / "control.json"
        await control.start(cf)
        cisco, poly1, cisco2, poly2 = fleet.endpoints  # round-robin profiles
        sessions = [await connect(ep) for ep in (poly1, poly2, cisco, cisco2)]
        drivers = [EndpointDriver(s) for s in sessions]
        try:
            for driver in drivers[:2]:
                await driver.dial(BRIDGE_URI)
            for driver in drivers[:2]:
                await until_state(driver, "connected")
            await drivers[2].dial(BRIDGE_URI)  # accepted, then refused by the full bridge
            # the full bridge answers 503: RoomOS names it in CauseString
            assert await next_ended(sessions[2]) == CallEnded(cause="Service Unavailable", remote=BRIDGE_URI)
            assert (await drivers[2].call_status()).state == "idle"
            bridge = (await control_request(cf, {"op": "bridge"}))["bridge"]
            assert bridge == {
                "host": "bridge.sim",
                "ports": 2,
                "in_use": 2,
                "peak": 2,
                "rejected": 1,
                "conferences": {"40001": sorted([poly1.state.name, poly2.state.name])},
            }
            await drivers[3].dial(P2P_URI)  # point-to-point needs no port
            await until_state(drivers[3], "connected")

            await drivers[0].hangup()  # a port frees: the Cisco gets in
            await drivers[2].dial(BRIDGE_URI)
            await until_state(drivers[2], "connected")
            drain(sessions[0])
            await drivers[0].dial(BRIDGE_URI)  # now the Poly is refused: no cause on Poly
            assert await next_ended(sessions[0]) == CallEnded(cause="disconnected", remote=BRIDGE_URI)

            reply = await control_request(cf, {"op": "bridge", "ports": 3})
            assert reply["bridge"]["ports"] == 3
            await drivers[0].dial(BRIDGE_URI)
            await until_state(drivers[0], "connected")
            bridge = (await control_request(cf, {"op": "bridge"}))["bridge"]
            assert (bridge["in_use"], bridge["peak"], bridge["rejected"]) == (3, 3, 2)
            assert bridge["conferences"] == {
                "40001": sorted([poly1.state.name, poly2.state.name, cisco.state.name])
            }
            stats = (await control_request(cf, {"op": "stats"}))["stats"]
            assert [stats[ep.state.name]["dials"] for ep in (cisco, poly1, cisco2, poly2)] == [2, 3, 1, 1]
            assert (await control_request(cf, {"op": "bridge", "ports": -1}))["ok"] is False
        finally:
            for session in sessions:
                await session.close()
            await control.stop()


async def test_drop_calls_pct_picks_by_seed_and_carries_the_cause(tmp_path: Path) -> None:
    async with Fleet(10, bridge_ports=10, password=PASSWORD) as fleet:
        control = ControlServer(fleet)
        cf = tmp_path / "control.json"
        await control.start(cf)
        sessions = {ep.state.name: await connect(ep) for ep in fleet.endpoints}
        drivers = {name: EndpointDriver(s) for name, s in sessions.items()}
        try:
            await asyncio.gather(*(d.dial(BRIDGE_URI) for d in drivers.values()))
            assert fleet.bridge.in_use == 10
            reply = await control_request(cf, {"op": "drop_calls", "pct": 30, "seed": 1})
            names = sorted(drivers)
            assert reply == {"ok": True, "dropped": sorted(random.Random(1).sample(names, 3))}
            for name in names:
                if name in reply["dropped"]:
                    ended = await next_ended(sessions[name])
                    assert ended == CallEnded(cause=NETWORK_ERROR[fleet[name].family], remote=BRIDGE_URI)
                    assert (await drivers[name].call_status()).state == "idle"
                else:
                    assert (await drivers[name].call_status()).state == "connected"
            assert fleet.bridge.in_use == 7

            kept = next(n for n in names if n not in reply["dropped"])
            again = {"op": "drop_calls", "names": [kept, reply["dropped"][0]]}
            assert (await control_request(cf, again))["dropped"] == [kept]  # only connected calls drop
            one = await control_request(cf, {"op": "drop_calls", "pct": 10, "seed": 2})
            assert len(one["dropped"]) == 1  # 10 % of 6, rounded
            for bad in ({"pct": 120}, {}, {"names": "DEMO-vc001"}, {"names": ["nope"]}):
                assert (await control_request(cf, {"op": "drop_calls", **bad}))["ok"] is False
        finally:
            for session in sessions.values():
                await session.close()
            await control.stop()


# ringing long enough to be seen by polling on a loaded machine
RING_MS, ANSWER_MS = 20, 1000


async def past_answer(dialled_at: float) -> None:
    """Sleep until after the moment the device would have answered a call dialled then."""
    await asyncio.sleep(max(0.0, dialled_at + (RING_MS + ANSWER_MS) / 1000 + 0.1 - time.monotonic()))


async def test_hangup_while_ringing_cancels_setup(device: SimEndpoint, fleet: Fleet) -> None:
    device.ring_delay_ms, device.answer_delay_ms = RING_MS, ANSWER_MS
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        dialled_at = time.monotonic()
        await driver.dial(BRIDGE_URI)
        await until_state(driver, "ringing")
        assert fleet.bridge.in_use == 1  # the port is held from ringing
        await driver.hangup()
        assert (await driver.call_status()).state == "idle" and fleet.bridge.in_use == 0
        drain(session)
        await past_answer(dialled_at)
        answered = [x for x in drain(session) if re.search("(?<!dis)connected", x, re.IGNORECASE)]
        assert answered == [] and device.state.call is None
        assert (await driver.call_status()).state == "idle"


async def test_reboot_cancels_setup_and_frees_the_port(device: SimEndpoint, fleet: Fleet) -> None:
    device.ring_delay_ms, device.answer_delay_ms = RING_MS, ANSWER_MS
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        dialled_at = time.monotonic()
        await driver.dial(BRIDGE_URI)
        await until_state(driver, "ringing")
    await device.inject("reboot", seconds=0.1)
    await past_answer(dialled_at)
    assert device.state.call is None and fleet.bridge.in_use == 0


async def test_dial_fail_pct_100_always_fails(device: SimEndpoint, control: Path) -> None:
    reply = await control_request(
        control, {"op": "configure", "endpoint": device.state.name, "dial_fail_pct": 100}
    )
    assert reply["ok"] and reply["endpoint"]["dial_fail_pct"] == 100
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        for _ in range(3):
            await driver.dial(P2P_URI)
            ended = await next_ended(session)
            assert ended == CallEnded(cause=NETWORK_ERROR[profile_of(device).id], remote=P2P_URI)
            assert (await driver.call_status()).state == "idle"
    assert device.state.stats.dials == 3


async def test_drop_per_min_pct_drops_a_connected_call(
    device: SimEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    rates: list[float] = []

    def soon(rate: float) -> float:
        rates.append(rate)
        return 0.05  # seconds: instead of waiting on average a couple of minutes

    device.drop_per_min_pct = 50
    monkeypatch.setattr(device.call_rng, "expovariate", soon)
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        await driver.dial(P2P_URI)
        assert (await driver.call_status()).state == "connected"
        ended = await next_ended(session)
        assert ended == CallEnded(cause=NETWORK_ERROR[profile_of(device).id], remote=P2P_URI)
        assert (await driver.call_status()).state == "idle"
    assert rates == [pytest.approx(math.log(2) / 60)]  # 50 % within a minute


async def test_hostile_dial_uri_is_one_command_and_the_remote_verbatim(device: SimEndpoint) -> None:
    hostile = 'sip:a"b|resultId="evil"; hangup all \\ x@bridge.sim'
    if '"' in profile_of(device).escaping.reject:  # Poly: no documented way to quote a quote
        with pytest.raises(UnsafeValue):
            await EndpointDriver(await connect(device)).dial(hostile)
        hostile = "sip:a|resultId=evil; hangup all \\ -> x@bridge.sim"
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        before = len(device.state.commands)
        await driver.dial(hostile)
        assert len(device.state.commands) == before + 1
        assert device.state.call.remote == hostile  # type: ignore[union-attr]
        status = await driver.call_status()
        assert status.state == "connected" and status.remote == hostile


async def test_configure_for_every_endpoint_checks_everything_first(fleet: Fleet, control: Path) -> None:
    reply = await control_request(control, {"op": "configure", "ring_delay_ms": 40, "answer_delay_ms": 60})
    assert reply == {"ok": True, "endpoints": [ep.state.name for ep in fleet.endpoints]}
    assert all((ep.ring_delay_ms, ep.answer_delay_ms) == (40, 60) for ep in fleet.endpoints)
    for bad in (
        {"ring_delay_ms": -1},
        {"answer_delay_ms": 1.5},
        {"dial_fail_pct": 101},
        {"drop_per_min_pct": True},
        {"ring_delay_ms": 5, "upgrade_fail": "maybe"},
    ):
        assert (await control_request(control, {"op": "configure", **bad}))["ok"] is False, bad
    assert all(ep.ring_delay_ms == 40 for ep in fleet.endpoints)  # nothing changed


def test_bridge_uri_host_and_conference() -> None:
    assert split_uri("sip:40001@Bridge.Sim;transport=tls") == ("40001", "bridge.sim")
    assert split_uri("h323:40001@bridge.sim:1720") == ("40001", "bridge.sim")
    assert split_uri("40001@bridge.sim") == ("40001", "bridge.sim")
    assert split_uri("192.168.1.20") == ("", "")
    bridge = SimBridge(ports=1)
    assert bridge.conference("sip:40001@bridge.sim") == "40001"
    assert bridge.conference("sip:40001@bridge.sim.example") is None
    assert bridge.take("a", "40001") and not bridge.take("b", "40001")
    bridge.release("a")
    assert bridge.take("b", "40002")
    assert bridge.as_dict()["conferences"] == {"40002": ["b"]}


def test_call_ended_per_dialect(profiles: dict[str, Profile]) -> None:
    cisco, poly = profiles["cisco-roomos"], profiles["poly-group"]

    def disconnect(cause_type: str, cause_string: str, remote: str) -> str:
        event = {
            "CauseValue": {"Value": "1"},
            "CauseType": {"Value": cause_type},
            "CauseString": {"Value": cause_string},
            "RemoteURI": {"Value": remote},
            "CallId": {"Value": "4"},
        }
        return compact({"Event": {"CallDisconnect": event}})

    assert cisco.call_ended(disconnect("OtherRemote", "Service Unavailable", BRIDGE_URI)) == CallEnded(
        cause="Service Unavailable", remote=BRIDGE_URI
    )
    assert cisco.call_ended(disconnect("RemoteDisconnect", "", BRIDGE_URI)) == CallEnded(
        cause="RemoteDisconnect", remote=BRIDGE_URI
    )
    assert cisco.call_ended(disconnect("RemoteDisconnect", "", 'sip:a"b@x')) == CallEnded(
        cause="RemoteDisconnect", remote='sip:a"b@x'
    )
    assert cisco.call_ended('{"Event":{"CallDisconnect":{}}}') == CallEnded()  # cause "disconnected"
    ghost = '{"Status":{"Call":[{"id":"4","ghost":"True"}]}}'
    assert cisco.call_ended(ghost) is None and cisco.is_state_feedback(ghost)  # one event per call
    end = "notification:callstatus:outgoing:4:40001:sip:40001@bridge.sim:{}:1920:0:videocall"
    assert poly.call_ended(end.format("disconnected")) == CallEnded(remote=BRIDGE_URI)
    assert poly.call_ended(end.format("connected")) is None
    for state in ("connecting", "ringing", "connected", "disconnected"):  # each step wakes a listener
        assert poly.is_state_feedback(end.format(state))
    for word in ("Dialling", "Ringing", "Connected"):
        assert cisco.is_state_feedback(compact({"Status": {"Call": [{"id": "4", "Status": {"Value": word}}]}}))


BAD_CALLS = {
    "unknown state word": ("connecting: dialling", "connecting: answering", "call_state needs a map"),
    "no call_state": (
        "      call_state:\n        regex: '^callinfo",
        "      state:\n        regex: '^callinfo",
        "unknown call status fields",
    ),
    "bad group": ("(?P<remote>.*):disconnected", "(?P<who>.*):disconnected", "groups may only be"),
    "bad default": ("        default: idle", "        default: hungup", "call_state default"),
}


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_bad_calls_section_names_the_field(profiles: dict[str, Profile], tmp_path: Path, case: str) -> None:
    old, new, message = BAD_CALLS[case]
    text = (default_profiles_dir() / "poly-group.yaml").read_text(encoding="utf-8")
    assert old in text, old
    (tmp_path / "bad.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(tmp_path / "bad.yaml")
    assert "calls." in str(info.value) and message in str(info.value)


async def test_dial_returns_the_devices_call_id_and_hangup_ends_that_call(device: SimEndpoint) -> None:
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        call_id = await driver.dial(BRIDGE_URI)
        assert device.state.call is not None
        if profile_of(device).calls.dial_call_id is not None:  # RoomOS's DialResult names it
            assert call_id == device.state.call.call_id
        else:  # Group Series: the dial answer does not; the call list does
            assert call_id is None
        status = await until_state(driver, "connected")
        assert status.call_id == device.state.call.call_id
        with pytest.raises(CommandFailed):  # another id: the device refuses, our call stays
            await driver.hangup(status.call_id + 1000)
        assert device.state.call is not None and device.state.call.call_id == status.call_id
        await driver.hangup(status.call_id)
        assert device.state.call is None

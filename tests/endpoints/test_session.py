"""Each dialect end to end: real SSH to the simulator, the driver's typed results."""

from __future__ import annotations

import pytest

from endpoints import CommandFailed, EndpointDriver, Health, Identity
from endpoints.sim import Fleet, SimEndpoint
from tests.support.waiting import until

from .conftest import connect, profile_of, stored


async def test_identify(device: SimEndpoint) -> None:
    async with await connect(device) as session:
        ident = await EndpointDriver(session).identify()
    assert isinstance(ident, Identity)
    assert ident.model == device.state.model
    assert ident.firmware_version.startswith(profile_of(device).firmware.target)
    assert ident.serial == device.state.serial


async def test_read_all_config_then_set_and_read_back(device: SimEndpoint) -> None:
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        config = await driver.read_config()
        assert set(config) == set(profile_of(device).config)
        assert config["display_name"] == stored(device, "display_name") == device.state.name
        await driver.set_config("sip_proxy", "10.1.2.3")
        await driver.set_config("display_name", "Phòng họp UBND xã")
        back = await driver.read_config(["sip_proxy", "display_name"])
    assert back == {"sip_proxy": "10.1.2.3", "display_name": "Phòng họp UBND xã"}
    assert stored(device, "sip_proxy") == "10.1.2.3"


async def test_hostile_display_name_is_one_command_stored_literally(device: SimEndpoint) -> None:
    # within RoomOS's 50; Poly documents no way to quote a quote, so its profile refuses one
    hostile = 'Phòng "A" |resultId="e";hangup all\\ xCommand Call'
    if '"' in profile_of(device).escaping.reject:
        hostile = "Phòng A |resultId=e;hangup all\\ -> reboot now"
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        before = len(device.state.commands)
        await driver.set_config("display_name", hostile)
        assert len(device.state.commands) == before + 1
        assert stored(device, "display_name") == hostile
        assert (await driver.read_config(["display_name"]))["display_name"] == hostile


async def test_health_and_calls_change_device_state(device: SimEndpoint) -> None:
    device.state.packet_loss_pct = 2.0
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        idle = await driver.health()
        assert isinstance(idle, Health)
        assert idle.in_call is False and idle.remote is None
        assert idle.sip_registered is True and idle.microphones_connected is True
        await driver.dial("sip:ubnd-tinh@vc.example.gov.vn", 1920, "sip", "BK-2025-001")
        assert device.state.call is not None
        assert device.state.call.remote == "sip:ubnd-tinh@vc.example.gov.vn"
        busy = await driver.health()
        assert busy.in_call is True
        assert busy.remote == "sip:ubnd-tinh@vc.example.gov.vn"
        assert busy.packet_loss_pct == pytest.approx(2.0, abs=0.05)  # lost/received packets, rounded
        await driver.mute(True)
        assert device.state.muted is True
        await driver.mute(False)
        assert device.state.muted is False
        await driver.hangup()
        assert device.state.call is None
        assert (await driver.health()).in_call is False
        await until(lambda: session.feedback.qsize(), what="call events as feedback")
        feedback = [session.feedback.get_nowait() for _ in range(session.feedback.qsize())]
    assert feedback, "call events should arrive as feedback, not in responses"
    if profile_of(device).id == "cisco-roomos":
        # CE9 and later report a temperature status word, not degrees: not read
        assert idle.uptime_s is not None and idle.temperature_c is None
        assert busy.call_duration_s is not None


async def test_unknown_command_raises_with_device_message(device: SimEndpoint) -> None:
    async with await connect(device) as session:
        with pytest.raises(CommandFailed) as info:
            await session.run("xyzzy frobnicate")
        assert info.value.device_message in ("Command not recognized.", "command not found")
        assert info.value.command == "xyzzy frobnicate"
        assert info.value.device_message in info.value.raw
        # a failed command leaves the session usable
        assert (await EndpointDriver(session).identify()).model == device.state.model


async def test_bad_argument_raises_command_failed(device: SimEndpoint) -> None:
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        with pytest.raises(CommandFailed):
            await driver.hangup() if profile_of(device).id == "cisco-roomos" else await session.run(
                "mute near sideways"
            )


async def test_feedback_interleaved_inside_responses(device: SimEndpoint) -> None:
    device.state.faults.noise = True
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        ident = await driver.identify()
        config = await driver.read_config()
        await driver.dial("sip:x@vc.example.gov.vn", 768, "sip", "B1")
        health = await driver.health()
        assert session.feedback.qsize() >= 1  # set aside, never mixed into an answer
    assert ident.model == device.state.model
    assert config["display_name"] == device.state.name
    assert health.in_call is True and health.remote == "sip:x@vc.example.gov.vn"


async def test_tofu_then_pinned(device: SimEndpoint) -> None:
    async with await connect(device, pin=None) as session:
        learned = session.host_key
    assert learned == device.public_key and learned.startswith("ssh-ed25519 ")
    async with await connect(device, pin=learned) as session:
        assert session.host_key == learned
        await EndpointDriver(session).identify()


async def test_the_release_is_kept_apart_from_the_build_id(fleet: Fleet) -> None:
    cisco = fleet.endpoints[0]  # RoomOS prints "ce11.14.1.5.<11 hex digits>"
    async with await connect(cisco) as session:
        ident = await EndpointDriver(session).identify()
    assert ident.firmware_version == cisco.state.firmware == "ce11.14.1.5"
    assert ident.firmware_build is not None and len(ident.firmware_build) == 11
    int(ident.firmware_build, 16)  # a hex build id, not version components

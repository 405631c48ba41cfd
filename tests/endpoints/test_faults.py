"""Injected faults surface as the right typed error, with short timeouts."""

from __future__ import annotations

import pytest

from endpoints import (
    AuthFailed,
    ConnectFailed,
    ConnectionLost,
    EndpointDriver,
    EndpointSession,
    EndpointTimeout,
    HostKeyMismatch,
    ParseError,
)
from endpoints.sim import SimEndpoint
from tests.support.waiting import until

from .conftest import PASSWORD, connect, profile_of

# for tests where the device never answers: the timeout is what the test is about
FAST = {"connect_timeout": 0.5, "command_timeout": 0.5}


async def test_new_host_key_is_a_mismatch(device: SimEndpoint) -> None:
    await device.inject("new_host_key")
    with pytest.raises(HostKeyMismatch) as info:
        await connect(device)
    assert info.value.expected == device.public_key
    assert info.value.presented.startswith("ssh-ed25519 ")
    assert info.value.presented != device.public_key
    await device.inject("clear")
    async with await connect(device):
        pass


async def test_wrong_password_fault_is_auth_failed(device: SimEndpoint) -> None:
    await device.inject("wrong_password")
    with pytest.raises(AuthFailed) as info:
        await connect(device)
    assert PASSWORD not in str(info.value)


async def test_really_wrong_password_is_auth_failed(device: SimEndpoint) -> None:
    with pytest.raises(AuthFailed) as info:
        await connect(device, password="secret-guess-123")
    assert "secret-guess-123" not in str(info.value)


async def test_refuse_then_clear(device: SimEndpoint) -> None:
    await device.inject("refuse")
    with pytest.raises(ConnectFailed):
        await connect(device)
    await device.inject("clear")
    async with await connect(device):
        pass


async def test_stall_is_a_timeout(device: SimEndpoint) -> None:
    await device.inject("stall")
    with pytest.raises(EndpointTimeout):
        await connect(device, **FAST)


async def test_stall_hangs_an_open_session_too_until_cleared(device: SimEndpoint) -> None:
    """A hung codec answers nothing, on the monitor's open session as on a new one."""
    async with await connect(device, command_timeout=0.5) as session:
        await EndpointDriver(session).identify()
        await device.inject("stall")
        with pytest.raises(EndpointTimeout):
            await EndpointDriver(session).identify()
    await device.inject("clear")
    async with await connect(device) as session:
        assert (await EndpointDriver(session).identify()).firmware_version


async def test_garbage_is_parse_error_with_raw(device: SimEndpoint) -> None:
    async with await connect(device) as session:
        await device.inject("garbage")
        with pytest.raises(ParseError) as info:
            await EndpointDriver(session).identify()
    assert info.value.raw.strip()  # the device's text travels with the error


async def test_drop_mid_command_is_connection_lost(device: SimEndpoint) -> None:
    async with await connect(device) as session:
        await device.inject("drop")
        with pytest.raises(ConnectionLost):
            await EndpointDriver(session).identify()
        with pytest.raises(ConnectionLost):  # the session stays failed, never half-alive
            await session.run("version")


async def test_slow_within_timeout_works_and_beyond_times_out(device: SimEndpoint) -> None:
    async with await connect(device) as session:
        await device.inject("slow", delay_ms=150)
        assert (await EndpointDriver(session).identify()).model == device.state.model
        await device.inject("slow", delay_ms=800)
        with pytest.raises(EndpointTimeout):
            await session.run(
                profile_of(device).identity[next(iter(profile_of(device).identity))].command, timeout=0.3
            )


async def test_reboot_goes_away_and_returns_with_uptime_reset(device: SimEndpoint) -> None:
    device.state.booted_at -= 1000
    assert device.state.uptime_s >= 1000
    await device.inject("reboot", seconds=2)
    with pytest.raises(ConnectFailed):
        await connect(device)
    session = await until(lambda: back_up(device), what="the device is back after its reboot")
    async with session:
        assert device.state.uptime_s < 5


async def back_up(device: SimEndpoint) -> EndpointSession | None:
    try:
        return await connect(device)
    except ConnectFailed:
        return None

"""SessionPool against the simulator: reuse, shared connects, bounds, backoff, keys."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import replace

import pytest

from endpoints import (
    AuthFailed,
    Backoff,
    ConnectFailed,
    EndpointDriver,
    EndpointError,
    EndpointSession,
    HostKeyMismatch,
    SessionPool,
    Target,
)
from endpoints.sim import Fleet, SimEndpoint
from tests.support.waiting import PATIENT_S, until

from .conftest import PASSWORD, profile_of


class _Longest(random.Random):
    """Jitter that always picks the whole window, so tests know how long it is."""

    def uniform(self, a: float, b: float) -> float:
        return b


def target(ep: SimEndpoint, **changes: object) -> Target:
    t = Target(
        key=ep.state.name,
        host="127.0.0.1",
        port=ep.port,
        username="admin",
        password=PASSWORD,
        profile=profile_of(ep),
        host_key=ep.public_key,
    )
    return replace(t, **changes)  # type: ignore[arg-type]


def make_pool(**kw: object) -> SessionPool:
    opts: dict[str, object] = {
        "connect_timeout": PATIENT_S,
        "command_timeout": PATIENT_S,
        "backoff_base": 0.2,
        "backoff_max": 1.0,
        "rng": _Longest(),
    }
    return SessionPool(**{**opts, **kw})  # type: ignore[arg-type]


async def until_connected(pool: SessionPool, t: Target, seconds: float = PATIENT_S, **kw: object):
    deadline = time.monotonic() + seconds
    while True:
        try:
            return await pool.session(t, **kw)  # type: ignore[arg-type]
        except (ConnectFailed, Backoff):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


async def until_dead(session: EndpointSession) -> None:
    await until(lambda: not session.alive, what="the session is dead")


async def test_second_call_reuses_the_session(device: SimEndpoint) -> None:
    pool = make_pool()
    try:
        first = await pool.session(target(device))
        second = await pool.session(target(device))
        assert second is first
        assert (await pool.driver(target(device))).session is first
        assert device.state.stats.connections == 1
        assert pool.status(device.state.name).connected
        assert pool.status("unknown").connected is False
    finally:
        await pool.close()
    assert not first.alive


async def test_concurrent_callers_share_one_connect(device: SimEndpoint) -> None:
    pool = make_pool()
    try:
        sessions = await asyncio.gather(*(pool.session(target(device)) for _ in range(20)))
        assert all(s is sessions[0] for s in sessions)
        assert device.state.stats.connections == 1 and pool.handshakes_started == 1
    finally:
        await pool.close()


async def test_handshakes_are_bounded_but_commands_are_not() -> None:
    async with Fleet(12, latency_ms=200) as fleet:
        targets = [target(ep) for ep in fleet.endpoints]
        pool = make_pool(max_handshakes=3)
        try:
            await asyncio.gather(*(pool.session(t) for t in targets))
            assert 1 <= fleet.handshakes.peak <= 3
            drivers = [await pool.driver(t) for t in targets]
            fleet.reset_stats()
            await asyncio.gather(*(d.read_config() for d in drivers))
            assert fleet.answering.peak > 3  # the devices answered more than 3 at once
        finally:
            await pool.close()
        fleet.reset_stats()
        pool = make_pool(max_handshakes=32)  # the gauge does see parallel handshakes
        try:
            await asyncio.gather(*(pool.session(t) for t in targets))
            assert fleet.handshakes.peak > 3
        finally:
            await pool.close()


async def test_backoff_after_refusal_then_recovery(device: SimEndpoint) -> None:
    pool = make_pool(backoff_base=0.4)
    key = device.state.name
    try:
        await device.inject("refuse")
        with pytest.raises(ConnectFailed):
            await pool.session(target(device))
        tried = pool.handshakes_started
        with pytest.raises(Backoff) as info:
            await pool.session(target(device))
        assert pool.handshakes_started == tried  # refused without touching the network
        assert info.value.code == "backoff" and info.value.last_code == "unreachable"
        assert 0 < info.value.retry_in <= 0.4
        status = pool.status(key)
        assert (status.connected, status.failures, status.last_error) == (False, 1, "unreachable")
        assert status.next_attempt_at is not None and status.next_attempt_at > time.monotonic()
        await asyncio.sleep(info.value.retry_in)
        before = time.monotonic()
        with pytest.raises(ConnectFailed):  # second failure: the window doubles
            await pool.session(target(device))
        assert pool.status(key).failures == 2
        assert pool.status(key).next_attempt_at - before >= 0.8  # type: ignore[operator]
        await device.inject("clear")
        await asyncio.sleep(0.9)  # past the 0.8 s window
        session = await pool.session(target(device))
        assert session.alive
        assert pool.status(key) == type(pool.status(key))(connected=True)
    finally:
        await pool.close()


async def test_an_attempt_a_person_asked_for_is_made_inside_the_backoff_window(device: SimEndpoint) -> None:
    """The technician fixed the codec a moment after the monitor failed: their job connects."""
    pool = make_pool(backoff_base=60)
    try:
        await device.inject("refuse")
        with pytest.raises(ConnectFailed):
            await pool.session(target(device))
        with pytest.raises(Backoff):
            await pool.session(target(device))  # a loop: waits out the window
        tried = pool.handshakes_started
        with pytest.raises(ConnectFailed):  # still refused: the real cause, not "backoff"
            await pool.session(target(device), now=True)
        assert pool.handshakes_started == tried + 1 and pool.status(device.state.name).failures == 2
        await device.inject("clear")
        session = await pool.session(target(device), now=True)
        assert session.alive and pool.status(device.state.name).failures == 0
    finally:
        await pool.close()


async def test_backoff_cap_and_jitter_range() -> None:
    pool = SessionPool(backoff_base=1.0, backoff_max=5.0, rng=random.Random(7))
    from endpoints.pool import _Entry

    entry = _Entry()
    t = Target("k", "127.0.0.1", 1, "u", "p", None, None)  # type: ignore[arg-type]
    waits = []
    for _ in range(8):
        pool._failed(entry, t, ConnectFailed("x"))
        waits.append(entry.next_attempt_at - time.monotonic())  # type: ignore[operator]
    assert all(0 <= w <= 5.0 for w in waits) and len({round(w, 3) for w in waits}) > 4


async def test_auth_failure_is_sticky_until_credentials_change(device: SimEndpoint) -> None:
    pool = make_pool(backoff_base=0.01)
    bad = target(device, password="guess-1")
    try:
        with pytest.raises(AuthFailed):
            await pool.session(bad)
        await asyncio.sleep(0.05)  # well past any backoff: still no new attempt
        tried = pool.handshakes_started
        with pytest.raises(AuthFailed):
            await pool.session(bad)
        assert pool.handshakes_started == tried
        assert pool.status(device.state.name).auth_failed
        session = await pool.session(target(device))  # the password was corrected
        assert session.alive and not pool.status(device.state.name).auth_failed
    finally:
        await pool.close()


async def test_host_key_mismatch_is_raised_not_accepted(device: SimEndpoint) -> None:
    pool = make_pool()
    try:
        await device.inject("new_host_key")
        with pytest.raises(HostKeyMismatch) as info:
            await pool.session(target(device))
        assert info.value.presented != device.public_key
        assert pool.status(device.state.name).last_error == "hostkey_mismatch"
        with pytest.raises(Backoff):  # and not retried in a loop either
            await pool.session(target(device))
    finally:
        await pool.close()


async def test_accept_new_host_key_after_own_reset(device: SimEndpoint) -> None:
    pool = make_pool()
    old = device.public_key
    try:
        first = await pool.session(target(device))
        await device.inject("new_host_key")  # e.g. a factory reset the controller ran
        await device.inject("reboot", seconds=0.2)
        await until_dead(first)
        session = await until_connected(pool, target(device), accept_new_host_key=True)
        assert session is not first and session.host_key != old
        assert session.host_key_changed_from == old
        assert (await EndpointDriver(session).identify()).model == device.state.model
        # the caller stores the new key: the same session is reused under the new pin
        assert await pool.session(target(device, host_key=session.host_key)) is session
        # a caller still pinning the old key gets the mismatch, not the session
        with pytest.raises(HostKeyMismatch):
            await pool.session(target(device))
    finally:
        await pool.close()


async def test_reboot_kills_the_session_and_the_next_call_reconnects(device: SimEndpoint) -> None:
    pool = make_pool(backoff_base=0.05)
    try:
        first = await pool.session(target(device))
        await device.inject("reboot", seconds=0.4)
        await until_dead(first)
        assert not pool.status(device.state.name).connected
        with pytest.raises(EndpointError):  # the device is away
            await pool.session(target(device))
        second = await until_connected(pool, target(device))
        assert second is not first and second.alive
        assert device.state.stats.connections == 2
        # re-initialised: on-open commands and feedback registrations ran on the new shell too
        opening = profile_of(device).session.on_open + profile_of(device).session.feedback_register
        assert opening and all(
            sum(c.split(" | ")[0] == cmd for c in device.state.commands) == 2 for cmd in opening
        )
        assert (await EndpointDriver(second).identify()).model == device.state.model
    finally:
        await pool.close()


async def test_changed_target_or_drop_reopens(device: SimEndpoint) -> None:
    pool = make_pool()
    try:
        first = await pool.session(target(device, host_key=None))  # trust on first use
        assert first.host_key == device.public_key
        assert await pool.session(target(device)) is first  # now pinned: same key, reused
        other = profile_of(device).model_copy(update={"description": "edited"})
        second = await pool.session(target(device, profile=other))
        assert second is not first and not first.alive
        await pool.drop(device.state.name)
        assert not second.alive and not pool.status(device.state.name).connected
        third = await pool.session(target(device))
        assert third.alive and device.state.stats.connections == 3
    finally:
        await pool.close()

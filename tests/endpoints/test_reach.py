"""tcp_probe: tells "nothing listens" from "TCP answers but the device does not"."""

from __future__ import annotations

import socket
import time

from endpoints import tcp_probe
from endpoints.sim import SimEndpoint


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_refused_port_is_false_at_once() -> None:
    started = time.monotonic()
    assert await tcp_probe("127.0.0.1", _closed_port(), 2.0) is False
    assert time.monotonic() - started < 0.5


async def test_unresolvable_is_false_within_timeout() -> None:
    started = time.monotonic()
    assert await tcp_probe("no-such-host.invalid", 22, 0.3) is False  # RFC 6761: never resolves
    assert time.monotonic() - started < 1.0


async def test_probe_follows_the_simulator_faults(device: SimEndpoint) -> None:
    assert await tcp_probe("127.0.0.1", device.port, 1.0) is True
    await device.inject("stall")  # TCP accepted, SSH never speaks: "offline", not "unreachable"
    assert await tcp_probe("127.0.0.1", device.port, 1.0) is True
    await device.inject("clear")
    await device.inject("refuse")
    assert await tcp_probe("127.0.0.1", device.port, 1.0) is False
    await device.inject("clear")
    assert await tcp_probe("127.0.0.1", device.port, 1.0) is True

"""Shared fixtures: a real simulated fleet on loopback, and a way to log in to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from endpoints import EndpointSession, Profile, default_profiles_dir, load_profiles, open_session
from endpoints.sim import Fleet, SimEndpoint
from tests.support.devices import STORED_AS, stored  # noqa: F401 - re-exported to the tests
from tests.support.waiting import PATIENT_S

PROFILE_IDS = ["cisco-roomos", "poly-group"]
PASSWORD = "sim-password"


_PROFILES = load_profiles(default_profiles_dir())


def profile_of(ep: SimEndpoint) -> Profile:
    """The controller's firmware profile for a simulated device: the one its family names.
    (The simulator itself never sees a profile: it plays the device from its documents.)"""
    return _PROFILES[ep.family]


@pytest.fixture(scope="session")
def profiles() -> dict[str, Profile]:
    return _PROFILES


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    """One endpoint per profile: fleet.endpoints[0] is Cisco, [1] is Poly."""
    async with Fleet(2, profiles=PROFILE_IDS, password=PASSWORD) as f:
        yield f


@pytest.fixture(params=PROFILE_IDS)
async def device(request: pytest.FixtureRequest, fleet: Fleet) -> SimEndpoint:
    """Each test using this runs once per dialect."""
    return fleet.endpoints[PROFILE_IDS.index(request.param)]


async def connect(
    ep: SimEndpoint,
    *,
    password: str = PASSWORD,
    pin: str | None | bool = True,
    connect_timeout: float = PATIENT_S,
    command_timeout: float = PATIENT_S,
) -> EndpointSession:
    """Open a session to ``ep``; ``pin=True`` pins the endpoint's real key, None is TOFU."""
    key = ep.public_key if pin is True else (pin or None)
    return await open_session(
        "127.0.0.1",
        ep.port,
        "admin",
        password,
        profile_of(ep),
        known_host_key=key,
        connect_timeout=connect_timeout,
        command_timeout=command_timeout,
    )

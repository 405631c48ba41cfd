"""The driver against every documented variant of each family, not only the default device.

A variant is behaviour some source shows and others do not (echo already off at login,
OK after the result block, the Group Series greeting arriving late, values always
quoted...). The driver must not depend on which one a province's codecs happen to have.
"""

from __future__ import annotations

import pytest

from endpoints import EndpointDriver
from endpoints.sim import FAMILIES, Fleet
from tests.support.devices import stored
from tests.support.waiting import until

from .conftest import PASSWORD, connect, profile_of

CASES = [(family, variant) for family, shell in FAMILIES.items() for variant in sorted(shell.VARIANTS)]
BRIDGE_URI = "sip:40001@bridge.sim"


@pytest.mark.parametrize(("family", "variant"), CASES, ids=[f"{f}-{v}" for f, v in CASES])
async def test_driver_works_against_the_variant(family: str, variant: str) -> None:
    async with Fleet(1, profiles=[family], variants=[variant], password=PASSWORD) as fleet:
        device = fleet.endpoints[0]
        assert device.variants == {variant}
        async with await connect(device) as session:
            driver = EndpointDriver(session)
            ident = await driver.identify()
            assert ident.model == device.state.model and ident.serial == device.state.serial
            assert ident.firmware_version.startswith(profile_of(device).firmware.target)
            config = await driver.read_config()
            assert config["display_name"] == device.state.name
            await driver.set_config("display_name", "Phòng họp UBND xã 2")
            assert (await driver.read_config(["display_name"]))["display_name"] == "Phòng họp UBND xã 2"
            assert stored(device, "display_name") == "Phòng họp UBND xã 2"
            assert (await driver.health()).in_call is False
            await driver.dial(BRIDGE_URI)

            async def connected():  # type: ignore[no-untyped-def]
                status = await driver.call_status()
                return status if status.state == "connected" else None

            status = await until(connected, what="the call is connected")
            assert status.call_id == device.state.call.call_id  # type: ignore[union-attr]
            await driver.hangup(status.call_id)
            assert device.state.call is None and (await driver.call_status()).state == "idle"
            assert session.registration_errors == []

"""Simulated firmware upgrades: download, reboot, new version (or a failure), maybe a new key."""

from __future__ import annotations

from pathlib import Path

import pytest

from endpoints import CommandFailed, EndpointDriver, HostKeyMismatch, SessionPool
from endpoints.sim import ControlServer, Fleet, SimEndpoint, control_request
from endpoints.sim.server import version_from_url
from tests.endpoints.conftest import profile_of
from tests.support.waiting import until

from .test_pool import make_pool, target, until_connected, until_dead

URL = "https://fw.example.gov.vn/roomos/ce11.20.1.3.pkg"


@pytest.fixture
async def cisco_fleet() -> Fleet:
    # reboot_seconds 900 * 0.0005 = 0.45 s; the download is long enough that `_upgrade`
    # still finds it under way on a loaded machine
    async with Fleet(1, profiles=["cisco-roomos"], download_s=1.0, time_scale=0.0005) as fleet:
        yield fleet


def test_version_from_url() -> None:
    assert version_from_url(URL) == "ce11.20.1.3"
    assert version_from_url("http://10.0.0.5/poly/6.2.2.8.pkg") == "6.2.2.8"
    assert version_from_url("https://x/cmterm-s53200ce11_20_1_3.k4.cop.sgn") == "ce11.20.1.3"
    assert version_from_url("https://x/readme.txt") is None


async def _upgrade(pool: SessionPool, ep: SimEndpoint, url: str = URL) -> None:
    driver = await pool.driver(target(ep))
    await driver.upgrade_firmware(url)
    assert ep.state.stats.upgrades == 1
    assert ep.state.upgrade is not None and ep.state.upgrade.status == "downloading"
    # while downloading, the device still answers
    assert (await driver.identify()).firmware_version == profile_of(ep).firmware.target


async def test_upgrade_reboots_onto_the_new_version(cisco_fleet: Fleet) -> None:
    ep = cisco_fleet.endpoints[0]
    ep.state.booted_at -= 5000
    pool = make_pool(backoff_base=0.05)
    try:
        first = await pool.session(target(ep))
        await _upgrade(pool, ep)
        with pytest.raises(CommandFailed):  # one upgrade at a time
            await EndpointDriver(first).upgrade_firmware(URL)
        await until_dead(first)
        session = await until_connected(pool, target(ep))
        ident = await EndpointDriver(session).identify()
        health = await EndpointDriver(session).health()
    finally:
        await pool.close()
    assert ident.firmware_version == "ce11.20.1.3"
    assert health.uptime_s is not None and health.uptime_s < 5
    assert ep.state.upgrade.status == "succeeded"  # type: ignore[union-attr]


async def test_rekey_on_upgrade_needs_accept_new_host_key(cisco_fleet: Fleet) -> None:
    ep = cisco_fleet.endpoints[0]
    ep.rekey_on_upgrade = True
    old = ep.public_key
    pool = make_pool(backoff_base=0.05)
    try:
        first = await pool.session(target(ep))
        await _upgrade(pool, ep)
        await until_dead(first)
        await until(lambda: ep.state.upgrade.status == "succeeded")  # type: ignore[union-attr]
        assert ep.public_key != old
        with pytest.raises(HostKeyMismatch) as info:
            await until_connected(pool, target(ep, host_key=old))
        assert info.value.presented == ep.public_key
        session = await until_connected(pool, target(ep, host_key=old), accept_new_host_key=True)
        assert session.host_key == ep.public_key and session.host_key_changed_from == old
        assert (await EndpointDriver(session).identify()).firmware_version == "ce11.20.1.3"
    finally:
        await pool.close()


async def test_download_failure_stays_up_on_the_old_version(cisco_fleet: Fleet) -> None:
    ep = cisco_fleet.endpoints[0]
    ep.upgrade_fail = "download"
    pool = make_pool()
    try:
        await _upgrade(pool, ep)
        await until(lambda: ep.state.upgrade.status == "failed")  # type: ignore[union-attr]
        driver = await pool.driver(target(ep))
        assert (await driver.identify()).firmware_version == profile_of(ep).firmware.target
        raw = await driver.session.run("xStatus Provisioning Software UpgradeStatus")
        assert '"Status":{"Value":"Failed"}' in raw and "download failed" in raw
        assert ep.state.stats.connections == 1  # it never went away
    finally:
        await pool.close()


async def test_boot_failure_comes_back_on_the_old_version(cisco_fleet: Fleet) -> None:
    ep = cisco_fleet.endpoints[0]
    ep.upgrade_fail = "boot"
    pool = make_pool(backoff_base=0.05)
    try:
        first = await pool.session(target(ep))
        await _upgrade(pool, ep)
        await until_dead(first)
        session = await until_connected(pool, target(ep))
        ident = await EndpointDriver(session).identify()
    finally:
        await pool.close()
    assert ident.firmware_version == profile_of(ep).firmware.target
    assert ep.state.upgrade.status == "failed"  # type: ignore[union-attr]
    assert ep.state.stats.connections == 2


async def test_control_api_configure_and_stats(tmp_path: Path) -> None:
    async with Fleet(2, download_s=5) as fleet:
        control = ControlServer(fleet)
        cf = tmp_path / "control.json"
        await control.start(cf)
        try:
            reply = await control_request(
                cf,
                {
                    "op": "configure",
                    "endpoint": 0,
                    "download_s": 0.1,
                    "reboot_s": 0.2,
                    "upgrade_fail": "boot",
                    "rekey_on_upgrade": True,
                },
            )
            assert reply["ok"], reply
            ep = fleet.endpoints[0]
            assert (ep.download_s, ep.reboot_seconds(), ep.upgrade_fail) == (0.1, 0.2, "boot")
            assert ep.rekey_on_upgrade and fleet.endpoints[1].download_s == 5
            bad = await control_request(
                cf, {"op": "configure", "endpoint": "DEMO-vc002", "upgrade_fail": "maybe"}
            )
            assert bad["ok"] is False
            pool = make_pool()
            try:
                driver = await pool.driver(target(fleet.endpoints[1]))
                await driver.set_config_many({"sip_proxy": "10.0.0.1", "h323_name": "UBND-X"})
                await driver.read_config()
            finally:
                await pool.close()
            stats = await control_request(cf, {"op": "stats", "reset": True})
            assert stats["stats"]["DEMO-vc001"] == {
                "connections": 0,
                "passwords": 0,
                "commands": 0,
                "config_writes": 0,
                "upgrades": 0,
                "flaky_dropped": 0,
                "flaky_delayed": 0,
                "dials": 0,
                "batches": 0,
            }
            s2 = stats["stats"]["DEMO-vc002"]
            opening = profile_of(fleet.endpoints[1]).session
            on_open = len(opening.on_open) + len(opening.feedback_register)
            n_config = len(profile_of(fleet.endpoints[1]).config)
            assert s2 == {
                "connections": 1,
                "passwords": 1,
                "commands": on_open + 2 + n_config,
                "config_writes": 2,
                "upgrades": 0,
                "flaky_dropped": 0,
                "flaky_delayed": 0,
                "dials": 0,
                "batches": s2["batches"],  # how the input arrived in reads: at least the 3 pipelined rounds
            }
            assert s2["batches"] >= 3
            assert stats["handshakes"]["peak"] >= 1
            after = await control_request(cf, {"op": "stats", "endpoint": "DEMO-vc002"})
            assert after["stats"] == {"DEMO-vc002": dict.fromkeys(s2, 0)}
        finally:
            await control.stop()

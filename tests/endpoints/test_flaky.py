"""Fault ``flaky`` (lossy WAN, seeded) and ``fault_all`` (many endpoints in one request)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from endpoints import Backoff, EndpointError, EndpointTimeout, tcp_probe
from endpoints.sim import ControlServer, Fleet, control_request

from .test_pool import make_pool, target

DELAY_MS = 60
TIMEOUT = 0.15


async def _flaky_run(seed: int, commands: int = 40) -> tuple[list[str], dict[str, int]]:
    """``commands`` status reads through a pool; each is ok, delayed or a timeout."""
    async with Fleet(1, profiles=["poly-group"], flaky_pct=50, flaky_delay_ms=DELAY_MS, seed=seed) as fleet:
        ep = fleet.endpoints[0]
        pool = make_pool(
            connect_timeout=TIMEOUT, command_timeout=TIMEOUT, backoff_base=0.001, backoff_max=0.002
        )
        outcomes: list[str] = []
        try:
            while len(outcomes) < commands:
                try:
                    session = await pool.session(target(ep))
                except Backoff:
                    await asyncio.sleep(0.002)
                    continue
                except EndpointError:
                    continue  # the login's own batches are flaky too
                started = time.monotonic()
                try:
                    await session.run("version")
                except EndpointTimeout:
                    outcomes.append("timeout")
                    continue
                outcomes.append("delayed" if time.monotonic() - started > DELAY_MS / 2000 * 1.3 else "ok")
        finally:
            await pool.close()
        return outcomes, ep.state.stats.as_dict()


async def test_flaky_drops_and_delays_reproducibly() -> None:
    (a, stats_a), (b, stats_b) = await asyncio.gather(_flaky_run(7), _flaky_run(7))
    # Same seed, same endpoint name: the same run.  Timeouts and the device's own counters
    # are exact; "delayed" is timed on our side, so a loaded machine could add a false one.
    assert [x == "timeout" for x in a] == [x == "timeout" for x in b] and stats_a == stats_b
    assert a.count("timeout") >= 3 and a.count("delayed") >= 3 and a.count("ok") >= 10, a
    assert stats_a["flaky_dropped"] >= a.count("timeout")  # some drops hit a login instead
    assert stats_a["flaky_delayed"] >= a.count("delayed")


async def test_flaky_fates_follow_the_seed() -> None:
    fleets = [Fleet(2, profiles=["cisco-roomos"], seed=s) for s in (1, 1, 2)]
    for f in fleets:
        for ep in f.endpoints:
            await ep.inject("flaky", pct=30, delay_ms=10)  # not started: the RNG alone
    fates = [[[ep._flaky_fate() for _ in range(200)] for ep in f.endpoints] for f in fleets]
    assert fates[0] == fates[1]
    assert fates[0] != fates[2] and fates[0][0] != fates[0][1]  # per seed and per endpoint
    drawn = fates[0][0]
    assert 30 <= sum(x is not None for x in drawn) <= 90
    assert {"drop", "delay", None} == set(drawn)


async def test_flaky_and_fault_all_over_the_control_api(tmp_path: Path) -> None:
    async with Fleet(4) as fleet:
        control = ControlServer(fleet)
        cf = tmp_path / "control.json"
        await control.start(cf)
        try:
            reply = await control_request(
                cf, {"op": "fault", "endpoint": 1, "fault": "flaky", "pct": 2.5, "delay_ms": 3000}
            )
            assert reply["ok"] and reply["endpoint"]["faults"] == ["flaky:2.5%/3000ms"]
            faults = fleet.endpoints[1].state.faults
            assert (faults.flaky_pct, faults.flaky_delay_ms) == (2.5, 3000)

            reply = await control_request(
                cf, {"op": "fault_all", "endpoints": [0, "DEMO-vc003"], "fault": "refuse"}
            )
            assert reply == {"ok": True, "endpoints": ["DEMO-vc001", "DEMO-vc003"]}
            reach = [await tcp_probe(ep.host, ep.port, 1.0) for ep in fleet.endpoints]
            assert reach == [False, True, False, True]

            bad = await control_request(cf, {"op": "fault_all", "endpoints": [3, "nope"], "fault": "stall"})
            assert bad["ok"] is False and not fleet.endpoints[3].state.faults.stall  # nothing changed
            bad = await control_request(cf, {"op": "fault_all", "endpoints": None, "fault": "melt"})
            assert bad["ok"] is False

            reply = await control_request(cf, {"op": "fault_all", "endpoints": None, "fault": "clear"})
            assert reply["ok"] and len(reply["endpoints"]) == 4
            assert [await tcp_probe(ep.host, ep.port, 1.0) for ep in fleet.endpoints] == [True] * 4
            assert all(ep.state.faults.active() == [] for ep in fleet.endpoints)
            pool = make_pool()
            try:  # revived endpoints answer again
                for ep in fleet.endpoints:
                    assert (await (await pool.driver(target(ep))).identify()).model == ep.state.model
            finally:
                await pool.close()
        finally:
            await control.stop()


async def test_fleet_flaky_options_apply_to_every_endpoint() -> None:
    fleet = Fleet(3, flaky_pct=2.0, flaky_delay_ms=500, seed=4)
    assert all(ep.state.faults.active() == ["flaky:2%/500ms"] for ep in fleet.endpoints)
    assert all(ep.seed == 4 for ep in fleet.endpoints)

"""250 endpoints in a separate simulator process, reached through one SessionPool.

Run with ``pytest -m slow tests/endpoints/test_scale.py -s`` to see the figures;
no timing is asserted (machines differ), only that every device answered.
"""

from __future__ import annotations

import asyncio
import csv
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from endpoints import SessionPool, Target, default_profiles_dir, load_profiles
from endpoints.sim import control_request

COUNT = 250


@pytest.mark.slow
async def test_250_endpoints_connect_read_write_verify(tmp_path: Path) -> None:
    inv, cf = tmp_path / "fleet.csv", tmp_path / "control.json"
    cmd = [sys.executable, "-m", "endpoints.sim.cli", "endpoints", "--count", str(COUNT),
           "--latency-ms", "20", "--inventory", str(inv), "--control-file", str(cf)]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=subprocess.PIPE)
    try:
        line = (await proc.stdout.readline()).decode()  # type: ignore[union-attr]
        assert line.startswith(f"ready: {COUNT} endpoints"), line
        profiles = load_profiles(default_profiles_dir())
        with inv.open(newline="", encoding="utf-8") as fh:
            targets = [
                Target(
                    r["name"],
                    r["host"],
                    int(r["port"]),
                    r["username"],
                    r["password"],
                    profiles[r["profile"]],
                    r["host_key"],
                )  # fmt: skip
                for r in csv.DictReader(fh)
            ]
        pool = SessionPool(max_handshakes=64, connect_timeout=20, command_timeout=20)
        keys = ["display_name", "sip_uri", "sip_proxy", "ntp_server", "time_zone",
                "default_call_rate", "auto_answer"]  # fmt: skip

        async def read(t: Target) -> dict[str, str]:
            driver = await pool.driver(t)
            return await driver.read_config()

        async def provision(t: Target) -> None:
            driver = await pool.driver(t)
            assert not await driver.in_call()
            current = await driver.read_config(keys)
            wanted = {"ntp_server": "10.79.0.1", "time_zone": "Asia/Bangkok",
                      "sip_proxy": "cucm.hcm.gov.vn", "default_call_rate": "3072",
                      "auto_answer": "on"}  # fmt: skip
            changes = {k: v for k, v in wanted.items() if current[k] != v}
            results = await driver.set_config_many(changes)
            assert not any(results.values()), results
            after = await driver.read_config(list(changes))
            assert after == changes

        try:
            wall, cpu = time.monotonic(), time.process_time()
            configs = await asyncio.gather(*(read(t) for t in targets))
            wall, cpu = time.monotonic() - wall, time.process_time() - cpu
            assert len(configs) == COUNT and all(c["display_name"] for c in configs)
            print(f"\n{COUNT} endpoints, 20 ms latency, max_handshakes=64: connect + read_config "
                  f"(all keys) {wall:.2f}s wall, {cpu:.2f}s client CPU")  # fmt: skip
            wall, cpu = time.monotonic(), time.process_time()
            await asyncio.gather(*(provision(t) for t in targets))
            wall, cpu = time.monotonic() - wall, time.process_time() - cpu
            print(f"{COUNT} endpoints on open sessions: in_call + read 7 + set 5 + verify: "
                  f"{wall:.2f}s wall, {cpu:.2f}s client CPU")  # fmt: skip
        finally:
            await pool.close()
        stats = (await control_request(cf, {"op": "stats"}))["stats"]
        assert sum(s["connections"] for s in stats.values()) == COUNT
        assert sum(s["config_writes"] for s in stats.values()) == COUNT * 5
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 20)

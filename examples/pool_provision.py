"""Reuse one session per device and pipeline reads and writes, with ``endpoints`` alone.

    .venv/bin/python examples/pool_provision.py

A 4-endpoint simulated fleet (20 ms link latency), a ``SessionPool``, and per
device: in a call? read 7 keys, set what differs, read back: each step one
round trip, whatever the number of keys.  Then a simulated firmware upgrade.
"""

from __future__ import annotations

import asyncio
import time

from endpoints import Backoff, ConnectFailed, SessionPool, Target, default_profiles_dir, load_profiles
from endpoints.sim import Fleet

PROFILES = load_profiles(default_profiles_dir())  # the simulator's family ids name the profiles

WANTED = {"sip_proxy": "vcs.tinh.example", "display_name": "Phòng họp UBND"}  # keys every family has



async def provision(pool: SessionPool, target: Target) -> str:
    driver = await pool.driver(target)
    if await driver.in_call():
        return "in a call: not touched"
    current = await driver.read_config(list(WANTED))
    changes = {k: v for k, v in WANTED.items() if current[k] != v}
    refused = {k: e for k, e in (await driver.set_config_many(changes)).items() if e}
    after = await driver.read_config(list(changes)) if changes else {}
    return f"set {sorted(changes)}, refused {sorted(refused)}, read back {after}"


async def main() -> None:
    async with Fleet(4, latency_ms=20, download_s=0.5, time_scale=0.002) as fleet:
        targets = [
            Target(
                r["name"],
                r["host"],
                int(r["port"]),
                r["username"],
                r["password"],
                PROFILES[r["profile"]],
                r["host_key"],
            )  # fmt: skip
            for r in fleet.inventory_rows()
        ]
        pool = SessionPool(max_handshakes=2, backoff_base=0.5, backoff_max=2)
        try:
            for run in (1, 2):  # the second run finds nothing to write
                started = time.monotonic()
                results = await asyncio.gather(*(provision(pool, t) for t in targets))
                print(f"run {run} ({time.monotonic() - started:.2f}s):")
                for t, result in zip(targets, results, strict=True):
                    print(f"  {t.key}: {result}")
            print("device counters:", fleet.stats())

            cisco = targets[0]  # the Poly profile has no upgrade command over SSH
            await (await pool.driver(cisco)).upgrade_firmware("https://fw.example/ce11.20.1.3.pkg")
            for _ in range(100):
                try:
                    ident = await (await pool.driver(cisco)).identify()
                    if ident.firmware_version == "ce11.20.1.3":
                        break
                except (ConnectFailed, Backoff) as exc:  # rebooting: refused, then backoff
                    print(f"  {cisco.key}: {exc.code}")
                await asyncio.sleep(0.2)
            print(f"  {cisco.key} after upgrade: {ident}")
        finally:
            await pool.close()


if __name__ == "__main__":
    asyncio.run(main())

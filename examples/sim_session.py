"""Start a 2-endpoint simulated fleet and talk to it with ``endpoints`` alone.

    .venv/bin/python examples/sim_session.py

No service, no database: a profile, a host, credentials, typed results.
"""

from __future__ import annotations

import asyncio

from endpoints import (
    EndpointDriver,
    EndpointError,
    default_profiles_dir,
    load_profiles,
    open_session,
)
from endpoints.sim import Fleet


async def main() -> None:
    profiles = load_profiles(default_profiles_dir())
    async with Fleet(2, units=["DEMO"], latency_ms=10) as fleet:
        for row in fleet.inventory_rows():  # what the controller would import
            print(f"== {row['name']} ({row['profile']}) at {row['host']}:{row['port']}")
            try:
                session = await open_session(
                    row["host"],
                    int(row["port"]),
                    row["username"],
                    row["password"],
                    profiles[row["profile"]],
                    known_host_key=row["host_key"],
                    connect_timeout=5,
                    command_timeout=5,
                )
                async with session:
                    driver = EndpointDriver(session)
                    print("  identity:", await driver.identify())
                    print("  config:  ", await driver.read_config())
                    await driver.set_config("display_name", "Phòng họp UBND xã")
                    await driver.dial("sip:ubnd-tinh@vc.example.gov.vn", 1920, "sip", "BK-1")
                    print("  in call: ", await driver.health())
                    await driver.hangup()
            except EndpointError as exc:  # every failure is typed; no asyncssh leaks out
                print("  failed:", type(exc).__name__, exc)


if __name__ == "__main__":
    asyncio.run(main())

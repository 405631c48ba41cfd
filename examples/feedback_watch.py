"""Watch codecs the way a health monitor does, with ``endpoints`` alone.

    .venv/bin/python examples/feedback_watch.py

A 2-endpoint simulated fleet (one per dialect) and a ``SessionPool`` whose
``on_feedback`` callback wakes a poll as soon as a device pushes a
state-feedback line (``profile.is_state_feedback``): a far end calls in, a
camera is unplugged, the call ends.  Then the layered check a monitor makes
when SSH fails: ``tcp_probe`` tells "unreachable" (no TCP) from "offline"
(TCP answers, SSH does not).
"""

from __future__ import annotations

import asyncio
import time

from endpoints import EndpointError, SessionPool, Target, default_profiles_dir, load_profiles, tcp_probe
from endpoints.sim import Fleet, SimEndpoint

PROFILES = load_profiles(default_profiles_dir())  # the simulator's family ids name the profiles


async def main() -> None:
    async with Fleet(2, latency_ms=10) as fleet:
        targets = {
            ep.state.name: Target(
                ep.state.name, ep.host, ep.port, "admin", fleet.password, PROFILES[ep.family], ep.public_key
            )
            for ep in fleet.endpoints
        }
        wake = {name: asyncio.Event() for name in targets}
        started = time.monotonic()

        def on_feedback(key: str, line: str) -> None:
            if targets[key].profile.is_state_feedback(line):
                print(f"  {time.monotonic() - started:6.3f}s {key}: {line}")
                wake[key].set()

        pool = SessionPool(connect_timeout=2, command_timeout=2, on_feedback=on_feedback)

        async def poll_on_wake(name: str) -> None:
            while True:
                await wake[name].wait()
                await asyncio.sleep(0.02)  # let the rest of the burst arrive
                wake[name].clear()
                h = await (await pool.driver(targets[name])).health()
                print(
                    f"  {time.monotonic() - started:6.3f}s {name} polled: in_call={h.in_call} "
                    f"remote={h.remote} camera={h.camera_connected} loss={h.packet_loss_pct}"
                )

        pollers = [asyncio.create_task(poll_on_wake(name)) for name in targets]
        try:
            await asyncio.gather(*(pool.session(t) for t in targets.values()))  # registers feedback
            for ep in fleet.endpoints:
                print(f"== {ep.state.name} ({ep.family})")
                await room_life(ep)
            print("== layered check when SSH fails")
            ep = fleet.endpoints[0]
            for fault in ("stall", "refuse"):
                await ep.inject(fault)
                await pool.drop(ep.state.name)
                try:
                    await pool.session(targets[ep.state.name])
                except EndpointError as exc:
                    tcp = await tcp_probe(ep.host, ep.port, 1.0)
                    print(
                        f"  {fault}: {exc.code}; TCP {'answers: offline' if tcp else 'refused: unreachable'}"
                    )
                await ep.inject("clear")
        finally:
            for task in pollers:
                task.cancel()
            await pool.close()


async def room_life(ep: SimEndpoint) -> None:
    ep.set_state(packet_loss_pct=1.5, call={"remote": "sip:ubnd-tinh@vc.example.gov.vn", "rate": 1920})
    await asyncio.sleep(0.3)
    ep.set_state(camera_connected=False)
    await asyncio.sleep(0.3)
    ep.end_call()
    ep.set_state(camera_connected=True)
    await asyncio.sleep(0.3)


if __name__ == "__main__":
    asyncio.run(main())

"""Many simulated codecs in one process, and the inventory CSV describing them.

The CSV is what the controller's import reads, so a whole province can be
rehearsed against the simulator: ``name,unit,host,port,username,password,
profile,host_key`` (host_key is the endpoint's OpenSSH public key line; the
profile column names the device's family, whose id the controller's firmware
profile shares).  ``variants`` switches documented-but-optional behaviour of the
families on (``RoomOSShell.VARIANTS``, ``GroupSeriesShell.VARIANTS``).

``flaky_pct`` starts every endpoint with the ``flaky`` fault (a lossy WAN);
``dynamics`` makes the fleet live a little for demos: now and then a far end
calls in or hangs up, a camera is unplugged and plugged back (a few changes
per minute across the fleet).  Both draw from RNGs seeded with ``seed``.

Every endpoint shares one ``SimBridge`` (``bridge_host``, ``bridge_ports``):
the MCU that conference calls dial.  ``ring_delay_ms``, ``answer_delay_ms``,
``dial_fail_pct`` and ``drop_per_min_pct`` set how every endpoint's calls
behave (see ``server.py``); ``drop_calls`` drops chosen calls on demand.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import math
import random
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from endpoints.sim.bridge import SimBridge
from endpoints.sim.group_series import GroupSeriesShell
from endpoints.sim.roomos import RoomOSShell
from endpoints.sim.server import Gauge, SimEndpoint
from endpoints.sim.shell import DeviceShell
from endpoints.sim.state import FAULTS, EndpointState

__all__ = ["CALL_OPTIONS", "FAMILIES", "INVENTORY_HEADER", "Fleet", "check_call_options"]

# The simulated families, by id (the firmware profile for each has the same id).
FAMILIES: dict[str, type[DeviceShell]] = {s.family: s for s in (RoomOSShell, GroupSeriesShell)}
# How an endpoint's calls behave (SimEndpoint attributes of the same names).
CALL_OPTIONS = ("ring_delay_ms", "answer_delay_ms", "dial_fail_pct", "drop_per_min_pct")
INVENTORY_HEADER = ["name", "unit", "host", "port", "username", "password", "profile", "host_key"]


def check_call_options(**options: object) -> dict[str, int | float]:
    """Validated call behaviour options (``*_delay_ms`` ints >= 0, ``*_pct`` 0..100)."""
    out: dict[str, int | float] = {}
    for name, value in options.items():
        if name.endswith("_delay_ms"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0")
            out[name] = value
        elif name in CALL_OPTIONS:
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
                raise ValueError(f"{name} must be a number within 0..100")
            out[name] = float(value)
        else:
            raise ValueError(f"unknown call option {name!r}; have {list(CALL_OPTIONS)}")
    return out


class Fleet:
    """``count`` endpoints on 127.0.0.1, OS-chosen ports, families and units round-robin."""

    def __init__(
        self,
        count: int,
        *,
        profiles: Sequence[str] = ("cisco-roomos", "poly-group"),
        units: Sequence[str] = ("DEMO",),
        username: str = "admin",
        password: str = "sim-password",
        latency_ms: int = 0,
        variants: Sequence[str] = (),
        names: Sequence[str] | None = None,
        download_s: float = 2.0,
        time_scale: float = 1.0,
        rekey_on_upgrade: bool = False,
        flaky_pct: float = 0.0,
        flaky_delay_ms: int = 3000,
        seed: int = 0,
        dynamics: bool = False,
        dynamics_per_min: float = 4.0,
        bridge_host: str = "bridge.sim",
        bridge_ports: int = 250,
        ring_delay_ms: int = 0,
        answer_delay_ms: int = 0,
        dial_fail_pct: float = 0.0,
        drop_per_min_pct: float = 0.0,
    ) -> None:
        if count < 0 or not profiles or not units:
            raise ValueError("count >= 0 and non-empty profiles and units are required")
        if unknown := set(profiles) - set(FAMILIES):
            raise ValueError(f"no simulated family {sorted(unknown)}; have {sorted(FAMILIES)}")
        self.families = [FAMILIES[f] for f in profiles]
        known = {v for shell in self.families for v in shell.VARIANTS}
        if unknown := set(variants) - known:
            raise ValueError(f"no family here has variant(s) {sorted(unknown)}; have {sorted(known)}")
        self.username = username
        self.password = password
        self.seed = seed
        self.dynamics = dynamics
        self.dynamics_per_min = dynamics_per_min
        self._dynamics_task: asyncio.Task[None] | None = None
        self.handshakes = Gauge()  # in progress now / at most, across the fleet
        self.answering = Gauge()  # input batches being answered now / at most
        self.bridge = SimBridge(bridge_host, 0)
        self.bridge.resize(bridge_ports)
        call_options = check_call_options(
            ring_delay_ms=ring_delay_ms,
            answer_delay_ms=answer_delay_ms,
            dial_fail_pct=dial_fail_pct,
            drop_per_min_pct=drop_per_min_pct,
        )
        self.endpoints: list[SimEndpoint] = []
        for i in range(count):
            shell = self.families[i % len(self.families)]
            unit = units[i % len(units)]
            name = names[i] if names else f"{unit}-vc{i + 1:03d}"
            state = EndpointState(
                name=name,
                unit=unit,
                family=shell.family,
                model=shell.models[i % len(shell.models)],
                firmware=shell.firmware,
                serial=f"SIM{i:07d}",
                config=shell.initial_config(name, i),
            )
            self.endpoints.append(
                SimEndpoint(
                    state,
                    shell,
                    variants=frozenset(variants) & set(shell.VARIANTS),  # each family takes its own
                    username=username,
                    password=password,
                    latency_ms=latency_ms,
                    download_s=download_s,
                    time_scale=time_scale,
                    rekey_on_upgrade=rekey_on_upgrade,
                    gauge=self.handshakes,
                    answering=self.answering,
                    seed=seed,
                    bridge=self.bridge,
                    **call_options,  # type: ignore[arg-type]
                )
            )
            if flaky_pct:
                faults = self.endpoints[-1].state.faults
                faults.flaky_pct, faults.flaky_delay_ms = float(flaky_pct), int(flaky_delay_ms)

    def __getitem__(self, name: str | int) -> SimEndpoint:
        """An endpoint by name, or by its index in ``endpoints``."""
        if isinstance(name, int) and not isinstance(name, bool):
            if 0 <= name < len(self.endpoints):
                return self.endpoints[name]
            raise KeyError(name)
        for ep in self.endpoints:
            if ep.state.name == name:
                return ep
        raise KeyError(name)

    def stats(self) -> dict[str, dict[str, int]]:
        """Per-endpoint counters by name: connections, commands, config_writes, upgrades."""
        return {ep.state.name: ep.state.stats.as_dict() for ep in self.endpoints}

    def drop_calls(
        self, names: Sequence[str | int] | None = None, *, pct: float | None = None, seed: int = 0
    ) -> list[str]:
        """Drop connected calls (cause ``NetworkError``): those of ``names``, or
        ``pct`` % of all connected ones (rounded half up), sampled with ``seed``
        from the names in sorted order, so a benchmark drops the same calls every
        run.  Returns the names whose call was dropped, sorted."""
        if (names is None) == (pct is None):
            raise ValueError("give names or pct")
        connected = sorted(
            ep.state.name for ep in self.endpoints if ep.state.call and ep.state.call.status == "connected"
        )
        if names is not None:
            wanted = {self[n].state.name for n in names}  # every name resolved before any drop
            chosen = [n for n in connected if n in wanted]
        else:
            if isinstance(pct, bool) or not 0 <= float(pct) <= 100:  # type: ignore[arg-type]
                raise ValueError("pct must be within 0..100")
            count = math.floor(len(connected) * float(pct) / 100 + 0.5)  # type: ignore[arg-type]
            chosen = random.Random(seed).sample(connected, count)
        for name in chosen:
            self[name].end_call("NetworkError")
        return sorted(chosen)

    def reset_stats(self) -> None:
        for ep in self.endpoints:
            ep.state.stats = type(ep.state.stats)()
        for gauge in (self.handshakes, self.answering):
            gauge.peak = gauge.current

    async def inject_all(
        self, fault: str, endpoints: Sequence[str | int] | None = None, **options: object
    ) -> list[SimEndpoint]:
        """Apply one fault to several endpoints (all when None) at once.

        Every name is resolved first: an unknown one changes nothing.
        """
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}")
        eps = self.endpoints if endpoints is None else [self[n] for n in endpoints]
        await asyncio.gather(*(ep.inject(fault, **options) for ep in eps))  # type: ignore[arg-type]
        return list(eps)

    async def start(self) -> None:
        await asyncio.gather(*(ep.start() for ep in self.endpoints))
        if self.dynamics and self.endpoints and self._dynamics_task is None:
            self._dynamics_task = asyncio.get_running_loop().create_task(self._live())

    async def stop(self) -> None:
        if self._dynamics_task is not None:
            self._dynamics_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dynamics_task
            self._dynamics_task = None
        await asyncio.gather(*(ep.stop() for ep in self.endpoints), return_exceptions=True)

    async def _live(self) -> None:
        """Random, gentle changes: calls start and end, cameras go and come back."""
        rng = random.Random(f"{self.seed}:dynamics")
        unplugged: dict[SimEndpoint, float] = {}  # camera back at this loop time
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(rng.expovariate(self.dynamics_per_min / 60))
            for ep, at in list(unplugged.items()):
                if loop.time() >= at:
                    del unplugged[ep]
                    ep.set_state(camera_connected=True)
            ep = rng.choice(self.endpoints)
            if any(not f.startswith("flaky") for f in ep.state.faults.active()):
                continue  # leave faulted endpoints alone: a test or operator set them
            roll = rng.random()
            if ep.state.call is not None:
                ep.end_call()
            elif roll < 0.75:
                other = rng.choice(self.endpoints)
                uri = f"sip:{other.state.name.lower()}@vc.example.gov.vn"
                ep.start_call(uri, rng.choice((768, 1152, 1920)))
            elif ep.state.camera_connected:
                ep.set_state(camera_connected=False)
                unplugged[ep] = loop.time() + rng.uniform(20, 90)

    async def __aenter__(self) -> Fleet:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def inventory_rows(self) -> list[dict[str, str]]:
        return [
            {
                "name": ep.state.name,
                "unit": ep.state.unit,
                "host": ep.host,
                "port": str(ep.port),
                "username": self.username,
                "password": self.password,
                "profile": ep.family,
                "host_key": ep.public_key,
            }
            for ep in self.endpoints
        ]

    def write_inventory(self, path: str | Path) -> Path:
        path = Path(path)
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=INVENTORY_HEADER)
            writer.writeheader()
            writer.writerows(self.inventory_rows())
        return path

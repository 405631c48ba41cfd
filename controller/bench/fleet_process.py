"""The simulated fleet in its own process, so the controller's CPU is measured alone."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from controller.api.deps import AppState
    from endpoints.connection import EndpointSession
    from endpoints.profiles import Profile


class FleetProcess:
    def __init__(
        self,
        count: int,
        latency_ms: int,
        units: list[str],
        extra: tuple[str, ...] = (),
        workdir: Path | None = None,
    ) -> None:
        self.dir = workdir or Path(tempfile.mkdtemp(prefix="diemcau-fleet-"))
        self.count, self.latency_ms, self.units, self.extra = count, latency_ms, units, extra
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def inventory(self) -> Path:
        return self.dir / "fleet.csv"

    @property
    def control_file(self) -> Path:
        return self.dir / "control.json"

    def __enter__(self) -> FleetProcess:
        (self.dir / "units.txt").write_text("\n".join(self.units) + "\n", encoding="utf-8")
        # The simulator's own log, kept beside its inventory: why a simulated codec stopped
        # answering is read there, not guessed from the controller's side.
        log = (self.dir / "fleet.log").open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "endpoints.sim.cli",
                "endpoints",
                "--count",
                str(self.count),
                "--latency-ms",
                str(self.latency_ms),
                "--inventory",
                str(self.inventory),
                "--units",
                str(self.dir / "units.txt"),
                "--control-file",
                str(self.control_file),
                *self.extra,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 60
        while not self.control_file.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the simulated fleet did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@asynccontextmanager
async def simulated_province(
    count: int, latency_ms: int, extra: tuple[str, ...] = (), **settings: Any
) -> AsyncIterator[tuple[AppState, FleetProcess]]:
    """A fleet in its own process, registered over the demo tree in a fresh controller state
    (in this process, so its CPU is the controller's)."""
    from cryptography.fernet import Fernet

    from controller.app import build_state, close_state
    from controller.fleet import csv_import
    from controller.principal import SYSTEM
    from controller.settings import Settings
    from controller.units import service as units
    from controller.units.service import demo_units

    options: dict[str, Any] = {
        "data_dir": Path(tempfile.mkdtemp(prefix="diemcau-bench-")),
        "secret_key": Fernet.generate_key().decode(),
        "device_allow_loopback": True,  # the simulated fleet listens on loopback
    } | settings
    with FleetProcess(count, latency_ms, demo_units(count), extra) as fleet:
        state = await build_state(Settings(**options))
        try:
            async with state.db.transaction() as session:
                await units.upsert_units(session, units.legacy_demo_specs())
                await csv_import.import_csv(
                    session,
                    state.box,
                    state.profiles,
                    fleet.inventory.read_bytes(),
                    SYSTEM,
                    valid_only=False,
                    max_rows=10_000,
                )
            yield state, fleet
        finally:
            await close_state(state)


async def open_row(
    row: dict[str, str], profiles: Mapping[str, Profile], timeout_s: float = 10
) -> EndpointSession:
    """A fresh SSH session to the device of one inventory row: how the naive baselines connect."""
    import endpoints

    return await endpoints.open_session(
        row["host"],
        int(row["port"]),
        row["username"],
        row["password"],
        profiles[row["profile"]],
        known_host_key=row["host_key"],
        connect_timeout=timeout_s,
        command_timeout=timeout_s,
    )

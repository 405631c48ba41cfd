"""`diemcau demo` (what `make demo` runs): a simulated province, end to end.

It wipes and rebuilds its own data dir (``var/demo``) each time, because the
simulated fleet gets new ports and host keys on every start: stale
registrations would only show as faults.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from camera.sim.process import CameraSimProcess
from controller.principal import SYSTEM
from controller.roles import Role
from controller.schemas import UserCreate
from controller.settings import Settings

console = Console()

# 250 endpoints: 31 at the province (hall + departments), one per district, one per commune.
PROVINCE_ENDPOINTS = 31


def demo_units() -> list[str]:
    from controller.services.units import legacy_demo_specs

    specs = legacy_demo_specs()
    districts = [s.code for s in specs if s.level == "district"]
    communes = [s.code for s in specs if s.level == "commune"]
    return ["DEMO"] * PROVINCE_ENDPOINTS + districts + communes


DEMO_CAMERAS = 12  # one-stop desks with a camera: the province's and a district's communes


def camera_units() -> list[str]:
    """Where the demo's cameras hang: the province office, then communes."""
    from controller.services.units import legacy_demo_specs

    communes = [s.code for s in legacy_demo_specs() if s.level == "commune"]
    return ["DEMO", *communes][:DEMO_CAMERAS]


async def _prepare(
    settings: Settings, inventory: bytes, passwords: dict[str, str], cameras: dict[str, str]
) -> int:
    from controller.app import build_state, close_state
    from controller.cameras import registry
    from controller.cameras.schemas import CameraCreate
    from controller.services import csv_import, standards, units, users

    state = await build_state(settings)
    try:
        async with state.db.transaction() as session:
            await units.upsert_units(session, units.legacy_demo_specs())
            for role, password in passwords.items():
                await users.create_user(
                    session, UserCreate(username=role, password=password, role=Role(role)), SYSTEM
                )
            keys = {k for p in state.profiles.values() for k in p.config}
            for key, value in standards.DEMO_STANDARD.items():
                await standards.set_value(session, None, key, value, keys, SYSTEM)
            ordered = sorted(cameras.items(), key=lambda kv: int(kv[0]))
            for (name, url), unit in zip(ordered, camera_units(), strict=True):
                data = CameraCreate(name=f"Một cửa {name}", unit=unit, url=url, site="Bộ phận một cửa")
                await registry.create_camera(session, state.box, data, SYSTEM)
            report = await csv_import.import_csv(
                session,
                state.box,
                state.profiles,
                inventory,
                SYSTEM,
                valid_only=False,
                max_rows=10000,
                source="fleet.csv",
            )
            return report.imported
    finally:
        await close_state(state)


def _start_fleet(workdir: Path, count: int, latency_ms: int) -> subprocess.Popen:
    units_file = workdir / "units.txt"
    units_file.write_text("\n".join(demo_units()[:count]) + "\n", encoding="utf-8")
    inventory = workdir / "fleet.csv"
    log = (workdir / "sim.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "controller",
            "sim",
            "endpoints",
            "--count",
            str(count),
            "--latency-ms",
            str(latency_ms),
            # Upgrades in the demo: a 5 s download, reboots 100x shorter than the real 10-15 min.
            "--download-s",
            "5",
            "--time-scale",
            "0.01",
            # A living province: calls start and end, a camera is unplugged now and then.
            "--dynamics",
            # Conference calls take 2 s to connect, and now and then one drops (redialled).
            "--ring-delay-ms",
            "700",
            "--answer-delay-ms",
            "1300",
            "--drop-per-min-pct",
            "0.5",
            "--inventory",
            str(inventory),
            "--units",
            str(units_file),
            "--control-file",
            str(workdir / "sim-control.json"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while not (workdir / "sim-control.json").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the simulator did not start; see {workdir / 'sim.log'}")
        time.sleep(0.1)
    return proc


def demo(
    port: Annotated[int, typer.Option(help="HTTP port of the console/API")] = 8000,
    count: Annotated[int, typer.Option(min=1, max=1000, help="Simulated endpoints")] = 250,
    latency_ms: Annotated[int, typer.Option(min=0, help="Simulated device reply latency")] = 20,
) -> None:
    """Start a simulated province (250 endpoints) and the controller on SQLite."""
    import uvicorn

    from controller.app import create_app

    workdir = Path("var/demo").resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    os.environ["DIEMCAU_DATA_DIR"] = str(workdir)
    os.environ.setdefault("DIEMCAU_BRIDGE_SIP_PATTERN", "sip:{conference}@bridge.sim")  # the simulator's MCU
    settings = Settings()
    passwords = {r.value: secrets.token_urlsafe(9) for r in Role}

    with console.status("starting the simulated fleet and cameras..."):
        fleet = _start_fleet(workdir, count, latency_ms)
        cams = CameraSimProcess(DEMO_CAMERAS, control_file=workdir / "cameras-control.json")
        cams.start()
    try:
        with console.status("building the unit tree and registering the fleet..."):
            inventory = (workdir / "fleet.csv").read_bytes()
            imported = asyncio.run(_prepare(settings, inventory, passwords, cams.urls))
        console.print(
            f"[green]ready[/green]: {imported} endpoints registered over central → "
            f"province → 10 districts → 209 communes"
        )
        console.print(f"API and docs: http://127.0.0.1:{port}/docs")
        for role, password in passwords.items():
            console.print(f"  login [bold]{role}[/bold] / {password}")
        (workdir / "logins.txt").write_text(
            "".join(f"{r} {p}\n" for r, p in passwords.items()), encoding="utf-8"
        )
        os.chmod(workdir / "logins.txt", 0o600)
        console.print(
            f"simulator faults: diemcau sim fault --control-file {workdir}/sim-control.json "
            "--endpoint <name> --fault stall"
        )
        console.print(
            f"{DEMO_CAMERAS} cameras; break one: diemcau sim camera-fault --control-file "
            f"{workdir}/cameras-control.json --camera 3 --fault black"
        )
        uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    finally:
        cams.stop()
        fleet.terminate()
        fleet.wait(10)

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
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from camera.sim.process import CameraSimProcess
from controller import logs
from controller.principal import SYSTEM
from controller.roles import Role
from controller.settings import Settings
from controller.units.service import DEMO_CAMERAS, camera_units, demo_units
from controller.users.schemas import UserCreate

console = Console()


async def _prepare(
    settings: Settings, inventory: bytes, passwords: dict[str, str], cams: CameraSimProcess | None
) -> tuple[int, dict[str, int]]:
    """Units, users, the standards, the fleet and the cameras; then the cameras are provisioned
    over ONVIF to the stream standard, as a technician would on the first day. Returns the
    endpoints imported and the camera job's item counts by status."""
    from sqlalchemy import select

    from controller.app import build_state, close_state
    from controller.cameras import registry
    from controller.cameras.schemas import CameraCreate
    from controller.fleet import csv_import
    from controller.models import JobItem
    from controller.provisioning import standards
    from controller.provisioning.camera_standard import CAMERA_KEYS, DEMO_CAMERA_STANDARD
    from controller.units import service as units
    from controller.users import service as users

    state = await build_state(settings)
    try:
        async with state.db.transaction() as session:
            await units.upsert_units(session, units.legacy_demo_specs())
            for role, password in passwords.items():
                await users.create_user(
                    session, UserCreate(username=role, password=password, role=Role(role)), SYSTEM
                )
            keys = {k for p in state.profiles.values() for k in p.config} | set(CAMERA_KEYS)
            for key, value in (standards.DEMO_STANDARD | DEMO_CAMERA_STANDARD).items():
                await standards.set_value(session, None, key, value, keys, SYSTEM)
            ordered = sorted((cams.urls if cams else {}).items(), key=lambda kv: int(kv[0]))
            registered = []
            for (name, url), unit in zip(ordered, camera_units()[: len(ordered)], strict=True):
                data = CameraCreate(
                    name=f"Một cửa {name}",
                    unit=unit,
                    url=url,
                    site="Bộ phận một cửa",
                    username=cams.onvif_username if cams else None,
                    password=cams.onvif_password if cams else None,
                    onvif_url=cams.onvif[name] if cams else None,
                )
                registered.append(await registry.create_camera(session, state.box, data, SYSTEM))
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
            job = None
            if registered:
                job = await state.runner.create(
                    session,
                    kind="camera_provision",
                    mode="apply",
                    target={"unit": "DEMO"},  # every demo camera hangs under the province
                    params={},
                    cameras=registered,
                    actor=SYSTEM,
                )
        counts: dict[str, int] = {}
        if job is not None:
            state.runner.start(job.id)
            await state.runner.wait(job.id)
            async with state.db.transaction() as session:
                for item in await session.scalars(select(JobItem).where(JobItem.job_id == job.id)):
                    counts[item.status] = counts.get(item.status, 0) + 1
        return report.imported, counts
    finally:
        await close_state(state)


# A living province: calls start and end, a camera is unplugged now and then; conference
# calls take 2 s to connect and now and then one drops (redialled); upgrades take a 5 s
# download and reboots 100x shorter than the real 10-15 min.
LIVING = ("--dynamics", "--drop-per-min-pct", "0.5")
SIM_ARGS = (
    "--download-s",
    "5",
    "--time-scale",
    "0.01",
    "--ring-delay-ms",
    "700",
    "--answer-delay-ms",
    "1300",
)


def demo(
    port: Annotated[int, typer.Option(help="HTTP port of the console/API")] = 8000,
    host: Annotated[str, typer.Option(help="Address to serve on")] = "127.0.0.1",
    count: Annotated[int, typer.Option(min=1, max=1000, help="Simulated endpoints")] = 250,
    cameras: Annotated[int, typer.Option(min=0, max=DEMO_CAMERAS, help="Simulated cameras")] = DEMO_CAMERAS,
    latency_ms: Annotated[int, typer.Option(min=0, help="Simulated device reply latency")] = 20,
    living: Annotated[bool, typer.Option(help="Random calls, drops and unplugged cables")] = True,
    data_dir: Annotated[Path, typer.Option(help="Wiped and rebuilt on every start")] = Path("var/demo"),
) -> None:
    """Start a simulated province (250 endpoints, 12 cameras) and the controller on SQLite."""
    import uvicorn

    from controller.app import create_app
    from controller.bench.fleet_process import FleetProcess

    workdir = data_dir.resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    os.environ["DIEMCAU_DATA_DIR"] = str(workdir)
    os.environ.setdefault("DIEMCAU_BRIDGE_SIP_PATTERN", "sip:{conference}@bridge.sim")  # the simulator's MCU
    # The simulated fleet, cameras and MCU listen on loopback, which production refuses.
    settings = Settings(device_allow_loopback=True)
    passwords = {r.value: secrets.token_urlsafe(9) for r in Role}

    with console.status("starting the simulated fleet and cameras..."):
        fleet = FleetProcess(
            count, latency_ms, demo_units(count), SIM_ARGS + (LIVING if living else ()), workdir
        )
        fleet.__enter__()
        cams = CameraSimProcess(cameras, control_file=workdir / "cameras-control.json", onvif=True)
        if cameras:
            cams.start()
    try:
        with console.status("building the unit tree, registering the fleet, provisioning the cameras..."):
            imported, camera_items = asyncio.run(
                _prepare(settings, fleet.inventory.read_bytes(), passwords, cams if cameras else None)
            )
        console.print(
            f"[green]ready[/green]: {imported} endpoints registered over central → "
            f"province → 10 districts → 209 communes"
        )
        console.print(f"console: http://{host}:{port}/console/   API and docs: http://{host}:{port}/docs")
        for role, password in passwords.items():
            console.print(f"  login [bold]{role}[/bold] / {password}")
        (workdir / "logins.txt").write_text(
            "".join(f"{r} {p}\n" for r, p in passwords.items()), encoding="utf-8"
        )
        os.chmod(workdir / "logins.txt", 0o600)
        console.print(
            f"simulator faults: diemcau sim fault --control-file {fleet.control_file} "
            "--endpoint DEMO-vc001 --fault stall   (the codec hangs: shown offline, with an "
            "alarm, about a minute later; --fault clear brings it back)"
        )
        if cameras:
            done = ", ".join(f"{n} {status}" for status, n in sorted(camera_items.items()))
            console.print(f"cameras provisioned over ONVIF to the stream standard: {done}")
        console.print(
            f"{cameras} cameras; break one: diemcau sim camera-fault --control-file "
            f"{workdir}/cameras-control.json --camera 3 --fault black"
        )
        logs.configure(settings.log_level, settings.log_format)
        # state changes and warnings, not a line per console request
        uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)
    finally:
        cams.stop()
        fleet.__exit__(None, None, None)

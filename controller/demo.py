"""`diemcau demo` (what `make demo` runs): a simulated province, end to end.

It wipes and rebuilds its own data dir (``var/demo``) each time, because the
simulated fleet gets new ports and host keys on every start: stale
registrations would only show as faults.
"""

from __future__ import annotations

import asyncio
import csv
import os
import secrets
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

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
    settings: Settings,
    inventory: bytes,
    passwords: dict[str, str],
    cams: CameraSimProcess | None,
    meeting: bool,
) -> tuple[int, dict[str, int], str | None]:
    """Units, users, the standards, the fleet and the cameras; then the cameras are provisioned
    over ONVIF to the stream standard, as a technician would on the first day; with
    ``meeting``, the province's meeting scheduled an hour ahead (its readiness round runs as
    soon as the controller is up). Returns the endpoints imported, the camera job's item
    counts by status and the meeting's id."""
    from sqlalchemy import select

    from controller.app import build_state, close_state
    from controller.cameras import registry
    from controller.cameras.schemas import CameraCreate
    from controller.fleet import csv_import
    from controller.models import JobItem, utcnow
    from controller.provisioning import standards
    from controller.provisioning.camera_standard import CAMERA_KEYS, DEMO_CAMERA_STANDARD
    from controller.sessions import store as session_store
    from controller.sessions.schemas import SessionCreate
    from controller.sessions.scope import Scope, ScopeUnit
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
        meeting_id = None
        if meeting:
            async with state.db.transaction() as session:
                await session_store.ensure_default_bridge(session, settings)
            detail = await state.sessions.create(
                SessionCreate(
                    title=MEETING_TITLE,
                    scope=Scope(units=[ScopeUnit(unit="DEMO")]),
                    start_at=utcnow() + MEETING_AHEAD,
                    duration_min=120,
                ),
                SYSTEM,
            )
            meeting_id = str(detail.id)
        counts: dict[str, int] = {}
        if job is not None:
            state.runner.start(job.id)
            await state.runner.wait(job.id)
            async with state.db.transaction() as session:
                for item in await session.scalars(select(JobItem).where(JobItem.job_id == job.id)):
                    counts[item.status] = counts.get(item.status, 0) + 1
        return report.imported, counts, meeting_id
    finally:
        await close_state(state)


# The meeting `make demo` schedules: its first readiness round (T-60) is due at once, so the
# board fills in while the demo starts; MEETING_FAULTS are the communes that fail a check.
MEETING_TITLE = "Hội nghị trực tuyến giao ban UBND tỉnh"
MEETING_AHEAD = timedelta(minutes=58)
MEETING_TEST_CONFERENCE = "9999"
# (what the simulator is told, how many endpoints per 250): each a reason on the board
MEETING_FAULTS: list[tuple[dict[str, Any], int]] = [
    ({"sip_registered": False}, 3),  # sip_unregistered
    ({"camera_connected": False}, 2),  # camera_disconnected (a Cisco codec reports it)
    ({"microphones_connected": False}, 1),  # microphone_disconnected
    ({"packet_loss_pct": 6.0}, 3),  # packet_loss_high on the test call
    ({"clock_offset_s": 420.0, "ntp_synced": False}, 2),  # clock_skew
    ({"call": {"remote": "sip:8888@hoinghi.example.gov.vn", "rate": 1920}}, 2),  # in_other_call
]


def meeting_faults(rows: list[dict[str, str]]) -> list[tuple[str, dict[str, Any]]]:
    """Which communes fail which check: spread over the districts, the same on every start
    (a camera fault goes to a Cisco codec, the family that reports its camera)."""
    everyone = sorted(rows, key=lambda r: r["name"])
    communes = [r for r in everyone if "-X" in r["unit"]] or everyone  # a small demo: the office's
    if not communes:
        return []
    scale = max(len(rows) / 250, 0.01)
    out: list[tuple[str, dict[str, Any]]] = []
    step = 37  # co-prime with the fleet sizes the demo uses: picks land in different districts
    i = 0
    for fields, per_250 in MEETING_FAULTS:
        for _ in range(max(1, round(per_250 * scale))):
            taken = {n for n, _ in out}
            pool = [
                r["name"]
                for r in communes
                if r["name"] not in taken
                and ("camera_connected" not in fields or r["profile"] == "cisco-roomos")
            ]
            if pool:
                out.append((pool[(i * step) % len(pool)], fields))
            i += 1
    return out


async def _inject(control_file: Path, faults: list[tuple[str, dict[str, Any]]]) -> None:
    from endpoints.sim.control import control_request

    for name, fields in faults:
        reply = await control_request(control_file, {"op": "set", "endpoint": name, **fields})
        if not reply.get("ok"):
            raise RuntimeError(f"the simulator refused {fields} on {name}: {reply.get('error')}")


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
    meeting: Annotated[
        bool, typer.Option(help="A meeting an hour ahead, its readiness board with a few failing communes")
    ] = True,
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
    os.environ.setdefault("DIEMCAU_BRIDGE_TEST_CONFERENCE", MEETING_TEST_CONFERENCE)  # any number rings it
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
            faults: list[tuple[str, dict[str, Any]]] = []
            if meeting:
                with fleet.inventory.open(encoding="utf-8") as f:
                    faults = meeting_faults(list(csv.DictReader(f)))
                asyncio.run(_inject(fleet.control_file, faults))
            imported, camera_items, meeting_id = asyncio.run(
                _prepare(
                    settings, fleet.inventory.read_bytes(), passwords, cams if cameras else None, meeting
                )
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
        if meeting_id:
            console.print(
                f"meeting {MEETING_TITLE!r} starts in {MEETING_AHEAD.seconds // 60} min; its readiness "
                f"board: http://{host}:{port}/console/#/ready/{meeting_id}"
            )
            console.print("  set to fail a check: " + ", ".join(f"{n} ({', '.join(f)})" for n, f in faults))
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

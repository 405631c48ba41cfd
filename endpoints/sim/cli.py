"""``diemcau sim``: run a simulated fleet, and poke faults into it while it runs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from pathlib import Path

import typer

from endpoints.sim.control import ControlServer, control_request
from endpoints.sim.fleet import Fleet
from endpoints.sim.state import FAULTS

__all__ = ["sim_app"]

sim_app = typer.Typer(help="Simulated room codecs (real SSH servers on 127.0.0.1).", no_args_is_help=True)


def _read_units(path: Path | None) -> list[str]:
    if path is None:
        return ["DEMO"]
    units = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    units = [u for u in units if u and not u.startswith("#")]
    if not units:
        raise typer.BadParameter(f"{path} has no unit codes")
    return units


async def _run_fleet(fleet: Fleet, inventory: Path, control_file: Path) -> None:
    started = time.monotonic()
    await fleet.start()
    fleet.write_inventory(inventory)
    control = ControlServer(fleet)
    await control.start(control_file)
    elapsed = time.monotonic() - started
    typer.echo(
        f"ready: {len(fleet.endpoints)} endpoints in {elapsed:.2f}s, inventory {inventory}, "
        f"control 127.0.0.1:{control.port} ({control_file})",
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await control.stop()
    await fleet.stop()
    typer.echo("stopped")


@sim_app.command("endpoints")
def endpoints_cmd(
    count: int = typer.Option(250, help="How many endpoints to start."),
    latency_ms: int = typer.Option(
        20, help="Link delay: once per login and per batch of commands received together."
    ),
    inventory: Path = typer.Option(Path("fleet.csv"), help="Inventory CSV to write."),
    units: Path | None = typer.Option(None, help="File with one unit code per line."),
    profiles: str = typer.Option("cisco-roomos,poly-group", help="Device families, round-robin."),
    variants: str = typer.Option(
        "", help="Optional documented behaviours, comma-separated (e.g. echo_off_at_login)."
    ),
    username: str = typer.Option("admin"),
    password: str = typer.Option("sim-password", help="Password every endpoint accepts."),
    control_file: Path = typer.Option(Path("sim-control.json"), help="Where to write the control port."),
    download_s: float = typer.Option(2.0, help="Seconds a firmware upgrade downloads."),
    time_scale: float = typer.Option(
        1.0, help="Multiplies the family's reboot_seconds (e.g. 0.01 for tests)."
    ),
    rekey_on_upgrade: bool = typer.Option(
        False, help="Endpoints come back from an upgrade with a new host key."
    ),
    flaky_pct: float = typer.Option(
        0.0, help="Fault 'flaky' on every endpoint: % of replies dropped or delayed (half each)."
    ),
    flaky_delay_ms: int = typer.Option(3000, help="How late a 'flaky' delayed reply is."),
    seed: int = typer.Option(0, help="Seeds the flaky and dynamics RNGs (reproducible runs)."),
    dynamics: bool = typer.Option(
        False, help="Calls start and end, cameras come and go: a few changes a minute."
    ),
    ring_delay_ms: int = typer.Option(0, help="A dialled call rings this long after dialling."),
    answer_delay_ms: int = typer.Option(0, help="... and is connected this long after ringing."),
    dial_fail_pct: float = typer.Option(0.0, help="% of dials that fail during setup (NetworkError)."),
    drop_per_min_pct: float = typer.Option(
        0.0, help="Chance (%) that a connected call drops within a minute (NetworkError)."
    ),
    bridge_host: str = typer.Option("bridge.sim", help="Host part of the simulated MCU's URIs."),
    bridge_ports: int = typer.Option(250, help="Ports of the simulated MCU (calls at once)."),
) -> None:
    """Start a fleet, write its inventory, run until SIGINT/SIGTERM."""
    fleet = Fleet(
        count,
        profiles=[p.strip() for p in profiles.split(",") if p.strip()],
        variants=[v.strip() for v in variants.split(",") if v.strip()],
        units=_read_units(units),
        username=username,
        password=password,
        latency_ms=latency_ms,
        download_s=download_s,
        time_scale=time_scale,
        rekey_on_upgrade=rekey_on_upgrade,
        flaky_pct=flaky_pct,
        flaky_delay_ms=flaky_delay_ms,
        seed=seed,
        dynamics=dynamics,
        ring_delay_ms=ring_delay_ms,
        answer_delay_ms=answer_delay_ms,
        dial_fail_pct=dial_fail_pct,
        drop_per_min_pct=drop_per_min_pct,
        bridge_host=bridge_host,
        bridge_ports=bridge_ports,
    )
    asyncio.run(_run_fleet(fleet, inventory, control_file))


def _request(control_file: Path, request: dict[str, object]) -> None:
    reply = asyncio.run(control_request(control_file, request))
    typer.echo(json.dumps(reply))
    if not reply.get("ok"):
        raise typer.Exit(1)


@sim_app.command("fault")
def fault_cmd(
    endpoint: list[str] = typer.Option(None, help="Endpoint name (see the inventory); repeat for several."),
    all_: bool = typer.Option(False, "--all", help="Every endpoint of the fleet."),
    fault: str = typer.Option(..., help=f"One of: {', '.join(FAULTS)}."),
    control_file: Path = typer.Option(Path("sim-control.json")),
    seconds: float = typer.Option(10.0, help="For reboot: how long the device is away."),
    delay_ms: int | None = typer.Option(
        None, help="For slow: extra delay per reply (500); for flaky: how late (3000)."
    ),
    pct: float | None = typer.Option(None, help="For flaky: % of replies dropped or delayed (2)."),
) -> None:
    """Inject (or ``clear``) a fault on one, several (``fault_all``) or ``--all`` endpoints."""
    if fault not in FAULTS:
        raise typer.BadParameter(f"fault must be one of {', '.join(FAULTS)}")
    if bool(endpoint) == all_:
        raise typer.BadParameter("give --endpoint (one or more) or --all")
    options = {"fault": fault, "seconds": seconds, "delay_ms": delay_ms, "pct": pct}
    if endpoint and len(endpoint) == 1:
        _request(control_file, {"op": "fault", "endpoint": endpoint[0], **options})
    else:
        _request(control_file, {"op": "fault_all", "endpoints": endpoint or None, **options})


def _on_off(value: str | None, name: str) -> bool | None:
    if value is None:
        return None
    if value.lower() not in ("on", "off"):
        raise typer.BadParameter(f"{name} must be on or off")
    return value.lower() == "on"


@sim_app.command("set")
def set_cmd(
    endpoint: str = typer.Option(..., help="Endpoint name (see the inventory)."),
    camera: str | None = typer.Option(None, help="on|off: camera plugged in."),
    mics: str | None = typer.Option(None, help="on|off: microphones plugged in."),
    sip: str | None = typer.Option(None, help="on|off: registered to call control."),
    loss: float | None = typer.Option(None, help="Packet loss % of calls (media statistics)."),
    temperature: float | None = typer.Option(None, help="Temperature in °C."),
    clock_offset: float | None = typer.Option(None, help="Seconds the device clock is ahead (- behind)."),
    ntp: str | None = typer.Option(None, help="on|off: the device says it is NTP-synchronised."),
    jitter: float | None = typer.Option(None, help="In-call jitter of received media, ms."),
    call: str | None = typer.Option(None, help="sip:... starts an incoming call; none ends it."),
    rate: int = typer.Option(1920, help="Call rate (kbps) of a call started with --call."),
    control_file: Path = typer.Option(Path("sim-control.json")),
) -> None:
    """Change what a running endpoint reports: peripherals, SIP, loss, temperature, clock, calls."""
    request: dict[str, object] = {"op": "set", "endpoint": endpoint}
    for name, value in (
        ("camera_connected", _on_off(camera, "--camera")),
        ("microphones_connected", _on_off(mics, "--mics")),
        ("sip_registered", _on_off(sip, "--sip")),
        ("packet_loss_pct", loss),
        ("temperature_c", temperature),
        ("clock_offset_s", clock_offset),
        ("ntp_synced", _on_off(ntp, "--ntp")),
        ("jitter_ms", jitter),
    ):
        if value is not None:
            request[name] = value
    if call is not None:
        request["call"] = None if call.lower() == "none" else {"remote": call, "rate": rate}
    if len(request) == 2:
        raise typer.BadParameter("nothing to set")
    _request(control_file, request)


@sim_app.command("bridge")
def bridge_cmd(
    ports: int | None = typer.Option(None, help="Resize the bridge to this many ports."),
    control_file: Path = typer.Option(Path("sim-control.json")),
) -> None:
    """Show the simulated MCU's counters (ports, in use, peak, rejected, conferences)."""
    _request(control_file, {"op": "bridge", "ports": ports})


@sim_app.command("drop-calls")
def drop_calls_cmd(
    endpoint: list[str] = typer.Option(None, help="Drop this endpoint's call; repeat for several."),
    pct: float | None = typer.Option(None, help="Drop this % of the connected calls."),
    seed: int = typer.Option(0, help="Which calls --pct picks (same seed, same calls)."),
    control_file: Path = typer.Option(Path("sim-control.json")),
) -> None:
    """Drop connected calls as a network failure would (cause NetworkError)."""
    if bool(endpoint) == (pct is not None):
        raise typer.BadParameter("give --endpoint (one or more) or --pct")
    request: dict[str, object] = {"op": "drop_calls", "seed": seed}
    request.update({"names": list(endpoint)} if endpoint else {"pct": pct})
    _request(control_file, request)


@sim_app.command("list")
def list_cmd(control_file: Path = typer.Option(Path("sim-control.json"))) -> None:
    """List the running fleet's endpoints and their active faults."""
    reply = asyncio.run(control_request(control_file, {"op": "list"}))
    for ep in reply.get("endpoints", []):
        typer.echo(
            f"{ep['name']:<20} {ep['family']:<14} 127.0.0.1:{ep['port']:<6} "
            f"{ep['call_status']:<12} {','.join(ep['faults'])}"
        )


if __name__ == "__main__":
    sim_app()

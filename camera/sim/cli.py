"""``diemcau sim cameras`` / ``camera-fault``: run the simulated desk cameras, poke faults into them.

``cameras`` serves every camera over RTSP and, unless ``--no-onvif``, over ONVIF (one HTTP
port per camera); ``camera-fault --onvif`` injects the ONVIF faults (auth, timeout, ...).

The commands are plain functions so the ``diemcau sim`` Typer app can register them
(``sim_app.command("cameras")(cameras_command)``); ``camera_sim_app`` serves them on their
own (``python -m camera.sim.cli cameras --count 3``).
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path
from types import FrameType

import typer

from camera.sim.control import FAULTS, ONVIF_FAULTS, camera_control
from camera.sim.process import CameraSimProcess

__all__ = ["camera_fault_command", "camera_sim_app", "cameras_command"]


def cameras_command(
    count: int = typer.Option(20, help="How many cameras: /cam/1 .. /cam/N."),
    names: str = typer.Option("", help="Comma-separated camera names instead (mounted as /cam/<name>)."),
    host: str = typer.Option("127.0.0.1", help="Address the RTSP server binds."),
    port: int = typer.Option(8554, help="RTSP port (0: a free one, see the control file)."),
    width: int = typer.Option(640),
    height: int = typer.Option(360),
    fps: int = typer.Option(15),
    bitrate_kbps: int = typer.Option(800, help="x264 target bitrate per camera."),
    profile: str = typer.Option("baseline", help="H.264 profile: baseline or main."),
    control_file: Path = typer.Option(Path("cameras-control.json"), help="Where to write the ports."),
    onvif: bool = typer.Option(True, "--onvif/--no-onvif", help="Also serve ONVIF (device + media)."),
    onvif_username: str = typer.Option("admin", help="ONVIF user of every camera."),
    onvif_password: str = typer.Option("", help="ONVIF password of every camera (default: random, printed)."),
) -> None:
    """Serve simulated cameras over RTSP (H.264), and ONVIF, until SIGINT/SIGTERM."""
    if profile not in ("baseline", "main"):
        raise typer.BadParameter("profile must be baseline or main")
    sim = CameraSimProcess(
        count,
        names=[n.strip() for n in names.split(",") if n.strip()] or None,
        host=host,
        port=port,
        width=width,
        height=height,
        fps=fps,
        bitrate_kbps=bitrate_kbps,
        profile=profile,
        control_file=control_file,
        onvif=onvif,
        onvif_username=onvif_username,
        onvif_password=onvif_password or None,
    )
    stop = False

    def on_signal(_sig: int, _frame: FrameType | None) -> None:
        nonlocal stop
        stop = True

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        info = sim.start()
        typer.echo(
            f"ready: {len(info.cameras)} cameras on rtsp://{info.rtsp_host}:{info.rtsp_port}/cam/<name>, "
            f"control {info.host}:{info.port} ({control_file})"
        )
        if info.onvif is not None:
            typer.echo(f"ONVIF user {info.onvif.username!r}, password {info.onvif.password!r}")
            for name, url in info.onvif.cameras.items():
                typer.echo(f"  {name}: {info.cameras[name]}  ONVIF {url}")
        while not stop and sim.running():
            time.sleep(0.2)
        if not stop:
            typer.echo(f"camera server exited: {sim.log_tail()}", err=True)
            raise typer.Exit(1)
    finally:
        sim.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    typer.echo("stopped")


def camera_fault_command(
    fault: str = typer.Option(
        ..., help=f"Stream: {', '.join(FAULTS)}. With --onvif: {', '.join(ONVIF_FAULTS)}."
    ),
    camera: list[str] = typer.Option(None, help="Camera name (1, 2, ... or --names); repeat for several."),
    all_: bool = typer.Option(False, "--all", help="Every camera."),
    onvif: bool = typer.Option(False, "--onvif", help="A fault of the ONVIF service, not of the stream."),
    seconds: float = typer.Option(0.0, help="The clock offset of the ONVIF skew fault."),
    control_file: Path = typer.Option(Path("cameras-control.json")),
) -> None:
    """Inject (or ``clear``) a fault on one, several or ``--all`` simulated cameras."""
    faults = ONVIF_FAULTS if onvif else FAULTS
    if fault not in faults:
        raise typer.BadParameter(f"fault must be one of {', '.join(faults)}")
    if bool(camera) == all_:
        raise typer.BadParameter("give --camera (one or more) or --all")
    prefix = "onvif_" if onvif else ""
    if camera and len(camera) == 1:
        request: dict[str, object] = {"op": f"{prefix}fault", "camera": camera[0], "fault": fault}
    else:
        request = {"op": f"{prefix}fault_all", "cameras": camera or None, "fault": fault}
    if onvif and fault == "skew":
        request["seconds"] = seconds
    reply = asyncio.run(camera_control(control_file, request))
    typer.echo(json.dumps(reply))
    if not reply.get("ok"):
        raise typer.Exit(1)


camera_sim_app = typer.Typer(
    help="Simulated one-stop-desk cameras (RTSP, H.264, ONVIF).", no_args_is_help=True
)
camera_sim_app.command("cameras")(cameras_command)
camera_sim_app.command("camera-fault")(camera_fault_command)

if __name__ == "__main__":
    camera_sim_app()

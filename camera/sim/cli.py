"""``diemcau sim cameras`` / ``camera-fault``: run the simulated desk cameras, poke faults into them.

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

from camera.sim.control import FAULTS, camera_control
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
) -> None:
    """Serve simulated cameras over RTSP (H.264) until SIGINT/SIGTERM."""
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
    fault: str = typer.Option(..., help=f"One of: {', '.join(FAULTS)}."),
    camera: list[str] = typer.Option(None, help="Camera name (1, 2, ... or --names); repeat for several."),
    all_: bool = typer.Option(False, "--all", help="Every camera."),
    control_file: Path = typer.Option(Path("cameras-control.json")),
) -> None:
    """Inject (or ``clear``) a fault on one, several or ``--all`` simulated cameras."""
    if fault not in FAULTS:
        raise typer.BadParameter(f"fault must be one of {', '.join(FAULTS)}")
    if bool(camera) == all_:
        raise typer.BadParameter("give --camera (one or more) or --all")
    if camera and len(camera) == 1:
        request: dict[str, object] = {"op": "fault", "camera": camera[0], "fault": fault}
    else:
        request = {"op": "fault_all", "cameras": camera or None, "fault": fault}
    reply = asyncio.run(camera_control(control_file, request))
    typer.echo(json.dumps(reply))
    if not reply.get("ok"):
        raise typer.Exit(1)


camera_sim_app = typer.Typer(help="Simulated one-stop-desk cameras (RTSP, H.264).", no_args_is_help=True)
camera_sim_app.command("cameras")(cameras_command)
camera_sim_app.command("camera-fault")(camera_fault_command)

if __name__ == "__main__":
    camera_sim_app()

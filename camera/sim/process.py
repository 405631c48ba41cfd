"""Start the camera simulator in its own processes from the venv, and stop it cleanly.

The RTSP server needs Debian's ``/usr/bin/python3`` (PyGObject comes from apt), so it
cannot be imported here; this launcher runs it, waits (bounded) for the control file
it writes once it listens, and terminates it.  With ``onvif=True`` it then runs the
simulated ONVIF services (``camera/sim/onvif_server.py``, in this venv's interpreter) as
a second process with the same lifetime, and waits for them to add their ``onvif``
section to the control file.  ``netns_prefix`` (e.g. ``["nsenter",
"--net=/proc/PID/ns/net"]``) is put in front of both commands so the cameras can live
in a network namespace; the control file is on the shared filesystem either way.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from camera.sim.control import (
    ONVIF_PASSWORD_ENV,
    RTSP_PASSWORD_ENV,
    CameraSimInfo,
    OnvifSimInfo,
    camera_control,
    read_camera_control_file,
)

__all__ = ["ONVIF_MODULE", "SERVER_SCRIPT", "SYSTEM_PYTHON", "CameraSimProcess"]

SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
SYSTEM_PYTHON = "/usr/bin/python3"
ONVIF_MODULE = "camera.sim.onvif_server"


def _terminate(proc: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """SIGTERM (the server cleans up), then SIGKILL."""
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


class CameraSimProcess:
    """The simulator as a context manager (``with`` or ``async with``).

    ``with CameraSimProcess(3) as cams: cams.urls["1"]`` → ``rtsp://127.0.0.1:<port>/cam/1``.
    ``CameraSimProcess(3, onvif=True)`` also serves ONVIF: ``cams.onvif["1"]`` →
    ``http://127.0.0.1:<port>/onvif/device_service``, with ``cams.onvif_username`` /
    ``cams.onvif_password`` (a random password unless ``onvif_password`` is given).
    ``rtsp_auth=("admin", "pw")`` makes RTSP answer 401 without those credentials (Digest, or
    ``rtsp_auth_method="basic"``); the URLs stay without credentials. ``stream`` is every
    camera's stream kind and ``streams`` each camera's own (``{"2": "h265"}``): h264 (the
    default), sdp-only, multi-slice, bframes, h265, aac (see the server's STREAM_KINDS).
    """

    def __init__(
        self,
        count: int = 3,
        *,
        names: list[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        width: int = 640,
        height: int = 360,
        fps: int = 15,
        bitrate_kbps: int = 800,
        key_int: int = 0,
        profile: str = "baseline",
        lowfps: int = 2,
        control_file: str | Path | None = None,
        control_host: str | None = None,
        netns_prefix: list[str] | None = None,
        python: str = SYSTEM_PYTHON,
        start_timeout: float = 15.0,
        onvif: bool = False,
        onvif_username: str = "admin",
        onvif_password: str | None = None,
        rtsp_auth: tuple[str, str] | None = None,
        rtsp_auth_method: str = "digest",
        stream: str = "h264",
        streams: dict[str, str] | None = None,
    ) -> None:
        self._tmpdir: str | None = None
        if control_file is not None:
            self.control_file = Path(control_file)
        else:
            self._tmpdir = tempfile.mkdtemp(prefix="diemcau-cams-")
            self.control_file = Path(self._tmpdir) / "cams.json"
        self.log_file = self.control_file.with_name(self.control_file.name + ".log")
        self.onvif_log_file = self.control_file.with_name(self.control_file.name + ".onvif.log")
        self.start_timeout = start_timeout
        args = [
            *(netns_prefix or []),
            python,
            str(SERVER_SCRIPT),
            *("--host", host, "--port", str(port), "--count", str(count)),
            *("--width", str(width), "--height", str(height), "--fps", str(fps)),
            *("--bitrate-kbps", str(bitrate_kbps), "--key-int", str(key_int), "--profile", profile),
            *("--lowfps", str(lowfps), "--control-file", str(self.control_file)),
        ]
        if names:
            args += ["--names", ",".join(names)]
        args += ["--stream", stream]
        if streams:
            args += ["--streams", ",".join(f"{name}={kind}" for name, kind in streams.items())]
        if control_host:
            args += ["--control-host", control_host]
        if rtsp_auth:
            args += ["--auth-user", rtsp_auth[0], "--auth-method", rtsp_auth_method]
        self._rtsp_env = {**os.environ, RTSP_PASSWORD_ENV: rtsp_auth[1]} if rtsp_auth else None
        self.command = args
        self.onvif_username = onvif_username
        self.onvif_password = onvif_password or secrets.token_urlsafe(12)
        self.onvif_command = (
            [
                *(netns_prefix or []),
                sys.executable,
                "-m",
                ONVIF_MODULE,
                *("--control-file", str(self.control_file), "--username", onvif_username),
            ]
            if onvif
            else None
        )
        self.info: CameraSimInfo | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._onvif_proc: subprocess.Popen[bytes] | None = None

    @property
    def urls(self) -> dict[str, str]:
        """Camera name → RTSP URL."""
        return self._ready().cameras

    @property
    def rtsp_port(self) -> int:
        return self._ready().rtsp_port

    @property
    def onvif(self) -> dict[str, str]:
        """Camera name → ONVIF device service URL (each camera has its own HTTP port)."""
        return self._onvif_ready().cameras

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def running(self) -> bool:
        rtsp = self._proc is not None and self._proc.poll() is None
        onvif = self.onvif_command is None or (
            self._onvif_proc is not None and self._onvif_proc.poll() is None
        )
        return rtsp and onvif

    def _ready(self) -> CameraSimInfo:
        if self.info is None:
            raise RuntimeError("camera simulator not started")
        return self.info

    def _onvif_ready(self) -> OnvifSimInfo:
        info = self._ready().onvif
        if info is None:
            raise RuntimeError("camera simulator started without ONVIF (onvif=True)")
        return info

    def start(self) -> CameraSimInfo:
        """Run the servers and wait until the control file says where they listen."""
        if self._proc is not None:
            raise RuntimeError("camera simulator already started")
        self.control_file.unlink(missing_ok=True)  # a stale file would look ready
        deadline = time.monotonic() + self.start_timeout
        with self.log_file.open("wb") as log:
            self._proc = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._rtsp_env,
            )
        while not self.control_file.exists():
            self._check_starting(self._proc, "camera simulator", self.log_file, deadline)
        info = read_camera_control_file(self.control_file)
        if self.onvif_command is not None:
            env = {**os.environ, ONVIF_PASSWORD_ENV: self.onvif_password}
            with self.onvif_log_file.open("wb") as log:
                self._onvif_proc = subprocess.Popen(
                    self.onvif_command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
            while info.onvif is None:
                self._check_starting(self._onvif_proc, "ONVIF simulator", self.onvif_log_file, deadline)
                info = read_camera_control_file(self.control_file)
        self.info = info
        return info

    def _check_starting(
        self, proc: subprocess.Popen[bytes], what: str, log_file: Path, deadline: float
    ) -> None:
        """One bounded wait for a starting server: stop everything if it exited or is too slow."""
        if proc.poll() is not None:
            tail = self.log_tail(log_file=log_file)
            self.stop()
            raise RuntimeError(f"{what} exited at start: {tail}")
        if time.monotonic() > deadline:
            tail = self.log_tail(log_file=log_file)
            self.stop()
            raise TimeoutError(f"{what} not ready in {self.start_timeout}s: {tail}")
        time.sleep(0.05)

    def stop(self, timeout: float = 5.0) -> None:
        """The ONVIF services first (they use the RTSP server), then the RTSP server, which
        unprepares its pipelines and removes the control file."""
        onvif, self._onvif_proc = self._onvif_proc, None
        proc, self._proc = self._proc, None
        _terminate(onvif, timeout)
        _terminate(proc, timeout)
        self.info = None
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    def log_tail(self, chars: int = 2000, *, log_file: Path | None = None) -> str:
        try:
            return (log_file or self.log_file).read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    async def request(self, request: dict[str, Any]) -> dict[str, Any]:
        """One control request (see ``camera.sim.control``)."""
        return await camera_control(self.control_file, request)

    async def fault(self, camera: str, fault: str) -> dict[str, Any]:
        reply = await self.request({"op": "fault", "camera": camera, "fault": fault})
        if not reply.get("ok"):
            raise RuntimeError(f"fault {fault} on camera {camera}: {reply.get('error')}")
        return reply

    async def onvif_fault(self, camera: str, fault: str, **params: Any) -> dict[str, Any]:
        """An ONVIF fault (``camera.sim.control.ONVIF_FAULTS``), e.g. ``("1", "skew", seconds=90)``."""
        reply = await self.request({"op": "onvif_fault", "camera": camera, "fault": fault, **params})
        if not reply.get("ok"):
            raise RuntimeError(f"ONVIF fault {fault} on camera {camera}: {reply.get('error')}")
        return reply

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self._proc is not None else "stopped"
        return f"<CameraSimProcess {state} {self.control_file} {os.path.basename(self.command[-1])}>"

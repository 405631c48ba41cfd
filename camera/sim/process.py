"""Start the camera simulator in its own process from the venv, and stop it cleanly.

The server needs Debian's ``/usr/bin/python3`` (PyGObject comes from apt), so it
cannot be imported here; this launcher runs it, waits (bounded) for the control file
it writes once it listens, and terminates it.  ``netns_prefix`` (e.g. ``["nsenter",
"--net=/proc/PID/ns/net"]``) is put in front of the command so the cameras can live
in a network namespace; the control file is on the shared filesystem either way.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from camera.sim.control import CameraSimInfo, camera_control, read_camera_control_file

__all__ = ["SERVER_SCRIPT", "SYSTEM_PYTHON", "CameraSimProcess"]

SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
SYSTEM_PYTHON = "/usr/bin/python3"


class CameraSimProcess:
    """The simulator as a context manager (``with`` or ``async with``).

    ``with CameraSimProcess(3) as cams: cams.urls["1"]`` → ``rtsp://127.0.0.1:<port>/cam/1``.
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
    ) -> None:
        self._tmpdir = None if control_file is not None else tempfile.mkdtemp(prefix="diemcau-cams-")
        self.control_file = (
            Path(control_file) if control_file is not None else Path(self._tmpdir) / "cams.json"
        )
        self.log_file = self.control_file.with_name(self.control_file.name + ".log")
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
        if control_host:
            args += ["--control-host", control_host]
        self.command = args
        self.info: CameraSimInfo | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def urls(self) -> dict[str, str]:
        """Camera name → RTSP URL."""
        return self._ready().cameras

    @property
    def rtsp_port(self) -> int:
        return self._ready().rtsp_port

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _ready(self) -> CameraSimInfo:
        if self.info is None:
            raise RuntimeError("camera simulator not started")
        return self.info

    def start(self) -> CameraSimInfo:
        """Run the server and wait until its control file says where it listens."""
        if self._proc is not None:
            raise RuntimeError("camera simulator already started")
        self.control_file.unlink(missing_ok=True)  # a stale file would look ready
        with self.log_file.open("wb") as log:
            self._proc = subprocess.Popen(
                self.command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + self.start_timeout
        while not self.control_file.exists():
            if self._proc.poll() is not None:
                self._proc = None
                raise RuntimeError(f"camera simulator exited at start: {self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"camera simulator not ready in {self.start_timeout}s: {self.log_tail()}")
            time.sleep(0.05)
        self.info = read_camera_control_file(self.control_file)
        return self.info

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM (the server unprepares its pipelines and removes the control file), then SIGKILL."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        self.info = None
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")[-chars:]
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

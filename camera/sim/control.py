"""Talk to a running camera simulator's control socket (JSON lines over TCP).

Only asyncio and json, so controller code and tests can poke faults without GStreamer.
The ops and the reply shapes are documented in ``camera/sim/rtsp_server.py``::

    await camera_control(cf, {"op": "list"})
    await camera_control(cf, {"op": "fault", "camera": "1", "fault": "black"})
    await camera_control(cf, {"op": "fault_all", "fault": "clear"})
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["FAULTS", "CameraSimInfo", "camera_control", "read_camera_control_file"]

# The same tuple as rtsp_server.FAULTS, which cannot be imported from here (it loads gi);
# tests check that the two agree.
FAULTS = ("clear", "stop", "freeze", "black", "blur", "shift", "lowfps")


@dataclass(frozen=True)
class CameraSimInfo:
    """What the server wrote into its control file once it was ready."""

    host: str
    port: int
    rtsp_host: str
    rtsp_port: int
    cameras: dict[str, str]
    pid: int


def read_camera_control_file(path: str | Path) -> CameraSimInfo:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return CameraSimInfo(
        host=data["host"],
        port=int(data["port"]),
        rtsp_host=data["rtsp_host"],
        rtsp_port=int(data["rtsp_port"]),
        cameras=dict(data["cameras"]),
        pid=int(data["pid"]),
    )


async def camera_control(
    control_file: str | Path,
    request: dict[str, Any],
    *,
    timeout: float = 5,  # noqa: ASYNC109 - one bound for connect and reply
) -> dict[str, Any]:
    """Send one request to a running camera simulator and return its reply (``ok`` says if it worked)."""
    info = read_camera_control_file(control_file)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(info.host, info.port), timeout)
    try:
        writer.write(json.dumps(request).encode() + b"\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
        if not line:
            raise ConnectionError("camera simulator closed the control connection")
        return json.loads(line)
    finally:
        writer.close()

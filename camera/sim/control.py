"""Talk to a running camera simulator's control sockets (JSON lines over TCP).

Only asyncio and json, so controller code and tests can poke faults without GStreamer.
The RTSP server's ops and reply shapes are documented in ``camera/sim/rtsp_server.py``,
the ONVIF service's (every op named ``onvif_*``) in ``camera/sim/onvif_server.py``;
``camera_control`` sends each op to the socket that serves it::

    await camera_control(cf, {"op": "list"})
    await camera_control(cf, {"op": "fault", "camera": "1", "fault": "black"})
    await camera_control(cf, {"op": "fault_all", "fault": "clear"})
    await camera_control(cf, {"op": "encoder", "camera": "1", "fps": 10, "key_int": 10})
    await camera_control(cf, {"op": "onvif_fault", "camera": "1", "fault": "timeout"})
    await camera_control(cf, {"op": "onvif_fault", "camera": "1", "fault": "digest_only"})
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "FAULTS",
    "ONVIF_FAULTS",
    "ONVIF_PASSWORD_ENV",
    "CameraSimInfo",
    "OnvifSimInfo",
    "camera_control",
    "read_camera_control_file",
]

# The same tuple as rtsp_server.FAULTS, which cannot be imported from here (it loads gi);
# tests check that the two agree.
FAULTS = ("clear", "stop", "freeze", "black", "blur", "shift", "lowfps")
# The ONVIF service's faults (camera/sim/onvif_server.py imports this tuple). "digest_only" is a
# camera set to take HTTP Digest and refuse WS-Security, as real ones can be: not broken, but the
# client must find the other method.
ONVIF_FAULTS = ("clear", "auth", "soap_fault", "unsupported", "timeout", "ignore_set", "skew", "digest_only")
# The ONVIF service reads the cameras' password from here, not from its command line (ps shows that).
ONVIF_PASSWORD_ENV = "DIEMCAU_SIM_ONVIF_PASSWORD"
RTSP_PASSWORD_ENV = "DIEMCAU_SIM_RTSP_PASSWORD"  # with --auth-user: RTSP asks for credentials


@dataclass(frozen=True)
class OnvifSimInfo:
    """The ONVIF service's part of the control file: its control socket, each camera's
    device service URL and the credentials every simulated camera starts with."""

    host: str
    port: int
    pid: int
    cameras: dict[str, str]
    username: str
    password: str


@dataclass(frozen=True)
class CameraSimInfo:
    """What the servers wrote into the control file once they were ready."""

    host: str
    port: int
    rtsp_host: str
    rtsp_port: int
    cameras: dict[str, str]
    pid: int
    onvif: OnvifSimInfo | None = None


def read_camera_control_file(path: str | Path) -> CameraSimInfo:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    onvif = data.get("onvif")
    return CameraSimInfo(
        host=data["host"],
        port=int(data["port"]),
        rtsp_host=data["rtsp_host"],
        rtsp_port=int(data["rtsp_port"]),
        cameras=dict(data["cameras"]),
        pid=int(data["pid"]),
        onvif=None
        if onvif is None
        else OnvifSimInfo(
            host=onvif["host"],
            port=int(onvif["port"]),
            pid=int(onvif["pid"]),
            cameras=dict(onvif["cameras"]),
            username=onvif["username"],
            password=onvif["password"],
        ),
    )


async def camera_control(
    control_file: str | Path,
    request: dict[str, Any],
    *,
    timeout: float = 5,  # noqa: ASYNC109 - one bound for connect and reply
) -> dict[str, Any]:
    """Send one request to a running camera simulator and return its reply (``ok`` says if it worked).

    ``onvif_*`` ops go to the ONVIF service, the others to the RTSP server.
    """
    info = read_camera_control_file(control_file)
    host, port = info.host, info.port
    if str(request.get("op", "")).startswith("onvif_"):
        if info.onvif is None:
            return {"ok": False, "error": "the simulator runs no ONVIF service"}
        host, port = info.onvif.host, info.onvif.port
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        writer.write(json.dumps(request).encode() + b"\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
        if not line:
            raise ConnectionError("camera simulator closed the control connection")
        reply: dict[str, Any] = json.loads(line)
        return reply
    finally:
        writer.close()

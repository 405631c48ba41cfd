"""WHEP end to end, run inside a network namespace by ``test_whep.py`` (see controller.bench.netns.py).

The camera simulator, the controller and aiortc viewers all live in the
namespace; the result is printed as one JSON line for the outer test.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from cryptography.fernet import Fernet

from camera.sim.process import CameraSimProcess
from controller.app import create_app
from controller.bench.netns import SERVER_IP
from controller.cameras import registry
from controller.cameras.schemas import CameraCreate
from controller.models import Grant, User
from controller.principal import SYSTEM
from controller.settings import Settings
from controller.units import service as units
from controller.users.service import user_token


class Viewer:
    """An aiortc WHEP client that decodes what it receives (so a frame means a real picture)."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTransceiver("video", direction="recvonly")
        self.frames = 0
        self.sizes: set[tuple[int, int]] = set()
        self.first_frame_s: float | None = None
        self.location: str | None = None
        self._t0 = 0.0

        @self.pc.on("track")
        def _track(track) -> None:  # type: ignore[no-untyped-def]
            asyncio.ensure_future(self._read(track))

    async def _read(self, track) -> None:  # type: ignore[no-untyped-def]
        while True:
            try:
                frame = await track.recv()
            except Exception:  # noqa: BLE001 - the track ended
                return
            self.frames += 1
            self.sizes.add((frame.width, frame.height))
            if self.first_frame_s is None:
                self.first_frame_s = time.monotonic() - self._t0

    async def connect(self, client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> httpx.Response:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        self._t0 = time.monotonic()
        r = await client.post(
            path, content=self.pc.localDescription.sdp, headers=headers | {"Content-Type": "application/sdp"}
        )
        if r.status_code == 201:
            self.location = r.headers["location"]
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=r.text, type="answer"))
        return r


async def main() -> dict:
    out: dict = {}
    with CameraSimProcess(1, host=SERVER_IP, fps=15) as cams, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            secret_key=Fernet.generate_key().decode(),
            monitor_enabled=False,
            relay_max_viewers_per_camera=2,
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            state = app.state.diemcau
            async with state.db.transaction() as session:
                await units.upsert_units(session, units.legacy_demo_specs(districts=1, communes=1))
                viewer = User(
                    username="viewer",
                    role="ioc_viewer",
                    password_hash="!unused",
                    grants=[Grant(role="ioc_viewer")],
                )
                session.add(viewer)
                cam = await registry.create_camera(
                    session, state.box, CameraCreate(name="Một cửa", unit="DEMO", url=cams.urls["1"]), SYSTEM
                )
            token, _ = user_token(state.box, viewer, timedelta(minutes=5))
            auth = {"Authorization": f"Bearer {token}"}
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://controller") as client:
                path = f"/whep/cameras/{cam.id}"
                r = await client.post(path, content=b"v=0", headers={"Content-Type": "application/sdp"})
                out["no_token_status"] = r.status_code
                first = Viewer()
                r = await first.connect(client, path, auth)
                out["status"], out["content_type"] = r.status_code, r.headers.get("content-type")
                if r.status_code != 201:
                    out["error"] = r.text[:2000]
                    return out
                out["location"] = first.location
                out["answer_has_h264"] = "H264/90000" in r.text
                out["answer_has_vp8"] = "VP8/90000" in r.text
                await asyncio.sleep(4)
                out["first_frames"], out["first_sizes"] = first.frames, sorted(first.sizes)
                out["first_frame_s"] = first.first_frame_s

                late = Viewer()  # joins mid-GOP: the cached GOP gives it a picture at once
                await late.connect(client, path, auth)
                await asyncio.sleep(3)
                out["late_frames"], out["late_first_frame_s"] = late.frames, late.first_frame_s
                out["relay_stats"] = state.relay.stats()
                out["upstream_clients"] = next(
                    c["clients"] for c in (await _list(cams))["cameras"] if c["name"] == "1"
                )
                third = Viewer()
                r = await third.connect(client, path, auth)
                out["over_limit_status"], out["retry_after"] = r.status_code, r.headers.get("retry-after")
                await third.pc.close()

                r = await client.patch(first.location, headers=auth)
                out["patch_status"] = r.status_code
                r = await client.delete(first.location, headers=auth)
                out["delete_status"] = r.status_code
                r = await client.delete(first.location, headers=auth)
                out["delete_again_status"] = r.status_code
                out["viewers_after_delete"] = state.relay.count()
                r = await client.options(path)
                out["options_status"], out["accept_post"] = r.status_code, r.headers.get("accept-post")
                for v in (first, late):
                    await v.pc.close()
    return out


async def _list(cams: CameraSimProcess) -> dict:
    from camera.sim.control import camera_control

    return await camera_control(cams.control_file, {"op": "list"})


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())), flush=True)

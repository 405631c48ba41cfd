"""A camera that sends what browsers cannot play (H.265, H.264 with B-frames) is refused at WHEP
with a problem that names the codec and the fix, and its health says so with a warning alarm;
plain H.264 is answered as before."""

from __future__ import annotations

import pytest

from camera.sim.process import CameraSimProcess
from controller.roles import Role
from tests.controller.camera_helpers import SAMPLING
from tests.support.waiting import until
from tests.support.whep import sdp_offer


@pytest.fixture
def controller_settings() -> dict:
    return dict(SAMPLING)


async def test_h265_and_b_frames_are_refused_with_their_reason_and_raised_in_health(controller):
    tech, viewer = controller.auth(Role.technician), controller.auth(Role.ioc_viewer)
    kinds = {"hevc": "h265", "b": "bframes", "plain": "h264"}
    with CameraSimProcess(names=list(kinds), fps=25, streams=kinds) as cams:
        ids = {}
        for name in kinds:
            body = {"name": f"Một cửa {name}", "unit": "DEMO-H01", "url": cams.urls[name]}
            r = await controller.client.post("/api/v1/cameras", json=body, headers=tech)
            assert r.status_code == 201, r.text
            ids[name] = r.json()["id"]

        async def watch(name: str):
            return await controller.client.post(
                f"/whep/cameras/{ids[name]}",
                content=await sdp_offer(),
                headers=viewer | {"Content-Type": "application/sdp"},
            )

        hevc = await watch("hevc")
        assert hevc.status_code == 409, hevc.text
        assert hevc.headers["content-type"].startswith("application/problem+json")
        p = hevc.json()
        assert p["type"] == "urn:diemcau:problem:stream-unplayable"
        assert (p["reason"], p["codec"], p["onvif"]) == ("codec", "H.265", False)
        assert "H.265" in p["detail"] and "H.264" in p["fix"] and "B-frames" in p["fix"]

        b = (await watch("b")).json()
        assert (b["reason"], b["codec"]) == ("b_frames", "H.264"), b

        plain = await watch("plain")
        assert plain.status_code == 201, plain.text
        assert controller.state.relay.count() == 1  # the refused offers left no viewer behind

        async def health(name: str) -> dict | None:
            r = await controller.client.get(f"/api/v1/cameras/{ids[name]}/health", headers=viewer)
            body = r.json()
            return body if "stream_unplayable" in body["problems"] and body["state"] == "degraded" else None

        for name, codec, b_frames in (("hevc", "H.265", False), ("b", "H.264", True)):
            h = await until(lambda n=name: health(n), what=f"{name}: stream_unplayable")
            assert "browsers cannot play" in h["reason"], h
            assert (h["measures"]["codec"], h["measures"]["b_frames"]) == (codec, b_frames), h

        async def alarms() -> set[str] | None:
            r = await controller.client.get("/api/v1/alarms", params={"status": "active"}, headers=viewer)
            found = {
                (a["entity_id"], a["severity"])
                for a in r.json()["items"]
                if a["kind"] == "camera_stream_unplayable"
            }
            return found if len(found) == 2 else None

        assert await until(alarms, what="two stream_unplayable alarms") == {
            (ids["hevc"], "warning"),
            (ids["b"], "warning"),
        }
        r = await controller.client.get(f"/api/v1/cameras/{ids['plain']}/health", headers=viewer)
        assert "stream_unplayable" not in r.json()["problems"]

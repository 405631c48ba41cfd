"""What one user can hold at once: event streams, WHEP viewers, and no database connection while a
snapshot waits for a picture (security review 16, finding 11)."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from controller.bench.harness import free_port
from controller.roles import Role
from tests.support.sse import open_stream
from tests.support.waiting import until
from tests.support.whep import sdp_offer

LIMITS = {"sse_max_streams_per_user": 2, "relay_max_viewers_per_user": 1, "camera_keyframe_wait_s": 60}


@pytest.fixture
def controller_settings() -> dict:
    return LIMITS


async def add_camera(ctl) -> str:
    """A camera at a closed loopback port: it never sends a picture."""
    body = {"name": f"cam {uuid.uuid4().hex[:6]}", "unit": "DEMO", "url": f"rtsp://127.0.0.1:{free_port()}/x"}
    r = await ctl.client.post("/api/v1/cameras", json=body, headers=ctl.auth(Role.technician))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def problem(response: dict) -> dict:
    return json.loads(response["body"])


async def test_event_streams_are_capped_per_user_with_a_429_problem(controller):
    app, viewer, host = controller.app, controller.auth(Role.ioc_viewer), controller.auth(Role.host)
    async with open_stream(app, "/api/v1/events/stream", viewer) as first:
        assert first["status"] == 200
        async with open_stream(app, "/api/v1/events/stream", viewer) as second:
            assert second["status"] == 200
            async with open_stream(app, "/api/v1/events/stream", viewer) as third:
                assert third["status"] == 429, third
                body = problem(third)
                assert body["type"] == "urn:diemcau:problem:too-many-requests" and body["limit"] == 2, body
            async with open_stream(app, "/api/v1/events/stream", host) as other_user:
                assert other_user["status"] == 200  # the cap is per user, not for everyone
    # every stream closed: each slot came back
    async with open_stream(app, "/api/v1/events/stream", viewer) as again:
        assert again["status"] == 200


async def test_job_and_session_streams_count_toward_the_same_cap(controller):
    """The cap is checked before anything else (here: before the job or session is looked up)."""
    app, h = controller.app, controller.auth(Role.technician)
    async with open_stream(app, "/api/v1/events/stream", h), open_stream(app, "/api/v1/events/stream", h):
        for path in (f"/api/v1/jobs/{uuid.uuid4()}/events", f"/api/v1/sessions/{uuid.uuid4()}/events"):
            async with open_stream(app, path, h) as refused:
                assert refused["status"] == 429, (path, refused)
    async with open_stream(app, f"/api/v1/jobs/{uuid.uuid4()}/events", h) as unknown:
        assert unknown["status"] == 404, unknown


async def watch(ctl, camera: str, role: Role):
    return await ctl.client.post(
        f"/whep/cameras/{camera}",
        content=await sdp_offer(),
        headers=ctl.auth(role) | {"Content-Type": "application/sdp"},
    )


async def test_whep_viewers_are_capped_per_user_with_a_429_problem(controller):
    camera = await add_camera(controller)
    first = await watch(controller, camera, Role.ioc_viewer)
    assert first.status_code == 201, first.text
    refused = await watch(controller, camera, Role.ioc_viewer)
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (
        refused.json()["type"] == "urn:diemcau:problem:too-many-requests" and refused.headers["retry-after"]
    )
    assert refused.json()["scope"] == "user" and refused.json()["limit"] == 1
    other = await watch(controller, camera, Role.host)
    assert other.status_code == 201, other.text  # another user still gets a viewer
    r = await controller.client.delete(first.headers["location"], headers=controller.auth(Role.ioc_viewer))
    assert r.status_code == 204
    again = await watch(controller, camera, Role.ioc_viewer)
    assert again.status_code == 201, again.text


async def test_snapshot_waits_hold_no_database_connection(controller):
    """More snapshot waits than the pool has connections (5 + 10 overflow), on a camera that never
    sends a picture, while other requests still read the database."""
    camera = await add_camera(controller)
    waits = [
        asyncio.create_task(
            controller.client.get(
                f"/api/v1/cameras/{camera}/snapshot", headers=controller.auth(Role.ioc_viewer)
            )
        )
        for _ in range(20)
    ]
    try:
        await until(lambda: controller.state.cameras.sources.get(uuid.UUID(camera)), what="the camera's pull")
        source = controller.state.cameras.sources[uuid.UUID(camera)]
        await until(lambda: source.subscribers == 20, what="20 snapshot requests waiting for a keyframe")
        pool = controller.state.db.engine.pool
        assert pool.checkedout() <= 1, pool.status()  # at most one, for another moment's query
        r = await asyncio.wait_for(
            controller.client.get("/api/v1/cameras", headers=controller.auth(Role.technician)), 20
        )
        assert r.status_code == 200 and r.json()["total"] == 1
        assert all(not w.done() for w in waits)  # still waiting
    finally:
        for w in waits:
            w.cancel()
        await asyncio.gather(*waits, return_exceptions=True)

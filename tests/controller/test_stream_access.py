"""Access that outlives its request ends with its credential: an open event stream and a
WHEP viewer end when the token expires, the user is disabled, or the API key is revoked."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection
from sqlalchemy import select

from controller.models import User
from controller.roles import Role
from controller.users.service import user_token
from tests.support.sse import read_to_end
from tests.support.waiting import until

STREAM = "/api/v1/events/stream"


@pytest.fixture
def controller_settings() -> dict:
    return {"auth_recheck_s": 0.2, "camera_monitor_enabled": False}


async def _short_token(ctl, username: str, seconds: int = 3) -> dict[str, str]:
    async with ctl.state.db.transaction() as session:
        user = await session.scalar(select(User).where(User.username == username))
        token, _ = user_token(ctl.state.box, user, timedelta(seconds=seconds))
    return {"Authorization": f"Bearer {token}"}


async def _disable(ctl, username: str) -> None:
    users = (await ctl.client.get("/api/v1/users", headers=ctl.auth(Role.admin))).json()
    user_id = next(u["id"] for u in users if u["username"] == username)
    r = await ctl.client.patch(
        f"/api/v1/users/{user_id}", json={"disabled": True}, headers=ctl.auth(Role.admin)
    )
    assert r.status_code == 200


async def test_an_event_stream_ends_when_its_token_expires(controller):
    status, body = await read_to_end(controller.app, STREAM, await _short_token(controller, "ioc_viewer1"))
    assert status == 200
    assert body.startswith(": stream open")
    assert body.endswith(": closed: the access token expired\n\n")


async def test_a_session_board_stream_ends_when_its_token_expires(controller):
    """The job and session streams are cut the same way (any text/event-stream answer is)."""
    endpoint = {
        "name": "Phòng họp",
        "unit": "DEMO",
        "host": "127.0.0.1",
        "port": 9,
        "username": "admin",
        "password": "device-password",
        "profile": "cisco-roomos",
    }
    r = await controller.client.post(
        "/api/v1/endpoints", json=endpoint, headers=controller.auth(Role.technician)
    )
    assert r.status_code == 201, r.text
    at = datetime.now(UTC) + timedelta(days=1)
    r = await controller.client.post(
        "/api/v1/sessions",
        json={"title": "Họp giao ban", "scope": {"units": [{"unit": "DEMO"}]}, "start_at": at.isoformat()},
        headers=controller.auth(Role.host),
    )
    assert r.status_code == 201, r.text
    path = f"/api/v1/sessions/{r.json()['id']}/events"
    status, body = await read_to_end(controller.app, path, await _short_token(controller, "host1"))
    assert status == 200
    assert "event: session" in body  # the board's snapshot, then nothing until the token expired
    assert body.endswith(": closed: the access token expired\n\n")


async def _open(app, headers: dict[str, str]) -> asyncio.Task[tuple[int | None, str]]:
    opened = asyncio.Event()
    reading = asyncio.create_task(read_to_end(app, STREAM, headers, opened=opened))
    await until(opened.is_set, what="the stream opens")
    return reading


async def test_an_event_stream_ends_when_its_user_is_disabled(controller):
    reading = await _open(controller.app, controller.auth(Role.host))
    await _disable(controller, "host1")
    status, body = await reading
    assert status == 200
    assert body.endswith(": closed: the user or API key was disabled, changed or revoked\n\n")


async def test_an_event_stream_ends_when_its_api_key_is_revoked(controller):
    admin = controller.auth(Role.admin)
    r = await controller.client.post(
        "/api/v1/api-keys", json={"name": "IOC bus", "role": "ioc_viewer"}, headers=admin
    )
    key = {"Authorization": f"Bearer {r.json()['key']}"}
    reading = await _open(controller.app, key)
    assert (
        await controller.client.delete(f"/api/v1/api-keys/{r.json()['id']}", headers=admin)
    ).status_code == 200
    status, body = await reading
    assert status == 200
    assert body.endswith(": closed: the user or API key was disabled, changed or revoked\n\n")


async def _watch(ctl, headers: dict[str, str]) -> str:
    """A WHEP viewer of a camera that is not there: the offer is answered all the same."""
    r = await ctl.client.post(
        "/api/v1/cameras",
        json={"name": "Một cửa", "unit": "DEMO", "url": "rtsp://127.0.0.1:9/none"},
        headers=ctl.auth(Role.technician),
    )
    assert r.status_code == 201, r.text
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        r = await ctl.client.post(
            f"/whep/cameras/{r.json()['id']}",
            content=pc.localDescription.sdp,
            headers=headers | {"Content-Type": "application/sdp"},
        )
        assert r.status_code == 201, r.text
    finally:
        await pc.close()
    assert ctl.state.relay.count() == 1
    return r.headers["location"]


async def test_a_whep_viewer_ends_when_its_token_expires(controller):
    await _watch(controller, await _short_token(controller, "ioc_viewer1"))
    await until(
        lambda: controller.state.relay.count() == 0, what="the viewer is closed at the token's expiry"
    )


async def test_a_whep_viewer_ends_when_its_user_is_disabled(controller):
    await _watch(controller, controller.auth(Role.ioc_viewer))
    await _disable(controller, "ioc_viewer1")
    await until(lambda: controller.state.relay.count() == 0, what="the viewer is closed when its user is")


async def test_a_viewer_ended_by_its_player_is_watched_no_longer(controller):
    admin = controller.auth(Role.admin)
    r = await controller.client.post(
        "/api/v1/api-keys", json={"name": "wall", "role": "ioc_viewer"}, headers=admin
    )
    key = {"Authorization": f"Bearer {r.json()['key']}"}  # never expires: only the viewer's end stops it
    location = await _watch(controller, key)
    assert len(controller.state.watchers) == 1
    assert (await controller.client.delete(location, headers=key)).status_code == 204
    await until(lambda: len(controller.state.watchers) == 0, what="the watch of a closed viewer ends")

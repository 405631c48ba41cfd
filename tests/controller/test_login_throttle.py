"""Failed logins are throttled per user name and per client address (429 + Retry-After, the
right password refused too while held, the lockout audited), and Argon2 runs off the event
loop: logins waiting for a password check never hold up the rest of the controller."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from controller.roles import Role
from controller.security import PASSWORD_POOL, PASSWORD_THREADS
from controller.throttle import FailureWindow
from tests.conftest import PASSWORD
from tests.support.waiting import until

TOKEN = "/api/v1/auth/token"


@pytest.fixture
def controller_settings() -> dict:
    return {"login_max_failures_per_user": 3, "login_max_failures_per_ip": 6, "login_failure_window_s": 600}


async def _login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(TOKEN, data={"username": username, "password": password})


def _client_from(ctl, address: str) -> httpx.AsyncClient:
    """Another client address (the ASGI scope's, nothing goes on a network)."""
    transport = httpx.ASGITransport(app=ctl.app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _lockouts(ctl) -> list[dict]:
    r = await ctl.client.get(
        "/api/v1/audit", params={"action": "login.lockout"}, headers=ctl.auth(Role.admin)
    )
    assert r.status_code == 200
    return r.json()["items"]


def _held(r: httpx.Response) -> int:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "urn:diemcau:problem:too-many-requests"
    retry_after = int(r.headers["retry-after"])
    assert 0 < retry_after <= 600
    return retry_after


async def test_a_user_name_is_held_after_its_failures_even_with_the_right_password(controller):
    for _ in range(3):
        assert (await _login(controller.client, "admin1", "wrong")).status_code == 401
    _held(await _login(controller.client, "admin1", PASSWORD))
    async with _client_from(controller, "127.0.0.2") as other:  # another address: the name is held
        _held(await _login(other, "admin1", PASSWORD))
        assert (await _login(other, "host1", PASSWORD)).status_code == 200  # other users are not
    [row] = await _lockouts(controller)
    assert (row["action"], row["actor"], row["target_type"], row["target_id"]) == (
        "login.lockout",
        "system:system",
        "user",
        "admin1",
    )
    assert row["summary"]["failures"] == 3 and row["summary"]["retry_after_s"] > 0


async def test_a_client_address_is_held_after_its_failures_across_user_names(controller):
    async with _client_from(controller, "127.0.0.3") as guesser:
        for name in ("admin1", "host1", "nobody", "technician1", "ghost", "ioc_viewer1"):
            assert (await _login(guesser, name, "wrong")).status_code == 401
        _held(await _login(guesser, "host1", PASSWORD))
    assert (await _login(controller.client, "host1", PASSWORD)).status_code == 200  # from elsewhere
    rows = await _lockouts(controller)
    assert [(r["target_type"], r["target_id"]) for r in rows] == [("client", "127.0.0.3")]


async def test_a_successful_login_forgets_the_user_names_failures(controller):
    for _ in range(2):
        assert (await _login(controller.client, "host1", "wrong")).status_code == 401
    assert (await _login(controller.client, "host1", PASSWORD)).status_code == 200
    for _ in range(2):
        assert (await _login(controller.client, "host1", "wrong")).status_code == 401
    assert (await _login(controller.client, "host1", PASSWORD)).status_code == 200


def test_a_failure_window_frees_its_key_when_the_failures_age_out():
    now = [1000.0]
    window = FailureWindow(2, 60, clock=lambda: now[0], max_keys=3)
    window.begin("k")
    assert window.retry_after("k") == 0.0
    window.begin("k")
    assert window.retry_after("k") == 1.0  # held by the attempts in flight
    assert window.end("k", failed=True) is False
    now[0] += 10
    assert window.end("k", failed=True) is True  # the second failure holds it
    assert window.retry_after("k") == pytest.approx(50)  # when the first ages out
    now[0] += 50
    assert window.retry_after("k") == 0.0
    for key in "abcd":  # bounded: the least recently failed key makes room
        window.begin(key)
        window.end(key, failed=True)
    assert len(window) == 3


@pytest.fixture
def gate():
    """Holds every password worker until set: logins then wait in the pool's queue."""
    release = threading.Event()
    held = [PASSWORD_POOL.submit(release.wait) for _ in range(PASSWORD_THREADS)]
    yield release
    release.set()
    for f in held:
        f.result(timeout=30)


async def test_logins_waiting_for_argon2_leave_the_event_loop_free(controller, gate):
    """Logins in flight wait in the password pool; meanwhile other requests are answered."""
    flood = [asyncio.create_task(_login(controller.client, f"nobody{i}", "guess")) for i in range(5)]
    await until(lambda: controller.state.logins.in_flight == 5, what="every login is waiting for a check")
    for _ in range(3):
        r = await controller.client.get("/api/v1/auth/me", headers=controller.auth(Role.host))
        assert r.status_code == 200
    assert not any(t.done() for t in flood)  # still waiting for Argon2, off the loop
    gate.set()
    assert [r.status_code for r in await asyncio.gather(*flood)] == [401] * 5

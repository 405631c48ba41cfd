"""Sign-ins that last: rotating refresh tokens with reuse detection, sign-out, sign-out
everywhere, revocation on a password change, and viewers that follow the sign-in."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest

from controller.api.authn import authenticate, invalid_reason
from controller.models import AuthSession, utcnow
from controller.roles import Role
from tests.conftest import PASSWORD

TOKEN = "/api/v1/auth/token"


async def _login(c: httpx.AsyncClient, user: str = "host1") -> dict:
    r = await c.post(TOKEN, data={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()


async def _renew(c: httpx.AsyncClient, refresh: str) -> httpx.Response:
    return await c.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": refresh})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _audit(ctl, action: str) -> list[dict]:
    r = await ctl.client.get("/api/v1/audit", params={"action": action}, headers=ctl.auth(Role.admin))
    return r.json()["items"]


async def test_a_refresh_token_works_once_and_its_reuse_ends_the_sign_in(controller):
    c = controller.client
    first = await _login(c)
    assert first["refresh_token"].startswith("drt_") and first["role"] == "host"
    assert first["refresh_expires_in"] > first["expires_in"] > 0
    r = await _renew(c, first["refresh_token"])
    assert r.status_code == 200
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert (await c.get("/api/v1/auth/me", headers=_bearer(second["access_token"]))).json()["name"] == "host1"
    # the first token again: a copy is in other hands; the whole sign-in ends
    r = await _renew(c, first["refresh_token"])
    assert r.status_code == 401 and "already used" in r.json()["detail"]
    assert (await _renew(c, second["refresh_token"])).status_code == 401
    assert (await c.get("/api/v1/auth/me", headers=_bearer(second["access_token"]))).status_code == 401
    [record] = await _audit(controller, "auth.refresh_reuse")
    assert record["actor"] == "host1"
    # another sign-in of the same user is untouched
    other = await _login(c)
    assert (await c.get("/api/v1/auth/me", headers=_bearer(other["access_token"]))).status_code == 200


async def test_sign_out_ends_this_sign_in_at_once(controller):
    c = controller.client
    here, there = await _login(c), await _login(c)
    r = await c.post("/api/v1/auth/logout", data={"refresh_token": here["refresh_token"]})
    assert r.status_code == 204
    assert (await c.get("/api/v1/auth/me", headers=_bearer(here["access_token"]))).status_code == 401
    assert (await _renew(c, here["refresh_token"])).status_code == 401
    assert (await c.get("/api/v1/auth/me", headers=_bearer(there["access_token"]))).status_code == 200
    assert len(await _audit(controller, "auth.logout")) == 1
    # an unknown token: the same answer, nothing learnt
    assert (await c.post("/api/v1/auth/logout", data={"refresh_token": "drt_" + "x" * 43})).status_code == 204


async def test_sign_out_everywhere_and_a_new_password_end_every_sign_in(controller):
    c = controller.client
    a, b = await _login(c, "technician1"), await _login(c, "technician1")
    r = await c.post("/api/v1/auth/sign-out-everywhere", headers=_bearer(a["access_token"]))
    assert r.status_code == 204
    for tokens in (a, b):
        assert (await c.get("/api/v1/auth/me", headers=_bearer(tokens["access_token"]))).status_code == 401
        assert (await _renew(c, tokens["refresh_token"])).status_code == 401

    fresh = await _login(c, "technician1")
    users = (await c.get("/api/v1/users", headers=controller.auth(Role.admin))).json()
    tech = next(u for u in users if u["username"] == "technician1")
    r = await c.patch(
        f"/api/v1/users/{tech['id']}",
        json={"password": "A-new-pass-2026"},
        headers=controller.auth(Role.admin),
    )
    assert r.status_code == 200
    r = await _renew(c, fresh["refresh_token"])
    assert r.status_code == 401 and "signed out" in r.json()["detail"]

    mine = await c.post(TOKEN, data={"username": "technician1", "password": "A-new-pass-2026"})
    r = await c.post(f"/api/v1/users/{tech['id']}/sign-out", headers=controller.auth(Role.admin))
    assert r.status_code == 204
    assert (await _renew(c, mine.json()["refresh_token"])).status_code == 401
    assert [a["target_id"] for a in await _audit(controller, "user.sign_out_everywhere")] == [tech["id"]] * 2


async def test_an_api_key_has_no_sign_ins_to_end(controller):
    r = await controller.client.post(
        "/api/v1/api-keys", json={"name": "wall", "role": "ioc_viewer"}, headers=controller.auth(Role.admin)
    )
    r = await controller.client.post("/api/v1/auth/sign-out-everywhere", headers=_bearer(r.json()["key"]))
    assert r.status_code == 409


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"grant_type": "refresh_token"}, 422, "refresh_token"),
        ({"grant_type": "refresh_token", "refresh_token": "not-a-token"}, 422, "refresh_token"),
        ({"grant_type": "refresh_token", "refresh_token": "drt_" + "A" * 43}, 401, None),
        ({"grant_type": "implicit", "username": "host1", "password": PASSWORD}, 422, "grant_type"),
        ({"username": "host1"}, 422, "password"),
    ],
)
async def test_bad_token_requests_are_clear_errors(controller, body, status, field):
    r = await controller.client.post(TOKEN, data=body)
    assert r.status_code == status, r.text
    problem = r.json()
    assert problem["type"].startswith("urn:diemcau:problem:") and "request_id" in problem
    if field:
        assert field in r.text


class TestIdle:
    @pytest.fixture
    def controller_settings(self) -> dict:
        return {"refresh_idle_hours": 0.0005}  # 1.8 s

    async def test_an_idle_refresh_token_expires(self, controller):
        c = controller.client
        tokens = await _login(c)
        assert tokens["refresh_expires_in"] <= 2
        await asyncio.sleep(2.2)
        r = await _renew(c, tokens["refresh_token"])
        assert r.status_code == 401 and "expired" in r.json()["detail"]


async def test_a_viewer_follows_the_sign_in_not_the_access_token(controller):
    """A WHEP viewer outlives its access token while the console renews the sign-in, and
    ends with the sign-in; an SSE stream (follow_session off) still ends at the expiry."""
    state = controller.state
    tokens = await _login(controller.client)
    credential = await authenticate(state, tokens["access_token"])
    assert credential is not None and credential.session_id is not None
    expired = type(credential)(
        credential.principal,
        utcnow() - timedelta(seconds=1),
        credential.user_id,
        credential.version,
        session_id=credential.session_id,
    )
    assert await invalid_reason(state, expired) == "the access token expired"
    assert await invalid_reason(state, expired, follow_session=True) is None
    async with state.db.transaction() as session:
        row = await session.get(AuthSession, credential.session_id)
        assert row is not None
        row.revoked_at = utcnow()
    assert await invalid_reason(state, expired, follow_session=True) == "the sign-in ended"
    unknown = type(credential)(
        credential.principal, None, credential.user_id, credential.version, session_id=uuid.uuid4()
    )
    assert await invalid_reason(state, unknown, follow_session=True) == "the sign-in ended"


async def test_a_wall_displays_key_is_read_only_and_bound_to_its_view(controller):
    c, admin = controller.client, controller.auth(Role.admin)
    r = await c.post(
        "/api/v1/api-keys", json={"name": "Tường IOC 1", "role": "ioc_viewer", "view": "ioc"}, headers=admin
    )
    assert r.status_code == 201 and r.json()["view"] == "ioc"
    key, key_id = r.json()["key"], r.json()["id"]
    me = (await c.get("/api/v1/auth/me", headers=_bearer(key))).json()
    assert me == {
        "name": "Tường IOC 1",
        "role": "ioc_viewer",
        "kind": "api_key",
        "view": "ioc",
        "grants": [{"role": "ioc_viewer", "unit": None}],
    }
    assert (await c.get("/api/v1/health/summary", headers=_bearer(key))).status_code == 200
    assert (await c.post("/api/v1/endpoints", json={}, headers=_bearer(key))).status_code == 403
    r = await c.post(
        "/api/v1/api-keys", json={"name": "x", "role": "technician", "view": "ioc"}, headers=admin
    )
    assert r.status_code == 422 and "ioc_viewer" in r.text
    r = await c.post(
        "/api/v1/api-keys", json={"name": "x", "role": "ioc_viewer", "view": "tech"}, headers=admin
    )
    assert r.status_code == 422
    await c.delete(f"/api/v1/api-keys/{key_id}", headers=admin)
    assert (await c.get("/api/v1/auth/me", headers=_bearer(key))).status_code == 401

"""Access tokens die with the credentials they were issued for: a password change, a disable
(even if the account is enabled again) and deleting the user (even if a user of the same
name is created again) each refuse every token issued before."""

from __future__ import annotations

from controller.roles import Role
from tests.conftest import PASSWORD

NEW_PASSWORD = "a different battery staple"


async def _login(ctl, username: str, password: str = PASSWORD) -> dict[str, str]:
    r = await ctl.client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _user_id(ctl, username: str) -> str:
    users = (await ctl.client.get("/api/v1/users", headers=ctl.auth(Role.admin))).json()
    return next(u["id"] for u in users if u["username"] == username)


async def _me(ctl, headers: dict[str, str]) -> int:
    return (await ctl.client.get("/api/v1/auth/me", headers=headers)).status_code


async def test_a_password_change_ends_earlier_tokens(controller):
    old = await _login(controller, "host1")
    assert await _me(controller, old) == 200
    r = await controller.client.patch(
        f"/api/v1/users/{await _user_id(controller, 'host1')}",
        json={"password": NEW_PASSWORD},
        headers=controller.auth(Role.admin),
    )
    assert r.status_code == 200
    assert await _me(controller, old) == 401
    assert await _me(controller, controller.auth(Role.host)) == 401  # the fixture's token too
    assert await _me(controller, await _login(controller, "host1", NEW_PASSWORD)) == 200


async def test_a_disabled_user_enabled_again_keeps_its_old_tokens_dead(controller):
    old = await _login(controller, "technician1")
    user_id = await _user_id(controller, "technician1")
    for disabled in (True, False):
        r = await controller.client.patch(
            f"/api/v1/users/{user_id}", json={"disabled": disabled}, headers=controller.auth(Role.admin)
        )
        assert r.status_code == 200
    assert await _me(controller, old) == 401
    assert await _me(controller, await _login(controller, "technician1")) == 200


async def test_a_user_deleted_and_created_again_does_not_accept_the_old_tokens(controller):
    old = await _login(controller, "ioc_viewer1")
    admin = controller.auth(Role.admin)
    r = await controller.client.delete(
        f"/api/v1/users/{await _user_id(controller, 'ioc_viewer1')}", headers=admin
    )
    assert r.status_code == 204
    r = await controller.client.post(
        "/api/v1/users",
        json={"username": "ioc_viewer1", "password": PASSWORD, "role": "admin"},
        headers=admin,
    )
    assert r.status_code == 201
    assert await _me(controller, old) == 401
    assert await _me(controller, controller.auth(Role.ioc_viewer)) == 401
    fresh = await _login(controller, "ioc_viewer1")
    assert (await controller.client.get("/api/v1/auth/me", headers=fresh)).json()["role"] == "admin"


async def test_a_role_change_applies_to_the_token_at_once(controller):
    headers = await _login(controller, "host1")
    r = await controller.client.patch(
        f"/api/v1/users/{await _user_id(controller, 'host1')}",
        json={"role": "ioc_viewer"},
        headers=controller.auth(Role.admin),
    )
    assert r.status_code == 200
    assert (await controller.client.get("/api/v1/auth/me", headers=headers)).json()["role"] == "ioc_viewer"


async def test_a_proven_token_is_kept_a_few_seconds_and_forgotten_at_any_change_made_here(controller):
    """The credential cache: repeated requests do not re-read the user (hits counted); a
    disable committed by another process (its own engine: no notice reaches this one) takes
    effect once the kept credential is older than ``auth_cache_s``; one made here, at once."""
    import asyncio

    from sqlalchemy import update

    from controller.db import Database
    from controller.models import User

    cache = controller.state.credentials
    cache.ttl_s = 0.5
    headers = await _login(controller, "host1")
    assert await _me(controller, headers) == 200
    hits = cache.hits
    assert await _me(controller, headers) == 200 and cache.hits == hits + 1

    other = Database(controller.settings.effective_database_url)
    async with other.transaction() as session:
        await session.execute(update(User).where(User.username == "host1").values(disabled=True))
    await other.dispose()
    assert await _me(controller, headers) == 200  # kept: another process's change is not seen yet
    await asyncio.sleep(0.6)
    assert await _me(controller, headers) == 401  # older than auth_cache_s: read again, refused

    viewer = controller.auth(Role.ioc_viewer)
    assert await _me(controller, viewer) == 200 and await _me(controller, viewer) == 200
    cache.ttl_s = 60
    r = await controller.client.patch(
        f"/api/v1/users/{await _user_id(controller, 'ioc_viewer1')}",
        json={"disabled": True},
        headers=controller.auth(Role.admin),
    )
    assert r.status_code == 200, r.text
    assert await _me(controller, viewer) == 401  # a change through this process: at once

"""Roles scoped to a unit subtree: grants, the scope each route's roles give, and the rules
that keep a province administrable."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from controller.models import Endpoint, Unit
from controller.roles import Role
from controller.scope import EVERYWHERE, Grant, UnitScope
from tests.conftest import PASSWORD

T, H, V, A = Role.technician, Role.host, Role.ioc_viewer, Role.admin


def test_a_scope_is_the_union_of_the_grants_the_route_allows():
    district, commune, other = "/p/d1/", "/p/d1/c1/", "/p/d2/"
    grants = [Grant(T, district), Grant(T, commune), Grant(H, None), Grant(V, other)]
    assert UnitScope.of(grants, [T]).paths == {district}  # the commune is inside the district
    assert UnitScope.of(grants, [T, V]).paths == {district, other}
    assert UnitScope.of(grants, [H, A]) == EVERYWHERE
    assert UnitScope.of(grants, [A]).paths == frozenset()  # held nowhere
    scope = UnitScope.of(grants, [T])
    assert scope.covers("/p/d1/c7/") and scope.covers(district)
    assert not scope.covers("/p/d10/") and not scope.covers("/p/") and not scope.covers(None)
    assert EVERYWHERE.covers(None)


async def test_the_scope_is_a_prefix_condition_in_sql(controller):
    """Units whose codes share a prefix (H01 and H010) are told apart: paths end in '/'."""
    async with controller.state.db.transaction() as session:
        units = {u.code: u for u in await session.scalars(select(Unit))}
        district = units["DEMO-H01"]
        scope = UnitScope(frozenset({district.path}))
        inside = set(await session.scalars(select(Unit.code).where(scope.where(Unit.path))))
        assert inside == {c for c, u in units.items() if u.path.startswith(district.path)}
        assert "DEMO-H02" not in inside and "DEMO-H01" in inside
        nothing = set(
            await session.scalars(select(Endpoint.id).where(UnitScope(frozenset()).where(Unit.path)))
        )
        assert nothing == set()


async def test_users_hold_several_grants(controller):
    c, admin = controller.client, controller.auth(Role.admin)
    body = {
        "username": "ky.thuat.h01",
        "password": PASSWORD,
        "grants": [{"role": "technician", "unit": "DEMO-H01"}, {"role": "host"}],
    }
    r = await c.post("/api/v1/users", json=body, headers=admin)
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["role"] == "technician"
    assert [(g["role"], g["unit"]["code"] if g["unit"] else None) for g in user["grants"]] == [
        ("technician", "DEMO-H01"),
        ("host", None),
    ]
    r = await c.post("/api/v1/auth/token", data={"username": "ky.thuat.h01", "password": PASSWORD})
    token = {"Authorization": f"Bearer {r.json()['access_token']}"}
    # the host grant opens the hosts' routes, the technician grant the technicians'
    assert (await c.get("/api/v1/sessions", headers=token)).status_code == 200
    assert (await c.get("/api/v1/users", headers=token)).status_code == 403
    # replace the grants: one role over one commune
    r = await c.patch(
        f"/api/v1/users/{user['id']}", json={"role": "ioc_viewer", "unit": "DEMO-H01-X01"}, headers=admin
    )
    assert r.status_code == 200 and r.json()["role"] == "ioc_viewer"
    assert [g["unit"]["code"] for g in r.json()["grants"]] == ["DEMO-H01-X01"]
    [record] = (await c.get("/api/v1/audit", params={"action": "user.update"}, headers=admin)).json()["items"]
    assert record["summary"]["grants"] == ["ioc_viewer@DEMO-H01-X01"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"grants": [{"role": "technician", "unit": "NOPE"}]}, "grants.0.unit"),
        ({"role": "host", "unit": "NOPE"}, "role.0.unit"),
        ({"role": "host", "grants": [{"role": "host"}]}, "either role"),
        ({"unit": "DEMO-H01"}, "role or at least one grant"),
        ({"grants": []}, "grants"),
        ({"grants": [{"role": "overlord"}]}, "role"),
    ],
)
async def test_bad_grants_are_clear_errors_and_nothing_is_made(controller, body, field):
    c, admin = controller.client, controller.auth(Role.admin)
    r = await c.post("/api/v1/users", json={"username": "x.y", "password": PASSWORD} | body, headers=admin)
    assert r.status_code == 422 and field in r.text, r.text
    users = (await c.get("/api/v1/users", headers=admin)).json()
    assert "x.y" not in {u["username"] for u in users}


async def test_the_last_province_wide_admin_stays(controller):
    c, admin = controller.client, controller.auth(Role.admin)
    users = (await c.get("/api/v1/users", headers=admin)).json()
    only = next(u for u in users if u["username"] == "admin1")
    # an admin of one district is no province admin: the province would have none left
    r = await c.patch(
        f"/api/v1/users/{only['id']}", json={"role": "admin", "unit": "DEMO-H01"}, headers=admin
    )
    assert r.status_code == 409 and "last active admin" in r.json()["detail"]
    r = await c.post(
        "/api/v1/users",
        json={"username": "admin2", "password": PASSWORD, "grants": [{"role": "admin"}, {"role": "host"}]},
        headers=admin,
    )
    assert r.status_code == 201
    r = await c.patch(
        f"/api/v1/users/{only['id']}", json={"role": "admin", "unit": "DEMO-H01"}, headers=admin
    )
    assert r.status_code == 200


async def test_a_unit_someone_is_responsible_for_is_not_deleted(controller):
    c, admin = controller.client, controller.auth(Role.admin)
    r = await c.post(
        "/api/v1/units",
        json={"code": "NEW-1", "name": "Xã mới", "level": "commune", "parent": "DEMO-H01"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    r = await c.post(
        "/api/v1/users",
        json={"username": "xa.moi", "password": PASSWORD, "role": "host", "unit": "NEW-1"},
        headers=admin,
    )
    assert r.status_code == 201
    r = await c.delete("/api/v1/units/NEW-1", headers=admin)
    assert r.status_code == 409 and "grant" in r.json()["detail"]

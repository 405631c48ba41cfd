"""A district's people act on their district: reads are filtered to their units, writes
outside them refused, and what lies outside is as unknown to them as what does not exist."""

from __future__ import annotations

import uuid

import httpx

from controller.roles import Role
from tests.conftest import PASSWORD
from tests.controller.fleet_helpers import endpoint_body


async def _user(ctl, username: str, grants: list[dict]) -> dict[str, str]:
    c = ctl.client
    r = await c.post(
        "/api/v1/users",
        json={"username": username, "password": PASSWORD, "grants": grants},
        headers=ctl.auth(Role.admin),
    )
    assert r.status_code == 201, r.text
    r = await c.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _fleet(ctl) -> dict[str, str]:
    """Two endpoints in district H01 (one in a commune), one in H02: name -> id."""
    ids = {}
    for i, (name, unit) in enumerate(
        [("H01-hall", "DEMO-H01"), ("H01-X01-room", "DEMO-H01-X01"), ("H02-hall", "DEMO-H02")]
    ):
        r = await ctl.client.post(
            "/api/v1/endpoints", json=endpoint_body(name, unit, 3000 + i), headers=ctl.auth(Role.admin)
        )
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    return ids


async def test_a_district_technician_sees_and_changes_only_the_district(controller):
    c = controller.client
    ids = await _fleet(controller)
    tech = await _user(controller, "kt.h01", [{"role": "technician", "unit": "DEMO-H01"}])

    listed = (await c.get("/api/v1/endpoints", headers=tech)).json()
    assert sorted(e["name"] for e in listed["items"]) == ["H01-X01-room", "H01-hall"] and listed["total"] == 2
    assert (await c.get(f"/api/v1/endpoints/{ids['H01-hall']}", headers=tech)).status_code == 200
    # outside: as unknown as a missing one, for reads and writes alike
    for method in ("GET", "PATCH", "DELETE"):
        r = await c.request(
            method,
            f"/api/v1/endpoints/{ids['H02-hall']}",
            headers=tech,
            json={} if method == "PATCH" else None,
        )
        assert r.status_code == 404, (method, r.text)
    assert (await c.post(f"/api/v1/endpoints/{ids['H02-hall']}/probe", headers=tech)).status_code == 404

    r = await c.post("/api/v1/endpoints", json=endpoint_body("new", "DEMO-H02-X01", 3100), headers=tech)
    assert r.status_code == 403 and "outside the units" in r.json()["detail"]
    r = await c.post("/api/v1/endpoints", json=endpoint_body("new", "DEMO-H01-X02", 3101), headers=tech)
    assert r.status_code == 201
    # moving one of the district's endpoints out of it is a write outside
    r = await c.patch(f"/api/v1/endpoints/{ids['H01-hall']}", json={"unit": "DEMO-H02"}, headers=tech)
    assert r.status_code == 403
    still = (await c.get(f"/api/v1/endpoints/{ids['H01-hall']}", headers=controller.auth(Role.admin))).json()
    assert still["unit"]["code"] == "DEMO-H01"


async def test_a_csv_row_outside_the_district_is_a_row_error(controller):
    c = controller.client
    tech = await _user(controller, "kt.h01", [{"role": "technician", "unit": "DEMO-H01"}])
    csv = (
        "name,unit,host,port,username,password,profile\n"
        "a,DEMO-H01-X01,127.0.0.1,4001,admin,pw-123456,cisco-roomos\n"
        "b,DEMO-H02-X01,127.0.0.1,4002,admin,pw-123456,cisco-roomos\n"
    )
    files = {"file": ("f.csv", csv.encode(), "text/csv")}
    r = await c.post("/api/v1/endpoints/import", files=files, headers=tech)
    problem = r.json()
    assert r.status_code == 422 and "nothing was imported" in problem["detail"]  # all or nothing
    assert [(e["line"], e["field"], e["value"]) for e in problem["errors"]] == [(3, "unit", "DEMO-H02-X01")]
    assert "outside the units" in problem["errors"][0]["reason"]
    r = await c.post("/api/v1/endpoints/import", params={"valid_only": "true"}, files=files, headers=tech)
    assert r.json()["imported"] == 1


async def test_a_role_held_in_a_district_does_not_lend_its_scope_to_another_role(controller):
    """A district technician who hosts province-wide meetings reads the whole province but
    registers endpoints in the district only: each route's scope comes from its own roles."""
    c = controller.client
    await _fleet(controller)
    both = await _user(
        controller, "kt.chu.tri", [{"role": "technician", "unit": "DEMO-H01"}, {"role": "host"}]
    )
    listed = (await c.get("/api/v1/endpoints", headers=both)).json()
    assert listed["total"] == 3  # reading is allowed to hosts too, and the host grant is province-wide
    r = await c.post("/api/v1/endpoints", json=endpoint_body("x", "DEMO-H02", 3200), headers=both)
    assert r.status_code == 403  # writing is the technicians', and that grant is the district's


async def test_province_wide_grants_work_as_before(controller):
    await _fleet(controller)
    r = await controller.client.get("/api/v1/endpoints", headers=controller.auth(Role.technician))
    assert r.json()["total"] == 3


async def test_a_district_api_key_is_scoped_too(controller):
    c, admin = controller.client, controller.auth(Role.admin)
    await _fleet(controller)
    r = await c.post(
        "/api/v1/api-keys", json={"name": "H01 bus", "role": "ioc_viewer", "unit": "DEMO-H02"}, headers=admin
    )
    assert r.status_code == 201, r.text
    key = httpx.Headers({"Authorization": f"Bearer {r.json()['key']}"})
    listed = (await c.get("/api/v1/endpoints", headers=key)).json()
    assert [e["name"] for e in listed["items"]] == ["H02-hall"]


async def test_a_district_technician_provisions_only_the_district(controller):
    c, admin = controller.client, controller.auth(Role.admin)
    ids = await _fleet(controller)
    tech = await _user(controller, "kt.h01", [{"role": "technician", "unit": "DEMO-H01"}])
    plan = {"mode": "plan"}
    r = await c.post("/api/v1/provisioning/jobs", json=plan | {"unit": "DEMO-H02"}, headers=tech)
    assert r.status_code == 403
    r = await c.post(
        "/api/v1/provisioning/jobs",
        json=plan | {"endpoints": [ids["H01-hall"], ids["H02-hall"]]},
        headers=tech,
    )
    assert r.status_code == 422 and "outside the units" in r.json()["detail"]
    r = await c.post("/api/v1/provisioning/jobs", json=plan | {"unit": "DEMO-H01"}, headers=tech)
    assert r.status_code == 202, r.text
    mine = r.json()["id"]
    r = await c.post("/api/v1/provisioning/jobs", json=plan | {"endpoints": [ids["H02-hall"]]}, headers=admin)
    theirs = r.json()["id"]
    listed = (await c.get("/api/v1/jobs", headers=tech)).json()
    assert [j["id"] for j in listed["items"]] == [mine]
    assert (await c.get(f"/api/v1/jobs/{theirs}", headers=tech)).status_code == 404
    assert (await c.get(f"/api/v1/jobs/{theirs}/items", headers=tech)).status_code == 404
    assert (await c.post(f"/api/v1/jobs/{theirs}/cancel", headers=tech)).status_code == 404
    assert {j["id"] for j in (await c.get("/api/v1/jobs", headers=admin)).json()["items"]} == {mine, theirs}
    # the district's firmware compliance counts the district's endpoints
    report = (await c.get("/api/v1/firmware/compliance", headers=tech)).json()
    assert sum(sum(p["counts"].values()) for p in report) == 2


async def test_standards_are_set_for_the_units_one_is_responsible_for(controller):
    c = controller.client
    tech = await _user(controller, "kt.h01", [{"role": "technician", "unit": "DEMO-H01"}])
    value = {"value": "ntp.h01.example"}
    assert (
        await c.put("/api/v1/standards/ntp_server", json=value, params={"unit": "DEMO-H01"}, headers=tech)
    ).status_code == 200
    r = await c.put("/api/v1/standards/ntp_server", json=value, params={"unit": "DEMO-H02"}, headers=tech)
    assert r.status_code == 403
    r = await c.put("/api/v1/standards/ntp_server", json=value, headers=tech)  # province-wide
    assert r.status_code == 403 and "province-wide" in r.json()["detail"]
    r = await c.delete("/api/v1/standards/ntp_server", params={"unit": "DEMO-H02"}, headers=tech)
    assert r.status_code == 403


async def test_a_commune_host_runs_the_communes_meetings_only(controller):
    """Scheduled sessions (nothing dials): who may create, see and end them."""
    c = controller.client
    ids = await _fleet(controller)
    host = await _user(controller, "chu.tri.x01", [{"role": "host", "unit": "DEMO-H01-X01"}])
    later = {"title": "Giao ban xã", "start_at": "2030-01-01T08:00:00+07:00"}
    r = await c.post(
        "/api/v1/sessions", json=later | {"scope": {"units": [{"unit": "DEMO-H01"}]}}, headers=host
    )
    assert r.status_code == 403 and "H01-hall" in r.json()["detail"]
    r = await c.post(
        "/api/v1/sessions", json=later | {"scope": {"units": [{"unit": "DEMO-H01-X01"}]}}, headers=host
    )
    assert r.status_code == 201, r.text
    mine = r.json()["id"]
    province = await c.post(
        "/api/v1/sessions",
        json=later | {"title": "Giao ban tỉnh", "scope": {"endpoints": list(ids.values())}},
        headers=controller.auth(Role.host),
    )
    theirs = province.json()["id"]
    listed = (await c.get("/api/v1/sessions", headers=host)).json()
    assert [s["id"] for s in listed["items"]] == [mine]
    # the province's meeting: not theirs to see, end, or read the attendance of
    assert (await c.get(f"/api/v1/sessions/{theirs}", headers=host)).status_code == 404
    assert (await c.post(f"/api/v1/sessions/{theirs}/end", headers=host)).status_code == 404
    assert (await c.get(f"/api/v1/sessions/{theirs}/attendance", headers=host)).status_code == 404
    assert (await c.get(f"/api/v1/sessions/{theirs}/timeline", headers=host)).status_code == 404
    # adding the district's hall to the commune's meeting reaches outside
    r = await c.post(
        f"/api/v1/sessions/{mine}/participants", json={"endpoint": ids["H01-hall"]}, headers=host
    )
    assert r.status_code == 403
    r = await c.post(f"/api/v1/sessions/{mine}/end", headers=host)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    listed = (await c.get("/api/v1/sessions", headers=controller.auth(Role.host))).json()
    assert {s["id"] for s in listed["items"]} == {mine, theirs}


async def test_a_districts_people_see_their_units_as_the_tree(controller):
    c = controller.client
    tech = await _user(controller, "kt.h01", [{"role": "technician", "unit": "DEMO-H01"}])
    tree = (await c.get("/api/v1/units/tree", headers=tech)).json()
    assert [n["code"] for n in tree] == ["DEMO-H01"] and len(tree[0]["children"]) == 3
    listed = (await c.get("/api/v1/units", headers=tech)).json()
    assert listed["total"] == 4 and all(u["code"].startswith("DEMO-H01") for u in listed["items"])
    assert (await c.get("/api/v1/units/DEMO-H02", headers=tech)).status_code == 404
    new = {"code": "DEMO-H01-X99", "name": "Xã mới", "level": "commune", "parent": "DEMO-H01"}
    assert (await c.post("/api/v1/units", json=new, headers=tech)).status_code == 201
    r = await c.post("/api/v1/units", json=new | {"code": "DEMO-H02-X99", "parent": "DEMO-H02"}, headers=tech)
    assert r.status_code == 403
    assert (await c.patch("/api/v1/units/DEMO-H02-X01", json={"name": "x"}, headers=tech)).status_code == 404


async def test_the_provinces_own_things_need_a_province_wide_grant(controller):
    """Accounts, keys, sinks, bridges, the audit trail and the metrics are the province's:
    a district's admin may run the district, not hand out province-wide access."""
    c = controller.client
    district_admin = await _user(controller, "qt.h01", [{"role": "admin", "unit": "DEMO-H01"}])
    for method, path in [
        ("GET", "/api/v1/users"),
        ("POST", "/api/v1/users"),
        ("GET", "/api/v1/api-keys"),
        ("GET", "/api/v1/sinks"),
        ("POST", "/api/v1/bridges"),
        ("GET", "/api/v1/audit"),
        ("GET", "/metrics"),
        ("POST", "/api/v1/units/import"),
    ]:
        r = await c.request(method, path, headers=district_admin, json={} if method == "POST" else None)
        assert r.status_code == 403 and "province-wide" in r.json()["detail"], (method, path, r.text)
    # the district itself: theirs to run
    assert (await c.get("/api/v1/endpoints", headers=district_admin)).status_code == 200
    spec = controller.app.openapi()
    assert spec["paths"]["/api/v1/users"]["get"]["x-province"] is True
    assert "x-province" not in spec["paths"]["/api/v1/endpoints"]["get"]


async def test_a_districts_sink_receives_the_districts_events_only(controller):
    """The IOC of one district gets its own events, as a district's people get theirs."""
    from sqlalchemy import select

    from controller.events import emit
    from controller.models import Delivery, OutboxEvent, Unit

    c, admin = controller.client, controller.auth(Role.admin)
    r = await c.post(
        "/api/v1/sinks",
        json={"name": "IOC huyện 2", "url": "http://127.0.0.1:9/hook", "unit": "DEMO-H02"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    sink = r.json()
    assert sink["unit"] == "DEMO-H02"
    state = controller.state
    async with state.db.transaction() as session:
        paths = {u.code: u.path for u in await session.scalars(select(Unit))}
        for name, unit in (("in", "DEMO-H02-X01"), ("out", "DEMO-H01-X01"), ("none", None)):
            emit(session, None, "camera.state", "camera", name, {"name": name}, unit_path=paths.get(unit))
    # (the dispatcher's own loop may have queued them already: either way, once)
    await state.sinks.enqueue(uuid.UUID(sink["id"]), [], paths["DEMO-H02"])
    async with state.db.transaction() as session:
        rows = (
            await session.execute(
                select(OutboxEvent.entity_id).join(Delivery, Delivery.event_id == OutboxEvent.id)
            )
        ).all()
    assert [r[0] for r in rows] == ["in"]

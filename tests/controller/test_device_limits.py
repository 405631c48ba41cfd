"""A standard or an endpoint that would give a device a value beyond its own limits is
refused where it is saved, with the device's limit in the answer (RoomOS: SystemUnit Name
is 0..50 characters), not discovered on the device during a provisioning run."""

from __future__ import annotations

from controller.roles import Role
from tests.controller.fleet_helpers import set_standard
from tests.controller.test_csv_import import HEADER, upload
from tests.controller.test_registry_api import body, create

LONG = "Phòng họp trực tuyến Ủy ban nhân dân xã 1"  # 41 characters: "ĐC " + it is 44


async def put_standard(ctl, key: str, value: str, unit: str | None = None):
    return await ctl.client.put(
        f"/api/v1/standards/{key}",
        json={"value": value},
        params={"unit": unit} if unit else None,
        headers=ctl.auth(Role.technician),
    )


async def test_a_standard_beyond_the_limit_names_the_endpoint_and_the_limit(controller):
    cisco = await create(controller, name=LONG)
    await create(controller, name=LONG, unit="DEMO-H01-X02", port=2202, profile="poly-group")
    assert (await put_standard(controller, "display_name", "ĐC {name}")).status_code == 200  # 44: fits
    r = await put_standard(controller, "display_name", "Điểm cầu trực tuyến {name}")  # 61
    assert r.status_code == 422 and r.json()["field"] == "value", r.text
    detail = r.json()["detail"]
    assert "1 endpoint(s)" in detail and cisco["name"] in detail  # the Poly one has no such limit
    assert "at most 50" in detail and "SystemUnit Name" in detail
    listed = (await controller.client.get("/api/v1/standards", headers=controller.auth(Role.admin))).json()
    assert {"unit": "*", "key": "display_name", "value": "ĐC {name}"} in listed  # the old value stands
    # a unit outside the endpoint's subtree reaches no Cisco codec: accepted
    r = await put_standard(controller, "display_name", "Điểm cầu trực tuyến {name}", unit="DEMO-H02")
    assert r.status_code == 200, r.text


async def test_numbers_outside_the_devices_range_are_refused(controller):
    await create(controller)
    r = await put_standard(controller, "default_call_rate", "8000")
    assert r.status_code == 422 and "64..6000" in r.json()["detail"]
    assert (await put_standard(controller, "default_call_rate", "6000")).status_code == 200


async def test_an_endpoint_whose_name_breaks_the_standard_is_refused_on_create_and_rename(controller):
    await set_standard(controller, {"display_name": "ĐC {name}"})
    h = controller.auth(Role.technician)
    too_long = LONG + " thôn Bản Pình"  # 55 + 3
    r = await controller.client.post("/api/v1/endpoints", json=body(name=too_long), headers=h)
    assert r.status_code == 422 and r.json()["field"] == "name", r.text
    assert "display_name" in r.json()["detail"] and "at most 50" in r.json()["detail"]
    ok = await create(controller, name=LONG)
    r = await controller.client.patch(f"/api/v1/endpoints/{ok['id']}", json={"name": too_long}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "name", r.text
    got = (await controller.client.get(f"/api/v1/endpoints/{ok['id']}", headers=h)).json()
    assert got["name"] == LONG  # nothing changed
    # the same name on a Poly codec is fine: its profile states no such limit
    poly = await create(controller, name=too_long, profile="poly-group", port=2203)
    assert poly["name"] == too_long


async def test_csv_rows_beyond_the_limit_are_row_errors(controller):
    await set_standard(controller, {"display_name": "ĐC {name}"})
    rows = (
        f"{LONG},DEMO-H01-X01,127.0.0.1,3001,admin,pw,cisco-roomos\n"
        f"{LONG} thôn Bản Pình,DEMO-H01-X01,127.0.0.1,3002,admin,pw,cisco-roomos\n"
    )
    r = await upload(controller, HEADER + rows)
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [(3, "name")]
    assert "at most 50" in errors[0]["reason"]

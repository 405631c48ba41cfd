"""Registry API against SQLite and a real PostgreSQL: the same tests, both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from controller.models import AuditRecord, Endpoint
from controller.roles import Role

pytestmark = pytest.mark.usefixtures("backend")

DEVICE_PW = "Dev!ce-PW-7781"


def body(**over):
    data = {
        "name": "Phòng họp UBND xã 1.01",
        "unit": "DEMO-H01-X01",
        "host": "127.0.0.1",
        "port": 2201,
        "username": "admin",
        "password": DEVICE_PW,
        "profile": "cisco-roomos",
    }
    data.update(over)
    return data


async def create(ctl, **over):
    r = await ctl.client.post("/api/v1/endpoints", json=body(**over), headers=ctl.auth(Role.technician))
    assert r.status_code == 201, r.text
    return r.json()


async def test_create_returns_no_password_and_stores_it_encrypted(controller):
    ep = await create(controller)
    assert ep["unit"]["code"] == "DEMO-H01-X01"
    assert ep["state"] == "unknown"
    assert "password" not in ep and DEVICE_PW not in str(ep)
    async with controller.state.db.transaction() as s:
        row = await s.scalar(select(Endpoint).where(Endpoint.name == body()["name"]))
        assert row.password_enc != DEVICE_PW and DEVICE_PW not in row.password_enc
        assert controller.state.box.decrypt(row.password_enc) == DEVICE_PW
        rec = await s.scalar(select(AuditRecord).where(AuditRecord.action == "endpoint.create"))
        assert rec.actor == "technician1" and rec.target_id == ep["id"]
        assert rec.summary["unit"] == "DEMO-H01-X01" and "password" not in rec.summary


async def test_get_update_delete_roundtrip(controller):
    ep = await create(controller)
    h = controller.auth(Role.technician)
    r = await controller.client.patch(
        f"/api/v1/endpoints/{ep['id']}",
        json={"name": "Hội trường", "unit": "DEMO-H02-X01", "password": "new-secret-99"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Hội trường" and r.json()["unit"]["code"] == "DEMO-H02-X01"
    got = (await controller.client.get(f"/api/v1/endpoints/{ep['id']}", headers=h)).json()
    assert got["name"] == "Hội trường"
    async with controller.state.db.transaction() as s:
        row = await s.get(Endpoint, __import__("uuid").UUID(ep["id"]))
        assert controller.state.box.decrypt(row.password_enc) == "new-secret-99"
        upd = await s.scalar(select(AuditRecord).where(AuditRecord.action == "endpoint.update"))
        assert upd.summary["password_changed"] is True and "new-secret-99" not in str(upd.summary)
    assert (await controller.client.delete(f"/api/v1/endpoints/{ep['id']}", headers=h)).status_code == 204
    r = await controller.client.get(f"/api/v1/endpoints/{ep['id']}", headers=h)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "urn:diemcau:problem:not-found"


async def test_names_unique_within_a_unit_and_addresses_unique(controller):
    await create(controller)
    h = controller.auth(Role.technician)
    r = await controller.client.post("/api/v1/endpoints", json=body(port=2202), headers=h)
    assert r.status_code == 409 and r.json()["field"] == "name"
    r = await controller.client.post(
        "/api/v1/endpoints", json=body(unit="DEMO-H01-X02", port=2202), headers=h
    )
    assert r.status_code == 201  # same name, other commune: fine
    r = await controller.client.post("/api/v1/endpoints", json=body(name="other"), headers=h)
    assert r.status_code == 409 and r.json()["field"] == "host"


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("host", "not a host!", "IPv4/IPv6 address or a DNS host name"),
        ("host", "999.1.1.1", "IPv4/IPv6"),
        ("port", 70000, "less than or equal to 65535"),
        ("name", "evil\nxCommand SystemUnit Boot", "control characters"),
        ("name", "", "at least 1 character"),
        ("username", "ad min", "pattern"),
        ("host_key", "ssh-ed25519 !!!notbase64", "base64"),
        ("sip_uri", "http://x", "SIP URI"),
    ],
)
async def test_invalid_fields_are_422_problems_naming_the_field(controller, field, value, fragment):
    r = await controller.client.post(
        "/api/v1/endpoints", json=body(**{field: value}), headers=controller.auth(Role.admin)
    )
    assert r.status_code == 422, r.text
    problem = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert problem["type"] == "urn:diemcau:problem:invalid-input"
    assert any(e["location"] == f"body.{field}" and fragment in e["reason"] for e in problem["errors"]), (
        problem
    )


async def test_unknown_profile_and_unit_are_422(controller):
    h = controller.auth(Role.admin)
    r = await controller.client.post("/api/v1/endpoints", json=body(profile="acme-x"), headers=h)
    assert r.status_code == 422 and r.json()["field"] == "profile"
    assert "cisco-roomos" in r.json()["detail"]
    r = await controller.client.post("/api/v1/endpoints", json=body(unit="NOPE"), headers=h)
    assert r.status_code == 422 and r.json()["field"] == "unit"


async def test_list_filters_by_subtree_profile_and_text(controller):
    await create(controller, name="A", unit="DEMO-H01-X01", port=2301)
    await create(controller, name="B", unit="DEMO-H01-X02", port=2302, profile="poly-group")
    await create(controller, name="C", unit="DEMO-H02-X01", port=2303)
    await create(controller, name="Tỉnh", unit="DEMO", port=2304)
    await create(controller, name="ĐIỂM CẦU Ủy ban", unit="DEMO-H02-X01", port=2305)
    h = controller.auth(Role.ioc_viewer)

    async def names(**params):
        r = await controller.client.get("/api/v1/endpoints", params=params, headers=h)
        assert r.status_code == 200, r.text
        return sorted(i["name"] for i in r.json()["items"]), r.json()["total"]

    assert await names(unit="DEMO-H01") == (["A", "B"], 2)
    assert await names(unit="DEMO") == (["A", "B", "C", "Tỉnh", "ĐIỂM CẦU Ủy ban"], 5)
    assert await names(unit="TW") == (["A", "B", "C", "Tỉnh", "ĐIỂM CẦU Ủy ban"], 5)
    assert await names(profile="poly-group") == (["B"], 1)
    assert await names(q="tỉnh") == (["Tỉnh"], 1)
    assert await names(q="điểm cầu ủy") == (["ĐIỂM CẦU Ủy ban"], 1)  # not ASCII: folded on both backends
    assert await names(state="unknown", unit="DEMO-H02") == (["C", "ĐIỂM CẦU Ủy ban"], 2)
    assert await names(state="online") == ([], 0)
    page = (
        await controller.client.get("/api/v1/endpoints", params={"limit": 2, "offset": 1}, headers=h)
    ).json()
    assert len(page["items"]) == 2 and page["total"] == 5


async def test_unit_tree_counts_endpoints_per_subtree(controller):
    await create(controller, name="A", unit="DEMO-H01-X01", port=2301)
    await create(controller, name="B", unit="DEMO-H01-X02", port=2302)
    await create(controller, name="C", unit="DEMO-H02-X01", port=2303)
    r = await controller.client.get("/api/v1/units/tree", headers=controller.auth(Role.host))
    (central,) = r.json()
    assert central["code"] == "TW" and central["endpoints"] == 3
    (province,) = central["children"]
    by_code = {d["code"]: d for d in province["children"]}
    assert [by_code[c]["endpoints"] for c in ("DEMO-H01", "DEMO-H02", "DEMO-H03")] == [2, 1, 0]
    assert len(by_code["DEMO-H01"]["children"]) == 3


async def test_unit_with_children_or_endpoints_cannot_be_deleted(controller):
    h = controller.auth(Role.admin)
    r = await controller.client.delete("/api/v1/units/DEMO-H01", headers=h)
    assert r.status_code == 409 and r.json()["children"] == 3
    await create(controller, unit="DEMO-H01-X01")
    r = await controller.client.delete("/api/v1/units/DEMO-H01-X01", headers=h)
    assert r.status_code == 409 and r.json()["endpoints"] == 1
    assert (await controller.client.delete("/api/v1/units/DEMO-H01-X02", headers=h)).status_code == 204


async def test_units_are_a_tree_of_any_depth(controller):
    h = controller.auth(Role.admin)
    parent = "DEMO-H01-X01"
    for i in range(4):  # a 7-level chain
        r = await controller.client.post(
            "/api/v1/units",
            json={"code": f"L{i}", "name": f"Tổ {i}", "level": "hamlet", "parent": parent},
            headers=h,
        )
        assert r.status_code == 201, r.text
        parent = f"L{i}"
    assert r.json()["depth"] == 7
    await create(controller, unit="L3")
    r = await controller.client.get("/api/v1/endpoints", params={"unit": "DEMO-H01"}, headers=h)
    assert r.json()["total"] == 1


async def test_nul_bytes_are_refused_cleanly_on_every_backend(controller):
    h = controller.auth(Role.admin)
    for url in ("/api/v1/endpoints?q=a%00b", "/api/v1/audit?actor=%00", "/api/v1/units/a%00b"):
        r = await controller.client.get(url, headers=h)
        assert r.status_code == 400, (url, r.status_code, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    r = await controller.client.post("/api/v1/auth/token", data={"username": "a\x00b", "password": "x"})
    assert r.status_code == 422
    r = await controller.client.post("/api/v1/endpoints", json=body(name="a\x00b"), headers=h)
    assert r.status_code == 422


async def test_nul_in_bodies_is_422_on_every_backend(controller):
    """PostgreSQL cannot store NUL; every body field that reaches the database refuses it."""
    h = controller.auth(Role.admin)
    r = await controller.client.post("/api/v1/endpoints", json=body(description="a\x00b"), headers=h)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    r = await controller.client.post("/api/v1/endpoints", json=body(unit="DEMO\x00"), headers=h)
    assert r.status_code == 422
    r = await controller.client.post("/api/v1/provisioning/jobs", json={"unit": "DEMO\x00"}, headers=h)
    assert r.status_code == 422
    r = await controller.client.post(
        "/api/v1/units", json={"code": "X1", "name": "Xã", "level": "commune", "parent": "TW\x00"}, headers=h
    )
    assert r.status_code == 422

"""A district's people see and change their district's cameras, health, alarms and live events
only: reads are filtered to their units, writes outside them refused, and what lies outside is
as unknown to them as what does not exist."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from controller import events
from controller.models import Alarm, EndpointHealth, Unit, utcnow
from controller.roles import Role
from tests.controller.test_scoped_roles import _user
from tests.support.sse import read_events

STREAM = "/api/v1/events/stream"
OFFER = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"


@pytest.fixture
def controller_settings() -> dict:
    return {"camera_monitor_enabled": False}


def _camera(name: str, unit: str, n: int) -> dict:
    return {"name": name, "unit": unit, "url": f"rtsp://127.0.0.1:9/cam/{n}"}


async def _cameras(ctl) -> dict[str, str]:
    """Two cameras in district H01 (one in a commune), one in H02: name -> id."""
    ids = {}
    for i, (name, unit) in enumerate(
        [("H01-gate", "DEMO-H01"), ("H01-X01-desk", "DEMO-H01-X01"), ("H02-gate", "DEMO-H02")]
    ):
        r = await ctl.client.post(
            "/api/v1/cameras", json=_camera(name, unit, i), headers=ctl.auth(Role.admin)
        )
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    return ids


async def _endpoints(ctl) -> dict[str, str]:
    """One endpoint in a commune of H01, one in H02, each with a health row: name -> id."""
    ids = {}
    for i, (name, unit) in enumerate([("H01-X01-room", "DEMO-H01-X01"), ("H02-hall", "DEMO-H02")]):
        body = {
            "name": name,
            "unit": unit,
            "host": "127.0.0.1",
            "port": 3000 + i,
            "username": "admin",
            "password": "S3cret-9",
            "profile": "cisco-roomos",
        }
        r = await ctl.client.post("/api/v1/endpoints", json=body, headers=ctl.auth(Role.admin))
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    async with ctl.state.db.transaction() as session:
        for ep_id in ids.values():
            session.add(EndpointHealth(endpoint_id=uuid.UUID(ep_id), state="online", since=utcnow()))
    return ids


async def _paths(ctl, *codes: str) -> dict[str, str]:
    async with ctl.state.db.transaction() as session:
        rows = await session.scalars(select(Unit).where(Unit.code.in_(codes)))
        return {u.code: u.path for u in rows}


async def _alarm(ctl, name: str, unit_path: str) -> str:
    now = utcnow()
    async with ctl.state.db.transaction() as session:
        alarm = Alarm(
            dedupe_key=f"offline:{name}",
            entity_type="endpoint",
            entity_id=uuid.uuid4(),
            entity_name=name,
            unit_path=unit_path,
            kind="offline",
            severity="major",
            status="active",
            message="offline",
            first_seen=now,
            last_seen=now,
            raised_at=now,
        )
        session.add(alarm)
    return str(alarm.id)


async def test_a_district_technician_sees_and_changes_only_the_district_cameras(controller):
    c = controller.client
    ids = await _cameras(controller)
    tech = await _user(controller, "kt.h01", [{"role": "technician", "unit": "DEMO-H01"}])

    listed = (await c.get("/api/v1/cameras", headers=tech)).json()
    assert sorted(x["name"] for x in listed["items"]) == ["H01-X01-desk", "H01-gate"] and listed["total"] == 2
    # a filter naming a unit outside finds nothing, one above the district finds the district's
    assert (await c.get("/api/v1/cameras", params={"unit": "DEMO-H02"}, headers=tech)).json()["total"] == 0
    assert (await c.get("/api/v1/cameras", params={"unit": "DEMO"}, headers=tech)).json()["total"] == 2

    inside, outside = ids["H01-X01-desk"], ids["H02-gate"]
    r = await c.get(f"/api/v1/cameras/{inside}", headers=tech)
    assert r.status_code == 200 and r.json()["unit"]["code"] == "DEMO-H01-X01"
    r = await c.get(f"/api/v1/cameras/{inside}/health", headers=tech)
    assert r.status_code == 200 and r.json()["camera_id"] == inside
    r = await c.get(f"/api/v1/cameras/{inside}/health/history", headers=tech)
    assert r.status_code == 200 and r.json()["points"] == []
    r = await c.get(f"/api/v1/cameras/{inside}/thumbnail", headers=tech)
    assert r.status_code == 404 and "no thumbnail yet" in r.json()["detail"]  # found, never sampled
    r = await c.post(f"/api/v1/cameras/{inside}/reference", headers=tech)
    assert r.status_code == 202

    # outside: as unknown as a missing one, for reads and writes alike
    for method, suffix in [
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("GET", "/health"),
        ("GET", "/health/history"),
        ("GET", "/snapshot"),
        ("GET", "/thumbnail"),
        ("POST", "/reference"),
    ]:
        r = await c.request(
            method, f"/api/v1/cameras/{outside}{suffix}", headers=tech, json={} if method == "PATCH" else None
        )
        assert r.status_code == 404, (method, suffix, r.text)
        assert f"camera {outside} does not exist" in r.json()["detail"]
        missing = await c.request(
            method,
            f"/api/v1/cameras/{uuid.uuid4()}{suffix}",
            headers=tech,
            json={} if method == "PATCH" else None,
        )
        assert missing.status_code == 404 and missing.json()["title"] == r.json()["title"]

    r = await c.post("/api/v1/cameras", json=_camera("new", "DEMO-H02-X01", 10), headers=tech)
    assert r.status_code == 403 and "unit DEMO-H02-X01 is outside the units" in r.json()["detail"]
    r = await c.post("/api/v1/cameras", json=_camera("new", "DEMO-H01-X02", 11), headers=tech)
    assert r.status_code == 201 and r.json()["unit"]["code"] == "DEMO-H01-X02"
    # moving one of the district's cameras out of it is a write outside
    r = await c.patch(f"/api/v1/cameras/{ids['H01-gate']}", json={"unit": "DEMO-H02"}, headers=tech)
    assert r.status_code == 403
    admin = controller.auth(Role.admin)
    still = (await c.get(f"/api/v1/cameras/{ids['H01-gate']}", headers=admin)).json()
    assert still["unit"]["code"] == "DEMO-H01"
    r = await c.patch(f"/api/v1/cameras/{ids['H01-gate']}", json={"unit": "DEMO-H01-X03"}, headers=tech)
    assert r.status_code == 200 and r.json()["unit"]["code"] == "DEMO-H01-X03"
    # the camera outside is untouched, and a delete inside works
    assert (await c.get(f"/api/v1/cameras/{outside}", headers=admin)).status_code == 200
    assert (await c.delete(f"/api/v1/cameras/{inside}", headers=tech)).status_code == 204
    listed = (await c.get("/api/v1/cameras", headers=admin)).json()
    assert sorted(x["name"] for x in listed["items"]) == ["H01-gate", "H02-gate", "new"]


async def test_a_camera_csv_row_outside_the_district_is_a_row_error(controller):
    c = controller.client
    tech = await _user(controller, "kt.h01", [{"role": "technician", "unit": "DEMO-H01"}])
    csv = (
        "name,unit,url\n"
        "a,DEMO-H01-X01,rtsp://127.0.0.1:9/a\n"
        "b,DEMO-H02-X01,rtsp://127.0.0.1:9/b\n"
        "c,NO-SUCH-UNIT,rtsp://127.0.0.1:9/c\n"
    )
    files = {"file": ("f.csv", csv.encode(), "text/csv")}
    r = await c.post("/api/v1/cameras/import", files=files, headers=tech)
    problem = r.json()
    assert r.status_code == 422 and "nothing was imported" in problem["detail"]  # all or nothing
    assert [(e["line"], e["field"], e["value"], e["reason"]) for e in problem["errors"]] == [
        (3, "unit", "DEMO-H02-X01", "outside the units you are responsible for"),
        (4, "unit", "NO-SUCH-UNIT", "no unit with this code"),
    ]
    r = await c.post("/api/v1/cameras/import", params={"valid_only": "true"}, files=files, headers=tech)
    assert r.json()["imported"] == 1
    listed = (await c.get("/api/v1/cameras", headers=controller.auth(Role.admin))).json()
    assert [(x["name"], x["unit"]["code"]) for x in listed["items"]] == [("a", "DEMO-H01-X01")]


async def test_a_viewer_opens_only_on_a_camera_of_the_district(controller):
    c = controller.client
    ids = await _cameras(controller)
    viewer = await _user(controller, "ioc.h01", [{"role": "ioc_viewer", "unit": "DEMO-H01"}])
    admin = controller.auth(Role.admin)
    for name in ids:  # disabled: an offer that passes the scope gets a 409, and the relay is not touched
        r = await c.patch(f"/api/v1/cameras/{ids[name]}", json={"enabled": False}, headers=admin)
        assert r.status_code == 200
    sdp = {"Content-Type": "application/sdp"}
    r = await c.post(f"/whep/cameras/{ids['H02-gate']}", content=OFFER, headers=viewer | sdp)
    assert r.status_code == 404 and "does not exist" in r.json()["detail"]
    r = await c.post(f"/whep/cameras/{ids['H01-gate']}", content=OFFER, headers=viewer | sdp)
    assert r.status_code == 409 and "disabled" in r.json()["detail"]
    # province-wide: found
    r = await c.post(
        f"/whep/cameras/{ids['H02-gate']}", content=OFFER, headers=controller.auth(Role.ioc_viewer) | sdp
    )
    assert r.status_code == 409


async def test_province_wide_camera_readers_see_everything(controller):
    await _cameras(controller)
    for role in (Role.ioc_viewer, Role.technician, Role.host):
        r = await controller.client.get("/api/v1/cameras", headers=controller.auth(role))
        assert r.json()["total"] == 3, role


async def test_endpoint_health_keeps_to_the_district(controller):
    c = controller.client
    ids = await _endpoints(controller)
    viewer = await _user(controller, "ioc.h01", [{"role": "ioc_viewer", "unit": "DEMO-H01"}])

    listed = (await c.get("/api/v1/health/endpoints", headers=viewer)).json()
    assert [(h["name"], h["unit"]) for h in listed["items"]] == [("H01-X01-room", "DEMO-H01-X01")]
    assert listed["total"] == 1
    everyone = (await c.get("/api/v1/health/endpoints", headers=controller.auth(Role.ioc_viewer))).json()
    assert sorted(h["name"] for h in everyone["items"]) == ["H01-X01-room", "H02-hall"]

    inside, outside = ids["H01-X01-room"], ids["H02-hall"]
    r = await c.get(f"/api/v1/endpoints/{inside}/health", headers=viewer)
    assert r.status_code == 200 and r.json()["state"] == "online"
    r = await c.get(f"/api/v1/endpoints/{inside}/health/history", headers=viewer)
    assert r.status_code == 200 and r.json() == {"resolution": "raw", "points": []}
    for suffix in ("/health", "/health/history"):
        r = await c.get(f"/api/v1/endpoints/{outside}{suffix}", headers=viewer)
        assert r.status_code == 404, (suffix, r.text)
        r = await c.get(f"/api/v1/endpoints/{outside}{suffix}", headers=controller.auth(Role.ioc_viewer))
        assert r.status_code == 200, suffix


async def test_the_summary_of_a_district_has_the_district_at_its_top(controller):
    c = controller.client
    await _cameras(controller)
    await _endpoints(controller)
    viewer = await _user(controller, "ioc.h01", [{"role": "ioc_viewer", "unit": "DEMO-H01"}])

    units = (await c.get("/api/v1/health/summary", headers=viewer)).json()["units"]
    codes = [u["unit"] for u in units]
    assert codes == ["DEMO-H01", "DEMO-H01-X01", "DEMO-H01-X02", "DEMO-H01-X03"]
    top = units[0]
    assert top["parent"] is None  # the province is outside: the district is the top of the tree
    assert (top["total"], top["cameras_total"]) == (1, 2)
    assert top["counts"] == {"unknown": 1}
    communes = {u["unit"]: u for u in units[1:]}
    assert all(u["parent"] == top["id"] for u in communes.values())
    assert (communes["DEMO-H01-X01"]["total"], communes["DEMO-H01-X01"]["cameras_total"]) == (1, 1)
    # asking for the province gives the same tree; asking for another district, nothing
    r = await c.get("/api/v1/health/summary", params={"unit": "DEMO"}, headers=viewer)
    assert [u["unit"] for u in r.json()["units"]] == codes
    r = await c.get("/api/v1/health/summary", params={"unit": "DEMO-H02"}, headers=viewer)
    assert r.json()["units"] == []

    everyone = (await c.get("/api/v1/health/summary", headers=controller.auth(Role.ioc_viewer))).json()
    by_code = {u["unit"]: u for u in everyone["units"]}
    assert len(by_code) == 2 + 3 + 9  # central, province, 3 districts, 9 communes
    for code in ("TW", "DEMO"):
        assert (by_code[code]["total"], by_code[code]["cameras_total"]) == (2, 3)
    assert by_code["TW"]["parent"] is None and by_code["DEMO"]["parent"] == by_code["TW"]["id"]
    assert by_code["DEMO-H01"]["parent"] == by_code["DEMO"]["id"]
    assert (by_code["DEMO-H01"]["total"], by_code["DEMO-H01"]["cameras_total"]) == (1, 2)


async def test_alarms_keep_to_the_district(controller):
    c = controller.client
    paths = await _paths(controller, "DEMO-H01-X01", "DEMO-H02")
    inside = await _alarm(controller, "X01-room", paths["DEMO-H01-X01"])
    outside = await _alarm(controller, "H02-hall", paths["DEMO-H02"])
    tech = await _user(controller, "kt.h01", [{"role": "technician", "unit": "DEMO-H01"}])

    listed = (await c.get("/api/v1/alarms", headers=tech)).json()
    assert [(a["id"], a["entity_name"]) for a in listed["items"]] == [(inside, "X01-room")]
    assert listed["total"] == 1
    everyone = (await c.get("/api/v1/alarms", headers=controller.auth(Role.ioc_viewer))).json()
    assert sorted(a["entity_name"] for a in everyone["items"]) == ["H02-hall", "X01-room"]

    r = await c.post(f"/api/v1/alarms/{outside}/ack", json={"comment": "seen"}, headers=tech)
    assert r.status_code == 404 and f"alarm {outside} does not exist" in r.json()["detail"]
    async with controller.state.db.transaction() as session:
        assert (await session.get(Alarm, uuid.UUID(outside))).acknowledged_at is None
    r = await c.post(f"/api/v1/alarms/{inside}/ack", json={"comment": "called the commune"}, headers=tech)
    assert r.status_code == 200 and r.json()["acknowledged_by"] == "kt.h01"
    r = await c.post(
        f"/api/v1/alarms/{outside}/ack", json={"comment": "seen"}, headers=controller.auth(Role.technician)
    )
    assert r.status_code == 200


async def test_the_event_stream_sends_only_the_district_events(controller):
    paths = await _paths(controller, "DEMO-H01", "DEMO-H01-X01", "DEMO-H02")
    viewer = await _user(controller, "ioc.h01", [{"role": "ioc_viewer", "unit": "DEMO-H01"}])
    start = await controller.state.db.read(events.last_event_id)
    async with controller.state.db.transaction() as session:
        for type_, entity, unit_path in [
            ("endpoint.state", "in-commune", paths["DEMO-H01-X01"]),
            ("endpoint.state", "other-district", paths["DEMO-H02"]),
            ("session.started", "no-unit", None),
            ("camera.state", "in-district", paths["DEMO-H01"]),
        ]:
            kind = type_.split(".")[0]
            events.emit(
                session, controller.state.signal, type_, kind, entity, {"name": entity}, unit_path=unit_path
            )

    got = await read_events(controller.app, STREAM, viewer, count=2, query=f"after={start}")
    assert [(e, d["entity_id"]) for e, _, d in got] == [
        ("endpoint.state", "in-commune"),
        ("camera.state", "in-district"),
    ]
    everyone = await read_events(
        controller.app, STREAM, controller.auth(Role.ioc_viewer), count=4, query=f"after={start}"
    )
    assert [d["entity_id"] for _, _, d in everyone] == [
        "in-commune",
        "other-district",
        "no-unit",
        "in-district",
    ]
    # a host province-wide still gets the sessions' events (they have no unit)
    sessions = await read_events(
        controller.app, STREAM, controller.auth(Role.host), count=1, query=f"after={start}&types=session."
    )
    assert [d["entity_id"] for _, _, d in sessions] == ["no-unit"]
    # a province-wide viewer narrows the stream to one district and one kind of event
    h01 = await read_events(
        controller.app,
        STREAM,
        controller.auth(Role.ioc_viewer),
        count=1,
        query=f"after={start}&unit=DEMO-H01&types=camera.",
    )
    assert [d["entity_id"] for _, _, d in h01] == ["in-district"]
    both = await read_events(
        controller.app,
        STREAM,
        controller.auth(Role.ioc_viewer),
        count=2,
        query=f"after={start}&unit=DEMO-H01",
    )
    assert [d["entity_id"] for _, _, d in both] == ["in-commune", "in-district"]
    r = await controller.client.get(f"{STREAM}?unit=NO-SUCH", headers=controller.auth(Role.ioc_viewer))
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")

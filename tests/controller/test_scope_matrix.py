"""The RBAC matrix's scope axis: every route, called by someone who holds every role but only
over district H01, against what lies in district H02.

``SCOPE`` classifies each route of ``tests/controller/test_rbac.py``'s ``MATRIX`` (and that
matrix must list every route the application serves), so a new route is classified here or
this test fails:

- ``outside``: it addresses one thing by id; H02's answers 404, as if it did not exist
- ``list``: it lists or counts; nothing of H02 appears
- ``write``: it writes into a unit named in its body or query; H02 is refused with 403
- ``province``: only a province-wide grant may call it; the district's gets 403
- ``none``: it holds nothing of a unit (who am I, profiles, ICE servers, a viewer by its own id,
  saved selections and the standard's values are read by all; the stream is checked in
  tests/controller/test_scoped_cameras_health.py)
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from controller.models import Alarm, Unit, utcnow
from controller.roles import Role
from tests.conftest import PASSWORD
from tests.controller.test_rbac import MATRIX, X

OUTSIDE, LIST, WRITE, PROVINCE, NONE = "outside", "list", "write", "province", "none"
OFFER = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"

SCOPE: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/auth/me"): NONE,
    ("POST", "/api/v1/auth/sign-out-everywhere"): NONE,
    ("POST", "/api/v1/users/{id}/sign-out"): PROVINCE,
    ("GET", "/api/v1/users"): PROVINCE,
    ("POST", "/api/v1/users"): PROVINCE,
    ("GET", "/api/v1/users/{id}"): PROVINCE,
    ("PATCH", "/api/v1/users/{id}"): PROVINCE,
    ("DELETE", "/api/v1/users/{id}"): PROVINCE,
    ("GET", "/api/v1/api-keys"): PROVINCE,
    ("POST", "/api/v1/api-keys"): PROVINCE,
    ("DELETE", "/api/v1/api-keys/{id}"): PROVINCE,
    ("GET", "/api/v1/units"): LIST,
    ("GET", "/api/v1/units/tree"): LIST,
    ("GET", "/api/v1/units/{ref}"): OUTSIDE,
    ("POST", "/api/v1/units"): WRITE,
    ("PATCH", "/api/v1/units/{ref}"): OUTSIDE,
    ("DELETE", "/api/v1/units/{ref}"): OUTSIDE,
    ("POST", "/api/v1/units/import"): PROVINCE,
    ("GET", "/api/v1/endpoints"): LIST,
    ("POST", "/api/v1/endpoints"): WRITE,
    ("POST", "/api/v1/endpoints/import"): WRITE,
    ("GET", "/api/v1/endpoints/{id}"): OUTSIDE,
    ("PATCH", "/api/v1/endpoints/{id}"): OUTSIDE,
    ("DELETE", "/api/v1/endpoints/{id}"): OUTSIDE,
    ("POST", "/api/v1/endpoints/{id}/probe"): OUTSIDE,
    ("GET", "/api/v1/profiles"): NONE,
    ("GET", "/api/v1/profiles/{id}"): NONE,
    ("GET", "/api/v1/audit"): PROVINCE,
    ("GET", "/api/v1/standards"): NONE,
    ("PUT", "/api/v1/standards/{key}"): WRITE,
    ("DELETE", "/api/v1/standards/{key}"): WRITE,
    ("POST", "/api/v1/provisioning/jobs"): WRITE,
    ("POST", "/api/v1/provisioning/cameras"): WRITE,
    ("GET", "/api/v1/jobs"): LIST,
    ("GET", "/api/v1/jobs/{id}"): OUTSIDE,
    ("GET", "/api/v1/jobs/{id}/items"): OUTSIDE,
    ("GET", "/api/v1/jobs/{id}/events"): OUTSIDE,
    ("POST", "/api/v1/jobs/{id}/cancel"): OUTSIDE,
    ("POST", "/api/v1/jobs/{id}/resume"): OUTSIDE,
    ("GET", "/api/v1/firmware/compliance"): LIST,
    ("POST", "/api/v1/firmware/campaigns"): WRITE,
    ("POST", "/api/v1/firmware/campaigns/preview"): WRITE,
    ("POST", "/api/v1/endpoints/{id}/host-key/approve"): OUTSIDE,
    ("GET", "/api/v1/health/endpoints"): LIST,
    ("GET", "/api/v1/health/summary"): LIST,
    ("GET", "/api/v1/endpoints/{id}/health"): OUTSIDE,
    ("GET", "/api/v1/endpoints/{id}/health/history"): OUTSIDE,
    ("GET", "/api/v1/alarms"): LIST,
    ("POST", "/api/v1/alarms/{id}/ack"): OUTSIDE,
    ("GET", "/api/v1/events/stream"): NONE,
    ("GET", "/api/v1/cameras"): LIST,
    ("POST", "/api/v1/cameras"): WRITE,
    ("POST", "/api/v1/cameras/import"): WRITE,
    ("GET", "/api/v1/cameras/{id}"): OUTSIDE,
    ("PATCH", "/api/v1/cameras/{id}"): OUTSIDE,
    ("DELETE", "/api/v1/cameras/{id}"): OUTSIDE,
    ("GET", "/api/v1/cameras/{id}/health"): OUTSIDE,
    ("GET", "/api/v1/cameras/{id}/health/history"): OUTSIDE,
    ("GET", "/api/v1/cameras/{id}/snapshot"): OUTSIDE,
    ("GET", "/api/v1/cameras/{id}/thumbnail"): OUTSIDE,
    ("POST", "/api/v1/cameras/{id}/reference"): OUTSIDE,
    ("POST", "/whep/cameras/{id}"): OUTSIDE,
    ("GET", "/api/v1/relay/stats"): PROVINCE,
    ("GET", "/api/v1/relay/ice-servers"): NONE,
    ("DELETE", "/whep/viewers/{id}"): NONE,
    ("PATCH", "/whep/viewers/{id}"): NONE,
    ("GET", "/metrics"): PROVINCE,
    ("GET", "/api/v1/sinks"): PROVINCE,
    ("POST", "/api/v1/sinks"): PROVINCE,
    ("PATCH", "/api/v1/sinks/{id}"): PROVINCE,
    ("DELETE", "/api/v1/sinks/{id}"): PROVINCE,
    ("GET", "/api/v1/sinks/{id}/deliveries"): PROVINCE,
    ("POST", "/api/v1/sinks/{id}/replay"): PROVINCE,
    ("GET", "/api/v1/alerts/rules"): PROVINCE,
    ("POST", "/api/v1/alerts/rules"): PROVINCE,
    ("GET", "/api/v1/alerts/rules/{id}"): PROVINCE,
    ("PATCH", "/api/v1/alerts/rules/{id}"): PROVINCE,
    ("DELETE", "/api/v1/alerts/rules/{id}"): PROVINCE,
    ("POST", "/api/v1/alerts/rules/{id}/test"): PROVINCE,
    ("GET", "/api/v1/alerts/messages"): PROVINCE,
    ("POST", "/api/v1/alerts/messages/{id}/resend"): PROVINCE,
    ("GET", "/api/v1/bridges"): NONE,
    ("POST", "/api/v1/bridges"): PROVINCE,
    ("PATCH", "/api/v1/bridges/{id}"): PROVINCE,
    ("DELETE", "/api/v1/bridges/{id}"): PROVINCE,
    ("GET", "/api/v1/scopes"): NONE,
    ("POST", "/api/v1/scopes"): WRITE,
    ("DELETE", "/api/v1/scopes/{id}"): OUTSIDE,
    ("GET", "/api/v1/sessions"): LIST,
    ("POST", "/api/v1/sessions"): WRITE,
    ("GET", "/api/v1/sessions/{id}"): OUTSIDE,
    ("POST", "/api/v1/sessions/{id}/end"): OUTSIDE,
    ("POST", "/api/v1/sessions/{id}/participants"): OUTSIDE,
    ("DELETE", "/api/v1/sessions/{id}/participants/{id}"): OUTSIDE,
    ("POST", "/api/v1/sessions/{id}/participants/{id}/redial"): OUTSIDE,
    ("POST", "/api/v1/sessions/{id}/mute"): OUTSIDE,
    ("GET", "/api/v1/sessions/{id}/timeline"): OUTSIDE,
    ("GET", "/api/v1/sessions/{id}/attendance"): OUTSIDE,
    ("GET", "/api/v1/sessions/{id}/events"): OUTSIDE,
    ("POST", "/api/v1/readiness/runs"): WRITE,
    ("GET", "/api/v1/readiness/runs/{id}"): OUTSIDE,
    ("POST", "/api/v1/readiness/endpoints/{id}/check"): OUTSIDE,
    ("GET", "/api/v1/readiness/endpoints/{id}/history"): OUTSIDE,
    ("POST", "/api/v1/readiness/checks/{id}/ack"): OUTSIDE,
    ("GET", "/api/v1/readiness/board"): LIST,
    ("GET", "/api/v1/readiness/events"): OUTSIDE,
    ("GET", "/api/v1/readiness/report"): OUTSIDE,
    ("GET", "/api/v1/reports/monthly"): LIST,
}


def _template(path: str) -> str:
    return (
        path.split("?", 1)[0]  # the route, not the filter the matrix calls it with
        .replace(str(X), "{id}")
        .replace("NOPE", "{ref}")
        .replace("nope", "{id}")
        .replace("ntp_server", "{key}")
    )


def test_every_route_of_the_rbac_matrix_has_a_place_on_the_scope_axis():
    assert set(SCOPE) == {(m, _template(p)) for m, p, _, _ in MATRIX}


@pytest.fixture
def controller_settings() -> dict:
    return {"camera_monitor_enabled": False, "monitor_enabled": False}


async def _province(ctl) -> dict[str, Any]:
    """What lies in district H02 (and one of each in H01, to show the district still works)."""
    c, admin = ctl.client, ctl.auth(Role.admin)
    out: dict[str, Any] = {}
    for n, unit in ((1, "DEMO-H01-X01"), (2, "DEMO-H02-X01")):
        ep = {
            "name": f"ep{n}",
            "unit": unit,
            "host": "127.0.0.1",
            "port": 5000 + n,
            "username": "a",
            "password": "pw-123456",
            "profile": "cisco-roomos",
        }
        out[f"ep{n}"] = (await c.post("/api/v1/endpoints", json=ep, headers=admin)).json()["id"]
        cam = {"name": f"cam{n}", "unit": unit, "url": f"rtsp://127.0.0.1:9/cam/{n}"}
        out[f"cam{n}"] = (await c.post("/api/v1/cameras", json=cam, headers=admin)).json()["id"]
        job = {"mode": "plan", "endpoints": [out[f"ep{n}"]]}
        out[f"job{n}"] = (await c.post("/api/v1/provisioning/jobs", json=job, headers=admin)).json()["id"]
        meeting = {
            "title": f"Họp {n}",
            "start_at": "2030-01-01T08:00:00+07:00",
            "scope": {"endpoints": [out[f"ep{n}"]]},
        }
        out[f"session{n}"] = (await c.post("/api/v1/sessions", json=meeting, headers=admin)).json()["id"]
        saved = {"name": f"scope{n}", "scope": {"endpoints": [out[f"ep{n}"]]}}
        out[f"scope{n}"] = (await c.post("/api/v1/scopes", json=saved, headers=admin)).json()["id"]
    async with ctl.state.db.transaction() as session:
        paths = {u.code: u.path for u in await session.scalars(select(Unit))}
        now = utcnow()
        for n, unit in ((1, "DEMO-H01-X01"), (2, "DEMO-H02-X01")):
            alarm = Alarm(
                dedupe_key=f"offline:{n}",
                entity_type="endpoint",
                entity_id=uuid.UUID(out[f"ep{n}"]),
                entity_name=f"ep{n}",
                unit_path=paths[unit],
                kind="offline",
                severity="major",
                status="active",
                message="offline",
                first_seen=now,
                last_seen=now,
                raised_at=now,
            )
            session.add(alarm)
            await session.flush()
            out[f"alarm{n}"] = str(alarm.id)
    return out


def _path(template: str, things: dict[str, Any], n: int) -> str:
    """The route's path naming district ``n``'s thing of the kind its prefix says."""
    kinds = {
        "endpoints": "ep",
        "cameras": "cam",
        "jobs": "job",
        "sessions": "session",
        "alarms": "alarm",
        "scopes": "scope",
    }
    parts = template.split("/")
    out = []
    for i, part in enumerate(parts):
        if part == "{id}":
            owner = "endpoints" if parts[i - 1] == "participants" else parts[i - 1]
            # the province's things (users, keys, sinks, bridges) are refused before any lookup
            out.append(things[f"{kinds[owner]}{n}"] if owner in kinds else str(X))
        elif part == "{ref}":
            out.append(f"DEMO-H0{n}-X01")
        elif part == "{key}":
            out.append("ntp_server")
        else:
            out.append(part)
    return "/".join(out)


def _body(method: str, template: str, things: dict[str, Any], n: int) -> dict[str, Any]:
    """A request that would be accepted inside the district, aimed at district ``n``."""
    unit, ep = f"DEMO-H0{n}-X01", things[f"ep{n}"]
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/v1/units"): {
            "json": {"code": f"NEW-{n}", "name": "Xã mới", "level": "commune", "parent": unit}
        },
        ("POST", "/api/v1/endpoints"): {
            "json": {
                "name": f"new{n}",
                "unit": unit,
                "host": "127.0.0.1",
                "port": 5100 + n,
                "username": "a",
                "password": "pw-123456",
                "profile": "cisco-roomos",
            }
        },
        ("POST", "/api/v1/endpoints/import"): {
            "files": {
                "file": (
                    "f.csv",
                    (
                        "name,unit,host,port,username,password,profile\n"
                        f"csv{n},{unit},127.0.0.1,{5200 + n},a,pw-123456,cisco-roomos\n"
                    ).encode(),
                    "text/csv",
                )
            }
        },
        ("PUT", "/api/v1/standards/{key}"): {"json": {"value": "ntp.example"}, "params": {"unit": unit}},
        ("DELETE", "/api/v1/standards/{key}"): {"params": {"unit": unit}},
        ("POST", "/api/v1/provisioning/jobs"): {"json": {"mode": "plan", "unit": unit}},
        ("POST", "/api/v1/provisioning/cameras"): {"json": {"mode": "plan", "unit": unit}},
        ("POST", "/api/v1/firmware/campaigns"): {"json": {"profile": "cisco-roomos", "unit": unit}},
        ("POST", "/api/v1/firmware/campaigns/preview"): {"json": {"profile": "cisco-roomos", "unit": unit}},
        ("POST", "/api/v1/cameras"): {
            "json": {"name": f"newcam{n}", "unit": unit, "url": f"rtsp://127.0.0.1:9/new/{n}"}
        },
        ("POST", "/api/v1/cameras/import"): {
            "files": {
                "file": (
                    "f.csv",
                    (f"name,unit,url\ncsvcam{n},{unit},rtsp://127.0.0.1:9/csv/{n}\n").encode(),
                    "text/csv",
                )
            }
        },
        ("POST", "/api/v1/scopes"): {
            "json": {"name": f"new scope {n}", "scope": {"units": [{"unit": unit}]}}
        },
        ("POST", "/api/v1/sessions"): {
            "json": {
                "title": "x",
                "start_at": "2030-01-02T08:00:00+07:00",
                "scope": {"units": [{"unit": unit}]},
            }
        },
        ("POST", "/api/v1/alarms/{id}/ack"): {"json": {"comment": "đã gọi xã"}},
        ("POST", "/api/v1/sessions/{id}/participants"): {"json": {"endpoint": ep}},
        ("POST", "/api/v1/sessions/{id}/mute"): {"json": {"on": True}},
        ("POST", "/whep/cameras/{id}"): {
            "content": OFFER,
            "headers": {"Content-Type": "application/sdp"},
        },
        ("PATCH", "/api/v1/endpoints/{id}"): {"json": {"description": "x"}},
        ("PATCH", "/api/v1/cameras/{id}"): {"json": {"description": "x"}},
        ("PATCH", "/api/v1/units/{ref}"): {"json": {"name": "x"}},
        ("POST", "/api/v1/readiness/runs"): {"json": {"scope": {"units": [{"unit": unit}]}}},
        ("POST", "/api/v1/readiness/checks/{id}/ack"): {"json": {"kind": "fixed"}},
        ("GET", "/api/v1/readiness/report"): {"params": {"session": things[f"session{n}"]}},
        ("GET", "/api/v1/reports/monthly"): {"params": {"month": "2026-12"}},
    }
    return bodies.get((method, template), {"json": {}} if method in ("POST", "PATCH", "PUT") else {})


async def test_a_districts_grants_reach_the_district_and_nothing_else(controller):
    c = controller.client
    things = await _province(controller)
    r = await c.post(
        "/api/v1/users",
        json={
            "username": "h01",
            "password": PASSWORD,
            "grants": [{"role": r.value, "unit": "DEMO-H01"} for r in Role],
        },
        headers=controller.auth(Role.admin),
    )
    assert r.status_code == 201, r.text
    token = (await c.post("/api/v1/auth/token", data={"username": "h01", "password": PASSWORD})).json()
    district = {"Authorization": f"Bearer {token['access_token']}"}
    outside_ids = {v for k, v in things.items() if k.endswith("2")}
    inside_ids = {v for k, v in things.items() if k.endswith("1")}
    failures = []
    for (method, template), kind in sorted(SCOPE.items()):
        if kind == NONE or template.endswith("/events") or template.endswith("/stream"):
            continue
        path = _path(template, things, 2)
        kw = _body(method, template, things, 2)
        r = await c.request(method, path, headers=district | kw.pop("headers", {}), **kw)
        if kind == PROVINCE:
            ok = r.status_code == 403 and "province-wide" in r.text
        elif kind == OUTSIDE:
            ok = r.status_code == 404
        elif kind == WRITE:
            ok = r.status_code == 403 or (r.status_code == 422 and "outside the units" in r.text)
        else:  # LIST
            ok = r.status_code == 200 and not any(i in r.text for i in outside_ids)
            if template in (
                "/api/v1/endpoints",
                "/api/v1/cameras",
                "/api/v1/jobs",
                "/api/v1/alarms",
                "/api/v1/sessions",
            ):
                ok = ok and any(i in r.text for i in inside_ids)  # the district's own are there
        if not ok:
            failures.append((method, template, kind, r.status_code, r.text[:200]))
    assert failures == []

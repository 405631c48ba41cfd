"""Every route x every role -> the expected status. The table is written by hand
on purpose: it is the policy, and the meta-test fails when a route is added
without a row here."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from controller.roles import Role

A, T, H, V, OP = Role.admin, Role.technician, Role.host, Role.ioc_viewer, Role.ioc_operator
EVERYONE = {A, T, H, V, OP}
# an id that does not exist: allowed roles get 404, others 403 (fixed: test ids must not vary)
X = uuid.UUID("396cb83e-3e81-4a23-bef3-ebbb37a275cc")

# (method, path, roles allowed, status for an allowed role)
MATRIX = [
    ("GET", "/api/v1/auth/me", EVERYONE, 200),
    ("POST", "/api/v1/auth/sign-out-everywhere", EVERYONE, 204),
    ("POST", f"/api/v1/users/{X}/sign-out", {A}, 404),
    ("GET", "/api/v1/users", {A}, 200),
    ("POST", "/api/v1/users", {A}, 422),
    ("GET", f"/api/v1/users/{X}", {A}, 404),
    ("PATCH", f"/api/v1/users/{X}", {A}, 404),
    ("DELETE", f"/api/v1/users/{X}", {A}, 404),
    ("GET", "/api/v1/api-keys", {A}, 200),
    ("POST", "/api/v1/api-keys", {A}, 422),
    ("DELETE", f"/api/v1/api-keys/{X}", {A}, 404),
    ("GET", "/api/v1/units", EVERYONE, 200),
    ("GET", "/api/v1/units/tree", EVERYONE, 200),
    ("GET", "/api/v1/units/NOPE", EVERYONE, 404),
    ("POST", "/api/v1/units", {A, T}, 422),
    ("PATCH", "/api/v1/units/NOPE", {A, T}, 404),
    ("DELETE", "/api/v1/units/NOPE", {A, T}, 404),
    ("POST", "/api/v1/units/import", {A}, 422),
    ("GET", "/api/v1/endpoints", EVERYONE, 200),
    ("POST", "/api/v1/endpoints", {A, T}, 422),
    ("POST", "/api/v1/endpoints/import", {A, T}, 422),
    ("GET", f"/api/v1/endpoints/{X}", EVERYONE, 404),
    ("PATCH", f"/api/v1/endpoints/{X}", {A, T}, 404),
    ("DELETE", f"/api/v1/endpoints/{X}", {A, T}, 404),
    ("POST", f"/api/v1/endpoints/{X}/probe", {A, T}, 404),
    ("GET", "/api/v1/profiles", EVERYONE, 200),
    ("GET", "/api/v1/profiles/nope", EVERYONE, 404),
    ("GET", "/api/v1/audit", {A}, 200),
    ("GET", "/api/v1/standards", EVERYONE, 200),
    ("PUT", "/api/v1/standards/ntp_server", {A, T}, 422),
    ("DELETE", "/api/v1/standards/ntp_server", {A, T}, 204),
    ("POST", "/api/v1/provisioning/jobs", {A, T}, 422),
    ("POST", "/api/v1/provisioning/cameras", {A, T}, 422),
    ("GET", "/api/v1/jobs", EVERYONE, 200),
    ("GET", f"/api/v1/jobs/{X}", EVERYONE, 404),
    ("GET", f"/api/v1/jobs/{X}/items", EVERYONE, 404),
    ("GET", f"/api/v1/jobs/{X}/events", EVERYONE, 404),
    ("POST", f"/api/v1/jobs/{X}/cancel", {A, T}, 404),
    ("POST", f"/api/v1/jobs/{X}/resume", {A, T}, 404),
    ("GET", "/api/v1/firmware/compliance", EVERYONE, 200),
    ("POST", "/api/v1/firmware/campaigns", {A, T}, 422),
    ("POST", "/api/v1/firmware/campaigns/preview", {A, T}, 422),
    ("POST", f"/api/v1/endpoints/{X}/host-key/approve", {A, T}, 404),
    ("GET", "/api/v1/health/endpoints", EVERYONE, 200),
    ("GET", "/api/v1/health/summary", EVERYONE, 200),
    ("GET", f"/api/v1/endpoints/{X}/health", EVERYONE, 404),
    ("GET", f"/api/v1/endpoints/{X}/health/history", EVERYONE, 404),
    ("GET", "/api/v1/alarms", EVERYONE, 200),
    ("POST", f"/api/v1/alarms/{X}/ack", {A, T, OP}, 422),
    ("GET", "/api/v1/events/stream", EVERYONE, 200),
    ("GET", "/api/v1/cameras", EVERYONE, 200),
    ("POST", "/api/v1/cameras", {A, T}, 422),
    ("POST", "/api/v1/cameras/import", {A, T}, 422),
    ("GET", f"/api/v1/cameras/{X}", EVERYONE, 404),
    ("PATCH", f"/api/v1/cameras/{X}", {A, T}, 404),
    ("DELETE", f"/api/v1/cameras/{X}", {A, T}, 404),
    ("GET", f"/api/v1/cameras/{X}/health", EVERYONE, 404),
    ("GET", f"/api/v1/cameras/{X}/health/history", EVERYONE, 404),
    ("GET", f"/api/v1/cameras/{X}/snapshot", EVERYONE, 404),
    ("GET", f"/api/v1/cameras/{X}/thumbnail", EVERYONE, 404),
    ("POST", f"/api/v1/cameras/{X}/reference", {A, T}, 404),
    ("POST", f"/whep/cameras/{X}", EVERYONE, 422),
    ("GET", "/api/v1/relay/stats", EVERYONE, 200),
    ("GET", "/api/v1/relay/ice-servers", EVERYONE, 200),
    ("DELETE", f"/whep/viewers/{X}", EVERYONE, 404),
    ("PATCH", f"/whep/viewers/{X}", EVERYONE, 405),
    ("GET", "/metrics", {A, T, V, OP}, 200),
    ("GET", "/api/v1/sinks", {A}, 200),
    ("POST", "/api/v1/sinks", {A}, 422),
    ("PATCH", f"/api/v1/sinks/{X}", {A}, 404),
    ("DELETE", f"/api/v1/sinks/{X}", {A}, 404),
    ("GET", f"/api/v1/sinks/{X}/deliveries", {A}, 404),
    ("POST", f"/api/v1/sinks/{X}/replay", {A}, 404),
    ("GET", "/api/v1/alerts/rules", {A, OP}, 200),
    ("POST", "/api/v1/alerts/rules", {A}, 422),
    ("GET", f"/api/v1/alerts/rules/{X}", {A, OP}, 404),
    ("PATCH", f"/api/v1/alerts/rules/{X}", {A}, 404),
    ("DELETE", f"/api/v1/alerts/rules/{X}", {A}, 404),
    ("POST", f"/api/v1/alerts/rules/{X}/test", {A}, 404),
    ("GET", "/api/v1/alerts/messages", {A, OP}, 200),
    ("POST", f"/api/v1/alerts/messages/{X}/resend", {A}, 404),
    ("GET", "/api/v1/bridges", EVERYONE, 200),
    ("POST", "/api/v1/bridges", {A}, 422),
    ("PATCH", f"/api/v1/bridges/{X}", {A}, 404),
    ("DELETE", f"/api/v1/bridges/{X}", {A}, 404),
    ("GET", "/api/v1/scopes", EVERYONE, 200),
    ("POST", "/api/v1/scopes", {A, H}, 422),
    ("DELETE", f"/api/v1/scopes/{X}", {A, H}, 404),
    ("GET", "/api/v1/sessions", EVERYONE, 200),
    ("POST", "/api/v1/sessions", {A, H}, 422),
    ("GET", f"/api/v1/sessions/{X}", EVERYONE, 404),
    ("POST", f"/api/v1/sessions/{X}/end", {A, H}, 404),
    ("POST", f"/api/v1/sessions/{X}/participants", {A, H}, 422),
    ("DELETE", f"/api/v1/sessions/{X}/participants/{X}", {A, H}, 404),
    ("POST", f"/api/v1/sessions/{X}/participants/{X}/redial", {A, H}, 404),
    ("POST", f"/api/v1/sessions/{X}/mute", {A, H}, 404),
    ("GET", f"/api/v1/sessions/{X}/timeline", EVERYONE, 404),
    ("GET", f"/api/v1/sessions/{X}/attendance", EVERYONE, 404),
    ("GET", f"/api/v1/sessions/{X}/events", EVERYONE, 404),
    ("POST", "/api/v1/readiness/runs", {A, T, H}, 422),
    ("GET", f"/api/v1/readiness/runs/{X}", EVERYONE, 404),
    ("POST", f"/api/v1/readiness/endpoints/{X}/check", {A, T, H}, 404),
    ("GET", f"/api/v1/readiness/endpoints/{X}/history", EVERYONE, 404),
    ("POST", f"/api/v1/readiness/checks/{X}/ack", {A, T, H}, 422),
    ("GET", "/api/v1/readiness/board", EVERYONE, 200),
    ("GET", f"/api/v1/readiness/events?session={X}", EVERYONE, 404),
    ("GET", f"/api/v1/readiness/report?session={X}", EVERYONE, 404),
    ("GET", "/api/v1/reports/monthly?month=2026-12", EVERYONE, 200),
]
# Routes anyone may call: the login, liveness, the API description and docs page, CORS
# preflights (they carry no credentials, by the CORS rules) and the static console.
PUBLIC = {
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/logout"),
    # single sign-on: the sign-in page's choices, and the browser's trip to the portal and back
    ("GET", "/api/v1/auth/methods"),
    ("GET", "/api/v1/auth/oidc/start"),
    ("GET", "/api/v1/auth/oidc/callback"),
    # an alert message's acknowledgement link: the signed link is the credential
    ("GET", "/api/v1/alerts/ack/{id}"),
    ("POST", "/api/v1/alerts/ack/{id}"),
    ("GET", "/healthz"),
    ("GET", "/openapi.json"),
    ("GET", "/asyncapi.json"),  # the events' contract, public like the API's
    ("GET", "/docs"),
    ("GET", "/docs/start.js"),
    ("OPTIONS", "/whep/cameras/{id}"),
    ("OPTIONS", "/whep/viewers/{id}"),
}
STATIC = {"/console", "/docs/assets"}  # mounted directories of files


def _template(path: str) -> str:
    return (
        path.split("?", 1)[0]
        .replace(str(X), "{id}")
        .replace("NOPE", "{ref}")
        .replace("nope", "{id}")
        .replace("ntp_server", "{key}")
    )


def _served(app) -> tuple[set[tuple[str, str]], set[str]]:
    """Every (method, path template) the application serves, hidden routes included, and
    its mounted directories: read from its routes, not from the OpenAPI document."""
    routes, mounts = set(), set()
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, Mount):
            mounts.add(context.path)
            continue
        path = re.sub(r"\{(?!(?:ref|key)\})[a-z_]+\}", "{id}", context.path)
        methods = set(context.methods or ())
        if "GET" in methods:
            methods.discard("HEAD")  # Starlette answers HEAD wherever it answers GET
        routes |= {(m, path) for m in methods}
    return routes, mounts


def test_every_route_is_in_the_matrix(controller):
    routes, mounts = _served(controller.app)
    in_matrix = {(m, _template(p)) for m, p, _, _ in MATRIX} | PUBLIC
    assert routes == in_matrix
    assert mounts == STATIC
    # the OpenAPI document lists a subset: the hidden routes are in the matrix all the same
    documented = {
        (m.upper(), re.sub(r"\{(?!(?:ref|key)\})[a-z_]+\}", "{id}", p))
        for p, ops in controller.app.openapi()["paths"].items()
        for m in ops
    }
    assert documented < routes


async def test_public_routes_answer_without_credentials(controller):
    c = controller.client
    assert (await c.get("/healthz")).json() == {"status": "ok"}
    assert (await c.get("/openapi.json")).status_code == 200
    assert (await c.get("/asyncapi.json")).status_code == 200
    assert (await c.get("/docs")).status_code == 200
    assert (await c.get("/docs/start.js")).status_code == 200
    assert (await c.get("/docs/assets/swagger-ui.css")).status_code == 200
    assert (await c.get("/console/")).status_code == 200
    for path in (f"/whep/cameras/{X}", f"/whep/viewers/{X}"):
        r = await c.options(path)
        assert r.status_code == 204 and "access-control-allow-origin" not in r.headers


def test_openapi_records_each_routes_roles(controller):
    spec = controller.app.openapi()
    op = spec["paths"]["/api/v1/endpoints"]["post"]
    assert op["x-roles"] == ["admin", "technician"]
    assert spec["paths"]["/api/v1/audit"]["get"]["x-roles"] == ["admin"]


@pytest.mark.parametrize(
    ("method", "path", "allowed", "ok"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX]
)
async def test_role_matrix(controller, method, path, allowed, ok):
    kwargs = {"json": {}} if method in ("POST", "PATCH") and not path.endswith("/import") else {}
    if path in ("/api/v1/endpoints/import", "/api/v1/cameras/import"):
        kwargs = {"files": {"file": ("x.csv", b"name\n", "text/csv")}}
    for role in Role:
        if path.endswith("/events/stream") and role in allowed:  # never ends: read its start only
            from tests.support.sse import read_events

            assert await read_events(controller.app, path, controller.auth(role), count=0) == []
            continue
        r = await controller.client.request(method, path, headers=controller.auth(role), **kwargs)
        expected = ok if role in allowed else 403
        assert r.status_code == expected, (role, r.status_code, r.text)
        if expected == 403:
            assert r.json()["type"] == "urn:diemcau:problem:forbidden"
    r = await controller.client.request(method, path, **kwargs)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    r = await controller.client.request(
        method, path, headers={"Authorization": "Bearer forged.jwt.value"}, **kwargs
    )
    assert r.status_code == 401


async def test_api_keys_authenticate_machines_and_can_be_revoked(controller):
    r = await controller.client.post(
        "/api/v1/api-keys",
        json={"name": "IOC bus", "role": "ioc_viewer"},
        headers=controller.auth(Role.admin),
    )
    assert r.status_code == 201
    key, key_id = r.json()["key"], r.json()["id"]
    h = {"Authorization": f"Bearer {key}"}
    me = (await controller.client.get("/api/v1/auth/me", headers=h)).json()
    assert me == {
        "name": "IOC bus",
        "role": "ioc_viewer",
        "kind": "api_key",
        "view": None,
        "grants": [{"role": "ioc_viewer", "unit": None}],
    }
    assert (await controller.client.post("/api/v1/endpoints", json={}, headers=h)).status_code == 403
    listed = (await controller.client.get("/api/v1/api-keys", headers=controller.auth(Role.admin))).json()
    assert "key" not in listed[0] and listed[0]["last_used_at"] is not None
    await controller.client.delete(f"/api/v1/api-keys/{key_id}", headers=controller.auth(Role.admin))
    assert (await controller.client.get("/api/v1/auth/me", headers=h)).status_code == 401


async def test_disabled_user_loses_access_at_once(controller):
    users = (await controller.client.get("/api/v1/users", headers=controller.auth(Role.admin))).json()
    host = next(u for u in users if u["username"] == "host1")
    r = await controller.client.patch(
        f"/api/v1/users/{host['id']}", json={"disabled": True}, headers=controller.auth(Role.admin)
    )
    assert r.status_code == 200
    assert (
        await controller.client.get("/api/v1/auth/me", headers=controller.auth(Role.host))
    ).status_code == 401


async def test_wrong_password_and_last_admin_protection(controller):
    r = await controller.client.post("/api/v1/auth/token", data={"username": "admin1", "password": "nope"})
    assert r.status_code == 401 and r.json()["type"] == "urn:diemcau:problem:unauthorized"
    users = (await controller.client.get("/api/v1/users", headers=controller.auth(Role.admin))).json()
    admin = next(u for u in users if u["username"] == "admin1")
    r = await controller.client.patch(
        f"/api/v1/users/{admin['id']}", json={"role": "host"}, headers=controller.auth(Role.admin)
    )
    assert r.status_code == 409 and "last active admin" in r.json()["detail"]


async def test_password_login_issues_a_working_token(controller):
    from tests.conftest import PASSWORD

    r = await controller.client.post("/api/v1/auth/token", data={"username": "host1", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["role"] == "host" and r.json()["expires_in"] == 3600
    h = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert (await controller.client.get("/api/v1/auth/me", headers=h)).json()["name"] == "host1"

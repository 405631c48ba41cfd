"""Single sign-on with the province's portal: OpenID Connect, authorization code with PKCE,
against a real certified provider (panva/oidc-provider under node) on loopback.

The browser goes to the portal, signs in on the portal's own pages, and comes back to the
controller, which checks everything it is handed. Every refusal sends the browser back to
the console with a code (never a 500 page) and is audited.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
from sqlalchemy import select

from controller.bench.harness import free_port
from controller.directory_settings import OidcSettings
from controller.models import AuditRecord, User
from controller.roles import Role
from controller.users.oidc import COOKIE, OidcClient
from tests.conftest import PASSWORD
from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, oidc_provider, sign_in_at_portal

REDIRECT = "http://127.0.0.1/api/v1/auth/oidc/callback"
GROUPS = """
groups:
  - group: /ioc/tinh
    grants: [{role: ioc_viewer}]
  - group: /kythuat/h01
    grants: [{role: technician, unit: DEMO-H01}]
"""


@pytest.fixture(scope="module")
def portal():
    with oidc_provider(REDIRECT) as running:
        yield running


def _oidc(issuer: str) -> dict:
    return {
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": REDIRECT,
        "label": "Cổng đăng nhập một lần",
        "timeout_s": 3,
    }


@pytest.fixture
def controller_settings(portal, tmp_path) -> dict:
    groups = tmp_path / "groups.yaml"
    groups.write_text(GROUPS, encoding="utf-8")
    return {"oidc": _oidc(portal.issuer), "directory_groups_file": groups}


async def _to_portal(c: httpx.AsyncClient, login: str) -> str:
    """The browser's trip: to the portal, signed in there, and the address it is sent back to."""
    r = await c.get("/api/v1/auth/oidc/start")
    assert r.status_code == 303, r.text
    async with httpx.AsyncClient() as browser:
        return await sign_in_at_portal(browser, r.headers["location"], login, REDIRECT)


async def _back(c: httpx.AsyncClient, url: str) -> str:
    """The controller's answer to the portal's redirect: the console's fragment."""
    parts = urlsplit(url)
    r = await c.get(f"{parts.path}?{parts.query}")
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    assert location.startswith("/console/#")
    return location.split("#", 1)[1]


async def _sso(controller, login: str) -> str:
    return await _back(controller.client, await _to_portal(controller.client, login))


async def _refused(controller, code: str) -> AuditRecord:
    async with controller.state.db.transaction() as session:
        rows = list(
            await session.scalars(
                select(AuditRecord).where(AuditRecord.action.in_(["login.sso_refused", "login.no_access"]))
            )
        )
    found = [r for r in rows if r.summary.get("code") == code]
    assert found, f"no audit record for {code}: {[r.summary for r in rows]}"
    return found[0]


async def test_the_portal_signs_people_in_with_their_groups_grants(controller):
    c = controller.client
    r = await c.get("/api/v1/auth/methods")
    assert r.json() == {"password": True, "directory": False, "sso": {"label": "Cổng đăng nhập một lần"}}
    start = await c.get("/api/v1/auth/oidc/start")
    cookie = start.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/api/v1/auth/oidc/callback" in cookie
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43

    fragment = await _sso(controller, "minh")
    assert fragment.startswith("sso=drt_")
    # the console swaps the one-time refresh token for its own tokens at once
    r = await c.post(
        "/api/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": fragment[4:]}
    )
    assert r.status_code == 200, r.text
    me = (
        await c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    ).json()
    assert me["name"] == "minh" and me["grants"] == [{"role": "technician", "unit": "DEMO-H01"}]
    async with controller.state.db.transaction() as session:
        user = await session.scalar(select(User).where(User.username == "minh"))
        assert (user.source, user.full_name) == ("oidc", "Trần Văn Minh")
    # the fragment's token worked once: a copy left in the browser's history is refused
    r = await c.post(
        "/api/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": fragment[4:]}
    )
    assert r.status_code == 401


async def test_an_answer_for_another_sign_in_is_refused(controller):
    c = controller.client
    back = urlsplit(await _to_portal(c, "lan"))
    query = parse_qs(back.query)
    forged = urlencode({"code": query["code"][0], "state": "not-the-state"})
    assert await _back(c, f"{back.path}?{forged}") == "sso-error=oidc.bad_state"
    assert (await _refused(controller, "oidc.bad_state")).actor == "system:system"


async def test_a_callback_in_a_browser_that_did_not_start_is_refused(controller, portal):
    url = await _to_portal(controller.client, "lan")
    transport = httpx.ASGITransport(app=controller.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        assert await _back(other, url) == "sso-error=oidc.no_state"
    await _refused(controller, "oidc.no_state")


async def test_an_id_token_for_another_nonce_is_refused(controller):
    """The portal's ID token carries the nonce of the sign-in it was made for; a cookie whose
    nonce differs (an ID token replayed into another attempt) is refused."""
    c = controller.client
    url = await _to_portal(c, "lan")
    key = controller.state.box.derived_key("oidc-state")
    attempt = jwt.decode(c.cookies[COOKIE], key, algorithms=["HS256"])
    c.cookies.set(COOKIE, jwt.encode(attempt | {"nonce": "another"}, key, algorithm="HS256"))
    assert await _back(c, url) == "sso-error=oidc.bad_nonce"


async def test_a_code_works_once(controller):
    c = controller.client
    url = await _to_portal(c, "lan")
    cookie = c.cookies[COOKIE]
    assert (await _back(c, url)).startswith("sso=")
    c.cookies.set(COOKIE, cookie)  # the same answer replayed, cookie and all
    assert await _back(c, url) == "sso-error=oidc.exchange_failed"


@pytest.mark.parametrize(
    ("login", "code"),
    [("hoa", "directory.no_access"), ("bad name", "oidc.bad_claims")],
)
async def test_people_the_controller_cannot_let_in_are_told_why(controller, login, code):
    assert await _sso(controller, login) == f"sso-error={code}"
    record = await _refused(controller, code)
    if code == "directory.no_access":
        assert record.summary["username"] == "hoa" and record.summary["groups"] == ["/ketoan"]


async def test_the_portal_cannot_claim_a_local_account(controller):
    r = await controller.client.post(
        "/api/v1/users",
        json={"username": "lan", "password": PASSWORD, "role": "admin"},
        headers=controller.auth(Role.admin),
    )
    assert r.status_code == 201
    assert await _sso(controller, "lan") == "sso-error=directory.name_taken"


async def test_the_portal_refusing_at_its_end_is_told(controller):
    url = await _to_portal(controller.client, "lan")
    query = parse_qs(urlsplit(url).query)
    denied = urlencode({"error": "access_denied", "state": query["state"][0]})
    assert (
        await _back(controller.client, f"/api/v1/auth/oidc/callback?{denied}")
        == "sso-error=oidc.provider_error"
    )


async def test_a_portal_that_is_down_sends_the_browser_back_with_the_reason(controller, caplog):
    state = controller.state
    down = OidcSettings(**_oidc(f"http://127.0.0.1:{free_port()}"))
    state.directory = replace(state.directory, oidc=OidcClient(down, state.box))
    r = await controller.client.get("/api/v1/auth/oidc/start")
    assert r.status_code == 303
    assert r.headers["location"] == "/console/#sso-error=directory.unavailable"
    assert "sso portal unavailable" in caplog.text


def test_settings_refuse_a_clear_text_portal():
    with pytest.raises(ValueError, match="https"):
        OidcSettings(**_oidc("http://sso.tinh.vn"))
    with pytest.raises(ValueError, match="openid"):
        OidcSettings(**_oidc("https://sso.tinh.vn") | {"scopes": "profile"})
    assert OidcSettings(**_oidc("https://sso.tinh.vn") | {"redirect_uri": "https://diemcau.tinh.vn/cb"})

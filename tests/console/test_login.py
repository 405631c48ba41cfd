"""Signing in, the role's home view, the language switch and a wrong password, in real Chromium."""

from __future__ import annotations

import httpx

from tests.console.conftest import LAPTOP, open_console


def test_wrong_password_is_refused_in_vietnamese(browser, province):
    page = browser.new_page(viewport=LAPTOP)
    page.goto(f"{province.url}/console/")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.fill("#username", "technician")
    page.fill("#password", "not-the-password")
    page.click("#login button[type=submit]")
    page.wait_for_selector("#login-error:text('Sai tên đăng nhập hoặc mật khẩu')")
    assert page.locator("#bar").is_hidden()
    page.close()


def test_each_role_lands_on_its_view_and_sees_only_its_menus(browser, province):
    expected = {
        "ioc_viewer": ("ioc", ["ioc", "list", "ready"]),
        "ioc_operator": ("ioc", ["ioc", "list", "ready"]),
        "technician": ("tech", ["ioc", "list", "tech", "ready"]),
        "host": ("host", ["ioc", "list", "host", "ready"]),
        "admin": ("ioc", ["ioc", "list", "tech", "host", "ready"]),
    }
    for role, (home, menus) in expected.items():
        page = open_console(browser, province, role)
        page.wait_for_url(f"**/console/#/{home}")
        assert page.eval_on_selector_all("#nav a", "els => els.map(e => e.dataset.route)") == menus
        page.goto(f"{province.url}/console/#/tech")
        if "tech" not in menus:
            page.wait_for_selector("main .error")
        page.context.close()


def test_language_switch_to_english_and_back(browser, province):
    page = open_console(browser, province, "ioc_viewer")
    assert page.inner_text("#logout") == "Đăng xuất"
    page.select_option("#lang", "en")
    page.wait_for_selector("#logout:text('Sign out')")
    assert page.locator("html").get_attribute("lang") == "en"
    page.reload()  # the choice is remembered
    page.wait_for_selector("#logout:text('Sign out')")
    page.select_option("#lang", "vi")
    page.wait_for_selector("#logout:text('Đăng xuất')")
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()


def test_the_console_runs_under_its_content_security_policy(browser, province):
    """No inline script or style: every view of every role renders and nothing is refused."""
    csp = httpx.get(f"{province.url}/console/").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    api = province.api("admin")
    ep = api.get("/endpoints", params={"q": "DEMO-vc001"}).json()["items"][0]
    cam = api.get("/cameras").json()["items"][0]
    page = open_console(browser, province, "admin")
    for route, ready in (
        ("ioc", "#nav a[data-route=ioc]"),
        ("tech", "main [role=tabpanel]"),
        ("host", "main"),
        (f"endpoint/{ep['id']}", ".chart[data-measure=latency]"),
        (f"camera/{cam['id']}", "#details-live video"),
    ):
        page.goto(f"{province.url}/console/#/{route}")
        page.wait_for_selector(ready, state="attached")
    page.goto(f"{province.url}/console/player.html#camera={cam['id']}&token={province.token('admin')}")
    page.wait_for_function("() => window.__player && window.__player.state !== 'idle'")
    assert page.evaluate("window.__csp") == []
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()


def test_sign_out_ends_the_sign_in_on_the_controller(browser, province):
    """The sign-out button does not just forget the token: the controller refuses it after."""
    page = open_console(browser, province, "technician")
    token = page.evaluate("sessionStorage.getItem('diemcau.token')")
    refresh = page.evaluate("sessionStorage.getItem('diemcau.refresh')")
    assert token and refresh.startswith("drt_")
    me = httpx.get(f"{province.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    page.click("#logout")
    page.wait_for_selector("#login")
    assert page.evaluate("sessionStorage.getItem('diemcau.token')") is None
    me = httpx.get(f"{province.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401
    renew = httpx.post(
        f"{province.url}/api/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": refresh}
    )
    assert renew.status_code == 401
    page.context.close()


def test_a_wall_display_signs_in_with_its_key_and_opens_only_its_view(browser, province):
    admin = province.api("admin")
    made = admin.post(
        "/api-keys", json={"name": "Tường IOC tầng 3", "role": "ioc_viewer", "view": "ioc"}
    ).json()
    context = browser.new_context(viewport=LAPTOP, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{province.url}/console/")
    page.click("details.wall-key summary")
    page.fill("#wall-key", "dck_not-a-real-key")
    page.click("#wall-key-use")
    page.wait_for_selector("#login-error:text('Khóa thiết bị không đúng hoặc đã bị thu hồi')")
    page.fill("#wall-key", made["key"])
    page.click("#wall-key-use")
    page.wait_for_url("**/console/#/ioc")
    page.wait_for_selector("#ioc-wall")
    assert page.eval_on_selector_all("#nav a", "els => els.map(e => e.dataset.route)") == ["ioc"]
    page.reload()  # a wall reboots: the key is kept
    page.wait_for_selector("#ioc-wall")
    page.goto(f"{province.url}/console/#/endpoint/00000000-0000-0000-0000-000000000000")
    page.wait_for_selector("main .error")  # bound to the IOC view: nothing else opens
    admin.delete(f"/api-keys/{made['id']}")  # revoked: the wall is back at the login page
    page.goto(f"{province.url}/console/#/ioc")
    page.reload()
    page.wait_for_selector("#login")
    context.close()


def test_a_district_technician_works_on_the_district(browser, province):
    """Scoped grants in the console: the bar says where, the registry lists the unit's only."""
    admin = province.api("admin")
    unit = "DEMO-H01"  # the small demo's endpoints are all at the province office: give the district one
    added = admin.post(
        "/endpoints",
        json={
            "name": "Huyện 1 hội trường",
            "unit": "DEMO-H01-X01",
            "host": "127.0.0.1",
            "port": 2999,
            "username": "admin",
            "password": "S3cret-9",
            "profile": "cisco-roomos",
        },
    )
    added.raise_for_status()
    user = admin.post(
        "/users",
        json={
            "username": "kt.don.vi",
            "password": "Mat-khau-2026",
            "grants": [{"role": "technician", "unit": unit}],
        },
    )
    user.raise_for_status()
    try:
        _district_view(browser, province, admin, unit)
    finally:  # the province is shared by the console tests: leave it as it was
        admin.delete(f"/endpoints/{added.json()['id']}")
        admin.delete(f"/users/{user.json()['id']}")


def _district_view(browser, province, admin, unit: str) -> None:
    page = browser.new_page(viewport=LAPTOP)
    page.goto(f"{province.url}/console/")
    page.fill("#username", "kt.don.vi")
    page.fill("#password", "Mat-khau-2026")
    page.click("#login button[type=submit]")
    page.wait_for_selector("#bar:not([hidden])")
    assert unit in page.inner_text("#who")
    assert page.eval_on_selector_all("#nav a", "els => els.map(e => e.dataset.route)") == [
        "ioc",
        "list",
        "tech",
        "ready",
    ]
    page.goto(f"{province.url}/console/#/tech")
    page.wait_for_selector("#ep-table tbody tr")
    shown = page.eval_on_selector_all("#ep-table tbody tr", "trs => trs.map(tr => tr.dataset.name)")
    inside = admin.get("/endpoints", params={"unit": unit, "limit": 1000}).json()
    everything = admin.get("/endpoints", params={"limit": 1}).json()["total"]
    assert sorted(shown) == sorted(e["name"] for e in inside["items"]) and inside["total"] < everything
    page.close()

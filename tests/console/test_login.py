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
        "ioc_viewer": ("ioc", ["ioc"]),
        "technician": ("tech", ["ioc", "tech"]),
        "host": ("host", ["ioc", "host"]),
        "admin": ("ioc", ["ioc", "tech", "host"]),
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

"""The API docs page in real Chromium: Swagger UI from the controller itself, under the CSP."""

from __future__ import annotations

from tests.console.conftest import LAPTOP, RECORD_CSP_VIOLATIONS


def test_the_docs_page_renders_the_api_without_a_cdn_or_a_csp_violation(browser, province):
    context = browser.new_context(viewport=LAPTOP)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("request", lambda req: None if req.url.startswith(province.url) else outside.append(req.url))
    page.goto(f"{province.url}/docs")
    page.wait_for_selector(".opblock-summary-path[data-path='/api/v1/auth/token']")
    assert page.locator(".opblock").count() > 50
    assert page.evaluate("window.__csp") == []
    assert errors == []
    assert [u for u in outside if not u.startswith("data:")] == []
    context.close()

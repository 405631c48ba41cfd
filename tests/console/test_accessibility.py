"""Every console view, for each role that opens it, checked by axe-core in real Chromium.

axe-core (pinned in tests/support/axe, installed by `make setup`) runs on the login page,
the IOC view (viewer, operator, admin) and its device lists, the host's list,
new-session form, live board (with a participant's menu and the end dialog) and
attendance, the technician's tabs (endpoints and the register form, import,
provisioning with a job opened, firmware) and an endpoint's and a camera's details, at
1920x1080 and at 1366x768. No violation may be "serious" or "critical".

The console's Content-Security-Policy (script-src 'self') stays on: axe is served by a
Playwright route at a same-origin address the controller does not have, so it loads as
any console script does, and it runs through functions passed to page.evaluate.

Set DIEMCAU_A11Y_REPORT=<file> to keep the summary (view → violations by impact, rules
passed) as JSON; it is also printed (`pytest -s`).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.console.conftest import LAPTOP, RECORD_CSP_VIOLATIONS, WALL, Province, open_console

AXE_JS = Path(__file__).resolve().parents[1] / "support" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_PATH = "/console/__test-axe.min.js"  # answered by the test's route, never by the controller
BLOCKING = ("critical", "serious")
IMPACTS = ("critical", "serious", "moderate", "minor")
VIEWPORTS = pytest.mark.parametrize("viewport", [WALL, LAPTOP], ids=["1920x1080", "1366x768"])
SUMMARY: dict[str, dict] = {}  # "view@WxH" → violations by impact, rules passed (see report())

RUN_AXE = """async () => {
  const r = await axe.run(document, { resultTypes: ["violations"] });
  return {
    passes: r.passes.length,
    violations: r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => ({
        target: n.target.join(" "),
        html: n.html.slice(0, 160),
        data: (n.any.concat(n.all, n.none).find((c) => c.data && typeof c.data === "object") || {}).data || null,
      })),
    })),
  };
}"""


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    text = json.dumps(SUMMARY, indent=2, sort_keys=True)
    print(f"\naccessibility summary (axe-core):\n{text}")
    target = os.environ.get("DIEMCAU_A11Y_REPORT")
    if target:
        Path(target).write_text(text + "\n", encoding="utf-8")


def with_axe(page: Page, province: Province) -> Page:
    """Serve axe at a same-origin address for this page's context (CSP stays as it is)."""
    if not AXE_JS.is_file():
        raise RuntimeError("axe-core is not installed: run `make setup`")
    page.context.route(
        f"{province.url}{AXE_PATH}",
        lambda route: route.fulfill(path=str(AXE_JS), content_type="text/javascript; charset=utf-8"),
    )
    return page


def describe(v: dict) -> str:
    lines = [f"{v['id']} ({v['impact']}): {v['help']}"]
    for n in v["nodes"][:4]:
        data = n["data"] or {}
        contrast = (
            f" contrast {data.get('contrastRatio')}:1 (needs {data.get('expectedContrastRatio')}) "
            f"fg {data.get('fgColor')} bg {data.get('bgColor')} {data.get('fontSize')} {data.get('fontWeight')}"
            if "contrastRatio" in data
            else ""
        )
        lines.append(f"    {n['target']}{contrast}\n      {n['html']}")
    if len(v["nodes"]) > 4:
        lines.append(f"    … and {len(v['nodes']) - 4} more")
    return "\n".join(lines)


def check(page: Page, province: Province, name: str, viewport: dict, problems: list[str]) -> None:
    """Run axe on the page as it is now; record the summary and any blocking violation."""
    page.wait_for_timeout(300)  # let a transition (toast, progress bar) settle
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=f"{province.url}{AXE_PATH}")
        page.wait_for_function("() => typeof window.axe !== 'undefined'")
    result = page.evaluate(RUN_AXE)
    key = f"{name}@{viewport['width']}x{viewport['height']}"
    counts = Counter(v["impact"] or "unknown" for v in result["violations"])
    SUMMARY[key] = {"violations": {i: counts.get(i, 0) for i in IMPACTS}, "passed_rules": result["passes"]}
    SUMMARY[key]["rules"] = sorted({f"{v['id']}:{v['impact']}" for v in result["violations"]})
    problems.extend(f"[{key}] {describe(v)}" for v in result["violations"] if v["impact"] in BLOCKING)
    refused = page.evaluate("() => window.__csp || []")
    assert refused == [], f"[{key}] the Content-Security-Policy refused {refused}"


def settle(page: Page, route: str, ready: str, province: Province, timeout: float = 20000) -> None:
    page.goto(f"{province.url}/console/#/{route}")
    page.wait_for_selector(ready, timeout=timeout)


def clean(page: Page) -> list[str]:
    """Errors the page logged; Chromium logs any 4xx answer as one, and none matters here."""
    return [e for e in page.errors if not re.search(r"status of 4\d\d", e)]  # type: ignore[attr-defined]


def verdict(problems: list[str]) -> None:
    assert not problems, "serious/critical accessibility violations:\n" + "\n".join(problems)


@VIEWPORTS
def test_login_page(browser: Browser, province: Province, viewport: dict):
    context = browser.new_context(viewport=viewport, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = with_axe(context.new_page(), province)
    problems: list[str] = []
    try:
        page.goto(f"{province.url}/console/")
        page.wait_for_selector("#login #username")
        check(page, province, "login", viewport, problems)
        # Focus is drawn where the keyboard is (the dark theme needs its own outline).
        page.keyboard.press("Tab")
        outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert page.evaluate("() => document.activeElement.id") == "password" and outline == "solid"
        page.click("#login .wall-key summary")
        page.wait_for_selector("#wall-key", state="visible")
        check(page, province, "login-wall-key", viewport, problems)
        page.fill("#username", "technician")
        page.fill("#password", "not-the-password")
        page.click("#login button[type=submit]")
        page.wait_for_selector("#login-error:not(:empty)")
        check(page, province, "login-refused", viewport, problems)
    finally:
        context.close()
    verdict(problems)


@VIEWPORTS
def test_ioc_view_for_each_role_and_the_device_lists(browser: Browser, province: Province, viewport: dict):
    problems: list[str] = []
    for role in ("ioc_viewer", "ioc_operator", "admin"):
        page = with_axe(open_console(browser, province, role, viewport=viewport), province)
        try:
            settle(page, "ioc", 'li[data-unit="DEMO"] > div .counts.ep .badge', province)
            page.wait_for_selector("#ioc-wall .tile")
            check(page, province, f"ioc-{role}", viewport, problems)
            # A unit of the tree is picked from the keyboard too (Enter on its focused name).
            page.focus('.tree .name[data-unit="DEMO"]')
            page.keyboard.press("Enter")
            page.wait_for_selector('.tree .selected > .name[data-unit="DEMO"]')
            if role == "ioc_viewer":  # the devices behind a count: readable by every role alike
                for kind in ("endpoints", "cameras"):
                    settle(page, f"list/{kind}?unit=DEMO", "#list-table tbody tr[data-id]", province)
                    check(page, province, f"list-{kind}", viewport, problems)
            assert clean(page) == []
        finally:
            page.context.close()
    verdict(problems)


@VIEWPORTS
def test_host_views_and_a_live_board(browser: Browser, province: Province, viewport: dict):
    api = province.api("host")
    endpoints = api.get("/endpoints", params={"limit": 1000}).json()["items"]
    picked = sorted(endpoints, key=lambda ep: ep["name"])[-2:]
    r = api.post(
        "/sessions",
        json={
            "title": f"Kiểm tra trợ năng {uuid.uuid4().hex[:6]}",
            "scope": {"endpoints": [e["id"] for e in picked]},
        },
    )
    assert r.status_code == 201, r.text
    session_id = r.json()["id"]
    page = with_axe(open_console(browser, province, "host", viewport=viewport), province)
    problems: list[str] = []
    try:
        settle(page, "host", f"#host-live tr[data-session='{session_id}']", province)
        check(page, province, "host-list", viewport, problems)

        settle(page, "host/new", "#host-scope-count", province)
        page.fill("#host-ep-search", picked[0]["name"])
        page.wait_for_selector(f".ep-results [data-add='{picked[0]['name']}']")
        page.click(f".ep-results [data-add='{picked[0]['name']}']")
        page.wait_for_selector(f"#host-picked .chip[data-endpoint='{picked[0]['name']}']")
        check(page, province, "host-new", viewport, problems)

        settle(
            page, f"host/{session_id}", "[data-counter=connected][data-count='2']", province, timeout=30000
        )
        check(page, province, "host-board", viewport, problems)
        page.click(f".ptile[data-endpoint='{picked[0]['name']}']")
        page.wait_for_selector("#host-tile-menu:not([hidden])")
        check(page, province, "host-board-menu", viewport, problems)
        page.keyboard.press("Escape")
        page.click("#host-end")
        page.wait_for_selector("#host-confirm")
        check(page, province, "host-end-dialog", viewport, problems)
        page.click("#host-confirm [data-confirm=ok]")
        page.wait_for_selector("#host-status [data-state=ended]", timeout=30000)
        check(page, province, "host-board-ended", viewport, problems)

        settle(page, f"host/{session_id}/attendance", "#host-att-table", province)
        check(page, province, "host-attendance", viewport, problems)
        assert clean(page) == []
    finally:
        page.context.close()
        if api.get(f"/sessions/{session_id}").json()["status"] == "live":
            api.post(f"/sessions/{session_id}/end")
        api.close()
    verdict(problems)


@VIEWPORTS
def test_technician_tabs(browser: Browser, province: Province, viewport: dict):
    api = province.api("technician")
    ep = api.get("/endpoints", params={"q": "DEMO-vc001"}).json()["items"][0]
    job = api.post("/provisioning/jobs", json={"mode": "plan", "endpoints": [ep["id"]]})
    assert job.status_code in (200, 201, 202), job.text
    job_id = job.json()["id"]
    page = with_axe(open_console(browser, province, "technician", viewport=viewport), province)
    problems: list[str] = []
    try:
        settle(page, "tech", "#ep-table tbody tr", province)
        check(page, province, "tech-endpoints", viewport, problems)
        page.click("#ep-register-open")
        page.wait_for_selector(".register-panel:not([hidden])")
        check(page, province, "tech-register", viewport, problems)

        page.click("#tech-tab-import")
        page.wait_for_selector("#import-file", state="visible")
        check(page, province, "tech-import", viewport, problems)

        page.click("#tech-tab-provision")
        page.wait_for_selector(f"[data-pane=provision] .jobs tr[data-job='{job_id}']")
        check(page, province, "tech-provision", viewport, problems)
        # The recent jobs open from the keyboard: each row's job is a button.
        page.focus(f"[data-pane=provision] .jobs [data-open-job='{job_id}']")
        page.keyboard.press("Enter")
        page.wait_for_selector(
            f"[data-pane=provision] .job[data-job='{job_id}'][data-final=true]", timeout=60000
        )
        check(page, province, "tech-jobs", viewport, problems)

        page.click("#tech-tab-firmware")
        page.wait_for_selector("#fw-compliance tbody tr")
        check(page, province, "tech-firmware", viewport, problems)
        assert clean(page) == []
    finally:
        page.context.close()
        api.close()
    verdict(problems)


@VIEWPORTS
def test_endpoint_and_camera_details(browser: Browser, province: Province, viewport: dict):
    api = province.api("technician")
    ep = api.get("/endpoints", params={"q": "DEMO-vc001"}).json()["items"][0]
    cam = api.get("/cameras").json()["items"][0]
    api.close()
    page = with_axe(open_console(browser, province, "technician", viewport=viewport), province)
    problems: list[str] = []
    try:
        settle(page, f"endpoint/{ep['id']}", "#details-state .badge", province)
        page.wait_for_selector(".chart[data-measure=latency]", state="attached")
        page.wait_for_selector("#details-standard tbody tr")  # the technician's panels too
        check(page, province, "endpoint-details", viewport, problems)
        page.click("#details-edit")
        page.wait_for_selector("#details-edit-dialog")
        check(page, province, "endpoint-edit", viewport, problems)
        page.keyboard.press("Escape")
        page.wait_for_selector("#details-edit-dialog", state="detached")
        settle(page, f"camera/{cam['id']}", "#details-state .badge", province)
        page.wait_for_selector(".chart[data-measure=fps]", state="attached")
        check(page, province, "camera-details", viewport, problems)
        assert clean(page) == []
    finally:
        page.context.close()
    verdict(problems)

"""The host's join matrix in real Chromium: a province-wide session of 250 endpoints on
one 1920x1080 screen, grouped by district, problems pinned with their reason, keyboard
navigation and each tile's menu; usable at 1366x768.

A province of its own (250 simulated endpoints, no cameras; ~5 s to start): the shared
console province has 24.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.console.conftest import LAPTOP, WALL, Province, open_console, own_province, screenshot
from tests.console.test_host import fleet_request
from tests.support.waiting import until_sync

ENDING_S = 180  # an upper bound for ending a session of up to 250, never a timing assertion
OTHER_CALL = {"remote": "sip:8888@hoinghi.example.gov.vn", "rate": 1920}


@pytest.fixture(scope="module")
def big_province() -> Iterator[Province]:
    with own_province(count=250, cameras=0) as province:
        yield province


def _communes(api, n: int) -> list[dict]:
    items = api.get("/endpoints", params={"limit": 1000}).json()["items"]
    return sorted((e for e in items if e["unit"]["code"].count("-X")), key=lambda e: e["name"])[:n]


def _boxes(page) -> list[list[float]]:
    return page.eval_on_selector_all(
        "#host-board .ptile",
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })",
    )


def test_a_province_wide_session_fits_one_wall_screen_with_its_problems_pinned(browser, big_province):
    province = big_province
    api = province.api("host")
    busy = _communes(api, 3)
    for ep in busy:  # already in other calls when the session starts
        fleet_request(province.fleet_control, {"op": "set", "endpoint": ep["name"], "call": OTHER_CALL})
    r = api.post("/sessions", json={"title": "Giao ban toàn tỉnh", "scope": {"units": [{"unit": "DEMO"}]}})
    assert r.status_code == 201, r.text
    session = r.json()
    assert len(session["participants"]) == 250
    page = open_console(browser, province, "host", viewport=WALL)
    try:
        page.goto(f"{province.url}/console/#/host/{session['id']}")
        page.wait_for_selector("[data-counter=invited][data-count='250']")
        page.wait_for_function("() => document.querySelectorAll('#host-board .ptile').length === 250")

        page.wait_for_selector("#host-problems:not([hidden])", timeout=30000)  # the tallest the head gets
        # Every tile on the one screen: no box outside the 1920x1080 viewport, none scrolled.
        boxes = _boxes(page)
        assert len(boxes) == 250
        outside = [b for b in boxes if b[0] < 0 or b[1] < 0 or b[2] > WALL["width"] or b[3] > WALL["height"]]
        assert outside == [], outside[:5]
        assert page.evaluate("document.scrollingElement.scrollHeight <= innerHeight + 1")
        assert page.eval_on_selector(".board-scroll", "e => e.scrollHeight <= e.clientHeight + 1")

        # Grouped by district: the province office, then ten districts with their communes.
        units = page.eval_on_selector_all("#host-board .pgroup", "els => els.map(e => e.dataset.unit)")
        assert units == ["DEMO", *[f"DEMO-H{d:02d}" for d in range(1, 11)]]
        h01 = page.locator("#host-board .pgroup[data-unit=DEMO-H01] .ptile").count()
        assert h01 == api.get("/endpoints", params={"unit": "DEMO-H01", "limit": 1000}).json()["total"]

        # The busy communes are pinned above the matrix, each with its reason in Vietnamese.
        for ep in busy:
            page.wait_for_selector(
                f"#host-problems .pproblem[data-endpoint='{ep['name']}'] .pt-cause[data-code=busy_other_call]",
                timeout=30000,
            )
        reason = page.inner_text(f"#host-problems .pproblem[data-endpoint='{busy[0]['name']}'] .pt-cause")
        assert (
            reason.startswith("Máy bận: đang trong cuộc gọi khác") and "8888@hoinghi.example.gov.vn" in reason
        ), reason
        # ... and marked in their district's head.
        district = busy[0]["unit"]["code"].rsplit("-X", 1)[0]
        page.wait_for_selector(f".pgroup[data-unit='{district}']:not([data-problems='0']) .gbad")

        # Everyone else joins; the tiles say so by shape as well as colour.
        page.wait_for_selector("[data-counter=connected][data-count='247']", timeout=60000)
        glyphs = page.eval_on_selector_all(
            "#host-board .ptile[data-state=connected] .pt-glyph",
            "els => new Set(els.map(e => e.textContent)).size",
        )
        assert glyphs == 1
        connected = page.locator("#host-board .ptile[data-state=connected]").first
        assert connected.inner_text().startswith("✓")
        screenshot(page, "host-matrix")

        # Keyboard: one tile in the tab order, arrows move, Enter opens the menu, Esc closes it.
        first = page.locator("#host-board .ptile").first
        first.focus()
        assert page.eval_on_selector_all("#host-board .ptile[tabindex='0']", "els => els.length") == 1
        page.keyboard.press("ArrowRight")
        second = page.locator("#host-board .ptile").nth(1)
        assert second.evaluate("e => e === document.activeElement")
        page.keyboard.press("ArrowDown")
        below = page.evaluate("document.activeElement.getBoundingClientRect().top")
        assert below > second.bounding_box()["y"]
        name = page.evaluate("document.activeElement.dataset.endpoint")
        page.keyboard.press("Enter")
        page.wait_for_selector("#host-tile-menu:not([hidden])")
        assert page.inner_text("#host-tile-menu-title") == name
        assert page.evaluate("document.activeElement.dataset.action") in ("mute", "redial", "remove")
        page.keyboard.press("Escape")
        page.wait_for_selector("#host-tile-menu", state="hidden")
        assert page.evaluate("document.activeElement.dataset.endpoint") == name

        # A district collapses to its head and opens again.
        page.click(".pgroup[data-unit=DEMO-H02] .ghead")
        assert page.locator(".pgroup[data-unit=DEMO-H02] .ptile").first.is_hidden()
        assert page.get_attribute(".pgroup[data-unit=DEMO-H02] .ghead", "aria-expanded") == "false"
        page.click(".pgroup[data-unit=DEMO-H02] .ghead")
        assert page.locator(".pgroup[data-unit=DEMO-H02] .ptile").first.is_visible()

        # The tile menu acts: mute one connected commune from its menu.
        target = page.locator("#host-board .pgroup[data-unit=DEMO-H03] .ptile[data-state=connected]").first
        muted = target.get_attribute("data-endpoint")
        target.click()
        page.click("#host-tile-menu [data-action=mute]")
        page.wait_for_selector(f"#host-board .ptile[data-endpoint='{muted}'][data-muted=true]")
        page.wait_for_selector("#host-tile-menu [data-muted]")  # the open menu follows it live
        assert page.errors == []

        # 1366x768: still the board, scrolling inside it, the menu within the window.
        laptop = open_console(browser, province, "host", viewport=LAPTOP)
        try:
            laptop.goto(f"{province.url}/console/#/host/{session['id']}")
            laptop.wait_for_function("() => document.querySelectorAll('#host-board .ptile').length === 250")
            assert laptop.eval_on_selector(".board-scroll", "e => e.scrollHeight > e.clientHeight")
            tile = laptop.locator("#host-board .ptile").nth(5)
            tile.click()
            box = laptop.locator("#host-tile-menu").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= LAPTOP["width"], box
            screenshot(laptop, "host-matrix-laptop")
            assert laptop.errors == []
        finally:
            laptop.context.close()
    finally:
        # hanging up 250 codecs and confirming each is idle takes a while on a loaded machine
        api.post(f"/sessions/{session['id']}/end", timeout=ENDING_S).raise_for_status()
        for ep in busy:
            fleet_request(province.fleet_control, {"op": "set", "endpoint": ep["name"], "call": None})
        page.context.close()


def test_the_new_session_summary_lists_the_busy_and_the_hosts_choice_is_kept(browser, big_province):
    """Communes already in other calls are listed before the start, with "gọi khi rảnh" /
    "bỏ qua", and one that joins a call while the form is open is added live; skipped, they
    are not invited at all."""
    province = big_province
    api = province.api("host")
    busy = _communes(api, 3)
    for ep in busy[:2]:
        fleet_request(province.fleet_control, {"op": "set", "endpoint": ep["name"], "call": OTHER_CALL})
    district = busy[0]["unit"]["code"].rsplit("-X", 1)[0]
    in_district = api.get("/endpoints", params={"unit": district, "limit": 1000}).json()["total"]
    until_sync(
        lambda: all(api.get(f"/endpoints/{ep['id']}").json()["state"] == "in_call" for ep in busy[:2]),
        seconds=60,
        what="the monitor sees two communes in their calls",
    )
    page = open_console(browser, province, "host", viewport=WALL)
    session_id = None
    try:
        page.goto(f"{province.url}/console/#/host/new")
        page.wait_for_selector("#host-scope-count")
        page.check(f"#host-new-form input[data-unit='{district}']")
        page.wait_for_selector("#host-unready fieldset[data-kind=busy][data-count='2']")
        # the third takes a call while the host is filling the form: listed as it happens
        fleet_request(province.fleet_control, {"op": "set", "endpoint": busy[2]["name"], "call": OTHER_CALL})
        group = page.wait_for_selector(
            "#host-unready fieldset[data-kind=busy][data-count='3']", timeout=60000
        )
        assert group.inner_text().startswith("3 điểm cầu đang bận (trong cuộc gọi khác)")
        for ep in busy:
            assert ep["name"] in group.inner_text()
        assert page.is_checked("#host-unready input[name=unready-busy][value=wait]")  # the default
        screenshot(page, "host-new-unready")
        page.check("#host-unready input[name=unready-busy][value=skip]")
        page.fill("#host-title", "Họp huyện, bỏ qua xã bận")
        page.click("#host-start")
        page.wait_for_url(lambda url: "/host/new" not in url and "#/host/" in url)
        session_id = page.url.rsplit("/", 1)[1]
        detail = api.get(f"/sessions/{session_id}").json()
        assert detail["unready"] == {"busy": "skip", "offline": "wait", "key_pending": "wait"}
        invited = {p["endpoint_name"] for p in detail["participants"]}
        assert len(invited) == in_district - 3 and not invited & {ep["name"] for ep in busy}
        page.wait_for_selector(f"[data-counter=invited][data-count='{in_district - 3}']")
        assert page.errors == []
    finally:
        if session_id:
            api.post(f"/sessions/{session_id}/end", timeout=ENDING_S).raise_for_status()
        for ep in busy:
            fleet_request(province.fleet_control, {"op": "set", "endpoint": ep["name"], "call": None})
        page.context.close()


def test_search_needs_no_diacritics(browser, big_province):
    """People type Vietnamese without accents: "xa 1.05" finds the endpoint of "Xã 1.05",
    on the server (the device list asks the API), in either case."""
    province = big_province
    api = province.api("ioc_viewer")
    expected = [e["name"] for e in api.get("/endpoints", params={"unit": "DEMO-H01-X05"}).json()["items"]]
    assert len(expected) == 1
    page = open_console(browser, province, "ioc_viewer", viewport=WALL)
    try:
        for typed in ("xa 1.05", "XA 1.05", "Xã 1.05"):
            page.goto(f"{province.url}/console/#/list/endpoints")
            page.wait_for_selector("#list-count[data-total='250']")
            page.fill("#list-q", typed)
            page.press("#list-q", "Enter")
            page.wait_for_selector("#list-count[data-total='1']")
            names = page.eval_on_selector_all("#list-table tbody tr", "els => els.map(e => e.dataset.name)")
            assert names == expected, (typed, names)
            assert page.input_value("#list-q") == typed  # kept in the address, shown again
        assert page.errors == []
    finally:
        page.context.close()

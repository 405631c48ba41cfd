"""The IOC view and the details views in real Chromium against the demo province.

What the IOC staff see must be what the controller holds: the tree's counts are
compared with /health/summary, an endpoint taken down in the simulated fleet
must show up live (no reload) as an alarm and in the counts, and an
acknowledgement given in the console must be stored.

WebRTC may not connect here (ICE skips loopback): the wall's tiles may stay in
"connecting"/"retrying"; tests/console/test_wall.py plays them for real in a
network namespace. WhepPlayer reports its failures with console.warn, not as
errors, so page.errors needs no filtering.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from endpoints.sim.control import control_request
from tests.console.conftest import LAPTOP, WALL, Province, open_console, screenshot
from tests.support.waiting import until_sync

# An endpoint the other console modules leave alone; it is taken down and brought back here.
FAULTED = "DEMO-vc019"
COMMENT = "Đã gọi điện cho xã, đang kiểm tra nguồn điện"


def fleet(province: Province, **request: Any) -> dict[str, Any]:
    """One request to the simulated fleet's control server (what `diemcau sim fault` sends).

    In a thread of its own: Playwright's sync API owns this thread's event loop.
    """
    with ThreadPoolExecutor(1) as pool:
        reply = pool.submit(asyncio.run, control_request(province.fleet_control, request)).result(30)
    assert reply["ok"], reply
    return reply


def tree_counts(page: Page, code: str, kind: str = "ep") -> dict[str, int]:
    """The count badges on one unit's own row of the tree (not its children's)."""
    return page.eval_on_selector_all(
        f'li[data-unit="{code}"] > div .counts.{kind} .badge',
        "els => Object.fromEntries(els.map(e => [e.dataset.state, Number(e.dataset.count)]))",
    )


def summary(api: httpx.Client) -> dict[str, dict[str, Any]]:
    return {u["unit"]: u for u in api.get("/health/summary").raise_for_status().json()["units"]}


def counts_match(page: Page, api: httpx.Client, codes: list[str]) -> bool:
    now = summary(api)
    return all(
        tree_counts(page, c, "ep") == now[c]["counts"]
        and tree_counts(page, c, "cam") == now[c].get("cameras", {})
        for c in codes
    )


# Elements of the alarm cards that stick out of the panel or hide part of their text.
ALARMS_CLIPPED = """() => {
  const panel = document.querySelector('#ioc-alarm-panel').getBoundingClientRect();
  return [...document.querySelectorAll('#ioc-alarms li.alarm *')].filter((e) => {
    const r = e.getBoundingClientRect();
    if (!r.width) return false;
    const hidden = getComputedStyle(e).overflow !== 'visible' && e.scrollWidth > e.clientWidth + 1;
    return r.right > panel.right + 0.5 || r.left < panel.left - 0.5 || hidden;
  }).map((e) => `${e.tagName}.${e.className}`);
}"""


def bell(page: Page) -> int:
    return int(page.get_attribute("#alarm-bell", "data-count"))


def unacked(api: httpx.Client) -> int:
    return api.get("/alarms", params={"status": "active", "acknowledged": False, "limit": 1}).json()["total"]


def endpoint_state(api: httpx.Client, name: str) -> str:
    items = api.get("/endpoints", params={"q": name}).raise_for_status().json()["items"]
    return next(e["state"] for e in items if e["name"] == name)


def test_tree_counts_camera_wall_and_unit_filter(browser, province):
    api = province.api("ioc_viewer")
    units = summary(api)
    root = next(u for u in units.values() if u["parent"] is None)
    page = open_console(browser, province, "ioc_viewer", viewport=WALL)
    page.wait_for_url("**/console/#/ioc")
    page.wait_for_selector(f'li[data-unit="{root["unit"]}"] > div .counts.ep .badge')
    # The root (central) and the province below it, as the API counts them.
    until_sync(lambda: counts_match(page, api, [root["unit"], "DEMO"]), what="tree counts = /health/summary")
    assert tree_counts(page, "DEMO")["online"] > 0
    assert page.locator("#ioc-live[data-state=open]").is_visible()

    cameras = api.get("/cameras").json()
    page.wait_for_function(
        "n => document.querySelectorAll('#ioc-wall .tile').length === n", arg=cameras["total"]
    )
    for cam in cameras["items"]:
        tile = page.locator(f'#ioc-wall .tile[data-camera-id="{cam["id"]}"]')
        assert tile.locator("video").count() == 1
        assert cam["name"] in tile.locator(".caption .name").inner_text()
        until_sync(
            lambda cam=cam, tile=tile: (
                tile.get_attribute("data-state") == api.get(f"/cameras/{cam['id']}/health").json()["state"]
            ),
            what="tile state = camera health",
        )
        assert tile.locator(".play-state").inner_text() in {"Đang kết nối…", "Đang phát", "Đang thử lại…"}

    # Click to enlarge, Esc to shrink; the details link leads to the camera's page.
    first = page.locator("#ioc-wall .tile").first
    first.click()
    assert "enlarged" in first.get_attribute("class")
    page.keyboard.press("Escape")
    assert "enlarged" not in first.get_attribute("class")

    # A district: the wall and the alarm list narrow to its subtree.
    district = next(u for u in units.values() if u["level"] == "district" and u.get("cameras_total"))
    page.click(f'.tree .name[data-unit="{district["unit"]}"]')
    in_district = api.get("/cameras", params={"unit": district["unit"]}).json()
    page.wait_for_function(
        "n => document.querySelectorAll('#ioc-wall .tile').length === n", arg=in_district["total"]
    )
    ids = set(page.eval_on_selector_all("#ioc-wall .tile", "els => els.map(e => e.dataset.cameraId)"))
    assert ids == {c["id"] for c in in_district["items"]}
    alarms = api.get("/alarms", params={"unit": district["unit"]}).json()
    until_sync(
        lambda: page.locator("#ioc-alarms li.alarm").count() == alarms["total"], what="alarms of the district"
    )
    page.click("text=Đơn vị: " + district["name"])  # the chip clears the filter
    page.wait_for_function(
        "n => document.querySelectorAll('#ioc-wall .tile').length === n", arg=cameras["total"]
    )
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()


def test_every_count_is_labelled_and_opens_the_list_it_counts(browser, province):
    """ioc_viewer drills down: a count in the tree opens the list of those devices, with as
    many rows as the count said; the legend names the colours."""
    api = province.api("ioc_viewer")
    page = open_console(browser, province, "ioc_viewer", viewport=WALL)
    try:
        online = page.locator('li[data-unit="DEMO"] > div .counts.ep a.badge[data-state=online]')
        online.wait_for()
        label = online.get_attribute("aria-label")
        assert label.startswith("Tỉnh Mẫu: ") and label.endswith("Điểm cầu Trực tuyến, xem danh sách"), label
        page.click("#ioc-legend summary")
        legend = page.inner_text("#ioc-legend")
        for state in ("Trực tuyến", "Mất kết nối"):
            assert state in legend, legend

        n = int(online.get_attribute("data-count"))
        online.click()
        page.wait_for_url("**/console/#/list/endpoints?unit=DEMO&state=online")
        page.wait_for_selector("#list-count[data-total]")
        shown = page.eval_on_selector_all("#list-table tbody tr", "els => els.map(e => e.dataset.state)")
        assert int(page.get_attribute("#list-count", "data-total")) == len(shown) == n
        assert set(shown) == {"online"}
        assert page.input_value("#list-state") == "online" and page.input_value("#list-unit") == "DEMO"
        assert page.get_attribute("#nav a[data-route=list]", "class") == "current"
        total = api.get("/endpoints", params={"unit": "DEMO", "state": "online"}).json()["total"]
        assert total == n

        # The cameras count of the same unit, and a row opens the device's details.
        page.go_back()
        cams = page.locator('li[data-unit="DEMO"] > div .counts.cam a.kind')
        cams.wait_for()
        cams_total = int(page.get_attribute('li[data-unit="DEMO"] > div .counts.cam', "data-total"))
        cams.click()
        page.wait_for_url("**/console/#/list/cameras?unit=DEMO")
        page.wait_for_selector("#list-count[data-total]")
        assert page.locator("#list-table tbody tr").count() == cams_total
        screenshot(page, "ioc-list")
        first = page.locator("#list-table tbody tr a").first
        name = first.inner_text()
        first.click()
        page.wait_for_url("**/console/#/camera/*")
        page.wait_for_selector(f"h1:has-text('{name}')")
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        page.context.close()


def test_alarm_appears_live_and_is_acknowledged(browser, province):
    api = province.api("ioc_viewer")
    viewer = open_console(browser, province, "ioc_viewer", viewport=WALL)
    viewer.wait_for_selector('li[data-unit="DEMO"] > div .counts.ep .badge')
    viewer.wait_for_selector("#ioc-live[data-state=open]")
    assert endpoint_state(api, FAULTED) == "online"
    viewer.evaluate("window.__sameDocument = true")  # gone if the page reloaded
    # The duty officer turns on browser notifications (granted here as a person would) and the
    # tone; each notification the page shows is noted on its way to the real Notification API.
    viewer.context.grant_permissions(["notifications"], origin=province.url)
    viewer.evaluate(
        """() => { const Real = window.Notification; window.__shown = [];
        window.Notification = class extends Real { constructor(title, options) {
          super(title, options); window.__shown.push({ title, body: options?.body }); } }; }"""
    )
    viewer.click("#bell-box [data-bell=notify]")
    viewer.click("#bell-box [data-bell=sound]")
    expect(viewer.locator("#bell-box [data-bell=notify]")).to_have_attribute("aria-pressed", "true")
    assert viewer.evaluate("() => JSON.parse(localStorage.getItem('diemcau.bell'))") == {
        "notify": True,
        "sound": True,
    }
    row_of = f'li.alarm:has(a.entity:text-is("{FAULTED}"))'
    tech = None
    try:
        # Refuse new connections, and drop the monitor's open one: the endpoint becomes unreachable.
        fleet(province, op="fault", endpoint=FAULTED, fault="refuse")
        fleet(province, op="fault", endpoint=FAULTED, fault="drop")
        row = viewer.locator(f"#ioc-alarms {row_of}")
        row.wait_for(timeout=60000)
        assert viewer.evaluate("window.__sameDocument") is True
        alarm = next(a for a in api.get("/alarms").json()["items"] if a["entity_name"] == FAULTED)
        assert row.get_attribute("data-alarm-id") == alarm["id"]
        assert row.get_attribute("data-severity") == alarm["severity"] == "major"
        assert row.get_attribute("data-acknowledged") == "false"
        # ioc_viewer only watches: the button is there, disabled, and the panel says who may
        assert row.locator("button.ack").is_disabled()
        assert viewer.inner_text("#ioc-ack-why").startswith("Xác nhận cảnh báo cần vai trò Trực ban IOC")
        assert row.locator("a.entity").get_attribute("href") == f"#/endpoint/{alarm['entity_id']}"
        # The header's counter (every role, every view) has it, and flashed when it came.
        until_sync(lambda: bell(viewer) == unacked(api), what="the header's alarm counter")
        assert bell(viewer) >= 1
        assert "flash" in viewer.get_attribute("#alarm-bell", "class")
        shown = viewer.evaluate("() => window.__shown")
        assert {"title": f"Cảnh báo mới: {FAULTED}", "body": row.locator(".message").inner_text()} in shown, (
            shown
        )
        # The tree's counts moved with it, and still equal the API's.
        viewer.wait_for_function(
            "() => [...document.querySelectorAll('li[data-unit=\"DEMO\"] > div .counts.ep .badge')]"
            ".some(b => b.dataset.state === 'unreachable')"
        )
        until_sync(lambda: counts_match(viewer, api, ["DEMO"]), what="tree counts after the fault")
        majors = api.get("/alarms", params={"severity": "major", "limit": 1}).json()["total"]
        until_sync(
            lambda: (
                viewer.get_attribute("#ioc-alarm-totals .badge[data-severity=major]", "data-count")
                == str(majors)
            ),
            what="major alarms in the panel title",
        )
        screenshot(viewer, "ioc-wall")
        # The alarm panel fits at every width a province's screens have: nothing clipped or
        # pushed out of it (timestamps, the acknowledge button), from a laptop to a 4K wall.
        for width, height in ((1366, 768), (1920, 1080), (2560, 1440), (3840, 2160)):
            viewer.set_viewport_size({"width": width, "height": height})
            viewer.wait_for_timeout(200)
            assert viewer.evaluate(ALARMS_CLIPPED) == [], width
        viewer.set_viewport_size(WALL)

        # The IOC's duty officer (ioc_operator) acknowledges it from the same view, on a laptop.
        tech = open_console(browser, province, "ioc_operator", viewport=LAPTOP)
        tech.goto(f"{province.url}/console/#/ioc")
        tech_row = tech.locator(f"#ioc-alarms {row_of}")
        tech_row.wait_for()
        screenshot(tech, "ioc-laptop")
        tech_row.locator("button.ack").click()
        tech_row.locator("input[name=comment]").fill(COMMENT)
        tech_row.locator("form.ack-form button[type=submit]").click()
        tech.wait_for_selector(
            f'#ioc-alarms li.alarm[data-alarm-id="{alarm["id"]}"][data-acknowledged="true"]'
        )
        stored = next(a for a in api.get("/alarms").json()["items"] if a["id"] == alarm["id"])
        assert stored["acknowledged_by"] == "ioc_operator" and stored["ack_comment"] == COMMENT
        assert "ioc_operator" in tech_row.locator(".acked-by").inner_text()
        assert tech.locator("#ioc-ack-why").count() == 0
        until_sync(lambda: bell(tech) == unacked(api), what="the counter after the acknowledgement")
        # The wall sees the acknowledgement live too.
        viewer.wait_for_selector(
            f'#ioc-alarms li.alarm[data-alarm-id="{alarm["id"]}"][data-acknowledged="true"]'
        )
    finally:
        fleet(province, op="fault", endpoint=FAULTED, fault="clear")
    # Back to calm: online again, the alarm cleared from the list, the counts as the API's.
    until_sync(lambda: endpoint_state(api, FAULTED) == "online", seconds=60, what=f"{FAULTED} online again")
    viewer.locator(f"#ioc-alarms {row_of}").wait_for(state="detached", timeout=30000)
    until_sync(lambda: counts_match(viewer, api, ["DEMO"]), what="tree counts after recovery")
    for page in (viewer, tech):
        if page is not None:
            assert page.errors == []  # type: ignore[attr-defined]
            page.context.close()


def test_endpoint_details_draw_history_charts(browser, province):
    api = province.api("ioc_viewer")
    ep = api.get("/endpoints", params={"q": "DEMO-vc001"}).json()["items"][0]
    page = open_console(browser, province, "ioc_viewer", viewport=LAPTOP)
    page.goto(f"{province.url}/console/#/endpoint/{ep['id']}")
    page.wait_for_selector(".chart[data-measure=latency] path.line:not(.dots)", state="attached")
    health = api.get(f"/endpoints/{ep['id']}/health").json()
    assert page.inner_text(".details-head h1") == ep["name"]
    assert page.get_attribute("#details-state .badge", "data-state") == health["state"]
    assert f"{ep['host']}:{ep['port']}" in page.inner_text("#details-now")

    # The latency line is drawn from the samples the API holds (more than one point, as a path).
    def two_samples() -> dict | None:
        history = api.get(f"/endpoints/{ep['id']}/health/history").json()
        return history if len([p for p in history["points"] if p["latency_ms"] is not None]) > 1 else None

    history = until_sync(two_samples, what="two latency samples")
    assert history["resolution"] == "raw"
    page.reload()
    page.wait_for_selector(".chart[data-measure=latency] path.line:not(.dots)", state="attached")
    path = page.locator(".chart[data-measure=latency] path.line:not(.dots)")
    assert int(path.get_attribute("data-points")) > 1
    assert path.get_attribute("d").count("L") >= 1
    # RoomOS 9+ reports a temperature status word, not degrees: no temperature line for it
    with_temperature = [p for p in history["points"] if p.get("temperature_c") is not None]
    drawn = page.locator(".chart[data-measure=temperature] path.line:not(.dots)").count()
    assert drawn == (1 if len(with_temperature) > 1 else 0)
    screenshot(page, "details-endpoint")

    # 1 h: raw points again; 7 d: hourly rollups (other field names), drawn or said to be empty.
    page.click("button[data-range='1h']")
    page.wait_for_selector("button[data-range='1h'][aria-pressed=true]")
    page.wait_for_selector(".chart[data-measure=latency] path.line:not(.dots)", state="attached")
    page.click("button[data-range='7d']")
    page.wait_for_selector(".chart[data-measure=availability]")
    week = api.get(
        f"/endpoints/{ep['id']}/health/history", params={"since": "2000-01-01T00:00:00+00:00"}
    ).json()
    assert week["resolution"] == "1h"
    drawn = page.locator(".chart[data-measure=availability] path.line:not(.dots)").count()
    assert drawn == (1 if any(p["availability"] is not None for p in week["points"]) else 0)
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()


def test_camera_details_show_health_thumbnail_and_charts(browser, province):
    api = province.api("ioc_viewer")
    cam = api.get("/cameras").json()["items"][0]
    # A young province: wait (bounded) until the camera has been sampled twice, so there is a line
    # (a first sample comes at a random point of the 5 s interval, each one measures for 10 s).
    until_sync(
        lambda: (
            len([p for p in api.get(f"/cameras/{cam['id']}/health/history").json()["points"] if p["fps"]]) > 1
        ),
        seconds=45,
        what="two samples of the camera",
    )
    page = open_console(browser, province, "ioc_viewer", viewport=WALL)
    page.goto(f"{province.url}/console/#/camera/{cam['id']}")
    page.wait_for_selector(".chart[data-measure=fps] path.line:not(.dots)", state="attached")
    health = api.get(f"/cameras/{cam['id']}/health").json()
    assert page.inner_text(".details-head h1") == cam["name"]
    assert page.locator("#details-live video").count() == 1
    assert page.get_attribute(".tile.player", "data-camera-id") == cam["id"]
    assert int(page.get_attribute(".chart[data-measure=fps] path.line:not(.dots)", "data-points")) > 1
    # The fps threshold in force is drawn as a line on its chart.
    assert page.locator(".chart[data-measure=fps] .threshold").count() == 1
    assert page.locator(".chart[data-measure=bitrate] path.line:not(.dots)").count() == 1
    # The measures table shows the sampled resolution; the thumbnail is the sampled picture.
    assert f"{health['measures']['width']}×{health['measures']['height']}" in page.inner_text("#details-now")
    page.wait_for_function("() => document.querySelector('#details-thumbnail')?.naturalWidth > 0")
    assert page.eval_on_selector("#details-thumbnail", "img => img.naturalWidth") == 320
    until_sync(
        lambda: (
            page.get_attribute("#details-state .badge", "data-state")
            == api.get(f"/cameras/{cam['id']}/health").json()["state"]
        ),
        what="camera state badge",
    )
    screenshot(page, "details-camera")
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()

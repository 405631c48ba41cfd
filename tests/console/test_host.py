"""The meeting host's view (#/host) in real Chromium against `diemcau demo`.

A new session picked on the unit tree (the count shown before starting is the
registry's), refused requests explained in the form (422 and a real 409 from a
bridge made too small), then a session started from the form: the live board
follows every participant to connected, shows a call dropped by the fleet
simulator and redialled without a reload, mutes one participant, ends with a
confirmation, and its attendance table and CSV equal the API's.
"""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import uuid
from datetime import datetime
from pathlib import Path

from playwright.sync_api import expect

from tests.console.conftest import LAPTOP, WALL, open_console, screenshot

# Chromium logs every 4xx answer as a console error; in the form tests those are expected.
EXPECTED_REFUSALS = re.compile(r"Failed to load resource: the server responded with a status of (409|422)\b")


def fleet_request(control_file: Path, request: dict) -> dict:
    """One request to the running fleet's control server (endpoints/sim/control.py), synchronously:
    Playwright's sync API owns this thread's event loop, so asyncio.run is not available here."""
    data = json.loads(control_file.read_text(encoding="utf-8"))
    with socket.create_connection((data["host"], int(data["port"])), timeout=10) as sock:
        sock.sendall(json.dumps(request).encode() + b"\n")
        reply = json.loads(sock.makefile(encoding="utf-8").readline())
    assert reply["ok"], reply
    return reply


def flatten(nodes: list[dict], depth: int = 0) -> list[tuple[dict, int]]:
    out = []
    for node in nodes:
        out.append((node, depth))
        out.extend(flatten(node["children"], depth + 1))
    return out


def pick_unit(api) -> tuple[dict, int, int]:
    """A district whose subtree holds endpoints if there is one, else the deepest unit with some.

    Returns the node, the endpoints of its subtree and those of the unit itself, from the API."""
    units = [(n, d) for n, d in flatten(api.get("/units/tree").json()) if n["endpoints"]]
    districts = [n for n, _ in units if n["level"] == "district"]
    node = districts[0] if districts else max(units, key=lambda u: u[1])[0]
    items = api.get("/endpoints", params={"unit": node["code"], "limit": 1000}).json()["items"]
    assert len(items) == node["endpoints"]
    own = sum(1 for ep in items if ep["unit"]["code"] == node["code"])
    return node, node["endpoints"], own


def live_sessions(api) -> list[dict]:
    return api.get("/sessions", params={"status": "live"}).json()["items"]


def shown_count(page) -> int:
    return int(page.get_attribute("#host-scope-count", "data-count"))


def wait_count(page, n: int) -> None:
    page.wait_for_selector(f"#host-scope-count[data-count='{n}']", timeout=5000)


def test_new_session_form_counts_the_scope_saves_it_and_explains_refusals(browser, province):
    api = province.api("host")
    admin = province.api("admin")
    node, subtree, own = pick_unit(api)
    code = node["code"]
    others = api.get("/endpoints", params={"limit": 1000}).json()["items"]
    in_unit = {ep["id"] for ep in api.get("/endpoints", params={"unit": code, "limit": 1000}).json()["items"]}
    single = sorted(others, key=lambda ep: ep["name"])[0]

    page = open_console(browser, province, "host", viewport=LAPTOP)
    page.wait_for_selector("#host-new")
    page.click("#host-new")
    page.wait_for_url("**/#/host/new")
    page.wait_for_selector("#host-scope-count")
    assert shown_count(page) == 0
    assert page.inner_text("#host-start") == "Bắt đầu ngay"

    # A checked unit stands for its whole subtree: the count is the registry's.
    page.check(f"#host-new-form input[data-unit='{code}']")
    wait_count(page, subtree)
    assert page.inner_text("#host-scope-count") == f"Phạm vi gồm {subtree} điểm cầu"
    if node["children"]:
        page.click(f"[data-mode-for='{code}']")  # "this unit only"
        wait_count(page, own)
        page.click(f"[data-mode-for='{code}']")
        wait_count(page, subtree)

    # A single endpoint from the search: counted once even when its unit is picked too.
    page.uncheck(f"#host-new-form input[data-unit='{code}']")
    wait_count(page, 0)
    page.fill("#host-ep-search", single["name"])
    page.click(f".ep-results [data-add='{single['name']}']")
    wait_count(page, 1)
    page.wait_for_selector(f"#host-picked .chip[data-endpoint='{single['name']}']")
    page.check(f"#host-new-form input[data-unit='{code}']")
    wait_count(page, subtree + (0 if single["id"] in in_unit else 1))
    page.fill("#host-title", "Giao ban toàn tỉnh (thử)")
    page.fill("#host-ep-search", "")
    screenshot(page, "host-new-session")

    # Saved scope: saved from the picker, listed by the API, loaded back into a fresh form.
    name = f"Giao ban toàn tỉnh {uuid.uuid4().hex[:6]}"
    page.fill("#host-scope-name", name)
    page.click("#host-save-scope")
    page.wait_for_selector(f"#host-saved-scope option:text('{name}')", state="attached")
    saved = next(s for s in api.get("/scopes").json() if s["name"] == name)
    try:
        assert saved["scope"]["units"] == [{"unit": code, "subtree": True}]
        assert saved["scope"]["endpoints"] == [single["id"]]
        page.reload()
        page.wait_for_selector("#host-scope-count[data-count='0']")
        page.select_option("#host-saved-scope", saved["id"])
        wait_count(page, subtree + (0 if single["id"] in in_unit else 1))
        page.click("#host-delete-scope")
        page.click("#host-confirm [data-confirm=ok]")
        page.wait_for_selector(f"#host-saved-scope option:text('{name}')", state="detached")
        assert name not in [s["name"] for s in api.get("/scopes").json()]
    finally:
        if any(s["id"] == saved["id"] for s in api.get("/scopes").json()):
            api.delete(f"/scopes/{saved['id']}")

    # 422: the server's reason next to the field that caused it; nothing starts.
    before = {s["id"] for s in live_sessions(api)}
    page.fill("#host-title", "Giao ban lỗi mã phòng")
    page.fill("#host-conference", "phòng 1")
    page.click("#host-start")
    page.wait_for_selector("[data-error-for=conference_id]:not(:empty)")
    assert "conference_id" in page.inner_text("#host-new-error")
    assert page.inner_text("#host-new-error").startswith("Máy chủ từ chối")
    assert page.get_attribute("[data-field=conference_id]", "data-invalid") == ""
    assert {s["id"] for s in live_sessions(api)} == before
    page.fill("#host-conference", "")

    # 409: a bridge too small for the scope (made so for a moment, as an admin would).
    bridge = admin.get("/bridges").json()[0]
    assert bridge["in_use"] == 0, "another module left a session live"
    expected = shown_count(page)
    small = max(expected - 1, 1)
    try:
        admin.patch(f"/bridges/{bridge['id']}", json={"ports": small}).raise_for_status()
        page.click("#host-start")
        page.wait_for_selector("[data-error-for=bridge]:not(:empty)")
        text = page.inner_text("#host-new-error")
        body = {"title": "thử", "scope": {"units": [{"unit": code}], "endpoints": [single["id"]]}}
        problem = api.post("/sessions", json=body).json()
        assert problem["status"] == 409 and problem["ports"] == small
        assert text == (
            f"Cầu nối không đủ cổng: có {problem['ports']} cổng, {problem['in_use']} đang dùng, "
            f"còn trống {problem['free']}; phiên này cần {problem['requested']}."
        )
        assert page.inner_text("[data-error-for=bridge]") == text
    finally:
        admin.patch(f"/bridges/{bridge['id']}", json={"ports": bridge["ports"]}).raise_for_status()
    assert {s["id"] for s in live_sessions(api)} == before
    assert [e for e in page.errors if not EXPECTED_REFUSALS.match(e)] == []  # type: ignore[attr-defined]
    page.context.close()


def test_live_board_follows_a_session_from_start_to_attendance(browser, province):
    api = province.api("host")
    node, subtree, _ = pick_unit(api)
    page = open_console(browser, province, "host", viewport=WALL)
    session_id = None
    try:
        page.goto(f"{province.url}/console/#/host/new")
        page.wait_for_selector("#host-scope-count")
        page.check(f"#host-new-form input[data-unit='{node['code']}']")
        wait_count(page, subtree)
        title = f"Giao ban trực tuyến {uuid.uuid4().hex[:6]}"
        page.fill("#host-title", title)
        page.click("#host-start")
        page.wait_for_url(re.compile(r"#/host/[0-9a-f-]{36}$"))
        session_id = page.url.rsplit("/", 1)[1]
        page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page

        # Every participant connects (the simulated bridge answers within seconds), live.
        page.wait_for_selector(f"[data-counter=invited][data-count='{subtree}']", timeout=15000)
        page.wait_for_selector(f"[data-counter=connected][data-count='{subtree}']", timeout=30000)
        detail = api.get(f"/sessions/{session_id}").json()
        assert detail["title"] == title and detail["status"] == "live"
        assert detail["counts"].get("connected") == int(
            page.get_attribute("[data-counter=connected]", "data-count")
        )
        assert page.locator("#host-board .ptile[data-state=connected]").count() == len(detail["participants"])
        assert page.inner_text("#host-board-title") == title
        screenshot(page, "host-wall")

        # One call dropped by the fleet: the board shows the drop and the redial, then connected again.
        names = sorted(p["endpoint_name"] for p in detail["participants"])
        dropped, muted = names[0], names[-1]
        assert fleet_request(province.fleet_control, {"op": "drop_calls", "names": [dropped]})["dropped"] == [
            dropped
        ]
        page.wait_for_selector(f"#host-feed li[data-endpoint='{dropped}'][data-state=dropped]", timeout=15000)
        # why, in Vietnamese from the cause's code (the device's own words quoted), not our English
        drop = next(
            e["detail"]
            for e in api.get(f"/sessions/{session_id}/timeline").json()
            if e["endpoint_name"] == dropped and e["detail"].get("state") == "dropped"
        )
        said = {
            "device_ended": f"Thiết bị báo: «{(drop['cause_params'] or {}).get('device_cause')}»",
            "call_ended": "Cuộc gọi đã kết thúc",
        }[drop["cause_code"]]
        cause = page.locator(f"#host-feed li[data-endpoint='{dropped}'][data-state=dropped] [data-code]")
        assert cause.get_attribute("data-code") == drop["cause_code"]
        assert cause.inner_text().strip() == said
        page.wait_for_selector(
            f"#host-feed li[data-endpoint='{dropped}'][data-state=redialling]", timeout=15000
        )
        page.wait_for_selector(
            f".ptile[data-endpoint='{dropped}'][data-state=connected][data-drops='1']", timeout=30000
        )
        part = next(
            p
            for p in api.get(f"/sessions/{session_id}").json()["participants"]
            if p["endpoint_name"] == dropped
        )
        assert (part["state"], part["drops"]) == ("connected", 1)
        page.click(f".ptile[data-endpoint='{dropped}']")  # its menu says what the tile cannot
        assert page.inner_text("#host-tile-menu .pt-meta") == "Gọi 2 lần · Rớt 1 lần"
        page.keyboard.press("Escape")
        assert page.evaluate("window.__sameDocument") is True

        # Mute one participant from its tile's menu; the API agrees; unmute it again.
        page.click(f".ptile[data-endpoint='{muted}']")
        page.click("#host-tile-menu [data-action=mute]")
        page.wait_for_selector(f".ptile[data-endpoint='{muted}'][data-muted=true]")
        page.wait_for_selector("#host-tile-menu [data-muted]")
        part = next(
            p
            for p in api.get(f"/sessions/{session_id}").json()["participants"]
            if p["endpoint_name"] == muted
        )
        assert part["muted"] is True
        assert page.get_attribute("[data-counter=muted]", "data-count") == "1"

        # A second host on a laptop sees the same board.
        laptop = open_console(browser, province, "host", viewport=LAPTOP)
        laptop.goto(f"{province.url}/console/#/host/{session_id}")
        laptop.wait_for_selector(f"[data-counter=connected][data-count='{subtree}']", timeout=15000)
        laptop.wait_for_selector(f".ptile[data-endpoint='{muted}'][data-muted=true]")
        # The activity history is loaded too (the drop happened before this page opened).
        laptop.wait_for_selector(f"#host-feed li[data-endpoint='{dropped}'][data-state=dropped]")
        screenshot(laptop, "host-laptop")
        assert laptop.errors == []  # type: ignore[attr-defined]
        laptop.context.close()

        page.click(f".ptile[data-endpoint='{muted}']")
        page.click("#host-tile-menu [data-action=mute]")
        page.wait_for_selector(f".ptile[data-endpoint='{muted}'][data-muted=false]")
        part = next(
            p
            for p in api.get(f"/sessions/{session_id}").json()["participants"]
            if p["endpoint_name"] == muted
        )
        assert part["muted"] is False

        # The sessions list shows it live with its counts.
        page.goto(f"{province.url}/console/#/host")
        row = page.locator(f"#host-live tr[data-session='{session_id}']")
        row.wait_for()
        assert f"{subtree}/{subtree} đã vào" in row.inner_text()
        row.click()
        page.wait_for_selector(f"[data-counter=connected][data-count='{subtree}']")

        # End, after confirming; the board shows it ended and offers the attendance.
        page.click("#host-end")
        page.wait_for_selector("#host-confirm")
        page.click("#host-confirm [data-confirm=cancel]")
        assert api.get(f"/sessions/{session_id}").json()["status"] == "live"
        page.click("#host-end")
        page.click("#host-confirm [data-confirm=ok]")
        page.wait_for_selector("#host-status [data-state=ended]", timeout=30000)
        page.wait_for_selector("#host-banner:not([hidden])")
        assert api.get(f"/sessions/{session_id}").json()["status"] == "ended"
        page.click("#host-board .ptile")  # an ended session's menu offers no action
        page.wait_for_selector("#host-tile-menu:not([hidden])")
        assert page.locator("#host-tile-menu [data-action]").count() == 0
        page.keyboard.press("Escape")
        # Opened again later, the ended board says it ended and does not try to reconnect.
        again = open_console(browser, province, "host", viewport=LAPTOP)
        again.goto(f"{province.url}/console/#/host/{session_id}")
        again.wait_for_selector("#host-banner:not([hidden])", timeout=15000)
        again.wait_for_selector("#host-status [data-state=ended]")
        expect(again.locator("#host-conn")).to_be_hidden()
        assert "Đang kết nối lại" not in again.inner_text("main")
        again.context.close()

        # Attendance: the table is the API's, the CSV the server's (BOM, one line per participant).
        page.click("#host-open-attendance")
        page.wait_for_selector("#host-att-table")
        attendance = api.get(f"/sessions/{session_id}/attendance").json()
        rows = page.eval_on_selector_all(
            "#host-att-table tbody tr",
            "trs => trs.map(tr => [tr.dataset.endpoint, tr.dataset.state, +tr.dataset.drops, +tr.dataset.attempts])",
        )
        assert rows == [
            [r["endpoint_name"], r["final_state"], r["drops"], r["attempts"]]
            for r in attendance["participants"]
        ]
        assert page.inner_text("[data-stat=joined] b") == str(attendance["joined"])
        assert page.inner_text("[data-stat=invited] b") == str(attendance["invited"])
        screenshot(page, "host-attendance")
        with page.expect_download() as info:
            page.click("#host-att-csv")
        download = info.value
        assert download.suggested_filename == f"attendance-{attendance['conference_id']}.csv"
        raw = Path(download.path()).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert lines[0][:4] == ["endpoint", "unit_code", "unit", "final_state"]
        assert len(lines) == 1 + len(attendance["participants"])
        assert {line[0] for line in lines[1:]} == {r["endpoint_name"] for r in attendance["participants"]}

        # And the list now files it under the recent sessions.
        page.goto(f"{province.url}/console/#/host")
        page.locator(f"#host-recent tr[data-session='{session_id}'] [data-state=ended]").wait_for()
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        if session_id and api.get(f"/sessions/{session_id}").json()["status"] == "live":
            api.post(f"/sessions/{session_id}/end")
        page.context.close()


def test_a_scheduled_session_is_listed_and_cancelled_in_english(browser, province):
    api = province.api("host")
    node, _, _ = pick_unit(api)
    page = open_console(browser, province, "host", viewport=LAPTOP, lang="en")
    session_id = None
    try:
        page.goto(f"{province.url}/console/#/host/new")
        page.wait_for_selector("#host-scope-count")
        page.check(f"#host-new-form input[data-unit='{node['code']}']")
        title = f"Scheduled briefing {uuid.uuid4().hex[:6]}"
        page.fill("#host-title", title)
        page.check("input[name=when][value=schedule]")
        assert page.inner_text("#host-start") == "Schedule"
        # The form proposes a local time an hour ahead; the API receives the same instant in UTC.
        start_iso = page.evaluate("new Date(document.querySelector('#host-start-at').value).toISOString()")
        page.fill("#host-duration", "90")
        page.click("#host-start")
        page.wait_for_url(re.compile(r"#/host$"))
        row = page.locator("#host-scheduled tr[data-session]", has_text=title)
        row.wait_for()
        session_id = row.get_attribute("data-session")
        detail = api.get(f"/sessions/{session_id}").json()
        assert (detail["status"], detail["duration_s"], detail["participants"]) == ("scheduled", 90 * 60, [])
        assert datetime.fromisoformat(detail["start_at"]) == datetime.fromisoformat(start_iso)

        row.click()
        page.wait_for_selector("#host-banner:not([hidden])")
        assert page.inner_text("#host-banner").startswith("The session starts by itself at")
        assert page.inner_text("#host-end") == "Cancel session"
        page.click("#host-end")
        page.click("#host-confirm [data-confirm=ok]")
        page.wait_for_selector("#host-status [data-state=cancelled]")
        assert api.get(f"/sessions/{session_id}").json()["status"] == "cancelled"
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        if session_id and api.get(f"/sessions/{session_id}").json()["status"] in ("scheduled", "live"):
            api.post(f"/sessions/{session_id}/end")
        page.context.close()

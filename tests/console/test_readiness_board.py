"""The readiness board in real Chromium, on a demo province with its meeting an hour ahead:
the T-60 round fills the board by itself, a failing endpoint shows its reason and what to do
in Vietnamese, the technician answers "Đang đến", and after the fault is fixed in the
simulator "Kiểm tra lại" turns the endpoint ready.

A province of its own (24 endpoints, the meeting on, no cameras): its failing endpoints would
change what the shared province's other views show.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.console.conftest import LAPTOP, WALL, Province, open_console, own_province, screenshot
from tests.console.test_accessibility import check, verdict, with_axe
from tests.console.test_host import fleet_request
from tests.support.waiting import until_sync


@pytest.fixture(scope="module")
def meeting_province() -> Iterator[Province]:
    with own_province(count=24, cameras=0, meeting=True) as province:
        yield province


def _meeting(province: Province) -> dict:
    (meeting,) = province.api("host").get("/sessions", params={"status": "scheduled"}).json()["items"]
    return meeting


def _board(province: Province, session_id: str) -> dict:
    return province.api("host").get("/readiness/board", params={"session": session_id}).json()


def test_the_round_fills_the_board_and_a_fixed_endpoint_turns_ready(browser, meeting_province):
    province = meeting_province
    meeting = _meeting(province)
    board = until_sync(
        lambda: (b := _board(province, meeting["id"]))["runs"] and b["runs"][0]["status"] == "done" and b,
        seconds=90,
    )
    not_ready = {i["endpoint_name"]: i for i in board["items"] if i["verdict"] == "not_ready"}
    assert board["runs"][0]["label"] == "T-60"
    assert len(board["items"]) == 24 and len(not_ready) == 6, not_ready.keys()
    unregistered = next(
        n for n, i in not_ready.items() if [r["code"] for r in i["reasons"]] == ["sip_unregistered"]
    )
    # each not-ready endpoint is an alarm while the meeting is ahead, with its reasons
    alarms = until_sync(
        lambda: (
            (
                a := [
                    x
                    for x in province.api("technician")
                    .get("/alarms", params={"status": "active", "limit": 500})
                    .json()["items"]
                    if x["kind"] == "not_ready"
                ]
            )
            and len(a) == 6
            and a
        ),
        seconds=30,
    )
    assert {a["entity_name"] for a in alarms} == set(not_ready)

    page = open_console(province=province, browser=browser, role="technician", viewport=WALL)
    try:
        page.click("nav a[data-route=ready]")
        page.click(f"#ready-ahead li[data-session='{meeting['id']}'] a")
        page.wait_for_selector("#ready-counts[data-ready='18'][data-not-ready='6']")
        assert page.inner_text("#ready-session-title") == meeting["title"]
        assert "T-60" in page.inner_text("#ready-runs")
        row = page.locator(f"#ready-table tr[data-endpoint='{unregistered}']")
        assert (
            row.locator("li[data-code=sip_unregistered]").inner_text()
            == "Điểm cầu chưa đăng ký SIP với tổng đài"
        )
        assert "Kiểm tra cấu hình SIP" in row.locator("td").nth(2).inner_text()
        screenshot(page, "ready-board")
        problems: list[str] = []
        check(with_axe(page, province), province, "ready-board", WALL, problems)
        verdict(problems)

        row.locator("button[data-act=on_my_way]").click()
        page.wait_for_selector(f"#ready-table tr[data-endpoint='{unregistered}'] td.ack[data-ack=on_my_way]")
        assert (
            "Đang đến · technician"
            in page.locator(f"#ready-table tr[data-endpoint='{unregistered}'] td.ack").inner_text()
        )

        fleet_request(province.fleet_control, {"op": "set", "endpoint": unregistered, "sip_registered": True})
        page.locator(f"#ready-table tr[data-endpoint='{unregistered}'] button[data-act=check]").click()
        page.wait_for_selector(
            f"#ready-table tr[data-endpoint='{unregistered}']", state="detached", timeout=60000
        )
        page.wait_for_selector("#ready-counts[data-ready='19'][data-not-ready='5']")
        assert page.locator(f"#ready-ok li[data-endpoint='{unregistered}']").count() == 1
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        page.context.close()

    # the acknowledgement stays with the not-ready check, in its history
    history = (
        province.api("technician")
        .get(f"/readiness/endpoints/{not_ready[unregistered]['endpoint_id']}/history")
        .json()
    )
    assert [h["verdict"] for h in history][:2] == ["ready", "not_ready"]
    assert history[1]["ack_kind"] == "on_my_way"


def test_the_board_speaks_english_and_fits_a_laptop(browser, meeting_province):
    province = meeting_province
    meeting = _meeting(province)
    until_sync(lambda: _board(province, meeting["id"])["counts"]["not_ready"] >= 5, seconds=90)
    page = open_console(browser, province, "host", viewport=LAPTOP, lang="en")
    try:
        page.goto(f"{province.url}/console/#/ready/{meeting['id']}")
        page.wait_for_selector("#ready-table tr[data-endpoint]")
        reasons = page.locator("#ready-table li.reason").all_inner_texts()
        assert any(r.startswith("Packet loss") and "on the test call (limit 1 %)" in r for r in reasons), (
            reasons
        )
        assert any(r.startswith("Clock ") and "s off (limit 30 s)" in r for r in reasons), reasons
        assert page.locator("#ready-check-all").inner_text() == "Check everyone now"
        with page.expect_response(lambda r: "/readiness/report" in r.url) as answer:
            page.click("#ready-download")
        response = answer.value
        assert response.status == 200 and "format=xlsx" in response.url
        assert response.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        assert response.headers["content-disposition"].endswith('.xlsx"')
        page.wait_for_selector("#toast.ok:not([hidden])")  # "Downloaded ...": the blob was read
        assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth + 1")
        problems: list[str] = []
        check(with_axe(page, province), province, "ready-board-en", LAPTOP, problems)
        verdict(problems)
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        page.context.close()

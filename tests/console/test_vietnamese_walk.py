"""Every view of the console, as every role, in Vietnamese (the default): no English sentence
the controller sent may reach the page.

The controller sends alarms, health reasons, job item failures and CSV row errors as stable
codes with params beside English text; the console words them from its catalogues. With one
alarm raised (an endpoint refusing connections), one failed job item (a plan against it), one
planned item (a plan that worked, with its progress note) and one rejected CSV import on screen, the walk reads each view's text and looks for every
English `message`, `reason`, `detail` the API returned for them, and for a few English
phrases that must never show. The endpoint is brought back afterwards; the rejected import
wrote nothing; the plan jobs wrote nothing to any device.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from controller.health.catalogue import FAILURE_CODES
from endpoints.sim.control import read_control_file
from tests.console.conftest import LAPTOP, Province, open_console
from tests.support.waiting import until_sync

LIMIT = 30_000  # ms: an upper bound for waits, never a timing assertion
VICTIM = "DEMO-vc023"  # no other console test touches it
# English the server might send that the console must word itself, whatever the data.
PHRASES = (
    "cannot connect",
    "Connection refused",
    "ConnectionRefusedError",
    "no TCP connection",
    "the device refused",
    "Value error",
    "Field required",
    "must be an IPv4",
    "No unit with",
    "unit does not exist",
)
VIEWS = {
    "ioc_viewer": ["ioc", "endpoint", "camera"],
    "technician": ["ioc", "endpoint", "camera", "tech", "tech/import", "tech/provision", "tech/firmware"],
    "host": ["ioc", "endpoint", "camera", "host", "host/new", "host/board"],
    "admin": [
        "ioc",
        "endpoint",
        "camera",
        "tech",
        "tech/import",
        "tech/provision",
        "tech/firmware",
        "host",
        "host/new",
        "host/board",
    ],
}


def sim(province: Province, request: dict) -> dict:
    """One request to the fleet's control server (plain sockets: Playwright owns the loop)."""
    with socket.create_connection(read_control_file(province.fleet_control), timeout=5) as conn:
        conn.sendall(json.dumps(request).encode() + b"\n")
        reply = json.loads(conn.makefile("rb").readline())
    assert reply.get("ok"), reply
    return reply


def bad_csv(province: Province) -> bytes:
    """Two rows the controller rejects (a bad address, an unknown unit): nothing is imported."""
    header, first = (province.data_dir / "fleet.csv").read_text(encoding="utf-8").splitlines()[:2]
    values = dict(zip(header.split(","), first.split(","), strict=True))
    rows = [
        {**values, "name": "Walk-bad-host", "host": "999.1.1.1", "port": "21", "host_key": ""},
        {**values, "name": "Walk-bad-unit", "unit": "NO-SUCH-UNIT", "port": "22", "host_key": ""},
    ]
    lines = [header] + [",".join(r[c] for c in header.split(",")) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def plan(api: httpx.Client, endpoint_id: str) -> tuple[str, dict]:
    """A plan job for one endpoint (it writes nothing), run to its end: its id and its item."""
    job = api.post("/provisioning/jobs", json={"endpoints": [endpoint_id], "mode": "plan"})
    job.raise_for_status()
    job_id = job.json()["id"]
    until_sync(lambda: api.get(f"/jobs/{job_id}").json()["status"] == "done", seconds=120, what="a plan job")
    (item,) = api.get(f"/jobs/{job_id}/items").json()
    return job_id, item


@pytest.fixture(scope="module")
def troubled(province: Province) -> Iterator[dict]:
    """The province with an alarm raised and a failed job item; the English the API sent."""
    api = province.api("admin")
    ep = next(e for e in api.get("/endpoints", params={"limit": 1000}).json()["items"] if e["name"] == VICTIM)
    state = lambda: api.get(f"/endpoints/{ep['id']}").json()["state"]  # noqa: E731
    until_sync(lambda: state() == "online", seconds=120, what=f"{VICTIM} online before the fault")
    # Refuse new connections, and drop the monitor's open one: the endpoint becomes unreachable.
    sim(province, {"op": "fault", "endpoint": VICTIM, "fault": "refuse"})
    sim(province, {"op": "fault", "endpoint": VICTIM, "fault": "drop"})
    try:

        def raised() -> dict | None:
            items = api.get("/alarms", params={"entity_id": ep["id"]}).json()["items"]
            return next((a for a in items if a["kind"] == "unreachable"), None)

        alarm = until_sync(raised, seconds=120, what=f"an unreachable alarm on {VICTIM}")
        assert alarm["code"] == "unreachable" and alarm["params"]["error"] in FAILURE_CODES, alarm
        job_id, item = plan(api, ep["id"])
        # the job makes its own attempt (a person asked), so the cause is the connect's own
        assert item["status"] == "error" and item["error_code"] in FAILURE_CODES, item
        # and a plan that worked: its note ("3 to set, 2 already right") is English too
        healthy = next(
            e for e in api.get("/endpoints", params={"limit": 1000}).json()["items"] if e["name"] != VICTIM
        )
        planned_id, item = plan(api, healthy["id"])
        assert item["status"] == "planned" and item["message_code"] == "plan", item
        # and a meeting it cannot join: its cause on the host's board (the session reads the
        # endpoint's stored state, which the alarm may precede by a poll)
        until_sync(lambda: state() in ("offline", "unreachable"), seconds=120, what=f"{VICTIM} down")
        meeting = province.api("host").post(
            "/sessions", json={"title": "Walk", "scope": {"endpoints": [ep["id"]]}}
        )
        assert meeting.status_code == 201, meeting.text
        meeting_id = meeting.json()["id"]
        (part,) = meeting.json()["participants"]
        assert part["state"] == "unavailable" and part["cause_code"] == "endpoint_down", part
        yield {
            "endpoint": ep,
            "job": job_id,
            "planned": planned_id,
            "session": meeting_id,
            "english": english(api, province) | {part["cause"]},
        }
    finally:
        if "meeting_id" in locals():
            province.api("host").post(f"/sessions/{meeting_id}/end")
        sim(province, {"op": "fault", "endpoint": VICTIM, "fault": "clear"})
        until_sync(lambda: state() == "online", seconds=120, what=f"{VICTIM} online again")
        until_sync(
            lambda: not api.get("/alarms", params={"entity_id": ep["id"]}).json()["items"],
            seconds=120,
            what=f"{VICTIM}'s alarm cleared",
        )
        api.close()


def english(api: httpx.Client, province: Province) -> set[str]:
    """Every English text the API holds for what the walk shows: alarm messages, health
    reasons, failed job items, the CSV rows' reasons."""
    texts = {
        a["message"] for a in api.get("/alarms", params={"status": "all", "limit": 1000}).json()["items"]
    }
    texts |= {h["reason"] for h in api.get("/health/endpoints", params={"limit": 1000}).json()["items"]}
    for cam in api.get("/cameras").json()["items"]:
        texts.add(api.get(f"/cameras/{cam['id']}/health").json()["reason"])
    for job in api.get("/jobs", params={"limit": 50}).json()["items"]:
        items = api.get(f"/jobs/{job['id']}/items").json()
        texts |= {i["message"] for i in items} | {job["message"]}
    r = api.post("/endpoints/import", files={"file": ("walk.csv", bad_csv(province), "text/csv")})
    assert r.status_code == 422, r.text
    texts |= {e["reason"] for e in r.json()["errors"]} | {r.json().get("detail")}
    return {t for t in texts if t}


def visit(page: Page, province: Province, view: str, troubled: dict) -> None:
    """Open one view and wait until what it shows of the trouble is on the page."""
    cam = None
    if view == "host/board":
        page.goto(f"{province.url}/console/#/host/{troubled['session']}")
        page.wait_for_selector("#host-problems .pt-cause[data-code=endpoint_down]", timeout=LIMIT)
        return
    if view == "endpoint":
        page.goto(f"{province.url}/console/#/endpoint/{troubled['endpoint']['id']}")
        page.wait_for_selector("#details-reason:not(:empty)", timeout=LIMIT)
        page.wait_for_selector("td.message[data-code=unreachable]", timeout=LIMIT)
        return
    if view == "camera":
        cam = httpx.get(
            f"{province.url}/api/v1/cameras", headers={"Authorization": f"Bearer {province.token('admin')}"}
        ).json()["items"][0]
        page.goto(f"{province.url}/console/#/camera/{cam['id']}")
        page.wait_for_selector("#details-state .badge", timeout=LIMIT)
        return
    page.goto(f"{province.url}/console/#/{view}")
    if view == "ioc":
        page.wait_for_selector(".message[data-code=unreachable]", timeout=LIMIT)
    elif view == "tech":
        page.wait_for_selector(f"#ep-table tr[data-name='{VICTIM}'] .reason", timeout=LIMIT)
    elif view == "tech/import":
        page.wait_for_selector("#import-file")
        page.set_input_files(
            "#import-file", files=[{"name": "walk.csv", "mimeType": "text/csv", "buffer": bad_csv(province)}]
        )
        page.click("#import-run")
        expect(page.locator("#import-report[data-rejected=true]")).to_be_visible(timeout=LIMIT)
        page.wait_for_selector("#import-errors tbody tr")
    elif view == "tech/provision":
        page.click(f".jobs-list tr[data-job='{troubled['planned']}']", timeout=LIMIT)
        page.wait_for_selector(".job-items tr[data-status=planned] td.message[data-code=plan]", timeout=LIMIT)
        assert "mục cần đặt" in page.inner_text(".job-items")
        page.click(f".jobs-list tr[data-job='{troubled['job']}']", timeout=LIMIT)
        page.wait_for_selector(".job-items tr[data-status=error] td.message[data-code]", timeout=LIMIT)
        # a job that finished with a failed item is amber with its count, not a green "Xong"
        badge = page.locator("[data-pane=provision] .job h2 .badge")
        expect(badge).to_have_attribute("data-state", "done_errors", timeout=LIMIT)
        assert badge.inner_text() == "Xong, 1 lỗi"
        listed = page.locator(f".jobs-list tr[data-job='{troubled['job']}'] .badge")
        assert (
            listed.get_attribute("data-state") == "done_errors" and listed.get_attribute("data-errors") == "1"
        )
    else:
        page.wait_for_selector("main > *", timeout=LIMIT)


@pytest.mark.parametrize("role", list(VIEWS))
def test_no_english_from_the_server_on_any_view(browser, province, troubled, role):
    page = open_console(browser, province, role, viewport=LAPTOP)
    try:
        for view in VIEWS[role]:
            visit(page, province, view, troubled)
            text = page.inner_text("body")
            leaked = sorted(s for s in troubled["english"] | set(PHRASES) if s in text)
            assert leaked == [], f"{role} #/{view} shows English from the server: {leaked}"
    finally:
        page.context.close()

"""The technician view (#/tech) in real Chromium against `diemcau demo`.

Every number and name the page shows is compared with what the API returns;
every endpoint a test registers or imports is deleted again, moved endpoints go
back to their unit and injected device conditions are cleared, so the shared
province is left as it was found.
"""

from __future__ import annotations

import json
import re
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Page, expect

from endpoints.sim.control import read_control_file
from tests.console.conftest import LAPTOP, WALL, Province, open_console, pick_unit, screenshot
from tests.support.waiting import until_sync

LIMIT = 30_000  # ms: an upper bound for waits, never a timing assertion
# A 422 the test provokes on purpose is logged by Chromium as a failed resource load.
EXPECTED_422 = "Failed to load resource: the server responded with a status of 422"


def clean(page: Page, allow_422: bool = False) -> list[str]:
    errors = page.errors  # type: ignore[attr-defined]
    return [e for e in errors if not (allow_422 and e.startswith(EXPECTED_422))]


def page_names(page: Page) -> list[str]:
    return page.eval_on_selector_all("#ep-table tbody tr", "trs => trs.map(tr => tr.dataset.name)")


def api_names(api: httpx.Client, **params: str) -> list[str]:
    r = api.get("/endpoints", params={"limit": 50, **params})
    r.raise_for_status()
    return [e["name"] for e in r.json()["items"]]


def filter_list(page: Page, unit: str = "", state: str = "") -> None:
    pick_unit(page, "#ep-filter-unit", unit)
    page.select_option("#ep-filter-state", state)
    page.wait_for_selector(f"#ep-table[data-unit='{unit}'][data-state='{state}']", timeout=LIMIT)


def by_name(api: httpx.Client, name: str) -> dict | None:
    # Not `q=`: on SQLite its lower() folds ASCII only, so "Điểm" never matches "điểm".
    items = api.get("/endpoints", params={"limit": 1000}).json()["items"]
    return next((e for e in items if e["name"] == name), None)


def delete_named(api: httpx.Client, *names: str) -> None:
    for name in names:
        ep = by_name(api, name)
        if ep:
            api.delete(f"/endpoints/{ep['id']}").raise_for_status()


def sim(province: Province, request: dict) -> dict:
    """One request to the fleet's control server (the JSON-lines protocol of endpoints/sim/control.py).

    Plain sockets: Playwright's sync API already runs an event loop in this thread.
    """
    with socket.create_connection(read_control_file(province.fleet_control), timeout=5) as conn:
        conn.sendall(json.dumps(request).encode() + b"\n")
        reply = json.loads(conn.makefile("rb").readline())
    assert reply.get("ok"), reply
    return reply


def first_commune(api: httpx.Client) -> str:
    def walk(nodes):
        for n in nodes:
            if n["level"] == "commune":
                return n["code"]
            found = walk(n["children"])
            if found:
                return found
        return None

    return walk(api.get("/units/tree").json())


@contextmanager
def moved(api: httpx.Client, names: list[str], unit: str) -> Iterator[None]:
    """The demo's endpoints all hang at the province: lend two to a commune, then put them back."""
    eps = [by_name(api, n) for n in names]
    try:
        for ep in eps:
            api.patch(f"/endpoints/{ep['id']}", json={"unit": unit}).raise_for_status()
        yield
    finally:
        for ep in eps:
            api.patch(f"/endpoints/{ep['id']}", json={"unit": ep["unit"]["code"]})


def wait_settled(api: httpx.Client) -> None:
    """A fresh demo's endpoints start "unknown" until the monitor's first polls: wait for those
    (bounded), so a state filter compares a still province with the API."""
    deadline = time.monotonic() + 60

    def unknown() -> list[str]:
        items = api.get("/endpoints", params={"limit": 1000}).json()["items"]
        return [e["name"] for e in items if e["name"].startswith("DEMO-vc") and e["state"] == "unknown"]

    while unknown():
        assert time.monotonic() < deadline, "the demo's endpoints never left 'unknown'"
        time.sleep(0.5)


def test_endpoint_list_filters_and_live_state(browser, province):
    api = province.api("technician")
    wait_settled(api)
    page = open_console(browser, province, "technician", viewport=WALL)
    page.wait_for_url("**/console/#/tech")
    page.wait_for_selector("#ep-table[data-unit=''] tbody tr", timeout=LIMIT)
    assert page_names(page) == api_names(api)
    screenshot(page, "tech-wall")

    roots = api.get("/units/tree").json()
    province_code = roots[0]["children"][0]["code"]
    district = roots[0]["children"][0]["children"][0]["code"]
    for unit in (province_code, district):
        filter_list(page, unit=unit)
        assert page_names(page) == api_names(api, unit=unit)
        total = api.get("/endpoints", params={"unit": unit, "limit": 1}).json()["total"]
        assert page.get_attribute("#ep-total", "data-total") == str(total)
    expect(page.locator("#ep-empty")).to_be_visible()  # the district has none in the demo

    for state in ("online", "offline"):
        filter_list(page, unit=province_code, state=state)
        assert page_names(page) == api_names(api, unit=province_code, state=state)
        badges = page.eval_on_selector_all("#ep-table tbody .badge", "bs => bs.map(b => b.dataset.state)")
        assert set(badges) <= {state}

    filter_list(page, unit=province_code)
    page.fill("#ep-filter-q", "vc01")
    page.wait_for_selector("#ep-table[data-q='vc01']", timeout=LIMIT)
    assert page_names(page) == api_names(api, unit=province_code, q="vc01") != []
    page.fill("#ep-filter-q", "")
    filter_list(page)

    # Live: a camera unplugged on the device makes the monitor say "degraded"; the row's
    # badge changes in place (the marked <tr> survives: nothing was reloaded).
    name = "DEMO-vc007"
    row = page.locator(f"#ep-table tr[data-name='{name}']")
    row.evaluate("tr => tr.dataset.marker = 'kept'")
    sim(province, {"op": "set", "endpoint": name, "camera_connected": False})
    try:
        expect(row.locator(".badge")).to_have_attribute("data-state", "degraded", timeout=LIMIT)
        assert row.get_attribute("data-marker") == "kept"
        ep = by_name(api, name)
        health = api.get(f"/endpoints/{ep['id']}/health").json()
        assert ep["state"] == "degraded"
        # the reason as a code and params, worded by the console (the English stays in the API)
        assert health["reason"] == "camera disconnected"
        assert health["reason_params"]["problems"] == ["camera_disconnected"]
        assert row.locator(".reason").inner_text() == "Chất lượng suy giảm: mất kết nối camera"
        assert row.locator(".badge").inner_text() == "Suy giảm"
    finally:
        sim(province, {"op": "set", "endpoint": name, "camera_connected": True})
    expect(row.locator(".badge")).to_have_attribute("data-state", "online", timeout=LIMIT)

    # A row click opens the endpoint's details.
    row.locator("td.addr").click()
    page.wait_for_url(f"**/console/#/endpoint/{by_name(api, name)['id']}")
    assert clean(page) == []
    page.context.close()


def test_register_shows_field_errors_then_creates(browser, province):
    api = province.api("technician")
    name = f"Điểm cầu thử {uuid.uuid4().hex[:6]}"
    page = open_console(browser, province, "technician", viewport=LAPTOP)
    try:
        page.wait_for_selector("#ep-table tbody tr", timeout=LIMIT)
        page.click("#ep-register-open")
        page.fill("#reg-name", name)
        pick_unit(page, "#reg-unit", "DEMO")
        page.fill("#reg-host", "999.1.1.1")
        page.fill("#reg-port", "2222")
        page.select_option("#reg-profile", "cisco-roomos")
        page.fill("#reg-username", "admin")
        page.fill("#reg-password", "mật-khẩu")
        page.click("#reg-submit")

        host_error = page.locator(".field[data-field=host] .field-error")
        # the complaint in the console's language (the API sends a code; its English reason is not shown)
        expect(host_error).to_have_text("Phải là địa chỉ IPv4/IPv6 hoặc tên miền", timeout=LIMIT)
        expect(page.locator(".field[data-field=host]")).to_have_class(re.compile("invalid"))
        assert page.locator(".field[data-field=name] .field-error").inner_text() == ""
        assert page.input_value("#reg-name") == name  # what was typed is kept
        assert page.input_value("#reg-password") == "mật-khẩu"
        assert by_name(api, name) is None

        page.fill("#reg-host", "192.0.2.77")  # TEST-NET-1: nothing answers, nothing is touched
        expect(host_error).to_have_text("")  # editing clears the field's complaint
        page.click("#reg-submit")
        page.wait_for_selector(f"#ep-table tr.new[data-name='{name}']", timeout=LIMIT)
        expect(page.locator("#toast")).to_contain_text(name)
        ep = by_name(api, name)
        assert ep and ep["host"] == "192.0.2.77" and ep["port"] == 2222 and ep["unit"]["code"] == "DEMO"
        expect(page.locator("#register")).to_be_hidden()
        page.click("#ep-register-open")
        assert page.input_value("#reg-name") == ""  # the form is ready for the next one
        page.click("#ep-register-open")
        screenshot(page, "tech-laptop")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert clean(page, allow_422=True) == []
    finally:
        delete_named(api, name)
        page.context.close()


def csv_file(province: Province, good: str) -> bytes:
    header, first = (province.data_dir / "fleet.csv").read_text(encoding="utf-8").splitlines()[:2]
    values = dict(zip(header.split(","), first.split(","), strict=True))
    rows = [
        {**values, "name": good, "port": "9", "host_key": ""},
        {**values, "name": f"{good}-bad-host", "host": "999.1.1.1", "port": "10", "host_key": ""},
        {**values, "name": f"{good}-bad-unit", "unit": "NO-SUCH-UNIT", "port": "11", "host_key": ""},
    ]
    lines = [header] + [",".join(r[c] for c in header.split(",")) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def test_csv_import_lists_bad_rows_then_imports_valid_only(browser, province):
    api = province.api("technician")
    good = f"CSV-thu-{uuid.uuid4().hex[:6]}"
    data = csv_file(province, good)
    page = open_console(browser, province, "technician", viewport=LAPTOP)
    try:
        page.goto(f"{province.url}/console/#/tech/import")
        page.wait_for_selector("#import-file")
        page.set_input_files(
            "#import-file", files=[{"name": "kiem-ke.csv", "mimeType": "text/csv", "buffer": data}]
        )
        expect(page.locator("#import-preview")).to_contain_text("3")
        page.click("#import-run")
        report = page.locator("#import-report[data-rejected=true]")
        expect(report).to_be_visible(timeout=LIMIT)
        assert report.get_attribute("data-imported") == "0"
        bad = page.eval_on_selector_all(
            "#import-errors tbody tr", "trs => trs.map(tr => [Number(tr.dataset.line), tr.dataset.field])"
        )
        assert bad == [[3, "host"], [4, "unit"]]
        shown = page.eval_on_selector_all(
            "#import-errors tbody tr td:last-child", "tds => tds.map(td => [td.dataset.code, td.textContent])"
        )
        # The same report the API gives for the same file, code for code, in Vietnamese words.
        r = api.post("/endpoints/import", files={"file": ("kiem-ke.csv", data, "text/csv")})
        assert r.status_code == 422
        assert [code for code, _ in shown] == [e["code"] for e in r.json()["errors"]]
        assert [text for _, text in shown] == [
            "Phải là địa chỉ IPv4/IPv6 hoặc tên miền",
            "Không có đơn vị mã này",
        ]
        assert not {text for _, text in shown} & {e["reason"] for e in r.json()["errors"]}  # no English
        assert by_name(api, good) is None  # all or nothing: nothing imported
        screenshot(page, "tech-import-errors")

        page.check("#import-valid-only")
        page.click("#import-run")
        expect(page.locator("#import-report[data-rejected=false]")).to_have_attribute(
            "data-imported", "1", timeout=LIMIT
        )
        assert page.locator("#import-errors tbody tr").count() == 2  # the bad rows are still listed
        ep = by_name(api, good)
        assert ep is not None and ep["port"] == 9
        assert by_name(api, f"{good}-bad-host") is None
        assert clean(page, allow_422=True) == []
    finally:
        delete_named(api, good)
        page.context.close()


def job_counts_on_page(page: Page) -> dict[str, int]:
    return {
        b["status"]: int(b["count"])
        for b in page.eval_on_selector_all(".job .job-counts .badge", "bs => bs.map(b => ({...b.dataset}))")
    }


def test_a_job_with_failures_is_amber_lists_them_first_filters_them_and_retries_only_them(browser, province):
    api = province.api("technician")
    commune = first_commune(api)
    names = ["DEMO-vc021", "DEMO-vc022", "DEMO-vc023"]
    broken = "DEMO-vc022"
    page = open_console(browser, province, "technician", viewport=WALL)
    try:
        with moved(api, names, commune):
            # the codec refuses connections and drops the open one: its plan fails
            sim(province, {"op": "fault", "endpoint": broken, "fault": "refuse"})
            sim(province, {"op": "fault", "endpoint": broken, "fault": "drop"})
            try:
                page.goto(f"{province.url}/console/#/tech/provision")
                pick_unit(page, "#prov-unit", commune)
                page.click("#prov-plan")
                job = page.locator("#view-tech [data-pane=provision] .job")
                expect(job).to_have_attribute("data-final", "true", timeout=LIMIT)
                plan_id = job.get_attribute("data-job")
                record = api.get(f"/jobs/{plan_id}").json()
                assert record["status"] == "done" and record["counts"].get("error") == 1, record
                badge = job.locator(".job-status .badge")
                assert (
                    badge.get_attribute("data-state") == "done_errors" and badge.inner_text() == "Xong, 1 lỗi"
                )
                rows = job.locator("tbody tr")
                assert rows.first.get_attribute("data-endpoint") == broken  # failures first
                # Errors only: the failed row alone.
                job.locator(".only-errors").check()
                visible = job.locator("tbody tr:visible").evaluate_all(
                    "trs => trs.map(tr => tr.dataset.endpoint)"
                )
                assert visible == [broken]
                job.locator(".only-errors").uncheck()
                assert job.locator("tbody tr:visible").count() == 3
            finally:
                sim(province, {"op": "fault", "endpoint": broken, "fault": "clear"})
            # Retry the failed one only, after saying which.
            retry = job.locator("button.retry")
            expect(retry).to_have_text("Thử lại 1 điểm lỗi")
            retry.click()
            assert (
                page.inner_text("#host-confirm p")
                == f"Kế hoạch cấu hình: chạy lại trên 1 điểm lỗi ({broken})?"
            )
            page.click("#host-confirm [data-confirm=ok]")
            expect(job).not_to_have_attribute("data-job", plan_id, timeout=LIMIT)
            expect(job).to_have_attribute("data-final", "true", timeout=LIMIT)
            again = api.get(f"/jobs/{job.get_attribute('data-job')}").json()
            assert (again["mode"], again["target"]["endpoints"]) == ("plan", [by_name(api, broken)["id"]])
            assert again["status"] == "done" and "error" not in again["counts"], again
            expect(job.locator(".job-status .badge")).to_have_attribute("data-state", "done")
            assert job.locator("button.retry").is_hidden() and job.locator(".only-errors-box").is_hidden()
            listed = page.eval_on_selector_all(
                "[data-pane=provision] .jobs tbody tr", "trs => trs.map(tr => tr.dataset.job)"
            )
            assert listed[:2] == [again["id"], plan_id]
            assert clean(page) == []
    finally:
        page.context.close()


def test_provisioning_plan_then_apply_with_live_progress(browser, province):
    api = province.api("technician")
    commune = first_commune(api)
    names = ["DEMO-vc021", "DEMO-vc022"]
    page = open_console(browser, province, "technician", viewport=WALL)
    try:
        with moved(api, names, commune):
            page.goto(f"{province.url}/console/#/tech/provision")
            pick_unit(page, "#prov-unit", commune)
            page.click("#prov-plan")
            job = page.locator("#view-tech [data-pane=provision] .job")
            expect(job).to_have_attribute("data-final", "true", timeout=LIMIT)
            expect(job).to_have_attribute("data-status", "done")
            plan_id = job.get_attribute("data-job")
            expect(job.locator(".ratio")).to_have_text("2/2")
            record = api.get(f"/jobs/{plan_id}").json()
            assert (record["kind"], record["mode"], record["status"], record["total"]) == (
                "provision",
                "plan",
                "done",
                2,
            )
            assert record["target"]["unit"] == commune
            assert job_counts_on_page(page) == record["counts"]
            items = {i["endpoint_name"]: i for i in api.get(f"/jobs/{plan_id}/items").json()}
            assert sorted(items) == names
            for name, item in items.items():
                row = job.locator(f"tr[data-endpoint='{name}']")
                assert row.get_attribute("data-status") == item["status"] == "planned"
                # the note in Vietnamese from its code and counts, not the server's English
                counts = item["message_params"]
                assert row.locator("td.message").get_attribute("data-code") == item["message_code"] == "plan"
                assert (
                    row.locator("td.message")
                    .inner_text()
                    .startswith(f"{counts['to_set']} mục cần đặt, {counts['right']} mục đã đúng")
                )
                to_set = [p for p in item["plan"] if p["action"] == "set"]
                shown = row.locator(".change").evaluate_all("cs => cs.map(c => c.dataset.key)")
                assert shown == [p["key"] for p in to_set]
                for p in to_set:
                    text = row.locator(f".change[data-key='{p['key']}']").inner_text()
                    current = p["current"] or "∅"  # nothing stored (None or empty) reads ∅
                    assert text == f"{p['key']}: {current} → {p['desired']}"
            bar = "[data-pane=provision] .job .progress > div"
            page.wait_for_function(f"() => document.querySelector('{bar}').getAnimations().length === 0")
            screenshot(page, "tech-provisioning")

            # Asked first, with what will be written where; Cancel writes nothing.
            changes = sum(1 for i in items.values() for p in i["plan"] if p["action"] == "set")
            devices = sum(1 for i in items.values() if any(p["action"] == "set" for p in i["plan"]))
            page.click("#prov-apply")
            question = page.inner_text("#host-confirm p")
            assert question.startswith(
                f"Ghi {changes} thay đổi lên {devices} thiết bị (Đơn vị {commune}): "
            ), question
            page.click("#host-confirm [data-confirm=cancel]")
            assert job.get_attribute("data-job") == plan_id
            page.click("#prov-apply")
            page.click("#host-confirm [data-confirm=ok]")
            expect(job).not_to_have_attribute("data-job", plan_id, timeout=LIMIT)
            expect(job).to_have_attribute("data-final", "true", timeout=LIMIT)
            expect(job).to_have_attribute("data-status", "done")
            apply_id = job.get_attribute("data-job")
            record = api.get(f"/jobs/{apply_id}").json()
            assert (record["mode"], record["status"], record["target"]["unit"]) == ("apply", "done", commune)
            assert set(record["counts"]) <= {"applied", "unchanged"}
            assert job_counts_on_page(page) == record["counts"]
            for item in api.get(f"/jobs/{apply_id}/items").json():
                row = job.locator(f"tr[data-endpoint='{item['endpoint_name']}']")
                assert row.get_attribute("data-status") == item["status"]
                assert row.locator(".badge").inner_text() in ("Đã áp dụng", "Không đổi")
            # Both jobs are in the recent list, the apply first.
            listed = page.eval_on_selector_all(
                "[data-pane=provision] .jobs tbody tr", "trs => trs.map(tr => tr.dataset.job)"
            )
            assert listed[:2] == [apply_id, plan_id]
            assert clean(page) == []
    finally:
        page.context.close()


def test_firmware_compliance_validation_and_a_campaign(browser, province):
    api = province.api("technician")
    page = open_console(browser, province, "technician", viewport=LAPTOP)

    def compliance_matches() -> None:
        report = api.get("/firmware/compliance").json()
        for entry in report:
            row = page.locator(f"#fw-compliance tr[data-profile='{entry['profile']}']")
            for bucket, n in entry["counts"].items():
                expect(row.locator(f"td[data-bucket={bucket}]")).to_have_text(str(n), timeout=LIMIT)
            expect(row.locator("td[data-bucket=total]")).to_have_text(str(sum(entry["counts"].values())))
        assert page.locator("#fw-compliance tbody tr").count() == len(report)

    try:
        # The monitor reads every version in its first full polls after the demo starts; the
        # page shows the report as it was when opened, so open it once they are all read.
        until_sync(
            lambda: all(e["counts"]["unknown"] == 0 for e in api.get("/firmware/compliance").json()),
            seconds=120,
            what="every endpoint's firmware version read",
        )
        page.goto(f"{province.url}/console/#/tech/firmware")
        page.wait_for_selector("#fw-compliance tbody tr", timeout=LIMIT)
        compliance_matches()

        # The form's mistakes come back next to their fields.
        page.click("#fw-compliance tr[data-profile='cisco-roomos']")
        assert page.input_value("#fw-profile") == "cisco-roomos"
        pick_unit(page, "#fw-unit", "DEMO")
        page.fill("#fw-canary", "0")
        page.click("#fw-start")
        expect(page.locator(".field[data-field=canary] .field-error")).to_contain_text(
            "Phải từ 1 trở lên", timeout=LIMIT
        )
        page.fill("#fw-canary", "1")
        page.fill("#fw-window", "25:00-26:00")
        page.click("#fw-start")
        expect(page.locator(".field[data-field=window] .field-error")).to_contain_text(
            "impossible time", timeout=LIMIT
        )
        assert page.locator(".field[data-field=canary] .field-error").inner_text() == ""
        page.fill("#fw-window", "")

        # One endpoint, ticked in the list: it already runs the target version, so the
        # campaign reads it, records the version and skips it; watched live to the end.
        target = by_name(api, "DEMO-vc001")
        page.click("#tech-tab-endpoints")
        page.wait_for_selector("#ep-table tr[data-name='DEMO-vc001']", timeout=LIMIT)
        page.check("#ep-table tr[data-name='DEMO-vc001'] input[type=checkbox]")
        expect(page.locator("#ep-selection")).not_to_be_empty()
        page.click("#tech-tab-firmware")
        page.check("input[name=fw-scope][value=selection]")
        page.click("#fw-start")
        # The controller's own count, stated before anything starts: a reboot is no small thing.
        question = page.inner_text("#host-confirm p")
        assert question.startswith("Nâng cấp 1 điểm cầu ") and "(1 điểm cầu đã chọn)" in question, question
        assert "1 máy đã ở phiên bản này" in question
        page.click("#host-confirm [data-confirm=ok]")
        job = page.locator("[data-pane=firmware] .job")
        expect(job).to_have_attribute("data-final", "true", timeout=LIMIT)
        expect(job).to_have_attribute("data-status", "done")
        record = api.get(f"/jobs/{job.get_attribute('data-job')}").json()
        assert (record["kind"], record["status"], record["target"]["endpoints"]) == (
            "firmware",
            "done",
            [target["id"]],
        )
        assert job_counts_on_page(page) == record["counts"]
        (item,) = api.get(f"/jobs/{record['id']}/items").json()
        row = job.locator("tr[data-endpoint='DEMO-vc001']")
        assert row.get_attribute("data-status") == item["status"]
        # the note in Vietnamese from its code and params, not the server's English
        params = item["message_params"]
        said = {
            "upgraded": f"Đã nâng cấp {params.get('before')} → {params.get('version')}",
            "already_at": f"Đã ở phiên bản {params.get('version')}",
        }
        assert row.locator("td.message").get_attribute("data-code") == item["message_code"]
        assert row.locator("td.message").inner_text().startswith(said[item["message_code"]])
        compliance_matches()  # reloaded after the campaign: the version it read now counts
        assert clean(page, allow_422=True) == []
    finally:
        page.context.close()


def test_campaign_outside_its_window_waits_and_can_be_cancelled_and_resumed(browser, province):
    """A maintenance window that opens in two hours keeps the campaign waiting: live long enough
    to cancel it, resume it (waiting again) and cancel it again, nothing upgraded."""
    api = province.api("technician")
    now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    window = f"{now + timedelta(hours=2):%H:%M}-{now + timedelta(hours=3):%H:%M}"
    page = open_console(browser, province, "technician", viewport=LAPTOP)
    job_id = None
    try:
        page.goto(f"{province.url}/console/#/tech/firmware")
        page.wait_for_selector("#fw-compliance tbody tr", timeout=LIMIT)
        page.select_option("#fw-profile", "cisco-roomos")
        page.fill("#fw-window", window)
        pick_unit(page, "#fw-unit", "DEMO")
        page.click("#fw-start")
        expect(page.locator("#host-confirm p")).to_contain_text(f"Chỉ chạy trong khung giờ {window}.")
        page.click("#host-confirm [data-confirm=ok]")
        job = page.locator("[data-pane=firmware] .job")
        expect(job).to_have_attribute("data-status", "waiting", timeout=LIMIT)
        job_id = job.get_attribute("data-job")
        waiting = api.get(f"/jobs/{job_id}").json()
        assert waiting["message_code"] == "waiting_window" and waiting["message_params"] == {"window": window}
        expect(job.locator(".job-message")).to_have_text(f"Đang chờ khung giờ bảo trì {window}")

        for round_ in range(2):
            job.locator("button.danger").click()  # Cancel
            expect(job).to_have_attribute("data-final", "true", timeout=LIMIT)
            record = api.get(f"/jobs/{job_id}").json()
            assert record["status"] == "cancelled" == job.get_attribute("data-status")
            assert job_counts_on_page(page) == record["counts"] == {"cancelled": record["total"]}
            if round_ == 0:
                job.locator("button", has_text="Tiếp tục").click()  # Resume
                expect(job).to_have_attribute("data-status", "waiting", timeout=LIMIT)
                assert api.get(f"/jobs/{job_id}").json()["status"] == "waiting"
        assert clean(page) == []
    finally:
        if job_id and api.get(f"/jobs/{job_id}").json()["status"] in ("queued", "running", "waiting"):
            api.post(f"/jobs/{job_id}/cancel")  # never leave a campaign armed in the shared province
        page.context.close()


def wait_job(api: httpx.Client, job_id: str) -> dict:
    """Poll a job the test started through the API until it ends (LIMIT bounds the wait)."""
    deadline = time.monotonic() + LIMIT / 1000
    while time.monotonic() < deadline:
        job = api.get(f"/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running", "waiting"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not end")


def test_camera_provisioning_plan_then_apply_shows_measured_stream(browser, province):
    api = province.api("technician")
    cameras = api.get("/cameras", params={"limit": 100}).json()["items"]
    assert len(cameras) == 2
    api.put("/standards/camera_bitrate_kbps", json={"value": "512"}).raise_for_status()
    page = open_console(browser, province, "technician", viewport=WALL)
    try:
        page.goto(f"{province.url}/console/#/tech/provision")
        page.check("#prov-what-cameras")
        expect(page.locator("#prov-help")).to_contain_text("ONVIF")
        pick_unit(page, "#prov-unit", "DEMO")
        page.click("#prov-plan")
        job = page.locator("#view-tech [data-pane=provision] .job")
        expect(job).to_have_attribute("data-final", "true", timeout=LIMIT)
        expect(job).to_have_attribute("data-status", "done")
        plan_id = job.get_attribute("data-job")
        record = api.get(f"/jobs/{plan_id}").json()
        assert (record["kind"], record["mode"], record["total"]) == ("camera_provision", "plan", 2)
        assert job_counts_on_page(page) == record["counts"] == {"planned": 2}
        expect(job.locator("thead th").first).to_have_text("Camera")
        items = api.get(f"/jobs/{plan_id}/items").json()
        assert sorted(i["endpoint_name"] for i in items) == sorted(c["name"] for c in cameras)
        for item in items:
            row = job.locator(f"tr[data-endpoint='{item['endpoint_name']}']")
            assert row.get_attribute("data-status") == item["status"] == "planned"
            assert row.locator("td.name a").get_attribute("href") == f"#/camera/{item['camera_id']}"
            bitrate = next(p for p in item["plan"] if p["key"] == "bitrate_kbps")
            assert (bitrate["action"], str(bitrate["desired"])) == ("set", "512")
            text = row.locator(".change[data-key='bitrate_kbps']").inner_text()
            assert text == f"bitrate_kbps: {bitrate['current']} → {bitrate['desired']}"
            assert str(bitrate["current"]) != "512"
        expect(page.locator("#prov-apply")).to_have_text("Áp dụng kế hoạch này (2 camera)")

        page.click("#prov-apply")
        assert page.inner_text("#host-confirm p").startswith(
            "Ghi 2 thay đổi lên 2 thiết bị (Đơn vị DEMO): bitrate_kbps ×2"
        )
        page.click("#host-confirm [data-confirm=ok]")
        expect(job).not_to_have_attribute("data-job", plan_id, timeout=LIMIT)
        expect(job).to_have_attribute("data-final", "true", timeout=LIMIT)
        apply_id = job.get_attribute("data-job")
        record = api.get(f"/jobs/{apply_id}").json()
        assert (record["kind"], record["mode"], record["status"]) == ("camera_provision", "apply", "done")
        assert job_counts_on_page(page) == record["counts"] == {"applied": 2}
        for item in api.get(f"/jobs/{apply_id}/items").json():
            row = job.locator(f"tr[data-endpoint='{item['endpoint_name']}']")
            assert row.get_attribute("data-status") == item["status"] == "applied"
            measured = {p["key"]: p["measured"] for p in item["plan"] if p.get("measured") is not None}
            assert set(measured) == {"resolution", "fps", "keyframe_s", "bitrate_kbps"}
            line = row.locator(".measured")
            assert line.inner_text().startswith("đo được: ")
            for key, value in measured.items():
                shown = line.locator(f"[data-key='{key}']").get_attribute("data-value")
                # JSON 15.0 is the number 15 in the page: compare numbers as numbers.
                assert shown == value if isinstance(value, str) else float(shown) == value
            assert f"{measured['resolution']} · " in line.inner_text()
        # The recent list now holds camera jobs, the apply first.
        listed = page.eval_on_selector_all(
            "[data-pane=provision] .jobs tbody tr", "trs => trs.map(tr => tr.dataset.job)"
        )
        assert listed[:2] == [apply_id, plan_id]
        screenshot(page, "tech-camera-provisioning")
        assert clean(page) == []
    finally:
        page.context.close()
        # Back to the demo's standard, and the cameras back to it.
        api.put("/standards/camera_bitrate_kbps", json={"value": "768"}).raise_for_status()
        restore = api.post("/provisioning/cameras", json={"unit": "DEMO", "mode": "apply"})
        restore.raise_for_status()
        assert wait_job(api, restore.json()["id"])["status"] == "done"

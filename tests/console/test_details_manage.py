"""An endpoint managed from its details page in real Chromium: the connection test, edit
(the password asked again when the address moves), the SSH key held after a re-keying
upgrade approved after comparing fingerprints, delete after a confirmation.

A province of its own (3 simulated Cisco/Poly endpoints, ~5 s to start): these tests
rename, re-key and delete endpoints the shared console province's tests count on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.console.conftest import LAPTOP, Province, open_console, own_province, screenshot
from tests.console.test_host import fleet_request

NEW = "ce11.20.1.3"


@pytest.fixture(scope="module")
def small_province() -> Iterator[Province]:
    with own_province(count=3, cameras=0) as province:
        yield province


def _by_profile(api, profile: str) -> dict:
    return next(e for e in api.get("/endpoints").json()["items"] if e["profile"] == profile)


def _wait_job(api, job_id: str, limit_s: float = 90) -> dict:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        job = api.get(f"/jobs/{job_id}").json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def test_probe_edit_and_delete_from_the_details_page(browser, small_province):
    province = small_province
    api = province.api("technician")
    ep = _by_profile(api, "poly-group")
    viewer = open_console(browser, province, "ioc_viewer", viewport=LAPTOP)
    viewer.goto(f"{province.url}/console/#/endpoint/{ep['id']}")
    viewer.wait_for_selector("#details-now dl")
    assert viewer.locator("#details-manage").count() == 0  # nothing to manage for a viewer
    # ... the province standard is there to read, not to change
    viewer.wait_for_selector("#details-standard tr[data-key=sip_proxy]")
    assert viewer.locator("#details-standard button").count() == 0
    viewer.context.close()

    page = open_console(browser, province, "technician", viewport=LAPTOP)
    try:
        page.goto(f"{province.url}/console/#/endpoint/{ep['id']}")
        page.wait_for_selector("#details-manage")
        # The connection test reads model and firmware from the device.
        page.click("#details-probe")
        result = page.wait_for_selector("#details-probe-result[data-reachable=true]", timeout=30000)
        now = api.get(f"/endpoints/{ep['id']}").json()
        assert result.inner_text() == f"Kết nối được: {now['model']}, phần mềm {now['firmware_version']}"
        assert page.inner_text("#details-key") == now["host_key_fingerprint"]
        assert now["host_key_fingerprint"].startswith("SHA256:")

        # Edit: a new address without the password is refused before anything is sent ...
        page.click("#details-edit")
        page.wait_for_selector("#details-edit-dialog")
        page.fill("#details-edit-form input[name=port]", str(ep["port"] + 1))
        page.click("#details-save")
        slot = page.locator("#details-edit-form [data-error-for=password]")
        expect(slot).to_have_text("Địa chỉ thay đổi: nhập lại mật khẩu của thiết bị ở địa chỉ mới")
        assert api.get(f"/endpoints/{ep['id']}").json()["port"] == ep["port"]
        # ... a name the API refuses comes back next to its field, and a good change is saved.
        page.fill("#details-edit-form input[name=port]", str(ep["port"]))
        page.fill("#details-edit-form input[name=name]", "Phòng họp\u202eX")
        page.click("#details-save")
        expect(page.locator("#details-edit-form [data-error-for=name]")).not_to_be_empty()
        page.fill("#details-edit-form input[name=name]", "Phòng họp UBND xã")
        page.fill("#details-edit-form input[name=description]", "Phòng họp tầng 2")
        screenshot(page, "details-edit")
        page.click("#details-save")
        page.wait_for_selector("#details-edit-dialog", state="detached")
        saved = api.get(f"/endpoints/{ep['id']}").json()
        assert (saved["name"], saved["description"], saved["port"]) == (
            "Phòng họp UBND xã",
            "Phòng họp tầng 2",
            ep["port"],
        )
        expect(page.locator(".details-head h1")).to_have_text("Phòng họp UBND xã")
        screenshot(page, "details-manage")

        # The standard for its unit: the province's value, then one of the unit's own, then back.
        province_proxy = next(s for s in api.get("/standards").json() if s["key"] == "sip_proxy")
        row = page.locator("#details-standard tr[data-key=sip_proxy]")
        expect(row.locator("td.value")).to_have_text(province_proxy["value"])
        assert row.get_attribute("data-from") == province_proxy["unit"] == "*"
        row.locator("[data-edit]").click()
        row.locator("input[name=value]").fill("vcs-huyen.tinh.example")
        row.locator("button[type=submit]").click()
        expect(
            page.locator("#details-standard tr[data-key=sip_proxy][data-from=DEMO] td.value")
        ).to_have_text("vcs-huyen.tinh.example")
        own = [s for s in api.get("/standards").json() if s["key"] == "sip_proxy" and s["unit"] == "DEMO"]
        assert own == [{"unit": "DEMO", "key": "sip_proxy", "value": "vcs-huyen.tinh.example"}]
        page.click("#details-standard [data-drop=sip_proxy]")
        expect(page.locator("#details-standard tr[data-key=sip_proxy]")).to_have_attribute("data-from", "*")
        assert not [
            s for s in api.get("/standards").json() if s["key"] == "sip_proxy" and s["unit"] == "DEMO"
        ]

        # "Cấu hình điểm cầu này": a plan against the province's standard, then, confirmed
        # with what will be written, the apply.
        page.click("#details-provision")
        job = page.locator("#details-job")
        expect(job).to_have_attribute("data-final", "true", timeout=60000)
        expect(job).to_have_attribute("data-status", "done")
        apply = page.locator("#details-apply")
        expect(apply).to_be_visible()
        n = int(apply.inner_text().split()[2])  # "Áp dụng {n} thay đổi"
        assert n >= 1
        plan_id = job.get_attribute("data-job")
        apply.click()
        question = page.inner_text("#host-confirm")
        # the rename is one of them: the codec's display name follows the endpoint's name
        assert question.startswith(f"Ghi {n} thay đổi lên Phòng họp UBND xã: ")
        assert f"display_name ({ep['name']} → Phòng họp UBND xã)" in question
        page.click("#host-confirm [data-confirm=ok]")
        page.wait_for_selector(f"#details-job:not([data-job='{plan_id}'])[data-final=true]", timeout=60000)
        record = api.get(f"/jobs/{job.get_attribute('data-job')}").json()
        assert (record["mode"], record["status"], record["target"]["endpoints"]) == (
            "apply",
            "done",
            [ep["id"]],
        )
        (item,) = api.get(f"/jobs/{record['id']}/items").json()
        assert item["status"] == "applied" and "display_name" in item["written"], item

        # Delete: asked first (cancel keeps it), then gone, and the list of its unit shown.
        page.click("#details-delete")
        page.click("#host-confirm [data-confirm=cancel]")
        assert api.get(f"/endpoints/{ep['id']}").status_code == 200
        page.click("#details-delete")
        assert "Phòng họp UBND xã" in page.inner_text("#host-confirm")
        page.click("#host-confirm [data-confirm=ok]")
        page.wait_for_url(f"**/console/#/list/endpoints?unit={ep['unit']['code']}")
        assert api.get(f"/endpoints/{ep['id']}").status_code == 404
        page.wait_for_selector("#list-count[data-total]")
        assert "Phòng họp UBND xã" not in page.inner_text("#list-table")
        # the one refusal the test asked for (the bad name), nothing else
        assert [e for e in page.errors if "status of 422" not in e] == []  # type: ignore[attr-defined]
    finally:
        page.context.close()


def test_a_key_held_after_an_upgrade_is_approved_after_comparing_fingerprints(browser, small_province):
    province = small_province
    api = province.api("technician")
    ep = _by_profile(api, "cisco-roomos")
    fleet_request(
        province.fleet_control, {"op": "configure", "endpoint": ep["name"], "rekey_on_upgrade": True}
    )
    r = api.post(
        "/firmware/campaigns",
        json={"profile": "cisco-roomos", "endpoints": [ep["id"]], "version": NEW, "canary": 1},
    )
    assert r.status_code == 202, r.text
    job = _wait_job(api, r.json()["id"])
    (item,) = api.get(f"/jobs/{job['id']}/items").json()
    assert item["status"] == "held", item
    held = api.get(f"/endpoints/{ep['id']}").json()
    assert held["host_key_pending"] and held["pending_host_key_fingerprint"] != held["host_key_fingerprint"]

    page = open_console(browser, province, "technician", viewport=LAPTOP)
    try:
        page.goto(f"{province.url}/console/#/endpoint/{ep['id']}")
        page.wait_for_selector("#details-approve:visible")
        assert page.inner_text("#details-pending-key") == held["pending_host_key_fingerprint"]
        page.click("#details-approve")
        question = page.inner_text("#host-confirm")
        assert held["pending_host_key_fingerprint"] in question and held["host_key_fingerprint"] in question
        page.click("#host-confirm [data-confirm=ok]")
        page.wait_for_selector("#details-approve", state="hidden")
        approved = api.get(f"/endpoints/{ep['id']}").json()
        assert approved["host_key_source"] == "approved" and not approved["host_key_pending"]
        assert approved["host_key_fingerprint"] == held["pending_host_key_fingerprint"]
        assert page.inner_text("#details-key") == approved["host_key_fingerprint"]
        # the device answers on its new key: the connection test reads the new firmware
        page.click("#details-probe")
        page.wait_for_selector("#details-probe-result[data-reachable=true]", timeout=30000)
        assert NEW in page.inner_text("#details-probe-result")
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        page.context.close()

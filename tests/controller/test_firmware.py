"""Firmware compliance and upgrade campaigns against simulated upgrades over real SSH."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from controller.provisioning.firmware import Window, bucket, version_key
from controller.roles import Role
from endpoints.sim import Fleet
from tests.controller.fleet_helpers import UNITS, finish, register_fleet, run_job

NEW = "ce11.20.1.3"
CAMPAIGN = {
    "profile": "cisco-roomos",
    "unit": "TW",
    "version": NEW,
    "canary": 1,
    "wave_size": 2,
    "poll_s": 0.05,
    "timeout_s": 20,
}


def cisco_fleet(count: int, **kw) -> Fleet:
    return Fleet(
        count, profiles=("cisco-roomos",), units=UNITS, latency_ms=0, download_s=0.2, time_scale=0.0005, **kw
    )


def test_versions_order_numerically():
    assert version_key("ce11.14.1.5") < version_key("ce11.20.1.3") < version_key("ce12.0")
    assert version_key("6.2.2.5") > version_key("6.1.10")
    assert bucket("ce9.1", "ce9.15.0", "ce11.14.1.5") == "below_minimum"
    assert bucket("ce10.0", "ce9.15.0", "ce11.14.1.5") == "below_target"
    assert bucket("ce11.14.1.5", "ce9.15.0", "ce11.14.1.5") == "at_target"
    assert bucket(None, "1", "2") == "unknown"


def test_maintenance_window_spans_midnight_in_local_time():
    w = Window("22:00-05:00", "Asia/Ho_Chi_Minh")  # UTC+7
    assert w.is_open(datetime(2026, 11, 24, 16, 0, tzinfo=UTC))  # 23:00 local
    assert w.is_open(datetime(2026, 11, 24, 21, 30, tzinfo=UTC))  # 04:30 local
    assert not w.is_open(datetime(2026, 11, 24, 3, 0, tzinfo=UTC))  # 10:00 local


async def test_compliance_from_what_devices_report(controller, tmp_path):
    async with Fleet(4, units=UNITS, latency_ms=0) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        cisco = sorted(n for n in ids if fleet[n].family == "cisco-roomos")
        fleet[cisco[0]].state.firmware = "ce9.10.0"
        h = controller.auth(Role.technician)
        for name in cisco:  # contact them so the registry knows their versions
            assert (await controller.client.post(f"/api/v1/endpoints/{ids[name]}/probe", headers=h)).json()[
                "reachable"
            ]
        report = {
            r["profile"]: r
            for r in (await controller.client.get("/api/v1/firmware/compliance", headers=h)).json()
        }
        assert report["cisco-roomos"]["counts"] == {
            "below_minimum": 1,
            "below_target": 0,
            "at_target": 1,
            "unknown": 0,
        }
        assert report["cisco-roomos"]["endpoints"]["below_minimum"][0]["name"] == cisco[0]
        assert report["poly-group"]["counts"]["unknown"] == 2 and report["poly-group"]["upgradable"] is False


async def test_campaign_upgrades_in_waves_and_records_versions(controller, tmp_path):
    async with cisco_fleet(5) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        job, items = await run_job(controller, "/api/v1/firmware/campaigns", CAMPAIGN)
        assert job["status"] == "done", (job, items)
        assert job["counts"] == {"upgraded": 5}
        assert sorted(i["wave"] for i in items) == [0, 1, 1, 2, 2]
        for name in ids:
            assert fleet[name].state.firmware == NEW
            assert fleet.stats()[name]["upgrades"] == 1
        eps = (await controller.client.get("/api/v1/endpoints", headers=controller.auth(Role.admin))).json()
        assert {e["firmware_version"] for e in eps["items"]} == {NEW}
        # Run again: everything is already there, nothing is started.
        job, items = await run_job(controller, "/api/v1/firmware/campaigns", CAMPAIGN)
        assert job["counts"] == {"skipped": 5} and all(NEW in i["message"] for i in items)
        assert sum(s["upgrades"] for s in fleet.stats().values()) == 5


async def test_failed_canary_halts_the_campaign(controller, tmp_path):
    async with cisco_fleet(4) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        job, items = None, None
        first = sorted(ids, key=lambda n: n)  # the canary is the first endpoint in tree order
        for ep in fleet.endpoints:
            ep.upgrade_fail = "boot"  # whichever is the canary fails
        job, items = await run_job(controller, "/api/v1/firmware/campaigns", CAMPAIGN)
        assert job["status"] == "halted" and "canary" in job["message"], job
        canary = next(i for i in items if i["wave"] == 0)
        assert canary["status"] == "error" and canary["error_code"] == "upgrade_failed"
        assert "still runs ce11.14.1.5" in canary["message"]
        assert all(i["status"] == "pending" for i in items if i["wave"] > 0)
        assert sum(s["upgrades"] for s in fleet.stats().values()) == 1  # nobody else was touched
        assert first  # (names exist)
        # The technician fixes the cause and resumes: the rest go ahead.
        for ep in fleet.endpoints:
            ep.upgrade_fail = None
        h = controller.auth(Role.technician)
        assert (
            await controller.client.post(f"/api/v1/jobs/{job['id']}/resume", headers=h)
        ).status_code == 202
        job, items = await finish(controller, job["id"])
        assert job["status"] == "done" and job["counts"] == {"error": 1, "upgraded": 3}


async def test_new_host_key_after_upgrade_accepted_and_audited(controller, tmp_path):
    async with cisco_fleet(2, rekey_on_upgrade=True) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        old = {n: fleet[n].public_key for n in ids}
        job, items = await run_job(
            controller, "/api/v1/firmware/campaigns", {**CAMPAIGN, "hostkey_policy": "accept"}
        )
        assert job["counts"] == {"upgraded": 2}, items
        h = controller.auth(Role.admin)
        for name, ep_id in ids.items():
            ep = (await controller.client.get(f"/api/v1/endpoints/{ep_id}", headers=h)).json()
            assert (
                ep["host_key"]
                == " ".join(fleet[name].public_key.split()[:2])
                != " ".join(old[name].split()[:2])
            )
            assert ep["host_key_source"] == "upgrade"
        audit = (
            await controller.client.get(
                "/api/v1/audit", params={"action": "endpoint.hostkey_rotated"}, headers=h
            )
        ).json()
        assert audit["total"] == 2
        chosen = (
            await controller.client.get(
                "/api/v1/audit", params={"action": "firmware.hostkey_accept"}, headers=h
            )
        ).json()
        assert [r["target_id"] for r in chosen["items"]] == [job["id"]]


async def test_new_host_key_held_for_approval(controller, tmp_path):
    async with cisco_fleet(1, rekey_on_upgrade=True) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        ((name, ep_id),) = ids.items()
        job, items = await run_job(controller, "/api/v1/firmware/campaigns", CAMPAIGN)  # hold: the default
        assert items[0]["status"] == "held" and "approve" in items[0]["message"]
        h = controller.auth(Role.technician)
        r = await controller.client.post(f"/api/v1/endpoints/{ep_id}/host-key/approve", headers=h)
        assert r.status_code == 200 and r.json()["host_key_source"] == "approved"
        assert r.json()["host_key"] == " ".join(fleet[name].public_key.split()[:2])
        probe = (await controller.client.post(f"/api/v1/endpoints/{ep_id}/probe", headers=h)).json()
        assert probe["reachable"] and probe["firmware_version"] == NEW
        again = await controller.client.post(f"/api/v1/endpoints/{ep_id}/host-key/approve", headers=h)
        assert again.status_code == 409


async def test_closed_window_waits_and_starts_nothing(controller, tmp_path):
    async with cisco_fleet(2) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        now = datetime.now(UTC).astimezone()
        start = (now + timedelta(hours=2)).strftime("%H:%M")
        end = (now + timedelta(hours=3)).strftime("%H:%M")
        h = controller.auth(Role.technician)
        body = {**CAMPAIGN, "window": f"{start}-{end}", "timezone": "UTC"}
        body["window"] = (
            f"{(datetime.now(UTC) + timedelta(hours=2)):%H:%M}-{(datetime.now(UTC) + timedelta(hours=3)):%H:%M}"
        )
        r = await controller.client.post("/api/v1/firmware/campaigns", json=body, headers=h)
        job_id = r.json()["id"]
        import asyncio

        for _ in range(100):
            job = (await controller.client.get(f"/api/v1/jobs/{job_id}", headers=h)).json()
            if job["status"] == "waiting":
                break
            await asyncio.sleep(0.02)
        assert job["status"] == "waiting" and "maintenance window" in job["message"]
        assert sum(s["upgrades"] for s in fleet.stats().values()) == 0
        assert (await controller.client.post(f"/api/v1/jobs/{job_id}/cancel", headers=h)).status_code == 200
        job, items = await finish(controller, job_id)
        assert job["status"] == "cancelled" and {i["status"] for i in items} == {"cancelled"}


async def test_bad_campaigns_are_rejected(controller):
    h = controller.auth(Role.technician)
    r = await controller.client.post(
        "/api/v1/firmware/campaigns", json={**CAMPAIGN, "profile": "poly-group"}, headers=h
    )
    assert r.status_code == 422 and "no upgrade command" in r.json()["detail"]
    r = await controller.client.post(
        "/api/v1/firmware/campaigns", json={**CAMPAIGN, "window": "25:00-26:00"}, headers=h
    )
    assert r.status_code == 422
    r = await controller.client.post(
        "/api/v1/firmware/campaigns", json={**CAMPAIGN, "timezone": "Mars/Olympus"}, headers=h
    )
    assert r.status_code == 422 and "time zone" in r.json()["detail"]
    assert uuid  # noqa: B018


async def test_downloads_are_capped_per_unit_subtree(controller, tmp_path):
    """Three endpoints behind one district uplink, one download slot: never two at once."""
    import asyncio

    units = ["DEMO-H01-X01", "DEMO-H01-X02", "DEMO-H01-X03", "DEMO-H02-X01"]
    async with Fleet(
        4, profiles=("cisco-roomos",), units=units, latency_ms=0, download_s=0.3, time_scale=0.0002
    ) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        peak = {"DEMO-H01": 0, "all": 0}
        stop = asyncio.Event()

        async def watch():
            while not stop.is_set():
                busy = [
                    ep.state.unit
                    for ep in fleet.endpoints
                    if ep.state.upgrade is not None and ep.state.upgrade.status == "downloading"
                ]
                peak["DEMO-H01"] = max(peak["DEMO-H01"], sum(u.startswith("DEMO-H01") for u in busy))
                peak["all"] = max(peak["all"], len(busy))
                await asyncio.sleep(0.01)

        watcher = asyncio.create_task(watch())
        body = {**CAMPAIGN, "canary": 1, "wave_size": 10, "per_unit_level": "district", "per_unit_limit": 1}
        job, items = await run_job(controller, "/api/v1/firmware/campaigns", body)
        stop.set()
        await watcher
        assert job["counts"] == {"upgraded": 4}, items
        assert peak["DEMO-H01"] == 1  # the district's link carried one image at a time
        assert peak["all"] == 2  # ... while the other district downloaded in parallel


async def test_a_preview_counts_what_a_start_would_do_and_starts_nothing(controller, tmp_path):
    """The console states the campaign before the technician confirms: the same checks as a
    start, the same endpoints, no job."""
    async with cisco_fleet(5) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        h = controller.auth(Role.technician)
        at_new = sorted(ids)[0]
        fleet[at_new].state.firmware = NEW
        probe = await controller.client.post(f"/api/v1/endpoints/{ids[at_new]}/probe", headers=h)
        assert probe.json()["firmware_version"] == NEW
        body = CAMPAIGN | {"canary": 2, "wave_size": 2}
        r = await controller.client.post("/api/v1/firmware/campaigns/preview", json=body, headers=h)
        assert r.status_code == 200, r.text
        preview = r.json()
        # 5 endpoints: 2 canaries, then waves of 2 (2, 1): 3 waves, one already at the version
        assert (preview["endpoints"], preview["version"], preview["canary"], preview["waves"]) == (
            5,
            NEW,
            2,
            3,
        )
        assert preview["already_at"] == 1 and sorted(preview["names"]) == sorted(ids)
        assert (await controller.client.get("/api/v1/jobs", headers=h)).json()["total"] == 0
        assert all(ep.state.stats.upgrades == 0 for ep in fleet.endpoints)
        # refused as a start would be, field by field
        r = await controller.client.post(
            "/api/v1/firmware/campaigns/preview", json=body | {"window": "25:00-26:00"}, headers=h
        )
        assert r.status_code == 422 and r.json()["field"] == "window", r.text
        r = await controller.client.post(
            "/api/v1/firmware/campaigns/preview", json=body | {"profile": "poly-group"}, headers=h
        )
        assert r.status_code == 422, r.text

"""Provisioning against the simulated fleet over real SSH: plan, apply, verify, idempotence."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import update

from controller.models import Job, JobItem
from controller.roles import Role
from endpoints.sim import Fleet
from endpoints.sim.state import CallState
from tests.controller.fleet_helpers import (
    STANDARD,
    UNITS,
    finish,
    register_fleet,
    run_job,
    set_standard,
)
from tests.support.devices import STORED_AS, stored

pytestmark = pytest.mark.usefixtures("backend")


def config_writes(fleet) -> int:
    return sum(s["config_writes"] for s in fleet.stats().values())


async def test_plan_then_apply_then_nothing_to_do(controller, tmp_path):
    async with Fleet(6, units=UNITS, latency_ms=0) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        await set_standard(controller, STANDARD)

        job, items = await run_job(controller, "/api/v1/provisioning/jobs", {"unit": "TW", "mode": "plan"})
        assert job["status"] == "done" and job["counts"] == {"planned": 6}
        assert config_writes(fleet) == 0  # a plan never writes
        settable = {ep.state.name: set(STORED_AS[ep.family]) & set(STANDARD) for ep in fleet.endpoints}
        writes = sum(p["action"] == "set" for item in items for p in item["plan"])
        for item in items:
            plan = {p["key"]: p for p in item["plan"]}
            ep = fleet[item["endpoint_name"]]
            assert {k for k, p in plan.items() if p["action"] != "unsupported"} == settable[ep.state.name], (
                item
            )
            assert set(plan) == set(STANDARD) and plan["display_name"]["action"] == "set", item
            assert plan["display_name"]["desired"] == f"ĐC {ep.state.name}"
            assert plan["display_name"]["current"] == stored(ep, "display_name")
            # the note as a code with the plan's own counts, for the console's words
            assert item["message_code"] == "plan"
            assert item["message_params"] == {
                "to_set": sum(p["action"] == "set" for p in plan.values()),
                "right": sum(p["action"] == "ok" for p in plan.values()),
                "refused": 0,
                "unsettable": sum(p["action"] == "unsupported" for p in plan.values()),
            }

        job, items = await run_job(controller, "/api/v1/provisioning/jobs", {"unit": "TW", "mode": "apply"})
        assert job["counts"] == {"applied": 6}, items
        assert {(i["message_code"], i["message_params"]["count"]) for i in items} <= {
            ("applied", n) for n in range(1, len(STANDARD) + 1)
        }
        assert config_writes(fleet) == writes
        for item in items:
            ep = fleet[item["endpoint_name"]]
            assert stored(ep, "display_name") == f"ĐC {ep.state.name}"
            assert stored(ep, "sip_proxy") == "vcs.tinh.example"
            if ep.family == "cisco-roomos":
                assert stored(ep, "ntp_server") == "ntp.tinh.example"
            assert sorted(item["written"]) == sorted(p["key"] for p in item["plan"] if p["action"] == "set")

        job, items = await run_job(controller, "/api/v1/provisioning/jobs", {"unit": "TW", "mode": "apply"})
        assert job["counts"] == {"unchanged": 6}
        assert config_writes(fleet) == writes  # the second run wrote nothing


async def test_subtree_override_and_call_deferral(controller, tmp_path):
    async with Fleet(6, units=UNITS, latency_ms=0) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        await set_standard(controller, STANDARD)
        await set_standard(controller, {"sip_proxy": "vcs.huyen1.example"}, unit="DEMO-H01")
        busy = next(n for n in ids if n.startswith("DEMO-H02-X01"))
        fleet[busy].state.call = CallState(call_id=1, remote="sip:mcu@tinh", rate=1920, protocol="sip")

        job, items = await run_job(controller, "/api/v1/provisioning/jobs", {"unit": "TW", "mode": "apply"})
        by_name = {i["endpoint_name"]: i for i in items}
        assert by_name[busy]["status"] == "deferred" and "in a call" in by_name[busy]["message"]
        assert fleet.stats()[busy]["config_writes"] == 0
        for name in ids:
            sim = fleet[name].state
            if name == busy:
                continue
            expected = "vcs.huyen1.example" if sim.unit.startswith("DEMO-H01") else "vcs.tinh.example"
            assert by_name[name]["status"] == "applied", by_name[name]  # else: why it was not written
            assert stored(fleet[name], "sip_proxy") == expected, name


async def test_hostile_names_cannot_inject_commands(controller, tmp_path):
    async with Fleet(2, units=UNITS, latency_ms=0) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        # 50 with the suffix, RoomOS's limit; no quote: Poly documents no way to quote one
        hostile = "x|resultId=y;xCommand SystemUnit Boot\\;->reboot"
        for name, ep_id in ids.items():
            r = await controller.client.patch(
                f"/api/v1/endpoints/{ep_id}",
                json={"name": hostile + name[-3:]},
                headers=controller.auth(Role.admin),
            )
            assert r.status_code == 200, r.text
        await set_standard(controller, {"display_name": "{name}"})
        before = {n: len(fleet[n].state.commands) for n in ids}
        job, items = await run_job(controller, "/api/v1/provisioning/jobs", {"unit": "TW", "mode": "apply"})
        assert job["counts"] == {"applied": 2}, items
        for name in ids:
            sim = fleet[name].state
            assert stored(fleet[name], "display_name") == hostile + name[-3:]  # stored literally
            ran = sim.commands[before[name] :]
            assert not any(
                ("Boot" in c or "reboot" in c) and "SystemUnit Name" not in c and "systemname" not in c
                for c in ran
            )
            assert fleet.stats()[name]["upgrades"] == 0


async def test_device_errors_are_recorded_with_transcript(controller, tmp_path):
    async with Fleet(4, units=UNITS, latency_ms=0) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        await set_standard(controller, STANDARD)
        names = sorted(ids)
        await fleet[names[0]].inject("garbage")
        await fleet[names[1]].inject("refuse")
        await fleet[names[2]].inject("wrong_password")
        job, items = await run_job(controller, "/api/v1/provisioning/jobs", {"unit": "TW", "mode": "apply"})
        by_name = {i["endpoint_name"]: i for i in items}
        assert by_name[names[0]]["status"] == "error" and by_name[names[0]]["error_code"] == "bad_reply"
        assert by_name[names[0]]["transcript"]
        assert by_name[names[1]]["error_code"] == "unreachable"
        # the console words a failure from its code and params, never from the English message
        assert by_name[names[1]]["error_params"] == {"cause": "connection_refused"}
        assert by_name[names[0]]["error_params"]["rule"]
        assert by_name[names[2]]["error_code"] == "auth_failed" and by_name[names[2]]["error_params"] == {}
        assert by_name[names[3]]["status"] == "applied" and by_name[names[3]]["error_params"] == {}
        assert job["status"] == "done" and job["counts"] == {"error": 3, "applied": 1}


async def test_interrupted_job_is_marked_and_resumes(controller, tmp_path):
    """A job that was running when the controller died: recover() marks it, resume finishes it."""
    async with Fleet(3, units=UNITS, latency_ms=0) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        await set_standard(controller, STANDARD)
        job, _ = await run_job(controller, "/api/v1/provisioning/jobs", {"unit": "TW", "mode": "plan"})
        # Rewrite it as an apply job that died mid-way: one endpoint was being written to.
        async with controller.state.db.transaction() as s:
            jid = uuid.UUID(job["id"])
            await s.execute(update(Job).where(Job.id == jid).values(status="running", mode="apply"))
            await s.execute(update(JobItem).where(JobItem.job_id == jid).values(status="pending"))
            first = (
                await s.execute(JobItem.__table__.select().where(JobItem.job_id == jid).limit(1))
            ).first()
            await s.execute(
                update(JobItem)
                .where(JobItem.id == first.id)
                .values(status="running", written=["display_name"])
            )
        assert await controller.state.runner.recover() == 1
        h = controller.auth(Role.technician)
        after = (await controller.client.get(f"/api/v1/jobs/{job['id']}", headers=h)).json()
        assert after["status"] == "interrupted" and after["counts"] == {
            "interrupted": 1,
            "pending": 2,
        }
        items = (await controller.client.get(f"/api/v1/jobs/{job['id']}/items", headers=h)).json()
        hit = next(i for i in items if i["status"] == "interrupted")
        assert hit["written"] == ["display_name"] and "may have been applied" in hit["message"]
        assert hit["message_code"] == "item_interrupted" and after["message_code"] == "job_interrupted"

        r = await controller.client.post(f"/api/v1/jobs/{job['id']}/resume", headers=h)
        assert r.status_code == 202, r.text
        done, items = await finish(controller, job["id"])
        assert done["status"] == "done" and done["counts"] == {"applied": 3}


async def test_sse_streams_every_endpoint_to_the_end(controller, tmp_path):
    async with Fleet(4, units=UNITS, latency_ms=5) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        await set_standard(controller, STANDARD)
        h = controller.auth(Role.technician)
        r = await controller.client.post(
            "/api/v1/provisioning/jobs", json={"unit": "TW", "mode": "apply"}, headers=h
        )
        job_id = r.json()["id"]
        stream = await controller.client.get(f"/api/v1/jobs/{job_id}/events", headers=h, timeout=60)
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = []
        for block in stream.text.strip().split("\n\n"):
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            events.append((fields.get("event"), json.loads(fields["data"])))
        final = {d["endpoint_name"]: d["status"] for e, d in events if e == "item"}
        assert set(final.values()) == {"applied"} and len(final) == 4
        assert events[-1] == ("end", {"status": "done"})


async def test_bad_targets_are_422(controller):
    h = controller.auth(Role.technician)
    r = await controller.client.post("/api/v1/provisioning/jobs", json={"mode": "apply"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "unit"
    r = await controller.client.post(
        "/api/v1/provisioning/jobs", json={"unit": "DEMO-H03", "mode": "apply"}, headers=h
    )
    assert r.status_code == 422 and "selects no endpoints" in r.json()["detail"]
    r = await controller.client.put("/api/v1/standards/ntp_server", json={"value": "{evil}"}, headers=h)
    assert r.status_code == 422 and "placeholder" in r.json()["detail"]
    r = await controller.client.put("/api/v1/standards/no_such_key", json={"value": "x"}, headers=h)
    assert r.status_code == 422 and "settable keys" in r.json()["detail"]
    r = await controller.client.put("/api/v1/standards/ntp_server", json={"value": "a\nb"}, headers=h)
    assert r.status_code == 422


async def test_cancel_stops_starting_new_endpoints(controller, tmp_path):
    import asyncio

    async with Fleet(4, units=UNITS, latency_ms=0) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        await set_standard(controller, STANDARD)
        for ep in fleet.endpoints:
            await ep.inject("slow", delay_ms=40)
        h = controller.auth(Role.technician)
        r = await controller.client.post(
            "/api/v1/provisioning/jobs", json={"unit": "TW", "mode": "apply", "concurrency": 1}, headers=h
        )
        job_id = r.json()["id"]
        for _ in range(500):
            items = (await controller.client.get(f"/api/v1/jobs/{job_id}/items", headers=h)).json()
            if any(i["status"] == "applied" for i in items):
                break
            await asyncio.sleep(0.02)
        assert (await controller.client.post(f"/api/v1/jobs/{job_id}/cancel", headers=h)).status_code == 200
        job, items = await finish(controller, job_id)
        assert job["status"] == "cancelled"
        assert job["counts"].get("cancelled", 0) >= 2 and job["counts"].get("applied", 0) >= 1
        assert set(job["counts"]) <= {"applied", "cancelled"}
        untouched = [i["endpoint_name"] for i in items if i["status"] == "cancelled"]
        assert all(fleet.stats()[n]["config_writes"] == 0 for n in untouched)
        r = await controller.client.post(f"/api/v1/jobs/{job_id}/cancel", headers=h)
        assert r.status_code == 409


async def test_a_job_another_process_is_running_is_left_alone(controller, tmp_path):
    """recover() marks only jobs whose heartbeat went stale (their process died)."""
    from datetime import timedelta

    from controller.models import utcnow

    async with Fleet(2, units=UNITS, latency_ms=0) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        await set_standard(controller, STANDARD)
        fresh, _ = await run_job(controller, "/api/v1/provisioning/jobs", {"unit": "TW", "mode": "plan"})
        stale, _ = await run_job(controller, "/api/v1/provisioning/jobs", {"unit": "TW", "mode": "plan"})
        async with controller.state.db.transaction() as s:
            for job, age in ((fresh, 5), (stale, 120)):
                await s.execute(
                    update(Job)
                    .where(Job.id == uuid.UUID(job["id"]))
                    .values(status="running", heartbeat_at=utcnow() - timedelta(seconds=age))
                )
        assert await controller.state.runner.recover(stale_s=45) == 1
        h = controller.auth(Role.admin)
        statuses = {
            j: (await controller.client.get(f"/api/v1/jobs/{j}", headers=h)).json()["status"]
            for j in (fresh["id"], stale["id"])
        }
        assert statuses == {fresh["id"]: "running", stale["id"]: "interrupted"}


async def test_a_refused_read_and_a_key_the_family_lacks_are_rows_of_their_own(controller, tmp_path):
    """One setting a codec refuses never holds back the others, and a standard key a family
    cannot take is said on its row, not silently dropped (the Group Series has no NTP command)."""
    async with Fleet(2, units=UNITS, latency_ms=0) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        poly = fleet.endpoints[1]
        profiles = controller.state.profiles
        original = profiles["poly-group"]
        h323 = original.config["h323_name"].model_copy(
            update={"read": "h323name fetch"}
        )  # refused by the device
        profiles["poly-group"] = original.model_copy(
            update={"config": {**original.config, "h323_name": h323}}
        )
        try:
            await set_standard(controller, STANDARD)
            job, items = await run_job(
                controller, "/api/v1/provisioning/jobs", {"unit": "TW", "mode": "plan"}
            )
            item = next(i for i in items if i["endpoint_name"] == poly.state.name)
            rows = {p["key"]: p for p in item["plan"]}
            assert (
                rows["h323_name"]["action"] == "refused" and "refused to read" in rows["h323_name"]["message"]
            )
            assert {k for k, p in rows.items() if p["action"] == "unsupported"} == {
                "ntp_server", "ntp_mode", "time_zone", "default_call_rate", "auto_answer"
            }  # fmt: skip
            assert rows["display_name"]["action"] == "set" and item["status"] == "planned"
            assert "1 refused, 5 not settable" in item["message"]

            job, items = await run_job(
                controller, "/api/v1/provisioning/jobs", {"unit": "TW", "mode": "apply"}
            )
            item = next(i for i in items if i["endpoint_name"] == poly.state.name)
            assert item["status"] == "error" and "h323_name: the device refused to read it" in item["message"]
            assert stored(poly, "display_name") == f"ĐC {poly.state.name}"  # the others were written
            assert stored(poly, "sip_proxy") == "vcs.tinh.example"
            assert next(i for i in items if i["endpoint_name"] != poly.state.name)["status"] == "applied"
        finally:
            profiles["poly-group"] = original

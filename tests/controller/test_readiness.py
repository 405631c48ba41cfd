"""Readiness checks end to end: the API, real SSH to the simulated fleet, test calls to the
simulator's bridge (which counts its own ports), the board, acknowledgements, the alarm and
the rounds before a scheduled session."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from controller.models import ConferenceSession, utcnow
from controller.roles import Role
from endpoints.sim import Fleet
from tests.controller.fleet_helpers import UNITS, register_fleet
from tests.controller.session_helpers import start_session, use_sim_bridge, wait_for

PROVINCE = {"units": [{"unit": "DEMO"}]}
TEST_DIAL = "sip:9999@bridge.sim"


@pytest.fixture
def controller_settings() -> dict:
    return {
        "session_setup_poll_s": 0.2,
        "session_end_confirm_s": 5,
        "readiness_setup_s": 5,
        "readiness_window_s": 1.5,
    }


async def bridge_with_test_number(
    ctl, test_conference: str | None = "9999", ports: int | None = None
) -> dict:
    bridge = await use_sim_bridge(ctl, ports=ports)
    r = await ctl.client.patch(
        f"/api/v1/bridges/{bridge['id']}",
        json={"test_conference": test_conference},
        headers=ctl.auth(Role.admin),
    )
    assert r.status_code == 200, r.text
    assert r.json()["test_conference"] == test_conference
    return r.json()


async def start_run(ctl, body: dict[str, Any], role: Role = Role.technician, expect: int = 202) -> dict:
    r = await ctl.client.post("/api/v1/readiness/runs", json=body, headers=ctl.auth(role))
    assert r.status_code == expect, r.text
    return r.json()


async def finished(ctl, run_id: str, limit_s: float = 60) -> dict:
    """Poll the run until it is done; bounded, fails with the last counts."""
    run: dict = {}
    for _ in range(int(limit_s / 0.1)):
        r = await ctl.client.get(f"/api/v1/readiness/runs/{run_id}", headers=ctl.auth(Role.ioc_viewer))
        run = r.json()
        if run["status"] != "running":
            return run
        await asyncio.sleep(0.1)
    raise AssertionError(f"run never finished: {run}")


async def board(ctl, **params: str) -> dict:
    r = await ctl.client.get("/api/v1/readiness/board", params=params, headers=ctl.auth(Role.host))
    assert r.status_code == 200, r.text
    return r.json()


def by_name(b: dict) -> dict[str, dict]:
    return {i["endpoint_name"]: i for i in b["items"]}


def codes(item: dict) -> list[str]:
    return [r["code"] for r in item["reasons"]]


async def test_a_round_finds_each_problem_with_its_coded_reason_and_test_calls_each_idle_codec(
    controller, tmp_path
):
    async with Fleet(6, units=UNITS, ring_delay_ms=100, answer_delay_ms=100) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        await bridge_with_test_number(controller)
        names = sorted(ids)
        fine, unregistered, lossy, busy, stalled, nocam = names
        fleet[unregistered].set_state(sip_registered=False)
        fleet[lossy].set_state(packet_loss_pct=6.0)
        fleet[busy].set_state(call={"remote": "sip:8888@hoinghi.example.gov.vn", "rate": 1920})
        await fleet[stalled].inject("stall")
        fleet[nocam].set_state(camera_connected=False, microphones_connected=False)

        run = await start_run(controller, {"scope": PROVINCE})
        assert run["label"] == "manual" and run["test_dial"] == TEST_DIAL
        assert run["counts"]["queued"] == 6
        run = await finished(controller, run["id"])
        assert run["status"] == "done"
        assert run["counts"]["ready"] + run["counts"]["not_ready"] == 6

        items = by_name(await board(controller))
        assert items[fine]["verdict"] == "ready", items[fine]
        assert items[fine]["results"]["test_call"]["connect_s"] is not None
        assert "sip_unregistered" in codes(items[unregistered])
        assert items[unregistered]["verdict"] == "not_ready"
        assert "packet_loss_high" in codes(items[lossy]), items[lossy]
        loss = next(r for r in items[lossy]["reasons"] if r["code"] == "packet_loss_high")["params"]
        assert loss["limit_pct"] == 1.0 and 3.0 <= loss["loss_pct"] <= 9.0, loss
        assert codes(items[busy]) == ["in_other_call"]
        assert items[busy]["reasons"][0]["params"]["remote"] == "sip:8888@hoinghi.example.gov.vn"
        assert codes(items[stalled]) == ["unreachable"]
        assert items[stalled]["reasons"][0]["params"]["error"] == "timeout"
        family = fleet[nocam].family
        if family == "cisco-roomos":  # a Group Series does not report its camera
            assert "camera_disconnected" in codes(items[nocam])
        assert "microphone_disconnected" in codes(items[nocam])

        # The codecs saw what was asked: one test call each to the test conference, none on
        # the busy or hung one; every test call hung up, the bridge's ports all free again.
        for name in (fine, unregistered, lossy, nocam):
            assert fleet[name].state.stats.dials == 1, name
            assert fleet[name].state.call is None, name
        assert fleet[busy].state.stats.dials == 0
        assert fleet[busy].state.call is not None  # its own call untouched
        assert fleet.bridge.as_dict()["in_use"] == 0 and fleet.bridge.as_dict()["peak"] >= 1


async def test_test_calls_hold_no_more_than_the_bridges_free_ports(controller, tmp_path):
    async with Fleet(6, units=UNITS, ring_delay_ms=50, answer_delay_ms=50) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        await bridge_with_test_number(controller, ports=2)
        run = await finished(controller, (await start_run(controller, {"scope": PROVINCE}))["id"])
        assert run["counts"]["ready"] == 6, run
        assert fleet.bridge.as_dict()["peak"] == 2 and fleet.bridge.rejected == 0


async def test_no_test_number_and_no_free_port_are_reasons_not_stuck_checks(controller, tmp_path):
    async with Fleet(3, units=UNITS) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        await bridge_with_test_number(controller, test_conference=None)
        run = await finished(controller, (await start_run(controller, {"scope": PROVINCE}))["id"])
        assert run["test_dial"] is None and run["counts"]["not_ready"] == 3
        assert {tuple(codes(i)) for i in (await board(controller))["items"]} == {("no_test_number",)}
        # a unit's board: the latest check of each endpoint under it, nothing else
        h01 = {ep.state.name for ep in fleet.endpoints if ep.state.unit.startswith("DEMO-H01")}
        assert h01 and {i["endpoint_name"] for i in (await board(controller, unit="DEMO-H01"))["items"]} == h01
        assert sum(ep.state.stats.dials for ep in fleet.endpoints) == 0

        # A live session holding every port: the checks say so instead of waiting forever.
        await bridge_with_test_number(controller, ports=1)
        other = sorted(ep.state.name for ep in fleet.endpoints)[0]
        await start_session(controller, {"endpoints": [await endpoint_id(controller, other)]})
        run = await finished(controller, (await start_run(controller, {"scope": PROVINCE}))["id"])
        items = by_name(await board(controller))
        assert "in_session" in codes(items[other])
        rest = [i for n, i in items.items() if n != other]
        assert all(codes(i) == ["no_free_port"] for i in rest), rest
        assert rest[0]["reasons"][0]["params"] == {"ports": 1, "in_use": 1}


async def endpoint_id(ctl, name: str) -> str:
    r = await ctl.client.get("/api/v1/endpoints", params={"q": name}, headers=ctl.auth(Role.admin))
    return next(e["id"] for e in r.json()["items"] if e["name"] == name)


async def test_a_call_that_drops_mid_test_is_reported_with_when(controller, tmp_path):
    async with Fleet(1, units=UNITS) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        await bridge_with_test_number(controller)
        run = await start_run(controller, {"scope": PROVINCE})
        name = fleet.endpoints[0].state.name
        for _ in range(200):  # bounded: until the test call is up, then drop it
            if fleet[name].state.call and fleet[name].state.call.status == "connected":
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        assert fleet.drop_calls([name]) == [name]
        await finished(controller, run["id"])
        (item,) = (await board(controller))["items"]
        assert codes(item) == ["test_call_dropped"], item
        assert 0 < item["reasons"][0]["params"]["after_s"] < 3  # within the 1.5 s window, seen at its next 1 s look


async def test_check_again_after_a_fix_turns_ready_clears_the_alarm_and_keeps_the_acknowledgement(
    controller, tmp_path
):
    async with Fleet(2, units=UNITS) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        await bridge_with_test_number(controller)
        broken = sorted(ids)[0]
        fleet[broken].set_state(sip_registered=False)
        start = (utcnow() + timedelta(minutes=50)).isoformat()
        sid = (await start_session(controller, PROVINCE, start_at=start))["id"]
        run = await start_run(controller, {"session": sid}, role=Role.host)
        await finished(controller, run["id"])
        item = by_name(await board(controller, session=sid))[broken]
        assert item["verdict"] == "not_ready" and item["session_id"] == sid

        # the not-ready verdict is an alarm while the session is ahead
        await controller.state.alarms.evaluate()
        r = await controller.client.get(
            "/api/v1/alarms", params={"status": "active"}, headers=controller.auth(Role.technician)
        )
        alarms = [a for a in r.json()["items"] if a["kind"] == "not_ready"]
        assert [a["entity_name"] for a in alarms] == [broken]
        assert alarms[0]["params"]["reasons"] == ["sip_unregistered"]
        assert alarms[0]["severity"] == "major"

        # the unit's technician answers; a ready check cannot be acknowledged
        r = await controller.client.post(
            f"/api/v1/readiness/checks/{item['id']}/ack",
            json={"kind": "on_my_way", "note": "Đang đến xã"},
            headers=controller.auth(Role.technician),
        )
        assert r.status_code == 200, r.text
        assert r.json()["ack_kind"] == "on_my_way" and r.json()["ack_by"] == "technician1"
        other = by_name(await board(controller, session=sid))[sorted(ids)[1]]
        r = await controller.client.post(
            f"/api/v1/readiness/checks/{other['id']}/ack",
            json={"kind": "fixed"},
            headers=controller.auth(Role.technician),
        )
        assert r.status_code == 409, r.text
        r = await controller.client.post(
            f"/api/v1/readiness/checks/{item['id']}/ack",
            json={"kind": "fixed"},
            headers=controller.auth(Role.ioc_viewer),
        )
        assert r.status_code == 403

        fleet[broken].set_state(sip_registered=True)  # fixed on site
        r = await controller.client.post(
            f"/api/v1/readiness/endpoints/{ids[broken]}/check",
            params={"session": sid},
            headers=controller.auth(Role.technician),
        )
        assert r.status_code == 202, r.text
        await finished(controller, r.json()["id"])
        again = by_name(await board(controller, session=sid))[broken]
        assert again["verdict"] == "ready" and again["id"] != item["id"]
        await controller.state.alarms.evaluate()
        r = await controller.client.get(
            "/api/v1/alarms", params={"status": "active"}, headers=controller.auth(Role.technician)
        )
        assert [a for a in r.json()["items"] if a["kind"] == "not_ready"] == []

        r = await controller.client.get(
            f"/api/v1/readiness/endpoints/{ids[broken]}/history", headers=controller.auth(Role.ioc_viewer)
        )
        history = r.json()
        assert [h["verdict"] for h in history] == ["ready", "not_ready"]
        assert history[1]["ack_kind"] == "on_my_way" and history[1]["ack_note"] == "Đang đến xã"
        b = await board(controller, session=sid)
        assert [run["label"] for run in b["runs"]] == ["manual", "manual"]


async def test_rounds_run_at_their_offsets_once_each(controller, tmp_path):
    async with Fleet(2, units=UNITS) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        await bridge_with_test_number(controller)
        start = utcnow() + timedelta(minutes=40)
        sid = (await start_session(controller, PROVINCE, start_at=start.isoformat()))["id"]
        schedule = controller.state.readiness_schedule
        now = utcnow()
        assert await schedule.run_pass(now - timedelta(minutes=30)) == []  # T-70: nothing yet
        assert await schedule.run_pass(now) == ["T-60"]
        assert await schedule.run_pass(now) == []  # once
        assert await schedule.run_pass(now + timedelta(minutes=26)) == ["T-15"]
        b = await board(controller, session=sid)
        assert sorted(r["label"] for r in b["runs"]) == ["T-15", "T-60"]
        for run in b["runs"]:
            await finished(controller, run["id"])
        assert (await board(controller, session=sid))["counts"]["ready"] == 2


async def test_bad_requests_are_refused_clearly(controller, tmp_path):
    async with Fleet(1, units=UNITS) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        await bridge_with_test_number(controller)
        problem = await start_run(controller, {}, expect=422)
        assert "either session or scope" in str(problem)
        await start_run(controller, {"session": "7d1e8f0c-1111-4222-8333-944445555666"}, expect=404)
        sid = (
            await start_session(controller, PROVINCE, start_at=(utcnow() + timedelta(hours=2)).isoformat())
        )["id"]
        r = await controller.client.post(f"/api/v1/sessions/{sid}/end", headers=controller.auth(Role.host))
        assert r.json()["status"] == "cancelled"
        problem = await start_run(controller, {"session": sid}, expect=409)
        assert problem["detail"] == "the session is cancelled: nothing to get ready for"
        await start_run(controller, {"scope": {"units": [{"unit": "NO-SUCH"}]}}, expect=422)
        await start_run(controller, {"scope": PROVINCE}, role=Role.ioc_viewer, expect=403)


async def test_a_skewed_clock_is_measured_on_both_families_and_ntp_is_a_warning(controller, tmp_path):
    async with Fleet(4, units=UNITS) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        await bridge_with_test_number(controller)
        by_family: dict[str, list[str]] = {}
        for ep in fleet.endpoints:
            by_family.setdefault(ep.family, []).append(ep.state.name)
        assert sorted(by_family) == ["cisco-roomos", "poly-group"]
        skewed = [names[0] for names in by_family.values()]
        for name in skewed:
            fleet[name].set_state(clock_offset_s=-300.0)
        unsynced = by_family["cisco-roomos"][1]
        fleet[unsynced].set_state(ntp_synced=False)
        run = await finished(controller, (await start_run(controller, {"scope": PROVINCE}))["id"])
        assert run["counts"]["not_ready"] == 2, run
        items = by_name(await board(controller))
        for name in skewed:
            (reason,) = [r for r in items[name]["reasons"] if r["code"] == "clock_skew"]
            # whole-second clocks and a round trip on a busy machine: within 5 s of the offset
            assert -305 <= reason["params"]["skew_s"] <= -295 and reason["params"]["limit_s"] == 30.0
            assert abs(items[name]["results"]["device"]["clock_skew_s"] + 300) < 5
        # NTP not synced on a clock that is right: shown, not blocking
        assert items[unsynced]["verdict"] == "ready"
        assert [(r["code"], r["blocking"]) for r in items[unsynced]["reasons"]] == [("ntp_not_synced", False)]
        poly_ok = by_family["poly-group"][1]
        assert abs(items[poly_ok]["results"]["device"]["clock_skew_s"]) < 5
        assert items[poly_ok]["results"]["device"]["ntp_synced"] is None  # a Group Series does not say
        assert len(ids) == 4


async def test_the_roll_call_lists_the_absent_with_their_readiness_history(controller, tmp_path):
    async with Fleet(3, units=UNITS, ring_delay_ms=50, answer_delay_ms=50) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        await bridge_with_test_number(controller)
        busy = sorted(ids)[0]
        fleet[busy].set_state(call={"remote": "sip:8888@hoinghi.example.gov.vn", "rate": 1920})
        start = utcnow() + timedelta(minutes=50)
        sid = (await start_session(controller, PROVINCE, start_at=start.isoformat()))["id"]
        await finished(controller, (await start_run(controller, {"session": sid}, role=Role.host))["id"])
        async with controller.state.db.transaction() as s:  # the start time comes
            await s.execute(
                update(ConferenceSession)
                .where(ConferenceSession.id == uuid.UUID(sid))
                .values(start_at=utcnow())
            )
        await controller.state.sessions.run_schedule()
        await wait_for(controller, sid, lambda d: d["counts"].get("connected") == 2)
        r = await controller.client.post(f"/api/v1/sessions/{sid}/end", headers=controller.auth(Role.host))
        assert r.status_code == 200, r.text

        r = await controller.client.get(
            f"/api/v1/sessions/{sid}/attendance", headers=controller.auth(Role.ioc_viewer)
        )
        att = r.json()
        assert att["absent"] == [busy] and att["joined"] == 2
        rows = {row["endpoint_name"]: row for row in att["participants"]}
        (mark,) = rows[busy]["readiness"]
        assert (mark["label"], mark["verdict"], mark["reasons"]) == ("manual", "not_ready", ["in_other_call"])
        assert all(m["verdict"] == "ready" for n, row in rows.items() if n != busy for m in row["readiness"])
        r = await controller.client.get(
            f"/api/v1/sessions/{sid}/attendance", params={"format": "csv"}, headers=controller.auth(Role.host)
        )
        line = next(x for x in r.text.splitlines() if x.startswith(f'"{busy}"'))
        assert "not_ready (in_other_call)" in line and line.count('"manual ') == 1

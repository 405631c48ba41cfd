"""Conference sessions end to end: the API, the conductor, real SSH to the simulated fleet
and the simulator's bridge, which counts its own ports."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid

import pytest
from sqlalchemy import update

from controller.models import Endpoint
from controller.roles import Role
from endpoints.sim import Fleet
from tests.controller.fleet_helpers import UNITS, register_fleet
from tests.controller.session_helpers import (
    all_in,
    session,
    start_session,
    states,
    timeline,
    use_sim_bridge,
    wait_for,
)

PROVINCE = {"units": [{"unit": "DEMO"}]}


@pytest.fixture
def controller_settings() -> dict:
    return {
        "session_retry_base_s": 0.05,
        "session_redial_delay_s": 0.1,
        "session_setup_poll_s": 0.2,
        "session_watch_poll_s": 1.0,
        "session_tick_s": 0.2,
    }


@pytest.mark.usefixtures("backend")
async def test_start_connect_end_and_attendance(controller, tmp_path):
    async with Fleet(6, units=UNITS, ring_delay_ms=100, answer_delay_ms=200) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        await use_sim_bridge(controller)
        started = await start_session(controller, PROVINCE, conference_id="40001", call_rate=1152)
        assert started["status"] == "live" and started["dial_string"] == "sip:40001@bridge.sim"
        assert len(started["participants"]) == 6
        sid = started["id"]

        detail = await wait_for(controller, sid, all_in("connected"))
        assert detail["counts"] == {"connected": 6}
        for name in ids:
            call = fleet[name].state.call
            assert call is not None and call.remote == "sip:40001@bridge.sim" and call.rate == 1152
        assert fleet.bridge.as_dict()["conferences"] == {"40001": sorted(ids)}
        # Cisco carries the session as its BookingId; every dialect got exactly one dial.
        cisco = [ep for ep in fleet.endpoints if ep.family == "cisco-roomos"]
        tag = f"diemcau-{uuid.UUID(sid).hex[:12]}"
        for ep in cisco:
            assert [
                c.split(" | resultId=")[0] for c in ep.state.commands if c.startswith("xCommand Dial")
            ] == [
                f'xCommand Dial Number: "sip:40001@bridge.sim" Protocol: Sip CallRate: 1152 BookingId: "{tag}"'
            ]
        assert all(ep.state.stats.dials == 1 for ep in fleet.endpoints)

        seen = {
            (e["endpoint_name"], e["detail"]["state"])
            for e in await timeline(controller, sid)
            if e["kind"] == "participant"
        }
        for name in ids:
            assert {(name, "dialling"), (name, "ringing"), (name, "connected")} <= seen

        r = await controller.client.post(f"/api/v1/sessions/{sid}/end", headers=controller.auth(Role.host))
        assert r.status_code == 200, r.text
        ended = r.json()
        assert ended["status"] == "ended" and ended["counts"] == {"left": 6}
        assert all(p["cause"] is None for p in ended["participants"])  # each confirmed idle
        assert all(ep.state.call is None for ep in fleet.endpoints)
        assert fleet.bridge.as_dict()["in_use"] == 0

        r = await controller.client.get(
            f"/api/v1/sessions/{sid}/attendance", headers=controller.auth(Role.ioc_viewer)
        )
        att = r.json()
        assert att["invited"] == 6 and att["joined"] == 6
        for row in att["participants"]:
            assert row["final_state"] == "left" and row["drops"] == 0 and row["attempts"] == 1
            assert len(row["intervals"]) == 1 and row["intervals"][0][1] is not None
            assert row["connected_s"] > 0, str(row)

        r = await controller.client.get(
            f"/api/v1/sessions/{sid}/attendance", params={"format": "csv"}, headers=controller.auth(Role.host)
        )
        assert r.headers["content-type"].startswith("text/csv")
        text = r.content.decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
        assert sorted(r["endpoint"] for r in rows) == sorted(ids)
        assert {r["final_state"] for r in rows} == {"left"}

        r = await controller.client.get("/api/v1/audit", headers=controller.auth(Role.admin))
        actions = [a["action"] for a in r.json()["items"]]
        assert "session.create" in actions and "session.end" in actions


async def test_full_bridge_is_409_and_offline_or_busy_are_unavailable(controller, tmp_path):
    async with Fleet(6, units=UNITS) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        await use_sim_bridge(controller, ports=4)
        offline = sorted(ids)[0]
        async with controller.state.db.transaction() as s:
            await s.execute(
                update(Endpoint).where(Endpoint.id == uuid.UUID(ids[offline])).values(state="offline")
            )

        problem = await start_session(controller, PROVINCE, expect=409)
        assert problem["type"] == "urn:diemcau:problem:conflict"
        assert (problem["ports"], problem["in_use"], problem["requested"], problem["free"]) == (4, 0, 5, 4)
        r = await controller.client.get("/api/v1/sessions", headers=controller.auth(Role.host))
        assert r.json()["total"] == 0  # a refused start leaves nothing behind

        await use_sim_bridge(controller, ports=5)
        first = await start_session(controller, PROVINCE)
        assert states(first)[offline] == "unavailable"
        assert {p["cause"] for p in first["participants"] if p["state"] == "unavailable"} == {
            "endpoint is offline"
        }
        # beside the English, a code and params the host's console words
        assert {
            (p["cause_code"], tuple(p["cause_params"].items()))
            for p in first["participants"]
            if p["state"] == "unavailable"
        } == {("endpoint_down", (("state", "offline"),))}
        await wait_for(controller, first["id"], lambda d: d["counts"] == {"connected": 5, "unavailable": 1})
        assert fleet[offline].state.stats.dials == 0  # never dialled

        # The bridge is full now: an endpoint that could join is refused with the counts ...
        async with controller.state.db.transaction() as s:
            await s.execute(
                update(Endpoint).where(Endpoint.id == uuid.UUID(ids[offline])).values(state="online")
            )
        problem = await start_session(controller, {"endpoints": [ids[offline]]}, expect=409)
        assert (problem["ports"], problem["in_use"], problem["free"]) == (5, 5, 0)
        # ... and one already in the first session is unavailable, naming that session.
        busy = sorted(ids)[1]
        second = await start_session(controller, {"endpoints": [ids[busy]]}, title="Họp riêng")
        assert second["participants"][0]["state"] == "unavailable"
        assert second["participants"][0]["cause"] == "in another live session: Họp giao ban tỉnh"
        assert second["participants"][0]["cause_code"] == "in_session"
        assert second["participants"][0]["cause_params"] == {"session": "Họp giao ban tỉnh"}
        r = await controller.client.get("/api/v1/bridges", headers=controller.auth(Role.technician))
        assert r.json()[0]["in_use"] == 5


async def test_the_hosts_choice_for_endpoints_not_ready_waits_for_the_busy_and_skips_the_offline(
    controller, tmp_path
):
    """Before start the host chose "gọi khi rảnh" for the busy and key-pending ones and
    "bỏ qua" for the offline: the busy codec is dialled only once its other call ends and is
    never given up, the offline one is not invited at all."""
    async with Fleet(4, units=UNITS) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        await use_sim_bridge(controller)
        controller.state.settings.session_max_attempts = 2
        controller.state.settings.session_retry_max_s = 0.3
        busy, offline, pending, ready = sorted(ids)
        fleet[busy].start_call("sip:9999@other.example")  # a call the controller did not make
        async with controller.state.db.transaction() as s:
            for name, values in (
                (busy, {"state": "in_call"}),
                (offline, {"state": "offline"}),
                (pending, {"pending_host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample"}),
            ):
                await s.execute(update(Endpoint).where(Endpoint.id == uuid.UUID(ids[name])).values(**values))

        unready = {"busy": "wait", "offline": "skip", "key_pending": "wait"}
        started = await start_session(controller, PROVINCE, unready=unready)
        assert started["unready"] == unready
        assert sorted(p["endpoint_name"] for p in started["participants"]) == sorted([busy, pending, ready])
        waiting = {p["endpoint_name"]: p for p in started["participants"]}
        assert (
            waiting[busy]["wait_free"] and waiting[pending]["wait_free"] and not waiting[ready]["wait_free"]
        )
        assert waiting[busy]["state"] == "waiting" and waiting[busy]["cause_code"] is None
        assert waiting[pending]["cause_code"] == "host_key_pending"
        sid = started["id"]

        # The busy codec is looked at again and again, past session_max_attempts, never failed.
        detail = await wait_for(
            controller, sid, lambda d: states(d)[pending] == states(d)[ready] == "connected"
        )
        for _ in range(20):
            detail = await session(controller, sid)
            assert states(detail)[busy] == "waiting", detail
            await asyncio.sleep(0.1)
        row = next(p for p in detail["participants"] if p["endpoint_name"] == busy)
        assert row["cause_code"] == "busy_other_call"
        assert row["cause_params"] == {"remote": "sip:9999@other.example"}
        assert fleet[busy].state.stats.dials == 0  # never dialled over the other call

        fleet[busy].end_call()
        await wait_for(controller, sid, all_in("connected"))
        assert fleet[busy].state.stats.dials == 1 and fleet[offline].state.stats.dials == 0
        started_event = next(e for e in await timeline(controller, sid) if e["kind"] == "started")
        assert (started_event["detail"]["skipped"], started_event["detail"]["waiting_free"]) == (1, 2)
        waits = [
            e
            for e in await timeline(controller, sid)
            if e["endpoint_name"] == busy and e["detail"].get("state") == "waiting"
        ]
        assert len(waits) == 1  # the timeline has each new reason, not every look


async def test_unready_choices_are_checked(controller, tmp_path):
    async with Fleet(1, units=UNITS) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        await use_sim_bridge(controller)
        problem = await start_session(controller, PROVINCE, unready={"busy": "later"}, expect=422)
        assert problem["errors"][0]["location"] == "body.unready.busy"
        async with controller.state.db.transaction() as s:
            await s.execute(
                update(Endpoint)
                .where(Endpoint.id == uuid.UUID(next(iter(ids.values()))))
                .values(state="offline")
            )
        problem = await start_session(controller, PROVINCE, unready={"offline": "skip"}, expect=422)
        assert problem["field"] == "unready" and "nobody would be invited" in problem["detail"]


async def test_simulated_bridge_refuses_beyond_its_own_ports(controller, tmp_path):
    """Capacity is real: a bridge with fewer ports than the controller believes refuses calls."""
    async with Fleet(3, units=UNITS, bridge_ports=2) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        await use_sim_bridge(controller)
        controller.state.settings.session_max_attempts = 2
        sid = (await start_session(controller, PROVINCE))["id"]
        detail = await wait_for(controller, sid, lambda d: d["counts"] == {"connected": 2, "failed": 1})
        failed = next(p for p in detail["participants"] if p["state"] == "failed")
        # whichever dialled last is refused: RoomOS names the SIP 503 of the full bridge, a
        # Poly's call-ended notification only says "disconnected" (with a cause number)
        said = {"cisco-roomos": "Service Unavailable", "poly-group": "disconnected"}
        assert failed["attempts"] == 2
        assert said[fleet[failed["endpoint_name"]].family] in failed["cause"]
        # the device's own words travel as a param, not as our English
        assert failed["cause_code"] == "device_ended"
        assert failed["cause_params"] == {"device_cause": failed["cause"]}
        assert fleet.bridge.as_dict()["rejected"] == 2


async def test_drop_is_redialled_and_counted(controller, tmp_path):
    async with Fleet(4, units=UNITS, answer_delay_ms=50) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        await use_sim_bridge(controller)
        sid = (await start_session(controller, PROVINCE))["id"]
        await wait_for(controller, sid, all_in("connected"))

        victim = fleet.endpoints[0]
        assert victim.end_call("NetworkError")
        detail = await wait_for(
            controller,
            sid,
            lambda d: all_in("connected")(d) and any(p["drops"] == 1 for p in d["participants"]),
        )
        row = next(p for p in detail["participants"] if p["endpoint_name"] == victim.state.name)
        assert row["drops"] == 1 and row["state"] == "connected"
        assert victim.state.stats.dials == 2
        kinds = [
            e["detail"]["state"]
            for e in await timeline(controller, sid)
            if e["endpoint_name"] == victim.state.name and e["kind"] == "participant"
        ]
        kinds = [k for k in kinds if k != "ringing"]  # seen or not, depending on when the poll lands
        assert kinds == ["dialling", "connected", "dropped", "redialling", "dialling", "connected"]
        dropped = next(
            e
            for e in await timeline(controller, sid)
            if e["endpoint_name"] == victim.state.name and e["detail"]["state"] == "dropped"
        )
        assert dropped["detail"]["cause"] == "Request Timeout"  # RoomOS: the SIP 408 it names
        assert dropped["detail"]["cause_code"] == "device_ended"
        assert dropped["detail"]["cause_params"] == {"device_cause": "Request Timeout"}

        await controller.client.post(f"/api/v1/sessions/{sid}/end", headers=controller.auth(Role.host))
        att = (
            await controller.client.get(
                f"/api/v1/sessions/{sid}/attendance", headers=controller.auth(Role.host)
            )
        ).json()
        mine = next(p for p in att["participants"] if p["endpoint_name"] == victim.state.name)
        assert len(mine["intervals"]) == 2 and mine["drops"] == 1


async def test_failed_dials_retry_then_fail_then_host_redials(controller, tmp_path):
    async with Fleet(2, units=UNITS) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        await use_sim_bridge(controller)
        controller.state.settings.session_max_attempts = 3
        bad = fleet.endpoints[0]
        bad.dial_fail_pct = 100
        sid = (await start_session(controller, PROVINCE))["id"]
        detail = await wait_for(controller, sid, lambda d: d["counts"] == {"connected": 1, "failed": 1})
        row = next(p for p in detail["participants"] if p["state"] == "failed")
        assert row["endpoint_name"] == bad.state.name and row["attempts"] == 3
        assert row["cause"] == "Request Timeout"  # RoomOS: the SIP 408 it names
        assert bad.state.stats.dials == 3

        bad.dial_fail_pct = 0
        r = await controller.client.post(
            f"/api/v1/sessions/{sid}/participants/{ids[bad.state.name]}/redial",
            headers=controller.auth(Role.host),
        )
        assert r.status_code == 202, r.text
        await wait_for(controller, sid, all_in("connected"))


async def test_mute_remove_and_add(controller, tmp_path):
    async with Fleet(3, units=UNITS) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        await use_sim_bridge(controller)
        sid = (await start_session(controller, PROVINCE))["id"]
        await wait_for(controller, sid, all_in("connected"))
        h = controller.auth(Role.host)

        r = await controller.client.post(f"/api/v1/sessions/{sid}/mute", json={"on": True}, headers=h)
        assert r.status_code == 200 and set(r.json().values()) == {None}
        assert all(ep.state.muted for ep in fleet.endpoints)
        one = fleet.endpoints[1]
        r = await controller.client.post(
            f"/api/v1/sessions/{sid}/mute", json={"on": False, "endpoint": ids[one.state.name]}, headers=h
        )
        assert r.json() == {one.state.name: None}
        assert [ep.state.muted for ep in fleet.endpoints] == [True, False, True]

        r = await controller.client.delete(
            f"/api/v1/sessions/{sid}/participants/{ids[one.state.name]}", headers=h
        )
        assert r.status_code == 204
        assert one.state.call is None
        detail = await session(controller, sid)
        assert states(detail)[one.state.name] == "removed"
        assert fleet.bridge.as_dict()["in_use"] == 2

        r = await controller.client.post(
            f"/api/v1/sessions/{sid}/participants", json={"endpoint": ids[one.state.name]}, headers=h
        )
        assert r.status_code == 200, r.text
        await wait_for(controller, sid, all_in("connected"))
        r = await controller.client.post(
            f"/api/v1/sessions/{sid}/participants", json={"endpoint": ids[one.state.name]}, headers=h
        )
        assert r.status_code == 409  # already taking part


async def test_scheduled_session_starts_and_ends_by_itself(controller, tmp_path):
    from datetime import UTC, datetime, timedelta

    from controller.models import ConferenceSession

    async with Fleet(2, units=UNITS) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        await use_sim_bridge(controller)
        at = datetime.now(UTC) + timedelta(seconds=0.5)
        created = await start_session(controller, PROVINCE, start_at=at.isoformat(), duration_min=30)
        assert created["status"] == "scheduled" and created["participants"] == []
        detail = await wait_for(controller, created["id"], all_in("connected"))
        assert detail["status"] == "live"
        async with controller.state.db.transaction() as s:  # thirty minutes later ...
            await s.execute(
                update(ConferenceSession)
                .where(ConferenceSession.id == uuid.UUID(created["id"]))
                .values(started_at=datetime.now(UTC) - timedelta(minutes=31))
            )
        detail = await wait_for(controller, created["id"], lambda d: d["status"] == "ended")
        assert detail["ended_by"] == "system:system" and detail["counts"] == {"left": 2}
        assert all(ep.state.call is None for ep in fleet.endpoints)


async def test_restart_adopts_calls_without_redialling(controller, tmp_path):
    async with Fleet(3, units=UNITS) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        await use_sim_bridge(controller)
        sid = (await start_session(controller, PROVINCE))["id"]
        await wait_for(controller, sid, all_in("connected"))
        manager = controller.state.sessions
        await manager.close()  # the controller stops: nobody is hung up
        assert all(ep.state.call is not None for ep in fleet.endpoints)
        await manager.start()  # and starts again
        assert uuid.UUID(sid) in manager.conductors
        fleet.endpoints[2].end_call("NetworkError")  # the adopted session still redials drops
        await wait_for(
            controller,
            sid,
            lambda d: all_in("connected")(d) and sum(p["drops"] for p in d["participants"]) == 1,
        )
        assert [ep.state.stats.dials for ep in fleet.endpoints] == [1, 1, 2]


async def test_saved_scope_and_bad_input(controller, tmp_path):
    async with Fleet(6, units=UNITS) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        await use_sim_bridge(controller)
        h = controller.auth(Role.host)
        # "the province office and every commune of district H01"
        spec = {"units": [{"unit": "DEMO", "subtree": False}, {"unit": "DEMO-H01"}]}
        r = await controller.client.post(
            "/api/v1/scopes", json={"name": "Giao ban H01", "scope": spec}, headers=h
        )
        assert r.status_code == 201, r.text
        scope_id = r.json()["id"]
        r = await controller.client.post(
            "/api/v1/sessions", json={"title": "Giao ban", "saved_scope": scope_id}, headers=h
        )
        assert r.status_code == 201, r.text
        started = r.json()
        wanted = {n for n in ids if fleet[n].state.unit in ("DEMO", "DEMO-H01-X01", "DEMO-H01-X02")}
        assert {p["endpoint_name"] for p in started["participants"]} == wanted

        bad = [
            ({"title": "x", "scope": {"units": [{"unit": "NOPE"}]}}, "scope.units[0].unit"),
            ({"title": "x", "scope": {}}, None),
            ({"title": "x", "scope": PROVINCE, "saved_scope": scope_id}, "scope"),
            ({"title": "x", "scope": PROVINCE, "protocol": "h323"}, "protocol"),
            ({"title": "x", "scope": PROVINCE, "start_at": "2030-01-01T08:00:00"}, "start_at"),
            ({"title": "a\nb", "scope": PROVINCE}, None),
            ({"title": "x", "scope": PROVINCE, "conference_id": "1; rm"}, None),
        ]
        for body, field in bad:
            r = await controller.client.post("/api/v1/sessions", json=body, headers=h)
            assert r.status_code == 422, (body, r.text)
            if field:
                assert r.json().get("field") == field, r.text
        r = await controller.client.patch(
            f"/api/v1/bridges/{(await controller.client.get('/api/v1/bridges', headers=h)).json()[0]['id']}",
            json={"sip_pattern": "sip:room@mcu"},
            headers=controller.auth(Role.admin),
        )
        assert r.status_code == 422
        r = await controller.client.post(
            "/api/v1/sessions",
            json={"title": "x", "scope": PROVINCE},
            headers=controller.auth(Role.technician),
        )
        assert r.status_code == 403


async def test_live_board_streams_snapshot_then_changes(controller, tmp_path):
    import asyncio

    from tests.support.sse import read_events

    async with Fleet(2, units=UNITS, answer_delay_ms=100) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        await use_sim_bridge(controller)
        sid = (await start_session(controller, PROVINCE))["id"]
        await wait_for(controller, sid, all_in("connected"))
        victim = fleet.endpoints[0]  # Cisco: its CallDisconnect event names the cause (Poly's does not)

        async def drop_soon() -> None:
            await asyncio.sleep(0.3)
            victim.end_call("NetworkError")

        dropper = asyncio.create_task(drop_soon())
        events = await read_events(
            controller.app,
            f"/api/v1/sessions/{sid}/events",
            controller.auth(Role.ioc_viewer),
            count=5,
            limit_s=15,
        )
        await dropper
        kind, _, snapshot = events[0]
        assert kind == "session" and snapshot["counts"] == {"connected": 2}
        changes = [
            (d["endpoint_name"], d["state"], d["cause"]) for k, _, d in events[1:] if k == "participant"
        ]
        assert changes[:3] == [
            (victim.state.name, "dropped", "Request Timeout"),
            (victim.state.name, "redialling", "Request Timeout"),
            (victim.state.name, "dialling", None),
        ]

        r = await controller.client.post(f"/api/v1/sessions/{sid}/end", headers=controller.auth(Role.admin))
        assert r.status_code == 200
        events = await read_events(
            controller.app, f"/api/v1/sessions/{sid}/events", controller.auth(Role.host), count=2, limit_s=5
        )
        assert [e[0] for e in events] == ["session", "end"] and events[1][2] == {"status": "ended"}
        r = await controller.client.post(f"/api/v1/sessions/{sid}/end", headers=controller.auth(Role.host))
        assert r.status_code == 409  # already ended


async def test_a_call_whose_hang_up_did_not_take_is_followed_never_dialled_over(controller, tmp_path):
    """Set-up times out and the hang-up is acknowledged, but the call stays on the codec: the
    next attempt reads the call list and follows that call instead of placing a second one."""
    async with Fleet(2, units=UNITS, ring_delay_ms=20, answer_delay_ms=600_000) as fleet:  # never answered
        await register_fleet(controller, fleet, tmp_path)
        await use_sim_bridge(controller)
        controller.state.settings.session_setup_timeout_s = 1.0
        controller.state.settings.session_max_attempts = 3
        stuck, normal = fleet.endpoints
        await stuck.inject("stuck_call")
        sid = (await start_session(controller, PROVINCE))["id"]
        detail = await wait_for(controller, sid, lambda d: d["counts"] == {"failed": 2})
        rows = {p["endpoint_name"]: p for p in detail["participants"]}
        assert normal.state.stats.dials == 3 and normal.state.call is None  # hung up, dialled again
        assert stuck.state.stats.dials == 1  # one call on the codec, followed three times
        assert stuck.state.call is not None and rows[stuck.state.name]["attempts"] == 1
        assert "not connected within 1 s" in rows[stuck.state.name]["cause"]
        assert rows[stuck.state.name]["cause_code"] == "setup_timeout"
        assert rows[stuck.state.name]["cause_params"] == {"seconds": "1"}

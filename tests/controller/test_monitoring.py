"""The monitor against the simulated fleet over real SSH, with short intervals."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from controller.roles import Role
from endpoints.sim import Fleet
from tests.controller.fleet_helpers import register_fleet
from tests.support.sse import read_events
from tests.support.waiting import PATIENT_S, until

UNITS = ["DEMO-H01-X01", "DEMO-H01-X02", "DEMO-H01-X03", "DEMO-H02-X01"]


@pytest.fixture
def controller_settings() -> dict:
    return {
        "monitor_enabled": True,
        "monitor_interval_s": 0.3,
        "monitor_fail_after": 2,
        "monitor_recover_after": 2,
        "alarm_correlation_s": 0.6,
        "alarm_eval_s": 0.2,
        "ssh_connect_timeout_s": PATIENT_S,  # devices that should answer may be slow to
        "ssh_command_timeout_s": PATIENT_S,  # on a loaded machine: no test here is about it
        "monitor_flap_transitions": 4,
        "monitor_auth_retry_s": 1.0,
        "monitor_flap_window_s": 30,
    }


async def states(ctl) -> dict[str, dict]:
    r = await ctl.client.get("/api/v1/health/endpoints", headers=ctl.auth(Role.ioc_viewer))
    return {h["name"]: h for h in r.json()["items"]}


async def wait_for(ctl, predicate, limit_s: float = PATIENT_S):
    deadline = asyncio.get_running_loop().time() + limit_s
    while True:
        current = await states(ctl)
        if predicate(current):
            return current
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(
                f"condition not met; states: { {n: (h['state'], h['reason'], h['health'].get('camera_connected'), h['last_poll_at']) for n, h in current.items()} }"
            )
        await asyncio.sleep(0.1)


async def alarms(ctl, status="active") -> list[dict]:
    r = await ctl.client.get("/api/v1/alarms", params={"status": status}, headers=ctl.auth(Role.ioc_viewer))
    return r.json()["items"]


async def kill(ctl, fleet, name, ids, seconds=4.0):
    """The device goes away (connections dropped, TCP refused) and comes back after `seconds`."""
    await fleet[name].inject("reboot", seconds=seconds)
    await ctl.state.pool.drop(ids[name])


async def test_states_follow_the_devices(controller, tmp_path):
    async with Fleet(4, units=UNITS, latency_ms=0) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        n = sorted(ids)
        await controller.state.monitor.reconcile()
        await wait_for(controller, lambda s: len(s) == 4 and all(h["state"] == "online" for h in s.values()))

        fleet[n[0]].set_state(camera_connected=False)
        fleet[n[1]].start_call("sip:mcu@tinh.example")
        await kill(controller, fleet, n[2], ids, seconds=6)
        await fleet[n[3]].inject("wrong_password")
        await controller.state.pool.drop(ids[n[3]])
        s = await wait_for(
            controller,
            lambda s: (
                s[n[0]]["state"] == "degraded"
                and s[n[1]]["state"] == "in_call"
                and s[n[2]]["state"] == "unreachable"
                and s[n[3]]["state"] == "auth_failed"
            ),
        )
        assert s[n[0]]["reason"] == "camera disconnected"
        assert s[n[1]]["health"]["remote"] == "sip:mcu@tinh.example"
        # The registry's state column follows too (list filters use it).
        r = await controller.client.get(
            "/api/v1/endpoints", params={"state": "unreachable"}, headers=controller.auth(Role.host)
        )
        assert [e["name"] for e in r.json()["items"]] == [n[2]]

        await fleet[n[3]].inject("clear")
        fleet[n[0]].set_state(camera_connected=True)
        await wait_for(
            controller,
            lambda s: (
                s[n[0]]["state"] == "online" and s[n[2]]["state"] == "online" and s[n[3]]["state"] == "online"
            ),
        )
        summary = (
            await controller.client.get(
                "/api/v1/health/summary",
                params={"unit": "DEMO-H01"},
                headers=controller.auth(Role.ioc_viewer),
            )
        ).json()
        top = summary["units"][0]
        assert top["unit"] == "DEMO-H01" and top["total"] == 3


async def test_alarm_lifecycle_and_event_stream(controller, tmp_path):
    async with Fleet(2, units=["DEMO-H01-X01", "DEMO-H02-X01"], latency_ms=0) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        victim = sorted(ids)[0]
        await controller.state.monitor.reconcile()
        await wait_for(controller, lambda s: len(s) == 2 and all(h["state"] == "online" for h in s.values()))
        await kill(controller, fleet, victim, ids, seconds=3.0)
        for _ in range(100):
            active = await alarms(controller)
            if active:
                break
            await asyncio.sleep(0.1)
        (alarm,) = active
        assert (
            alarm["kind"] == "unreachable" and alarm["entity_name"] == victim and alarm["severity"] == "major"
        )
        r = await controller.client.post(
            f"/api/v1/alarms/{alarm['id']}/ack",
            json={"comment": "xã báo mất điện"},
            headers=controller.auth(Role.technician),
        )
        assert r.status_code == 200 and r.json()["acknowledged_by"] == "technician1"
        r = await controller.client.post(
            f"/api/v1/alarms/{alarm['id']}/ack",
            json={"comment": "x"},
            headers=controller.auth(Role.ioc_viewer),
        )
        assert r.status_code == 403
        for _ in range(150):
            if not await alarms(controller):
                break
            await asyncio.sleep(0.1)
        (cleared,) = await alarms(controller, "cleared")
        assert cleared["id"] == alarm["id"] and cleared["cleared_at"] and cleared["count"] == 1
        one = await controller.client.get(
            "/api/v1/alarms",
            params={"status": "all", "entity_id": alarm["entity_id"]},
            headers=controller.auth(Role.ioc_viewer),
        )
        assert [a["id"] for a in one.json()["items"]] == [alarm["id"]]  # this endpoint's alarms only

        h = controller.auth(Role.ioc_viewer)
        events = await read_events(controller.app, "/api/v1/events/stream", h, count=6, query="after=0")
        kinds = [(e, d.get("name") or d.get("entity_name"), d.get("new")) for e, _, d in events]
        ids_seen = [int(i) for _, i, _ in events]
        assert ids_seen == sorted(ids_seen)
        mine = [k for k in kinds if k[1] == victim]
        assert ("endpoint.state", victim, "unreachable") in mine
        assert ("alarm.raised", victim, None) in mine and ("alarm.acknowledged", victim, None) in mine
        # Resume after the third event: the fourth comes next.
        resumed = await read_events(
            controller.app, "/api/v1/events/stream", {**h, "Last-Event-ID": events[2][1]}, count=1
        )
        assert resumed[0][1] == events[3][1]


async def test_unit_uplink_alarm_replaces_its_endpoints_alarms(controller, tmp_path):
    async with Fleet(4, units=UNITS, latency_ms=0) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        await controller.state.monitor.reconcile()
        await wait_for(controller, lambda s: len(s) == 4 and all(h["state"] == "online" for h in s.values()))
        h01 = [n for n in ids if n.startswith("DEMO-H01")]
        await asyncio.gather(*(kill(controller, fleet, n, ids, seconds=30) for n in h01))
        await wait_for(controller, lambda s: all(s[n]["state"] == "unreachable" for n in h01))
        expected = [("uplink", "unit", "Huyện Số 1")]

        async def only_the_uplink_alarm() -> list[dict] | None:  # after the correlation hold
            active = await alarms(controller)
            return (
                active
                if [(a["kind"], a["entity_type"], a["entity_name"]) for a in active] == expected
                else None
            )

        active = await until(only_the_uplink_alarm, what=f"active alarms are {expected}")
        assert "all 3 endpoints" in active[0]["message"]


async def test_history_raw_then_hourly(controller, tmp_path):
    from datetime import timedelta

    from controller.models import utcnow

    async with Fleet(1, units=UNITS, latency_ms=0) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        (ep_id,) = ids.values()
        await controller.state.monitor.reconcile()
        await wait_for(controller, lambda s: len(s) == 1 and all(h["state"] == "online" for h in s.values()))
        h = controller.auth(Role.ioc_viewer)

        async def three_points() -> dict | None:  # samples are written every 2 s
            r = await controller.client.get(f"/api/v1/endpoints/{ep_id}/health/history", headers=h)
            return r.json() if len(r.json()["points"]) >= 3 else None

        raw = await until(three_points, what="three raw history points")
        assert raw["resolution"] == "raw"
        assert all(p["ok"] for p in raw["points"][-2:])
        made = await controller.state.retention.run_once(now=utcnow() + timedelta(hours=2))
        assert made == 1
        since = (utcnow() - timedelta(days=3)).isoformat()
        hourly = (
            await controller.client.get(
                f"/api/v1/endpoints/{ep_id}/health/history",
                params={"since": since, "until": (utcnow() + timedelta(hours=3)).isoformat()},
                headers=h,
            )
        ).json()
        assert hourly["resolution"] == "1h" and hourly["points"][0]["samples"] >= 3
        assert hourly["points"][0]["availability"] == 1.0


async def test_calls_are_seen_at_once_through_device_feedback(controller, tmp_path):
    """Once the endpoints are up, polls are made 600 s apart: a call seen within the wait's
    bound, well inside that, was seen through the device's own feedback, not a poll."""
    async with Fleet(2, units=UNITS, latency_ms=0) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        await controller.state.monitor.reconcile()
        await wait_for(controller, lambda s: len(s) == 2 and all(h["state"] == "online" for h in s.values()))
        controller.state.monitor.interval_s = 600.0
        slowed = datetime.now(UTC)
        # each loop's next wait is 600 s once it has polled after the change
        await wait_for(
            controller, lambda s: all(datetime.fromisoformat(h["last_poll_at"]) > slowed for h in s.values())
        )
        for name in sorted(ids):  # one Cisco, one Poly
            fleet[name].start_call("sip:tinh@mcu.example")
            await wait_for(controller, lambda s, name=name: s[name]["state"] == "in_call")


def test_flapping_endpoint_gets_one_flapping_alarm_and_no_down_alarm():
    import uuid

    from controller.fleet.poller import Watched
    from controller.health.alarms import wanted_alarms
    from controller.health.tracker import Tracker

    root, unit = uuid.uuid4(), uuid.uuid4()
    path = f"/{root}/{unit}/"
    now = datetime.now(UTC)
    flapper = Watched(
        uuid.uuid4(), "a", "X", path, now, Tracker(state="unreachable", flapping=True), since=now
    )
    steady = Watched(uuid.uuid4(), "b", "X", path, now, Tracker(state="online"), since=now)
    wanted = wanted_alarms({w.id: w for w in (flapper, steady)}, {unit: ("Xã", path)}, now, 0.0)
    assert [(a.kind, a.entity_name) for a in wanted.values()] == [("flapping", "a")]


async def test_model_and_firmware_are_read_on_every_reconnect(controller, tmp_path):
    """Compliance is only as current as the firmware the controller last read: it is read
    on every (re)connect, so a codec upgraded or swapped behind our back is seen."""
    async with Fleet(2, units=UNITS, latency_ms=0) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        await controller.state.monitor.reconcile()
        h = controller.auth(Role.technician)

        async def identity(name: str) -> dict:
            return (await controller.client.get(f"/api/v1/endpoints/{ids[name]}", headers=h)).json()

        async def identified(name: str, firmware: str) -> dict | None:
            ep = await identity(name)
            return ep if ep["firmware_version"] == firmware else None

        for ep in fleet.endpoints:
            got = await until(
                lambda ep=ep: identified(ep.state.name, ep.state.firmware), what="identity read"
            )
            assert got["model"] == ep.state.model
        cisco = fleet.endpoints[0]
        cisco.state.firmware = "ce11.20.1.3"  # upgraded by someone else, e.g. by hand on the codec
        await kill(controller, fleet, cisco.state.name, ids, seconds=0.5)  # ... and rebooted
        await until(lambda: identified(cisco.state.name, "ce11.20.1.3"), what="the new firmware read")


async def test_a_refused_connection_is_an_alarm_with_code_and_params(controller, tmp_path):
    """What the IOC wall shows comes with its code and params: the console words it itself."""
    async with Fleet(2, units=UNITS, latency_ms=0) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        await controller.state.monitor.reconcile()
        await wait_for(controller, lambda s: len(s) == 2 and all(h["state"] == "online" for h in s.values()))
        victim = sorted(ids)[0]
        await fleet[victim].inject("refuse")
        await controller.state.pool.drop(ids[victim])

        async def raised() -> dict | None:
            return next((a for a in await alarms(controller) if a["entity_name"] == victim), None)

        alarm = await until(raised, what=f"an alarm on {victim}")
        assert alarm["kind"] == alarm["code"] == "unreachable"
        assert alarm["params"] == {"error": "unreachable", "cause": "connection_refused"}
        assert "cannot connect" in alarm["message"]  # the English text stays beside them
        health = (await states(controller))[victim]
        assert health["state"] == "unreachable" and health["reason_params"] == alarm["params"]
        await fleet[victim].inject("clear")

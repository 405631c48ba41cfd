"""SSH host keys are pinned by whichever path reaches a device first, and from then on a changed
key is refused on every path, before any password is sent.

Each endpoint here is registered without a key (as a spreadsheet import usually is). The path
under test makes the first contact; the stored key must then be the one the device presents,
audited. The device is then swapped for an impostor with another key (fault ``new_host_key``):
every path must refuse it, and the simulated device must receive no password at all.
"""

from __future__ import annotations

import asyncio
import csv
import io
import uuid

import pytest
from sqlalchemy import update

from controller.fleet.hostkeys import HostKeys
from controller.models import Endpoint
from controller.roles import Role
from endpoints import HostKeyMismatch
from endpoints.pool import SessionPool
from endpoints.sim import Fleet
from tests.controller.fleet_helpers import run_job
from tests.controller.session_helpers import start_session, use_sim_bridge
from tests.controller.session_helpers import wait_for as wait_session
from tests.support.waiting import PATIENT_S, until

UNIT = "DEMO-H01-X01"


@pytest.fixture
def controller_settings(request) -> dict:
    path = getattr(request.node, "callspec", None) and request.node.callspec.params.get("path")
    return {
        "monitor_enabled": path == "monitor",
        "monitor_interval_s": 0.3,
        "monitor_fail_after": 1,
        "alarm_eval_s": 0.2,
        "alarm_correlation_s": 0.3,
        "ssh_connect_timeout_s": PATIENT_S,
        "ssh_command_timeout_s": PATIENT_S,
        "session_max_attempts": 1,
        "session_setup_poll_s": 0.1,
    }


async def register_without_keys(ctl, fleet: Fleet, tmp_path) -> dict[str, str]:
    rows = list(csv.DictReader(io.StringIO(fleet.write_inventory(tmp_path / "f.csv").read_text("utf-8"))))
    text = "name,unit,host,port,username,password,profile\n" + "".join(
        f"{r['name']},{r['unit']},{r['host']},{r['port']},{r['username']},{r['password']},{r['profile']}\n"
        for r in rows
    )
    r = await ctl.client.post(
        "/api/v1/endpoints/import",
        files={"file": ("f.csv", text.encode(), "text/csv")},
        headers=ctl.auth(Role.technician),
    )
    assert r.status_code == 200, r.text
    r = await ctl.client.get("/api/v1/endpoints", headers=ctl.auth(Role.admin))
    return {e["name"]: e["id"] for e in r.json()["items"]}


async def endpoint(ctl, ep_id: str) -> dict:
    return (await ctl.client.get(f"/api/v1/endpoints/{ep_id}", headers=ctl.auth(Role.admin))).json()


async def audited(ctl, action: str) -> list[dict]:
    r = await ctl.client.get("/api/v1/audit", params={"action": action}, headers=ctl.auth(Role.admin))
    return r.json()["items"]


async def contact(ctl, path: str, ep_id: str, refused: bool = False) -> str:
    """Let ``path`` reach the endpoint once; returns the error code it met, or "" when it got in
    (the monitor polls on its own: wait for a poll that got in, or with ``refused`` one that did not)."""
    if path == "monitor":

        async def polled() -> str | None:
            h = (
                await ctl.client.get(f"/api/v1/endpoints/{ep_id}/health", headers=ctl.auth(Role.admin))
            ).json()
            state = h.get("state")
            up = state in ("online", "in_call", "degraded")
            return state if state not in (None, "unknown") and up != refused else None

        state = await until(polled, what="a monitor poll")
        return "" if state in ("online", "in_call", "degraded") else state
    if path == "provision":
        _, items = await run_job(ctl, "/api/v1/provisioning/jobs", {"endpoints": [ep_id], "mode": "plan"})
        return items[0]["error_code"] or ""
    if path == "session":
        s = await start_session(ctl, {"endpoints": [ep_id]})
        detail = await wait_session(
            ctl, s["id"], lambda d: d["participants"][0]["state"] in ("connected", "failed"), PATIENT_S
        )
        r = await ctl.client.post(f"/api/v1/sessions/{s['id']}/end", headers=ctl.auth(Role.host))
        assert r.status_code in (200, 202), r.text
        part = detail["participants"][0]
        return "" if part["state"] == "connected" else (part["cause"] or "failed")
    raise AssertionError(path)


@pytest.mark.parametrize("path", ["monitor", "provision", "session"])
async def test_first_contact_pins_and_a_changed_key_is_refused_everywhere(controller, tmp_path, path):
    async with Fleet(1, units=[UNIT], latency_ms=0) as fleet:
        await use_sim_bridge(controller)
        ids = await register_without_keys(controller, fleet, tmp_path)
        (name,) = ids
        ep_id = ids[name]
        assert (await endpoint(controller, ep_id))["host_key"] is None
        assert await contact(controller, path, ep_id) == ""
        ep = await endpoint(controller, ep_id)
        assert ep["host_key"] == " ".join(fleet[name].public_key.split()[:2]), ep
        assert ep["host_key_source"] == "tofu"
        (learned,) = await audited(controller, "endpoint.hostkey_learned")
        assert learned["target_id"] == ep_id and learned["summary"]["fingerprint"].startswith("SHA256:")

        await fleet[name].inject("new_host_key")  # the device is swapped for an impostor
        await controller.state.pool.drop(ep_id)  # the next contact is a new connection
        passwords = fleet.stats()[name]["passwords"]
        code = await contact(controller, path, ep_id, refused=True)
        assert "hostkey_mismatch" in code, code
        assert fleet.stats()[name]["passwords"] == passwords  # nothing was sent to the impostor
        assert (await endpoint(controller, ep_id))["host_key"] == ep["host_key"]  # still the first key
        if path == "monitor":

            async def alarm() -> bool:
                r = await controller.client.get(
                    "/api/v1/alarms", params={"status": "active"}, headers=controller.auth(Role.ioc_viewer)
                )
                return any(a["kind"] == "hostkey_mismatch" for a in r.json()["items"])

            await until(alarm, what="hostkey_mismatch alarm")


async def test_a_key_pinned_elsewhere_meanwhile_wins(controller, tmp_path):
    """Another process (or path) pinned a key after this one built its target: the pool asks
    the database before connecting, and a first contact never overwrites a stored key."""
    async with Fleet(1, units=[UNIT], latency_ms=0) as fleet:
        ids = await register_without_keys(controller, fleet, tmp_path)
        (name,) = ids
        ep_id = uuid.UUID(ids[name])
        async with controller.state.db.transaction() as s:
            ep = await s.get(Endpoint, ep_id)
        from controller.fleet.devices import device_target

        target = device_target(ep, controller.state.box, controller.state.profiles)
        assert target.host_key is None
        other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
        async with controller.state.db.transaction() as s:
            await s.execute(update(Endpoint).where(Endpoint.id == ep_id).values(host_key=other))
        pool = SessionPool(host_keys=HostKeys(controller.state.db), connect_timeout=PATIENT_S)
        try:
            with pytest.raises(HostKeyMismatch):
                await pool.session(target)
        finally:
            await pool.close()
        assert fleet.stats()[name]["passwords"] == 0

        # Two first contacts racing: the first store wins, the second learns it was beaten.
        store = HostKeys(controller.state.db)
        async with controller.state.db.transaction() as s:
            await s.execute(update(Endpoint).where(Endpoint.id == ep_id).values(host_key=None))
        first, second = await asyncio.gather(
            store.first_contact(target, fleet[name].public_key), store.first_contact(target, other)
        )
        assert first == second and first in (fleet[name].public_key, other)
        assert len(await audited(controller, "endpoint.hostkey_learned")) == 1


@pytest.mark.parametrize("controller_settings", [{"ssh_host_key_policy": "strict"}])
async def test_strict_policy_connects_only_to_approved_keys(controller, tmp_path):
    async with Fleet(1, units=[UNIT], latency_ms=0) as fleet:
        ids = await register_without_keys(controller, fleet, tmp_path)
        (name,) = ids
        ep_id = ids[name]
        _, items = await run_job(
            controller, "/api/v1/provisioning/jobs", {"endpoints": [ep_id], "mode": "plan"}
        )
        assert items[0]["error_code"] == "hostkey_unpinned", items[0]
        assert fleet.stats()[name]["passwords"] == 0

        # The technician's probe reads the key without logging in and holds it for approval.
        h = controller.auth(Role.technician)
        probe = (await controller.client.post(f"/api/v1/endpoints/{ep_id}/probe", headers=h)).json()
        assert probe["error_type"] == "hostkey_unpinned" and "awaits approval" in probe["error"], probe
        assert fleet.stats()[name]["passwords"] == 0
        ep = await endpoint(controller, ep_id)
        assert ep["host_key"] is None
        r = await controller.client.post(f"/api/v1/endpoints/{ep_id}/host-key/approve", headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["host_key"] == " ".join(fleet[name].public_key.split()[:2])
        assert r.json()["host_key_source"] == "approved"
        _, items = await run_job(
            controller, "/api/v1/provisioning/jobs", {"endpoints": [ep_id], "mode": "plan"}
        )
        assert items[0]["status"] in ("planned", "unchanged"), items[0]
        assert fleet.stats()[name]["passwords"] == 1

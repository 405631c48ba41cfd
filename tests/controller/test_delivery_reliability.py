"""Nothing lost on the way to the IOC: 250 endpoints change state while the webhook receiver
is down, the controller is SIGKILLed mid-run and restarted, the receiver comes back; every
event arrives, in order per entity.

Everything is a real process: the simulated fleet, the controller (`diemcau serve`), the
receiver (verifying every signature).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

import httpx
import pytest

from controller.bench.fleet_process import FleetProcess
from controller.bench.harness import ControllerProcess, free_port
from controller.ioc.signing import new_secret
from controller.units.service import demo_units
from endpoints.sim.control import control_request

COUNT = 250


def until(predicate, limit_s: float, step: float = 0.25) -> None:
    for _ in range(int(limit_s / step)):
        if predicate():
            return
        time.sleep(step)
    raise AssertionError(f"not reached within {limit_s} s")


def down(counts: dict[str, int]) -> int:
    return counts.get("offline", 0) + counts.get("unreachable", 0)


def states(ctl: ControllerProcess, token: str) -> dict[str, int]:
    r = httpx.get(f"{ctl.url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    out: dict[str, int] = {}
    for line in r.text.splitlines():
        if line.startswith("diemcau_endpoints{"):
            state = line.split('state="')[1].split('"')[0]
            out[state] = out.get(state, 0) + int(float(line.rsplit(" ", 1)[1]))
    return out


@pytest.mark.slow  # 250 endpoints and a 30 s reboot: `make bench`; tests/controller/test_webhooks.py and
# test_mqtt.py cover outage, restart and order at small scale on every `make test`
def test_outage_and_sigkill_lose_no_event(tmp_path):
    import asyncio

    secret, rx_port = new_secret(), free_port()
    rx_url = f"http://127.0.0.1:{rx_port}"
    receiver = subprocess.Popen(
        [sys.executable, "-m", "controller.bench.webhook_receiver", secret, str(rx_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    settings = {
        "DIEMCAU_MONITOR_INTERVAL_S": "1",
        "DIEMCAU_CAMERA_MONITOR_ENABLED": "false",
        "DIEMCAU_WEBHOOK_BACKOFF_BASE_S": "0.2",
        "DIEMCAU_WEBHOOK_BACKOFF_MAX_S": "1",
    }
    try:
        with FleetProcess(COUNT, 0, demo_units(COUNT)) as fleet:
            ctl = ControllerProcess(settings=settings)
            ctl.cli("units", "demo-tree")
            ctl.cli("endpoints", "import", str(fleet.inventory))
            ctl.start()
            try:
                token = ctl.token()
                auth = {"Authorization": f"Bearer {token}"}
                until(lambda: httpx.get(f"{rx_url}/counts").status_code == 200, 20)
                httpx.post(f"{rx_url}/down")
                r = httpx.post(
                    f"{ctl.url}/api/v1/sinks",
                    json={"name": "IOC", "url": f"{rx_url}/hook", "secret": secret, "from_start": True},
                    headers=auth,
                )
                assert r.status_code == 201, r.text
                sink_id = r.json()["id"]
                until(lambda: states(ctl, token).get("online", 0) == COUNT, 60)

                # A commune uplink storm while the IOC is down, and the controller dies in it.
                # every codec goes away (connections cut) and boots again 30 s later
                asyncio.run(
                    control_request(fleet.control_file, {"op": "fault_all", "fault": "reboot", "seconds": 30})
                )
                until(lambda: down(states(ctl, token)) >= COUNT // 2, 60)
                ctl.kill()
                ctl.serve()
                until(lambda: down(states(ctl, token)) == COUNT, 60)
                until(lambda: states(ctl, token).get("online", 0) == COUNT, 90)
                assert httpx.get(f"{rx_url}/counts").json()["unique"] == 0  # the IOC was down throughout

                httpx.post(f"{rx_url}/up")

                def drained() -> bool:
                    backlog = httpx.get(f"{ctl.url}/api/v1/sinks", headers=auth).json()[0]["backlog"]
                    return backlog.get("pending", 0) == 0 and backlog.get("delivered", 0) > 0

                until(drained, 90)
                sink = httpx.get(f"{ctl.url}/api/v1/sinks", headers=auth).json()[0]
                assert sink["id"] == sink_id and sink["backlog"].get("dead", 0) == 0
            finally:
                ctl.stop()
        received = httpx.get(f"{rx_url}/received").json()
        counts = httpx.get(f"{rx_url}/counts").json()
    finally:
        receiver.terminate()
        receiver.wait(10)

    with sqlite3.connect(ctl.data_dir / "diemcau.db") as db:
        outbox = db.execute("SELECT id, entity_type || ':' || entity_id FROM outbox ORDER BY id").fetchall()
    assert counts["bad"] == 0
    first_seen: dict[int, str] = {}
    for entity, event_id in received:
        first_seen.setdefault(event_id, entity)
    assert set(first_seen) == {i for i, _ in outbox}, "an event was lost or invented"
    per_entity: dict[str, list[int]] = {}
    seen: set[int] = set()
    for entity, event_id in received:
        if event_id not in seen:
            seen.add(event_id)
            per_entity.setdefault(entity, []).append(event_id)
    assert all(ids == sorted(ids) for ids in per_entity.values()), "an entity's events arrived out of order"
    endpoint_events = sum(1 for _, e in outbox if e.startswith("endpoint:"))
    assert endpoint_events >= 3 * COUNT  # online, down, online again for every endpoint
    print(
        f"events={len(outbox)} entities={len(per_entity)} deliveries={len(received)} "
        f"duplicates={len(received) - len(first_seen)}"
    )

"""/metrics over real data: endpoint states per unit, a live poll histogram, the outbox backlog."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client.parser import text_string_to_metric_families

from controller.events import emit
from controller.roles import Role
from endpoints.sim import Fleet
from tests.controller.fleet_helpers import UNITS, register_fleet


@pytest.fixture
def controller_settings() -> dict:
    return {"monitor_enabled": True, "monitor_interval_s": 0.3, "camera_monitor_enabled": False}


async def scrape(ctl) -> dict[str, list]:
    r = await ctl.client.get("/metrics", headers=ctl.auth(Role.ioc_viewer))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {f.name: f.samples for f in text_string_to_metric_families(r.text)}


async def test_metrics_reflect_the_fleet_and_the_outbox(controller, tmp_path):
    async with Fleet(3, units=UNITS) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        for _ in range(100):
            m = await scrape(controller)
            online = sum(s.value for s in m["diemcau_endpoints"] if s.labels["state"] == "online")
            polls = [s.value for s in m["diemcau_endpoint_poll_seconds"] if s.name.endswith("_count")]
            if online == 3 and polls and polls[0] >= 6:
                break
            await asyncio.sleep(0.1)
        assert online == 3 and polls[0] >= 6
        units = {s.labels["unit"] for s in m["diemcau_endpoints"]}
        assert units == {fleet[n].state.unit for n in [ep.state.name for ep in fleet.endpoints]}

    r = await controller.client.post(
        "/api/v1/sinks",
        json={"name": "IOC", "url": "http://127.0.0.1:9/down"},
        headers=controller.auth(Role.admin),
    )
    assert r.status_code == 201
    await controller.state.sinks.reconcile()
    async with controller.state.db.transaction() as session:
        for i in range(5):
            emit(session, controller.state.signal, "test.event", "endpoint", f"e{i}", {})
    for _ in range(100):
        m = await scrape(controller)
        pending = sum(s.value for s in m.get("diemcau_outbox_backlog", []) if s.labels["status"] == "pending")
        if pending == 5:
            break
        await asyncio.sleep(0.05)
    assert pending == 5
    assert m["diemcau_relay_viewers_total"][0].value == 0

"""/metrics over real data: every endpoint and camera as its own series, states per unit, a
live poll histogram, alarms by unit, the sinks' lag; valid OpenMetrics, Prometheus' naming."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from controller.events import emit
from controller.models import Alarm, Unit, utcnow
from controller.roles import Role
from endpoints.sim import Fleet
from tests.controller.fleet_helpers import UNITS, register_fleet


@pytest.fixture
def controller_settings() -> dict:
    # alarms evaluated once a minute at most: the alarm a test writes stays until it is scraped
    return {"monitor_enabled": True, "monitor_interval_s": 0.3, "camera_monitor_enabled": False, "alarm_eval_s": 60}


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
    assert m["diemcau_relay_viewers"] == []  # no viewer, no series: sum(diemcau_relay_viewers) or vector(0)
    (lag,) = m["diemcau_sink_lag_seconds"]
    assert lag.labels == {"sink": "IOC"} and lag.value > 0  # five events wait for a receiver that is down
    assert [s.value for s in m["diemcau_sink_dead_letters"]] == [0]


async def test_every_device_is_a_series_and_the_exposition_is_valid_openmetrics(controller, tmp_path):
    async with Fleet(3, units=UNITS) as fleet:
        ids = await register_fleet(controller, fleet, tmp_path)
        r = await controller.client.post(
            "/api/v1/cameras",
            json={"name": "Một cửa X01", "unit": "DEMO-H01-X01", "url": "rtsp://127.0.0.1:9/cam"},
            headers=controller.auth(Role.admin),
        )
        assert r.status_code == 201, r.text
        async with controller.state.db.transaction() as session:
            unit = await session.scalar(select(Unit).where(Unit.code == "DEMO-H02-X01"))
            now = utcnow()
            session.add(
                Alarm(
                    dedupe_key="x",
                    entity_type="endpoint",
                    entity_id=uuid.uuid4(),
                    entity_name="x",
                    unit_path=unit.path,
                    kind="offline",
                    severity="major",
                    status="active",
                    message="offline",
                    first_seen=now,
                    last_seen=now,
                    raised_at=now,
                )
            )
        for _ in range(100):
            m = await scrape(controller)
            states = {s.labels["endpoint"]: s.labels["state"] for s in m["diemcau_endpoint_state"]}
            if set(states.values()) == {"online"} and len(states) == 3:
                break
            await asyncio.sleep(0.1)
        assert states == dict.fromkeys(ids, "online")
        r = await controller.client.get(
            "/metrics",
            headers=controller.auth(Role.ioc_viewer)
            | {"Accept": "application/openmetrics-text; version=1.0.0"},
        )
    assert r.headers["content-type"].startswith("application/openmetrics-text")
    families = {f.name: f for f in openmetrics_families(r.text)}  # strict: one block per family, # EOF
    seen: set[tuple] = set()
    for family in families.values():
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            assert key not in seen, f"duplicate series {key}"
            seen.add(key)
        if family.type != "counter":
            assert not family.name.endswith("_total"), family.name  # _total is for counters
        assert not family.name.endswith(("_ms", "_kbps", "_pct", "_percent")), family.name  # base units
    per_endpoint = {
        name: {s.labels["endpoint"]: s.value for s in families[name].samples}
        for name in ("diemcau_endpoint_up", "diemcau_endpoint_last_seen_timestamp_seconds")
    }
    assert per_endpoint["diemcau_endpoint_up"] == dict.fromkeys(ids, 1.0)
    assert all(
        abs(v - time.time()) < 120
        for v in per_endpoint["diemcau_endpoint_last_seen_timestamp_seconds"].values()
    )
    units = {s.labels["endpoint"]: s.labels["unit"] for s in families["diemcau_endpoint_up"].samples}
    assert units == {n: fleet[n].state.unit for n in ids}
    (camera,) = families["diemcau_camera_state"].samples
    assert camera.labels == {"camera": "Một cửa X01", "unit": "DEMO-H01-X01", "state": "unknown"}
    assert [s.value for s in families["diemcau_camera_up"].samples] == [0.0]
    alarm = [s for s in families["diemcau_alarms_active"].samples if s.labels["unit"] == "DEMO-H02-X01"]
    assert [(s.labels["kind"], s.labels["severity"], s.value) for s in alarm] == [("offline", "major", 1.0)]
    assert families["process_resident_memory_bytes"].samples[0].value > 10_000_000
    assert "process_cpu_seconds" in families and "python_info" in families

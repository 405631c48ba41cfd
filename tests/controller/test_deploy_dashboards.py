"""The dashboards shipped under deploy/ read what the controller exports: the Grafana dashboard
and the Zabbix 7 template load, are well-formed, and every metric they query is in a real
scrape of /metrics (a dashboard query against a metric that no longer exists fails here)."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from controller.models import Alarm, Camera, CameraHealth, Unit, utcnow
from controller.roles import Role
from endpoints.sim import Fleet
from tests.controller.fleet_helpers import UNITS, register_fleet

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana" / "diemcau.json"
ZABBIX = ROOT / "deploy" / "zabbix" / "diemcau_by_http.yaml"
METRIC = re.compile(r"\b((?:diemcau|process|python)_[a-z_]+)\b")
UUID4 = re.compile(r"^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$")  # what Zabbix 7's importer accepts


@pytest.fixture
def controller_settings() -> dict:
    return {
        "monitor_enabled": True,
        "monitor_interval_s": 0.3,
        "camera_monitor_enabled": False,
        "alarm_eval_s": 60,
    }


@pytest.fixture
async def exported(controller, tmp_path) -> set[str]:
    """Every sample name of a scrape with a device of each kind, an alarm and a sink."""
    async with Fleet(2, units=UNITS) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        for ep in fleet.endpoints:  # in a call: the health poll reads its packet loss
            ep.set_state(call={"remote": "sip:8888@hoinghi.example.gov.vn", "rate": 1920})
        r = await controller.client.post(
            "/api/v1/cameras",
            json={"name": "Một cửa", "unit": "DEMO-H01-X01", "url": "rtsp://127.0.0.1:9/cam"},
            headers=controller.auth(Role.admin),
        )
        r2 = await controller.client.post(
            "/api/v1/sinks",
            json={"name": "IOC", "url": "http://127.0.0.1:9/down"},
            headers=controller.auth(Role.admin),
        )
        assert r.status_code == 201 and r2.status_code == 201
        async with controller.state.db.transaction() as session:
            now = utcnow()
            session.add(CameraHealth(camera_id=uuid.UUID(r.json()["id"]), state="online", last_ok_at=now,
                                     measures={"fps": 12.0, "bitrate_kbps": 400.0, "keyframe_interval_s": 2.0}))  # fmt: skip
            camera = await session.get(Camera, uuid.UUID(r.json()["id"]))
            unit = await session.get(Unit, camera.unit_id) if camera else None
            assert unit is not None
            session.add(Alarm(dedupe_key="d", entity_type="endpoint", entity_id=uuid.uuid4(), entity_name="x",
                              unit_path=unit.path, kind="offline", severity="major", status="active",
                              message="offline", first_seen=now, last_seen=now, raised_at=now))  # fmt: skip
        names: set[str] = set()
        for _ in range(100):
            r = await controller.client.get("/metrics", headers=controller.auth(Role.ioc_viewer))
            names = {s.name for f in text_string_to_metric_families(r.text) for s in f.samples}
            if "diemcau_endpoint_packet_loss_ratio" in names:
                break
            await asyncio.sleep(0.1)
        assert "diemcau_endpoint_packet_loss_ratio" in names
    return names


def _grafana_exprs(dashboard: dict) -> list[str]:
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    exprs += [v["definition"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
    return exprs


def test_the_grafana_dashboard_is_well_formed():
    dashboard = json.loads(GRAFANA.read_text(encoding="utf-8"))
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert {"datasource", "unit", "endpoint", "camera"} <= variables
    rows = [p["title"] for p in dashboard["panels"] if p["type"] == "row"]
    assert len(rows) == 3  # the province, a unit's devices, a device's history
    for panel in dashboard["panels"]:
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"]), panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["refId"] and target["expr"].count("(") == target["expr"].count(")"), target
            used = set(re.findall(r"\$(\w+)", target["expr"])) - {"__rate_interval", "__interval"}
            assert used <= variables, (panel["title"], used)


async def test_every_grafana_query_names_a_metric_the_controller_exports(exported):
    dashboard = json.loads(GRAFANA.read_text(encoding="utf-8"))
    wanted = {m for expr in _grafana_exprs(dashboard) for m in METRIC.findall(expr)}
    assert {
        "diemcau_endpoint_up",
        "diemcau_camera_frames_per_second",
        "diemcau_endpoint_poll_seconds_bucket",
    } <= wanted
    assert sorted(wanted - exported) == []


def _walk(node: object):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_the_zabbix_template_is_a_well_formed_7_0_export():
    doc = yaml.safe_load(ZABBIX.read_text(encoding="utf-8"))["zabbix_export"]
    assert doc["version"] == "7.0" and doc["template_groups"]
    uuids = [n["uuid"] for n in _walk(doc) if "uuid" in n]
    assert all(UUID4.fullmatch(u) for u in uuids), [u for u in uuids if not UUID4.fullmatch(u)]
    assert len(uuids) == len(set(uuids))
    (template,) = doc["templates"]
    keys = {i["key"] for i in template["items"]}
    for node in _walk(template):
        if "master_item" in node:
            assert node["master_item"]["key"] in keys, node.get("key")
    for rule in template["discovery_rules"]:
        types = {step["type"] for step in rule["preprocessing"]}
        assert "PROMETHEUS_PATTERN" not in types  # Zabbix refuses it in discovery rules
        assert {m["lld_macro"] for m in rule["lld_macro_paths"]} >= {"{#UNIT}"}
    for node in _walk(template):
        for step in node.get("preprocessing", []) if isinstance(node.get("preprocessing"), list) else []:
            if step["type"] == "PROMETHEUS_PATTERN":
                assert len(step["parameters"]) == 3 and step["parameters"][1] in (
                    "value",
                    "label",
                    "function",
                )
    expressions = [n["expression"] for n in _walk(template) if "expression" in n]
    item_keys = keys | {p["key"] for r in template["discovery_rules"] for p in r["item_prototypes"]}
    for expression in expressions:
        for key in re.findall(r"/diemcau by HTTP/([^,)]+)", expression):
            assert key in item_keys, (expression, key)


async def test_every_zabbix_item_reads_a_metric_the_controller_exports(exported):
    doc = yaml.safe_load(ZABBIX.read_text(encoding="utf-8"))
    wanted = {
        m
        for node in _walk(doc)
        if node.get("type") in ("PROMETHEUS_PATTERN", "PROMETHEUS_TO_JSON")
        for m in METRIC.findall(node["parameters"][0])
    }
    assert {"diemcau_endpoint_up", "diemcau_camera_up", "diemcau_sink_dead_letters"} <= wanted
    assert sorted(wanted - exported) == []

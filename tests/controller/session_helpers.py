"""Shared steps for tests that run conference sessions against the simulated fleet."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from controller.roles import Role

BRIDGE_PATTERN = "sip:{conference}@bridge.sim"  # the simulator's bridge host


async def use_sim_bridge(ctl, ports: int | None = None) -> dict[str, Any]:
    """Point the default bridge at the simulator's bridge (optionally resize it)."""
    h = ctl.auth(Role.admin)
    bridge = (await ctl.client.get("/api/v1/bridges", headers=h)).json()[0]
    body: dict[str, Any] = {"sip_pattern": BRIDGE_PATTERN}
    if ports is not None:
        body["ports"] = ports
    r = await ctl.client.patch(f"/api/v1/bridges/{bridge['id']}", json=body, headers=h)
    assert r.status_code == 200, r.text
    return r.json()


async def start_session(ctl, scope: dict[str, Any], expect: int = 201, **extra: Any) -> dict[str, Any]:
    body = {"title": "Họp giao ban tỉnh", "scope": scope} | extra
    r = await ctl.client.post("/api/v1/sessions", json=body, headers=ctl.auth(Role.host))
    assert r.status_code == expect, r.text
    return r.json()


async def session(ctl, session_id: str) -> dict[str, Any]:
    r = await ctl.client.get(f"/api/v1/sessions/{session_id}", headers=ctl.auth(Role.ioc_viewer))
    assert r.status_code == 200, r.text
    return r.json()


async def wait_for(
    ctl, session_id: str, predicate: Callable[[dict[str, Any]], bool], limit_s: float = 20.0
) -> dict[str, Any]:
    """Poll the session until ``predicate(detail)``; bounded, fails with the last detail."""
    detail: dict[str, Any] = {}
    for _ in range(int(limit_s / 0.05)):
        detail = await session(ctl, session_id)
        if predicate(detail):
            return detail
        await asyncio.sleep(0.05)
    raise AssertionError(f"session never reached the expected state: {detail.get('counts')} {detail}")


def states(detail: dict[str, Any]) -> dict[str, str]:
    return {p["endpoint_name"]: p["state"] for p in detail["participants"]}


def all_in(*wanted: str) -> Callable[[dict[str, Any]], bool]:
    return lambda d: bool(d["participants"]) and all(p["state"] in wanted for p in d["participants"])


async def timeline(ctl, session_id: str) -> list[dict[str, Any]]:
    r = await ctl.client.get(f"/api/v1/sessions/{session_id}/timeline", headers=ctl.auth(Role.technician))
    assert r.status_code == 200, r.text
    return r.json()

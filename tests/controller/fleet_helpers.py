"""Shared steps for tests that drive the simulated fleet through the API."""

from __future__ import annotations

import asyncio
import uuid

from controller.bench.provision_bench import BENCH_STANDARD
from controller.roles import Role

UNITS = ["DEMO-H01-X01", "DEMO-H01-X02", "DEMO-H02-X01", "DEMO-H02-X02", "DEMO-H03-X01", "DEMO"]


def endpoint_body(name: str, unit: str, port: int, **over: object) -> dict:
    """A POST /endpoints body for an endpoint nobody dials (loopback, a port nothing listens on)."""
    return {
        "name": name,
        "unit": unit,
        "host": "127.0.0.1",
        "port": port,
        "username": "admin",
        "password": "pw-123456",
        "profile": "cisco-roomos",
    } | over


# A standard whose every value differs from the simulator's factory settings.
STANDARD = BENCH_STANDARD


async def register_fleet(ctl, fleet, tmp_path) -> dict[str, str]:
    """Import the fleet's inventory; returns endpoint name -> id."""
    text = fleet.write_inventory(tmp_path / "fleet.csv").read_bytes()
    r = await ctl.client.post(
        "/api/v1/endpoints/import",
        files={"file": ("fleet.csv", text, "text/csv")},
        headers=ctl.auth(Role.technician),
    )
    assert r.status_code == 200, r.text
    r = await ctl.client.get("/api/v1/endpoints", params={"limit": 1000}, headers=ctl.auth(Role.admin))
    return {e["name"]: e["id"] for e in r.json()["items"]}


async def set_standard(ctl, values: dict[str, str], unit: str | None = None) -> None:
    for key, value in values.items():
        r = await ctl.client.put(
            f"/api/v1/standards/{key}",
            json={"value": value},
            params={"unit": unit} if unit else None,
            headers=ctl.auth(Role.technician),
        )
        assert r.status_code == 200, r.text


async def run_job(ctl, path: str, body: dict, role: Role = Role.technician) -> tuple[dict, list[dict]]:
    """Start a job through the API, wait for its task, return (job, items)."""
    r = await ctl.client.post(path, json=body, headers=ctl.auth(role))
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    return await finish(ctl, job_id)


async def finish(ctl, job_id: str) -> tuple[dict, list[dict]]:
    runner = ctl.state.runner
    for _ in range(100):  # the task starts once the request's transaction commits
        if runner.is_running(uuid.UUID(job_id)):
            break
        await asyncio.sleep(0.01)
    await asyncio.wait_for(runner.wait(uuid.UUID(job_id)), 60)
    h = ctl.auth(Role.admin)
    job = (await ctl.client.get(f"/api/v1/jobs/{job_id}", headers=h)).json()
    items = (await ctl.client.get(f"/api/v1/jobs/{job_id}/items", headers=h)).json()
    return job, items

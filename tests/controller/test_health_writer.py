"""The batched health writer: an endpoint deleted while its poll results waited in the batch
must not stop every other endpoint's results from being written."""

from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import delete, func, select

from controller.health.writer import HealthWriter
from controller.models import Endpoint, HealthSample, utcnow
from controller.roles import Role

pytestmark = pytest.mark.usefixtures("backend")


def _result(endpoint_id: uuid.UUID) -> tuple[dict, dict, dict]:
    now = utcnow()
    health = {
        "b_id": endpoint_id, "b_state": "offline", "b_reason": "unreachable", "b_reason_params": {},
        "b_since": now, "b_flapping": False, "b_last_poll_at": now, "b_last_ok_at": None,
        "b_latency": 1.0, "b_health": {},
    }  # fmt: skip
    sample = {
        "endpoint_id": endpoint_id, "at": now, "state": "offline", "ok": False, "latency_ms": 1.0,
        "in_call": None, "packet_loss_pct": None, "temperature_c": None,
    }  # fmt: skip
    change = {
        "endpoint_id": endpoint_id, "new": "offline", "since": now, "unit_path": None,
        "payload": {"endpoint_id": str(endpoint_id), "old": "online", "new": "offline"},
    }  # fmt: skip
    return health, sample, change


async def test_a_deleted_endpoints_queued_results_are_dropped_and_the_rest_written(controller, caplog):
    ids = []
    for i in range(2):
        r = await controller.client.post(
            "/api/v1/endpoints",
            json={
                "name": f"W{i}",
                "unit": "DEMO-H01",
                "host": "127.0.0.1",
                "port": 4100 + i,
                "username": "admin",
                "password": "S3cret-9",
                "profile": "cisco-roomos",
            },  # fmt: skip
            headers=controller.auth(Role.admin),
        )
        assert r.status_code == 201, r.text
        ids.append(uuid.UUID(r.json()["id"]))
    writer = HealthWriter(controller.state.db, None, every_s=3600)
    for endpoint_id in ids:
        writer.add(*_result(endpoint_id))
    writer.identity(ids[1], "Room Kit", "ce11.1", None, utcnow())
    async with controller.state.db.transaction() as session:  # deleted while its rows wait
        await session.execute(delete(Endpoint).where(Endpoint.id == ids[1]))
    with caplog.at_level(logging.WARNING):
        await writer.flush()  # the batch fails on the deleted endpoint's sample ...
        await writer.flush()  # ... and the rest is written at the next write
    assert "dropped the queued poll results of 1 deleted endpoint(s)" in caplog.text
    async with controller.state.db.transaction() as session:
        samples = await session.scalar(select(func.count()).where(HealthSample.endpoint_id == ids[0]))
        state = await session.scalar(select(Endpoint.state).where(Endpoint.id == ids[0]))
    assert (samples, state) == (1, "offline")
    await writer.flush()  # nothing left queued: a later write does nothing and fails nothing
    assert writer.flushes == 1
    await writer.close()

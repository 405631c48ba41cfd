"""A flood of bad logins does not stop the health monitor: while every password worker is
busy and the logins wait for it, the monitor keeps polling a simulated endpoint over SSH.

The flood is bounded (a few logins in flight) and the workers are held by the test, so the
logins cannot finish before the polls are counted: a structural fact (the checks wait off
the event loop), not a timing one.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from controller.security import PASSWORD_POOL, PASSWORD_THREADS
from endpoints.sim import Fleet
from tests.controller.fleet_helpers import register_fleet
from tests.support.waiting import PATIENT_S, until


@pytest.fixture
def controller_settings() -> dict:
    return {
        "monitor_enabled": True,
        "monitor_interval_s": 0.3,
        "ssh_connect_timeout_s": PATIENT_S,
        "ssh_command_timeout_s": PATIENT_S,
    }


async def test_the_monitor_keeps_polling_while_logins_wait_for_argon2(controller, tmp_path):
    async with Fleet(1, latency_ms=0) as fleet:
        await register_fleet(controller, fleet, tmp_path)
        await controller.state.monitor.reconcile()
        device = fleet.endpoints[0].state

        def polls() -> int:
            return device.stats.batches

        await until(lambda: polls() >= 2, what="the monitor polls the device")

        release = threading.Event()
        held = [PASSWORD_POOL.submit(release.wait) for _ in range(PASSWORD_THREADS)]
        try:
            flood = [
                asyncio.create_task(
                    controller.client.post(
                        "/api/v1/auth/token", data={"username": f"guesser{i}", "password": "guess"}
                    )
                )
                for i in range(8)
            ]
            await until(lambda: controller.state.logins.in_flight == 8, what="the flood waits for Argon2")
            before = polls()
            await until(lambda: polls() >= before + 3, what="the monitor polls during the flood")
            assert not any(t.done() for t in flood)
        finally:
            release.set()
            for f in held:
                f.result(timeout=PATIENT_S)
        assert [r.status_code for r in await asyncio.gather(*flood)] == [401] * 8

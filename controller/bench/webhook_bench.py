"""`diemcau bench webhook`: outbox throughput to a local webhook receiver, vs one POST at a time.

The controller's dispatcher runs in this process; the receiver (verifying
every signature) in its own. Events are spread over ``entities`` entities, as
250 endpoints changing state would be: delivery keeps order per entity, so
the events of different entities go in parallel. The receiver takes
``delay_ms`` per request, as an IOC across the province WAN does.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from controller.app import build_state, close_state
from controller.bench.harness import free_port
from controller.events import emit
from controller.ioc.signing import new_secret
from controller.ioc.webhook import WebhookSender
from controller.models import OutboxEvent, Sink
from controller.settings import Settings


async def _counts(url: str) -> dict[str, int]:
    async with httpx.AsyncClient(verify=False) as client:  # plain http to loopback: no CA bundle to load
        return (await client.get(url)).json()


async def _run(events: int, entities: int, naive_events: int, secret: str, port: int) -> dict:
    counts_url = f"http://127.0.0.1:{port}/counts"
    for _ in range(100):
        try:
            await _counts(counts_url)
            break
        except httpx.HTTPError:
            await asyncio.sleep(0.1)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp), secret_key=Fernet.generate_key().decode(), monitor_enabled=False
        )
        state = await build_state(settings)
        try:
            async with state.db.transaction() as session:
                session.add(
                    Sink(
                        name="bench",
                        kind="webhook",
                        url=f"http://127.0.0.1:{port}/hook",
                        secret_enc=state.box.encrypt(secret),
                        event_types=[],
                        cursor=0,
                        created_by="bench",
                    )
                )
                for i in range(events):
                    emit(
                        session,
                        None,
                        "endpoint.state",
                        "endpoint",
                        f"ep-{i % entities}",
                        {"seq": i // entities},
                    )
            cpu0, t0 = time.process_time(), time.perf_counter()
            await state.sinks.start()
            await state.sinks.reconcile()
            for _ in range(6000):  # bounded: 300 s
                if (await _counts(counts_url))["unique"] >= events:
                    break
                await asyncio.sleep(0.05)
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            counts = await _counts(counts_url)
            await state.sinks.stop()

            async with state.db.transaction() as session:  # the naive way: one POST after another
                sample = list(
                    (await session.execute(OutboxEvent.__table__.select().limit(naive_events))).all()
                )
            async with httpx.AsyncClient() as client:
                sender = WebhookSender(f"http://127.0.0.1:{port}/hook", secret, client)
                n0 = time.perf_counter()
                for row in sample:
                    await sender.send(OutboxEvent(**row._mapping))
                naive_per_s = len(sample) / (time.perf_counter() - n0)
        finally:
            await close_state(state)
    return {
        "bench": "webhook",
        "events": events,
        "entities": entities,
        "delivered": counts["unique"],
        "bad_signatures": counts["bad"],
        "wall_s": round(wall, 2),
        "events_per_s": round(events / wall, 1),
        "cpu_ms_per_event": round(cpu / events * 1000, 3),
        "naive_events_per_s": round(naive_per_s, 1),
        "naive_note": f"one signed POST after another on a kept-alive connection, {len(sample)} events",
    }


def run(events: int, entities: int, naive_events: int, delay_ms: float) -> dict:
    secret, port = new_secret(), free_port()
    receiver = subprocess.Popen(
        [sys.executable, "-m", "controller.bench.webhook_receiver", secret, str(port), str(delay_ms)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        result = asyncio.run(_run(events, entities, naive_events, secret, port))
        return result | {"receiver_delay_ms": delay_ms}
    finally:
        receiver.terminate()
        receiver.wait(10)

"""`diemcau bench webhook|mqtt`: outbox throughput to a local sink, vs one event at a time.

The controller's dispatcher runs in this process; the sink (a webhook
receiver verifying every signature, or a real mosquitto) in its own. Events
are spread over ``entities`` entities, as 250 endpoints changing state would
be: delivery keeps order per entity, so different entities go in parallel.
The webhook receiver takes ``delay_ms`` per request, as an IOC across the
province WAN does. An MQTT event counts as delivered on the broker's PUBACK.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from camera.netpolicy import NetPolicy
from controller.app import build_state, close_state
from controller.bench.harness import free_port
from controller.bench.mosquitto import PASSWORD, MosquittoBroker
from controller.events import emit
from controller.ioc.kinds import Sender
from controller.ioc.mqtt import MqttSender, parse_mqtt_url
from controller.ioc.signing import new_secret
from controller.ioc.webhook import WebhookSender
from controller.models import Delivery, OutboxEvent, Sink
from controller.settings import Settings

LOOPBACK = NetPolicy(allow_loopback=True)  # the bench receiver and broker listen on loopback


async def _delivered(state: Any) -> int:
    async with state.db.transaction() as session:
        return int(await session.scalar(select(func.count()).where(Delivery.status == "delivered")) or 0)


async def _measure(
    sink: dict[str, Any],
    secret: str | None,
    events: int,
    entities: int,
    naive_events: int,
    naive_sender: Callable[[Any], Awaitable[tuple[Sender, Callable[[], Awaitable[None]]]]],
) -> dict[str, Any]:
    """Deliver ``events`` through the dispatcher, then ``naive_events`` one after another."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            secret_key=Fernet.generate_key().decode(),
            monitor_enabled=False,
            device_allow_loopback=True,  # the receiver and the broker listen on loopback
        )
        state = await build_state(settings)
        try:
            async with state.db.transaction() as session:
                session.add(
                    Sink(
                        name="bench",
                        secret_enc=state.box.encrypt(secret) if secret else None,
                        event_types=[],
                        cursor=0,
                        created_by="bench",
                        **sink,
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
                if await _delivered(state) >= events:
                    break
                await asyncio.sleep(0.05)
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            delivered = await _delivered(state)
            await state.sinks.stop()

            async with state.db.transaction() as session:
                sample = list(
                    (await session.execute(OutboxEvent.__table__.select().limit(naive_events))).all()
                )
            sender, close = await naive_sender(state)
            n0 = time.perf_counter()
            for row in sample:
                await sender.send(OutboxEvent(**row._mapping))
            naive_per_s = len(sample) / (time.perf_counter() - n0)
            await close()
        finally:
            await close_state(state)
    return {
        "events": events,
        "entities": entities,
        "delivered": delivered,
        "wall_s": round(wall, 2),
        "events_per_s": round(events / wall, 1),
        "cpu_ms_per_event": round(cpu / events * 1000, 3),
        "naive_events_per_s": round(naive_per_s, 1),
    }


async def _wait_http(url: str) -> dict[str, int]:
    async with httpx.AsyncClient() as client:
        for _ in range(100):
            try:
                counts: dict[str, int] = (await client.get(url)).json()
                return counts
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def run_webhook(events: int, entities: int, naive_events: int, delay_ms: float) -> dict[str, Any]:
    secret, port = new_secret(), free_port()
    url = f"http://127.0.0.1:{port}"
    receiver = subprocess.Popen(
        [sys.executable, "-m", "controller.bench.webhook_receiver", secret, str(port), str(delay_ms)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    async def naive(_state: Any) -> tuple[Sender, Callable[[], Awaitable[None]]]:
        client = httpx.AsyncClient()
        return WebhookSender(f"{url}/hook", secret, client), client.aclose

    async def go() -> dict[str, Any]:
        await _wait_http(f"{url}/counts")
        result = await _measure(
            {"kind": "webhook", "url": f"{url}/hook"}, secret, events, entities, naive_events, naive
        )
        counts = await _wait_http(f"{url}/counts")
        return result | {"received_unique": counts["unique"], "bad_signatures": counts["bad"]}

    try:
        return (
            {"bench": "webhook"}
            | asyncio.run(go())
            | {
                "receiver_delay_ms": delay_ms,
                "naive_note": f"one signed POST after another on a kept-alive connection, {naive_events} events",
            }
        )
    finally:
        receiver.terminate()
        receiver.wait(10)


def run_mqtt(events: int, entities: int, naive_events: int) -> dict[str, Any]:
    with MosquittoBroker() as broker:
        target = parse_mqtt_url(broker.url)

        async def naive(state: Any) -> tuple[Sender, Callable[[], Awaitable[None]]]:
            sender = MqttSender(
                target,
                PASSWORD,
                client_id="bench-naive",
                timeout_s=10,
                inflight=1,
                policy=LOOPBACK,
                units=state.sinks.unit_codes,
            )
            return sender, sender.aclose

        result = asyncio.run(
            _measure({"kind": "mqtt", "url": broker.url}, PASSWORD, events, entities, naive_events, naive)
        )
    return (
        {"bench": "mqtt"}
        | result
        | {
            "naive_note": f"one QoS 1 publish after another, each waiting for its PUBACK, {naive_events} events",
        }
    )

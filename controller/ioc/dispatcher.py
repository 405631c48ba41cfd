"""Delivery of the outbox to sinks: nothing lost across outages and restarts, order kept per entity.

Per sink, two steps in a loop:

1. *Enqueue*: outbox rows after the sink's ``cursor`` become ``sink_deliveries``
   rows and the cursor moves, in one transaction (a crash repeats nothing and
   skips nothing).
2. *Deliver*: each entity whose oldest pending row is due sends its rows in
   order, one after another, stopping at its first failure; entities go in
   parallel (bounded). A failure is retried
   with doubling, jittered backoff (5 s up to 1 h) for
   ``webhook_retry_hours`` (24 h), then the row is ``dead`` (dead letter:
   visible, replayable) and the entity's later events go on. Because an
   entity's events are never in flight together, a receiver sees them in order.

A receiver that is down costs one attempt per entity per backoff step, not
one per event.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update

from camera.guarded_http import guarded_transport
from controller import logs, netpolicy
from controller.db import Database
from controller.events import OutboxSignal
from controller.ioc.kinds import Sender, SenderContext
from controller.ioc.senders import KINDS
from controller.models import Delivery, OutboxEvent, Sink, utcnow
from controller.scope import EVERYWHERE, UnitScope
from controller.security import SecretBox
from controller.settings import Settings
from controller.tasks import Row, Supervisor
from controller.units.codes import UnitCodes

log = logging.getLogger("diemcau.ioc")

__all__ = ["SinkDispatcher"]

ENQUEUE_BATCH = 2000
DELIVER_BATCH = 2000
IDLE_S = 5.0  # a safety net: new events wake the sink at once


class SinkDispatcher:
    def __init__(self, db: Database, box: SecretBox, settings: Settings, signal: OutboxSignal | None) -> None:
        self.db, self.box, self.settings, self.signal = db, box, settings, signal
        self.unit_codes = UnitCodes(db)  # MQTT topics name units by code
        self._rows: Supervisor[uuid.UUID, Sink] = Supervisor(
            "sinks", self._read, self._run, every_s=5.0, log=log, prepare=self._prepare, halt=self._halt
        )
        self._client: httpx.AsyncClient | None = None
        self._wake: dict[uuid.UUID, asyncio.Event] = {}
        self._stopping: dict[uuid.UUID, asyncio.Event] = {}
        self.delivered = 0

    async def start(self) -> None:
        timeout = httpx.Timeout(self.settings.webhook_timeout_s)
        limits = httpx.Limits(max_connections=self.settings.webhook_concurrency)
        # connects only where the network policy allows, to the address it checked (no env proxies)
        transport = guarded_transport(netpolicy.policy(self.settings), limits=limits)
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False, transport=transport)
        await self._rows.start()

    async def stop(self) -> None:
        await self._rows.stop()
        if self._client is not None:
            await self._client.aclose()

    def poke(self, sink_id: uuid.UUID | None = None) -> None:
        """Deliver now (a replay, a new sink) instead of at the next due time."""
        for sid, event in self._wake.items():
            if sink_id is None or sid == sink_id:
                event.set()

    async def _halt(self, sink_id: uuid.UUID, task: asyncio.Task[None]) -> None:
        """Stop a sink's loop between passes, so no transaction is cut in the middle
        (a cancelled SQLite write could hold the database lock); cancelled only if it hangs."""
        self._stopping[sink_id].set()
        self._wake[sink_id].set()
        try:
            await asyncio.wait_for(asyncio.shield(task), self.settings.webhook_timeout_s + 5)
        except TimeoutError:
            pass  # the supervisor cancels it
        except Exception:  # noqa: BLE001 - it was logged in the loop
            pass

    async def reconcile(self) -> None:
        """Follow the enabled sinks: a delivery loop each, restarted when a sink is edited."""
        await self._rows.reconcile()

    async def _read(self) -> dict[uuid.UUID, Row[Sink]]:
        async with self.db.transaction() as session:
            sinks = (await session.scalars(select(Sink).where(Sink.enabled.is_(True)))).all()
            session.expunge_all()
        return {s.id: Row(s.updated_at, s.name, s) for s in sinks}

    def _prepare(self, sink_id: uuid.UUID, sink: Sink) -> None:
        self._wake[sink_id] = asyncio.Event()
        self._stopping[sink_id] = asyncio.Event()

    def _sender(self, sink: Sink) -> Sender:
        assert self._client is not None
        secret = self.box.decrypt(sink.secret_enc) if sink.secret_enc else None
        context = SenderContext(self._client, self.settings, netpolicy.policy(self.settings), self.unit_codes)
        return KINDS[sink.kind].sender(sink, secret, context)

    async def _run(self, sink_id: uuid.UUID, sink: Sink) -> None:
        sender = self._sender(sink)
        wake, stopping = self._wake[sink.id], self._stopping[sink.id]
        try:
            await sender.open()
            await self._loop(sink, sender, wake, stopping)
        finally:
            await sender.aclose()

    async def _loop(self, sink: Sink, sender: Sender, wake: asyncio.Event, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            # Listen before the pass: an event committed during it must not wait for the timeout.
            waiters: list[asyncio.Task[bool | None]] = [
                asyncio.ensure_future(wake.wait()),
                asyncio.ensure_future(stopping.wait()),
            ]
            if self.signal is not None:
                waiters.append(asyncio.ensure_future(self.signal.wait(IDLE_S)))
            wake.clear()
            try:
                await self.enqueue(sink.id, sink.event_types, sink.unit_path)
                next_due = await self.deliver(sink.id, sender)
            except Exception as exc:  # noqa: BLE001 - a bad pass must not end delivery
                log.error("sink %s: delivery pass failed: %s", sink.name, type(exc).__name__)
                next_due = 5.0
            if next_due > 0:
                await asyncio.wait(waiters, timeout=next_due, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()

    async def enqueue(self, sink_id: uuid.UUID, event_types: list[str], unit_path: str | None = None) -> int:
        """Outbox rows after the cursor become deliveries; the cursor moves in the same transaction.
        A sink of one subtree (``unit_path``) gets that subtree's events only."""
        async with self.db.transaction() as session:
            sink = await session.get(Sink, sink_id, with_for_update=True)
            if sink is None:
                return 0
            rows = (
                await session.execute(
                    select(
                        OutboxEvent.id,
                        OutboxEvent.type,
                        OutboxEvent.entity_type,
                        OutboxEvent.entity_id,
                        OutboxEvent.unit_path,
                    )
                    .where(OutboxEvent.id > sink.cursor)
                    .order_by(OutboxEvent.id)
                    .limit(ENQUEUE_BATCH)
                )
            ).all()
            if not rows:
                return 0
            now = utcnow()
            scope = UnitScope(frozenset({unit_path})) if unit_path else EVERYWHERE
            wanted = [
                r for r in rows if (not event_types or r.type in event_types) and scope.covers(r.unit_path)
            ]
            if wanted:
                await session.execute(
                    Delivery.__table__.insert(),
                    [
                        {
                            "sink_id": sink_id,
                            "event_id": r.id,
                            "entity_key": f"{r.entity_type}:{r.entity_id}"[:100],
                            "status": "pending",
                            "attempts": 0,
                            "next_attempt_at": now,
                        }
                        for r in wanted
                    ],
                )
            await session.execute(
                update(Sink).where(Sink.id == sink_id).values(cursor=rows[-1].id, updated_at=Sink.updated_at)
            )
            return len(wanted)

    async def deliver(self, sink_id: uuid.UUID, sender: Sender) -> float:
        """Send what is due; seconds until the next is due (0: go on at once).

        Each entity's due events go one after another (its order), stopping at its
        first failure; different entities go in parallel (bounded).
        """
        now = utcnow()
        async with self.db.transaction() as session:
            pending = (
                await session.execute(
                    select(Delivery.id, Delivery.event_id, Delivery.entity_key, Delivery.next_attempt_at)
                    .where(Delivery.sink_id == sink_id, Delivery.status == "pending")
                    .order_by(Delivery.event_id)
                    .limit(DELIVER_BATCH)
                )
            ).all()
            chains: dict[str, list[Any]] = {}
            for row in pending:
                chains.setdefault(row.entity_key, []).append(row)
            # an entity whose oldest event is not due waits as a whole: its order holds
            due = {k: rows for k, rows in chains.items() if rows[0].next_attempt_at <= now}
            wanted = [r.event_id for rows in due.values() for r in rows]
            events = {
                e.id: e
                for e in (await session.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(wanted)))).all()
            }
            session.expunge_all()
        if not pending:
            return IDLE_S
        if not due:
            soonest: datetime = min(rows[0].next_attempt_at for rows in chains.values())
            return max(0.05, (soonest - now).total_seconds())
        sem = asyncio.Semaphore(self.settings.webhook_concurrency)
        results: list[tuple[Any, tuple[bool, int | None, str | None]]] = []

        async def chain(rows: list[Any]) -> None:
            async with sem:
                for row in rows:
                    event = events.get(row.event_id)
                    if event is None:  # pruned by retention before it could be delivered
                        results.append((row, (False, None, "the event is no longer in the outbox")))
                        continue
                    outcome = await sender.send(event)
                    results.append((row, outcome))
                    if not outcome[0]:
                        return  # the rest of this entity waits behind it

        await asyncio.gather(*(chain(rows) for rows in due.values()))
        await self._record(results, missing=set(wanted) - set(events))
        return 0 if len(pending) == DELIVER_BATCH else 0.05

    async def _record(
        self, results: list[tuple[Any, tuple[bool, int | None, str | None]]], missing: set[int]
    ) -> None:
        """Successes in one statement; failures (few) one by one with their next attempt."""
        now = utcnow()
        retry_for = timedelta(hours=self.settings.webhook_retry_hours)
        ok_by_status: dict[int | None, list[int]] = {}
        for row, (ok, status, _) in results:
            if ok:
                ok_by_status.setdefault(status, []).append(row.id)
        failed = [(row, status, error) for row, (ok, status, error) in results if not ok]
        dead: list[dict[str, Any]] = []
        async with self.db.transaction() as session:
            for status, ids in ok_by_status.items():
                await session.execute(
                    update(Delivery)
                    .where(Delivery.id.in_(ids))
                    .values(
                        status="delivered",
                        delivered_at=now,
                        attempts=Delivery.attempts + 1,
                        first_attempt_at=func.coalesce(Delivery.first_attempt_at, now),
                        last_status=status,
                        last_error=None,
                    )
                )
                self.delivered += len(ids)
            for row, status, error in failed:
                d = await session.get(Delivery, row.id)
                if d is None:
                    continue
                d.attempts += 1
                d.first_attempt_at = d.first_attempt_at or now
                d.last_status, d.last_error = status, error
                if row.event_id in missing or now - d.first_attempt_at >= retry_for:
                    d.status = "dead"
                    dead.append(
                        {
                            "sink_id": str(d.sink_id),
                            "event_id": d.event_id,
                            "attempts": d.attempts,
                            "error": error,
                        }
                    )
                else:
                    d.next_attempt_at = now + timedelta(seconds=self.backoff(d.attempts))
        for letter in dead:  # committed: a dead letter waits for an admin's replay
            logs.state_change(
                log, "delivery.dead", f"event {letter['event_id']} to sink {letter['sink_id']}", letter
            )

    def backoff(self, attempts: int) -> float:
        s = self.settings
        ceiling = min(s.webhook_backoff_max_s, s.webhook_backoff_base_s * 2 ** (attempts - 1))
        return random.uniform(ceiling / 2, ceiling)  # jittered, never a burst of instant retries

    async def backlog(self, session: Any, sink_id: uuid.UUID) -> dict[str, int]:
        rows = await session.execute(
            select(Delivery.status, func.count()).where(Delivery.sink_id == sink_id).group_by(Delivery.status)
        )
        return {status: n for status, n in rows.all()}

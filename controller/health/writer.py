"""Batched persistence for poll results.

250 endpoints polled every 10-15 s arrive one by one (the loops are jittered),
so a transaction per poll would spend most of the controller's CPU on commits.
The writer collects results in memory and writes them every two seconds with
executemany statements: the latest health per endpoint, the samples, and the
state transitions with their outbox events — all in one transaction, so a
state change and its event still commit together. A crash loses at most the
last two seconds of samples; a transition not yet written is simply detected again
by the next poll after restart. A failed write keeps its rows for the next one, except
those of an endpoint deleted meanwhile: they can never be written, and kept they would
fail every later batch.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from controller.events import OutboxSignal, emit
from controller.models import Endpoint, EndpointHealth, HealthSample
from controller.tasks import cancel_and_wait

log = logging.getLogger("diemcau.monitor")

_H = EndpointHealth.__table__
_E = Endpoint.__table__
_UPDATE_HEALTH = (
    update(_H)
    .where(_H.c.endpoint_id == bindparam("b_id"))
    .values(
        state=bindparam("b_state"),
        reason=bindparam("b_reason"),
        reason_params=bindparam("b_reason_params"),
        since=bindparam("b_since"),
        flapping=bindparam("b_flapping"),
        last_poll_at=bindparam("b_last_poll_at"),
        last_ok_at=bindparam("b_last_ok_at"),
        poll_latency_ms=bindparam("b_latency"),
        health=bindparam("b_health"),
    )
)
_UPDATE_STATE = (
    update(_E)
    .where(_E.c.id == bindparam("b_id"))
    .values(state=bindparam("b_state"), state_since=bindparam("b_since"), updated_at=_E.c.updated_at)
)


_UPDATE_IDENTITY = (  # updated_at kept: the monitor restarts a loop when its row changes
    update(_E)
    .where(_E.c.id == bindparam("b_id"))
    .values(
        model=bindparam("b_model"),
        firmware_version=bindparam("b_firmware"),
        serial=bindparam("b_serial"),
        last_contact_at=bindparam("b_at"),
        updated_at=_E.c.updated_at,
    )
)


class HealthWriter:
    def __init__(self, db: Any, signal: OutboxSignal | None, every_s: float = 2.0) -> None:
        self.db, self.signal, self.every_s = db, signal, every_s
        self._health: dict[uuid.UUID, dict[str, Any]] = {}
        self._samples: list[dict[str, Any]] = []
        self._changes: list[dict[str, Any]] = []
        self._identity: dict[uuid.UUID, dict[str, Any]] = {}
        self._task: asyncio.Task[None] | None = None
        self._soon: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # the quick and the periodic flush never overlap
        self.flushes = 0

    def add(self, health: dict[str, Any], sample: dict[str, Any], change: dict[str, Any] | None) -> None:
        """Queue one poll's result (non-blocking); `change` carries a transition's event."""
        self._health[health["b_id"]] = health
        self._samples.append(sample)
        if change is not None:
            self._changes.append(change)
            # A state change is news for the IOC: write it (and what is queued) right away.
            self._later_soon()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._later(self.every_s))

    def identity(
        self, endpoint_id: uuid.UUID, model: str, firmware: str, serial: str | None, at: Any
    ) -> None:
        """Queue what the device said it is (read on every (re)connect): compliance reads it."""
        self._identity[endpoint_id] = {
            "b_id": endpoint_id, "b_model": model, "b_firmware": firmware, "b_serial": serial, "b_at": at
        }  # fmt: skip
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._later(self.every_s))

    async def _later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await self.flush()
        except Exception:  # noqa: BLE001 - keep the data for the next attempt
            log.exception("writing poll results failed; will retry")

    async def flush(self) -> None:
        async with self._lock:
            await self._flush()

    async def _flush(self) -> None:
        health, samples, changes, identity = self._health, self._samples, self._changes, self._identity
        if not (health or samples or changes or identity):
            return
        self._health, self._samples, self._changes, self._identity = {}, [], [], {}
        try:
            async with self.db.transaction() as session:
                conn = await session.connection()
                if identity:
                    await conn.execute(_UPDATE_IDENTITY, list(identity.values()))
                if health:
                    await conn.execute(_UPDATE_HEALTH, list(health.values()))
                if samples:
                    await conn.execute(insert(HealthSample.__table__), samples)
                if changes:
                    await conn.execute(
                        _UPDATE_STATE,
                        [
                            {"b_id": c["endpoint_id"], "b_state": c["new"], "b_since": c["since"]}
                            for c in changes
                        ],
                    )
                    for c in changes:
                        emit(
                            session,
                            None,
                            "endpoint.state",
                            "endpoint",
                            str(c["endpoint_id"]),
                            c["payload"],
                            unit_path=c["unit_path"],
                        )
        except IntegrityError:
            # An endpoint deleted while its results waited here: its rows can never be
            # written, and kept they would fail every later batch (every other endpoint's
            # states and samples with them). Drop its rows, keep the rest for the next write.
            ids = {*health, *identity, *(r["endpoint_id"] for r in (*samples, *changes))}
            live = await self._existing(ids)
            self._put_back(
                {k: v for k, v in health.items() if k in live},
                [r for r in samples if r["endpoint_id"] in live],
                [r for r in changes if r["endpoint_id"] in live],
                {k: v for k, v in identity.items() if k in live},
            )
            log.warning("dropped the queued poll results of %d deleted endpoint(s)", len(ids - live))
            self._later_soon()
            return
        except Exception:
            self._put_back(health, samples, changes, identity)  # nothing is dropped
            raise
        self.flushes += 1
        # Core statements: the ORM did not see these rows change (the live view must)
        self.db.changed("endpoint_health", {*health, *(c["endpoint_id"] for c in changes)})
        if changes and self.signal is not None:
            self.signal.notify()

    def _put_back(
        self,
        health: dict[uuid.UUID, dict[str, Any]],
        samples: list[dict[str, Any]],
        changes: list[dict[str, Any]],
        identity: dict[uuid.UUID, dict[str, Any]],
    ) -> None:
        """In front of whatever arrived meanwhile."""
        self._health = health | self._health
        self._samples = samples + self._samples
        self._changes = changes + self._changes
        self._identity = identity | self._identity

    async def _existing(self, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        async with self.db.transaction() as session:
            live = set(await session.scalars(select(Endpoint.id).where(Endpoint.id.in_(ids))))
        return live

    def _later_soon(self) -> None:
        if self._soon is None or self._soon.done():
            self._soon = asyncio.get_running_loop().create_task(self._later(0.02))

    async def close(self) -> None:
        await cancel_and_wait([self._task, self._soon])
        try:
            await self.flush()
        except Exception:  # noqa: BLE001
            log.exception("final write of poll results failed")

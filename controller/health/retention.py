"""History upkeep: hourly rollups of raw samples, then pruning by age.

Raw samples answer "what happened this morning" at poll resolution; beyond
`raw_retention_h` only hourly aggregates remain, for `history_days` (default
90). Rolling up before deleting means a long range never needs raw rows.
Camera samples share the raw retention but have no rollup: past it they go.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, select

from controller.models import (
    AlarmHistory,
    CameraSample,
    Delivery,
    HealthRollup,
    HealthSample,
    OutboxEvent,
    utcnow,
)
from controller.tasks import cancel_and_wait

log = logging.getLogger("diemcau.retention")


def hour_floor(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


async def rollup(session: Any, until: datetime) -> int:
    """Aggregate complete hours before `until` not rolled up yet, one hour per query
    (portable SQL, bounded memory); returns rollup rows made."""
    done = await session.scalar(select(func.max(HealthRollup.hour)))
    first = await session.scalar(select(func.min(HealthSample.at)))
    if first is None:
        return 0
    hour = (done + timedelta(hours=1)) if done else hour_floor(first)
    made = 0
    S = HealthSample
    while hour + timedelta(hours=1) <= until:
        rows = (
            await session.execute(
                select(
                    S.endpoint_id,
                    func.count(),
                    func.sum(case((S.ok, 1), else_=0)),
                    func.sum(case((S.in_call.is_(True), 1), else_=0)),
                    func.avg(S.latency_ms),
                    func.avg(S.packet_loss_pct),
                    func.max(S.packet_loss_pct),
                    func.avg(S.temperature_c),
                    func.max(S.temperature_c),
                )
                .where(S.at >= hour, S.at < hour + timedelta(hours=1))
                .group_by(S.endpoint_id)
            )
        ).all()
        for ep_id, n, ok, in_call, lat, loss, max_loss, temp, max_temp in rows:
            session.add(
                HealthRollup(
                    endpoint_id=ep_id,
                    hour=hour,
                    samples=n,
                    ok_samples=int(ok or 0),
                    in_call_samples=int(in_call or 0),
                    avg_latency_ms=lat,
                    avg_loss_pct=loss,
                    max_loss_pct=max_loss,
                    avg_temperature_c=temp,
                    max_temperature_c=max_temp,
                )
            )
        made += len(rows)
        hour += timedelta(hours=1)
    return made


async def prune(session: Any, now: datetime, raw_retention_h: float, history_days: float) -> None:
    rolled = await session.scalar(select(func.max(HealthRollup.hour)))
    raw_cut = now - timedelta(hours=raw_retention_h)
    await session.execute(delete(CameraSample).where(CameraSample.at < raw_cut))
    if rolled is not None:  # never delete samples that are not rolled up yet
        await session.execute(
            delete(HealthSample).where(HealthSample.at < min(raw_cut, rolled + timedelta(hours=1)))
        )
    cut = now - timedelta(days=history_days)
    await session.execute(delete(HealthRollup).where(HealthRollup.hour < cut))
    await session.execute(delete(AlarmHistory).where(AlarmHistory.at < cut))
    # An event a sink has still to deliver stays, however old (the IOC was down for long).
    undelivered = await session.scalar(
        select(func.min(Delivery.event_id)).where(Delivery.status == "pending")
    )
    old_events = delete(OutboxEvent).where(OutboxEvent.at < cut)
    if undelivered is not None:
        old_events = old_events.where(OutboxEvent.id < undelivered)
    await session.execute(old_events)
    await session.execute(
        delete(Delivery).where(Delivery.status != "pending", Delivery.first_attempt_at < cut)
    )


class Retention:
    def __init__(
        self, db: Any, *, raw_retention_h: float, history_days: float, every_s: float = 3600
    ) -> None:
        self.db, self.raw_retention_h, self.history_days, self.every_s = (
            db,
            raw_retention_h,
            history_days,
            every_s,
        )
        self._task: asyncio.Task[None] | None = None

    async def run_once(self, now: datetime | None = None) -> int:
        now = now or utcnow()
        async with self.db.transaction() as session:
            made = await rollup(session, now)
            await session.flush()
            await prune(session, now, self.raw_retention_h, self.history_days)
        return made

    async def start(self) -> None:
        async def loop() -> None:
            while True:
                try:
                    await self.run_once()
                except Exception:  # noqa: BLE001
                    log.exception("retention pass failed")
                await asyncio.sleep(self.every_s)

        self._task = asyncio.get_running_loop().create_task(loop())

    async def stop(self) -> None:
        await cancel_and_wait([self._task])

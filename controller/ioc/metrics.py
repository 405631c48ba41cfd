"""Prometheus ``/metrics``: states per unit, poll latency, relay viewers, outbox backlog.

Counts come from the database at scrape time (the truth, whichever process
changed it); the poll-latency histogram is observed live by the monitor. Each
application has its own registry, so several controllers in one process (the
tests) never share series.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from controller.models import (
    Alarm,
    Camera,
    ConferenceSession,
    Delivery,
    Endpoint,
    OutboxEvent,
    Participant,
    Sink,
    Unit,
)

__all__ = ["Metrics"]


class _Snapshot:
    """A collector over families computed before the scrape (collectors cannot await)."""

    def __init__(self, families: list[Any]) -> None:
        self.families = families

    def collect(self) -> list[Any]:
        return self.families


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.poll_seconds = Histogram(
            "diemcau_endpoint_poll_seconds",
            "Health poll round trip per endpoint",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )

    async def render(self, session: AsyncSession, state: Any) -> bytes:
        families = await _families(session, state)
        registry = CollectorRegistry()
        registry.register(_Snapshot(families))
        return generate_latest(self.registry) + generate_latest(registry)


def _gauge(name: str, doc: str, labels: list[str], rows: Any) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for *values, n in rows:
        family.add_metric([str(v) for v in values], float(n))
    return family


async def _families(session: AsyncSession, state: Any) -> list[Any]:
    def by_unit(model: type[Endpoint] | type[Camera]) -> Select[str, str, int]:
        return (
            select(Unit.code, model.state, func.count())
            .join(Unit, model.unit_id == Unit.id)
            .group_by(Unit.code, model.state)
            .order_by(Unit.code)
        )

    endpoints = (await session.execute(by_unit(Endpoint))).all()
    cameras = (await session.execute(by_unit(Camera))).all()
    alarms = (
        await session.execute(
            select(Alarm.kind, Alarm.severity, func.count())
            .where(Alarm.status == "active")
            .group_by(Alarm.kind, Alarm.severity)
        )
    ).all()
    backlog = (
        await session.execute(
            select(Sink.name, Delivery.status, func.count())
            .join(Sink, Delivery.sink_id == Sink.id)
            .where(Delivery.status != "delivered")
            .group_by(Sink.name, Delivery.status)
        )
    ).all()
    participants = (
        await session.execute(
            select(Participant.state, func.count())
            .join(ConferenceSession, Participant.session_id == ConferenceSession.id)
            .where(ConferenceSession.status == "live")
            .group_by(Participant.state)
        )
    ).all()
    last_event = await session.scalar(select(func.max(OutboxEvent.id))) or 0
    relay = state.relay.stats()
    delivered = CounterMetricFamily(
        "diemcau_webhook_delivered", "Outbox events this process delivered to sinks", labels=[]
    )
    delivered.add_metric([], float(state.sinks.delivered))
    return [
        delivered,
        _gauge("diemcau_endpoints", "Endpoints per unit and state", ["unit", "state"], endpoints),
        _gauge("diemcau_cameras", "Cameras per unit and state", ["unit", "state"], cameras),
        _gauge("diemcau_alarms_active", "Active alarms", ["kind", "severity"], alarms),
        _gauge("diemcau_outbox_backlog", "Undelivered events per sink", ["sink", "status"], backlog),
        _gauge("diemcau_outbox_last_event_id", "Newest outbox event id", [], [(last_event,)]),
        _gauge("diemcau_session_participants", "Participants of live sessions", ["state"], participants),
        _gauge(
            "diemcau_relay_viewers", "WHEP viewers per camera", ["camera"], list(relay["per_camera"].items())
        ),
        _gauge("diemcau_relay_viewers_total", "WHEP viewers", [], [(relay["viewers"],)]),
    ]

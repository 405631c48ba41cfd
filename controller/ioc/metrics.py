"""Prometheus ``/metrics``: every endpoint and camera as its own series, the counts per unit,
alarms by severity and unit, sink delivery lag and dead letters, the process.

Counts and device series come from the database at scrape time (the truth, whichever process
changed it); the poll-latency histogram is observed live by the monitor, and the process
collectors read ``/proc``. Each application has its own registry, so several controllers in
one process (the tests) never share series.

Names follow Prometheus' conventions (base units as suffixes, ``_total`` on counters only, a
Unix time as ``..._timestamp_seconds``, a ratio as ``..._ratio``). A device's state is one
series with value 1 under its current ``state`` label, not one series per possible state:
with 300 devices that keeps a scrape near 100 KB, and ``count by (state)`` / ``== 1`` read it
the same way. Cardinality is bounded by the registry (devices, units, sinks, alarm kinds),
never by events. A scraper that asks for OpenMetrics (``Accept:
application/openmetrics-text``) gets it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, PlatformCollector, ProcessCollector
from prometheus_client import generate_latest as text_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST as OPENMETRICS_TYPE
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_latest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from controller.health.live_view import LiveView
from controller.health.tracker import DOWN
from controller.models import (
    AlertNotification,
    AlertRule,
    ConferenceSession,
    Delivery,
    OutboxEvent,
    Participant,
    Sink,
    utcnow,
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
        ProcessCollector(registry=self.registry)  # process_cpu_seconds_total, resident memory, fds
        PlatformCollector(registry=self.registry)  # python_info

    async def render(self, session: AsyncSession, state: Any, accept: str = "") -> tuple[bytes, str]:
        """(body, content type): OpenMetrics when the scraper asks for it, else text 0.0.4."""
        registry = CollectorRegistry()
        for collector in (self.registry, _Snapshot(await _families(session, state))):
            registry.register(collector)
        if "application/openmetrics-text" in accept:
            return openmetrics_latest(registry), OPENMETRICS_TYPE  # type: ignore[no-untyped-call]
        return text_latest(registry), CONTENT_TYPE_LATEST


def _gauge(name: str, doc: str, labels: list[str], rows: Any, unit: str = "") -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels, unit=unit)
    for *values, n in rows:
        family.add_metric([str(v) for v in values], float(n))
    return family


def _seconds(at: datetime | None) -> float | None:
    return at.timestamp() if at else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


Reading = tuple[str, str, Callable[[dict[str, Any]], float | None]]  # name, help, from health

ENDPOINT_READINGS: list[Reading] = [
    ("diemcau_endpoint_in_call", "1 when the endpoint is in a call",
     lambda h: None if h.get("in_call") is None else float(bool(h["in_call"]))),
    ("diemcau_endpoint_packet_loss_ratio", "Receive packet loss of the call in progress",
     lambda h: None if (v := _number(h.get("packet_loss_pct"))) is None else v / 100),
    ("diemcau_endpoint_temperature_celsius", "The codec's temperature", lambda h: _number(h.get("temperature_c"))),
]  # fmt: skip
CAMERA_READINGS: list[Reading] = [
    ("diemcau_camera_frames_per_second", "Frame rate of the last sample", lambda m: _number(m.get("fps"))),
    ("diemcau_camera_bitrate_bits_per_second", "Stream bit rate of the last sample",
     lambda m: None if (v := _number(m.get("bitrate_kbps"))) is None else v * 1000),
    ("diemcau_camera_keyframe_interval_seconds", "Time between keyframes", lambda m: _number(m.get("keyframe_interval_s"))),
]  # fmt: skip


def _device_series(kind: str, up_help: str, rows: Sequence[Any], readings: list[Reading]) -> list[Any]:
    """One series per device: its state (1 under the state's label), up, each reading its
    health has now, and when it last answered. ``rows``: name, unit code, state, health, last ok."""
    labels = [kind, "unit"]
    state = GaugeMetricFamily(
        f"diemcau_{kind}_state", f"1 under the {kind}'s state", labels=[*labels, "state"]
    )
    up = GaugeMetricFamily(f"diemcau_{kind}_up", up_help, labels=labels)
    seen = GaugeMetricFamily(
        f"diemcau_{kind}_last_seen_timestamp_seconds", f"When the {kind} last answered well", labels=labels
    )
    families = [(GaugeMetricFamily(name, doc, labels=labels), read) for name, doc, read in readings]
    for row in rows:
        values, st = [str(row[0]), str(row[1])], str(row[2])
        health: dict[str, Any] = row[3] or {}
        state.add_metric([*values, st], 1.0)
        up.add_metric(values, 0.0 if st in DOWN or st == "unknown" else 1.0)
        for family, read in families:
            if (value := read(health)) is not None:
                family.add_metric(values, value)
        if (at := _seconds(row[4])) is not None:
            seen.add_metric(values, at)
    return [state, up, *(f for f, _ in families), seen]


def _devices(view: LiveView) -> list[Any]:
    endpoints = [
        (name, code, st, ep.health.health if ep.health else None, ep.health.last_ok_at if ep.health else None)
        for name, code, st, ep in view.endpoints_by_unit()
    ]
    cameras = [
        (name, code, st, cam.measures, cam.last_ok_at) for name, code, st, cam in view.cameras_by_unit()
    ]
    return [
        *_device_series(
            "endpoint", "1 when the endpoint answers its control API", endpoints, ENDPOINT_READINGS
        ),
        *_device_series("camera", "1 when the camera's stream gives pictures", cameras, CAMERA_READINGS),
    ]


def _per_unit(rows: Iterable[tuple[str, str, str, Any]]) -> list[tuple[str, str, int]]:
    """(unit code, state, devices) in unit then state order, from (name, code, state, device)."""
    counted = Counter((code, st) for _, code, st, _ in rows)
    return [(code, st, n) for (code, st), n in sorted(counted.items())]


async def _families(session: AsyncSession, state: Any) -> list[Any]:
    view: LiveView = await state.live.current()  # devices, counts and alarms: from memory
    endpoints = _per_unit(view.endpoints_by_unit())
    cameras = _per_unit(view.cameras_by_unit())
    codes = {str(u.id): u.code for u in view.units.values()}
    alarms = Counter(
        (a.public.kind, a.public.severity, codes.get(a.unit_path.strip("/").rsplit("/", 1)[-1], ""))
        for a in view.alarms.values()
    )
    backlog = (
        await session.execute(
            select(Sink.name, Delivery.status, func.count())
            .join(Sink, Delivery.sink_id == Sink.id)
            .where(Delivery.status != "delivered")
            .group_by(Sink.name, Delivery.status)
        )
    ).all()
    oldest = (
        await session.execute(
            select(Sink.name, func.min(OutboxEvent.at))
            .join(Delivery, Delivery.sink_id == Sink.id)
            .join(OutboxEvent, Delivery.event_id == OutboxEvent.id)
            .where(Delivery.status == "pending")
            .group_by(Sink.name)
        )
    ).all()
    sinks = (await session.scalars(select(Sink.name))).all()
    now = utcnow()
    lag = {name: max((now - at).total_seconds(), 0.0) for name, at in oldest if at is not None}
    dead = {name: n for name, status, n in backlog if status == "dead"}
    participants = (
        await session.execute(
            select(Participant.state, func.count())
            .join(ConferenceSession, Participant.session_id == ConferenceSession.id)
            .where(ConferenceSession.status == "live")
            .group_by(Participant.state)
        )
    ).all()
    last_event = await session.scalar(select(func.max(OutboxEvent.id))) or 0
    messages = (
        await session.execute(
            select(AlertRule.name, AlertNotification.status, func.count())
            .join(AlertRule, AlertNotification.rule_id == AlertRule.id)
            .where(AlertNotification.status != "sent")
            .group_by(AlertRule.name, AlertNotification.status)
        )
    ).all()
    relay = state.relay.stats()
    delivered = CounterMetricFamily(
        "diemcau_webhook_delivered", "Outbox events this process delivered to sinks", labels=[]
    )
    delivered.add_metric([], float(state.sinks.delivered))
    drift = CounterMetricFamily(
        "diemcau_live_view_drift",
        "Entries the live view's periodic re-read found different from the tables (should stay 0)",
        labels=[],
    )
    drift.add_metric([], float(state.live.drift))
    late = CounterMetricFamily(
        "diemcau_live_view_late",
        "Requests answered before the change they followed was read into the live view (2 s passed)",
        labels=[],
    )
    late.add_metric([], float(state.live.late))
    slowest = GaugeMetricFamily(
        "diemcau_live_view_slowest_pass_seconds", "The longest read of changes into the live view", labels=[]
    )
    slowest.add_metric([], state.live.slowest_pass_s)
    return [
        delivered,
        drift,
        late,
        slowest,
        *_devices(view),
        _gauge("diemcau_endpoints", "Endpoints per unit and state", ["unit", "state"], endpoints),
        _gauge("diemcau_cameras", "Cameras per unit and state", ["unit", "state"], cameras),
        _gauge(
            "diemcau_alarms_active",
            "Active alarms by kind, severity and the unit of what they are about",
            ["kind", "severity", "unit"],
            [(*key, n) for key, n in sorted(alarms.items())],
        ),
        _gauge("diemcau_outbox_backlog", "Undelivered events per sink", ["sink", "status"], backlog),
        _gauge(
            "diemcau_sink_lag_seconds",
            "Age of the oldest event a sink still has to deliver (0: nothing waits)",
            ["sink"],
            [(name, lag.get(name, 0.0)) for name in sorted(sinks)],
        ),
        _gauge(
            "diemcau_sink_dead_letters",
            "Events a sink gave up on (replay them)",
            ["sink"],
            [(name, dead.get(name, 0)) for name in sorted(sinks)],
        ),
        _gauge("diemcau_outbox_last_event_id", "Newest outbox event id", [], [(last_event,)]),
        _gauge(
            "diemcau_alert_messages",
            "Alert messages to people not sent: pending (retrying) and dead (resend them)",
            ["rule", "status"],
            messages,
        ),
        _gauge("diemcau_session_participants", "Participants of live sessions", ["state"], participants),
        _gauge(
            "diemcau_relay_viewers", "WHEP viewers per camera", ["camera"], list(relay["per_camera"].items())
        ),
    ]

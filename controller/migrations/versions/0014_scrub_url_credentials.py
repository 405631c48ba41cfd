"""Scrub camera credentials that earlier versions stored inside error texts, and republish
the retained MQTT states and alarms that carried them.

Before this revision a camera whose stream failed to open had FFmpeg's error text, which quotes
the URL with ``user:password@``, stored as its offline reason; from there it was copied into
camera health, alarms and their history, outbox events (kept 90 days and replayable by any
role), provisioning job items and delivery errors. Every such text is passed through
`camera.urls.redact`. A sink has already delivered those events, and an MQTT broker keeps the
last state and alarm of each topic retained: for each retained topic whose latest event was
scrubbed, the scrubbed event is added again at the end of the outbox, so the sinks deliver it
and the broker's retained copy is replaced by a clean one.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 20:40:00
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from camera.urls import redact

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# (table, key column, text columns, JSON columns)
_TABLES = (
    ("camera_health", "camera_id", ("reason",), ("measures",)),
    ("alarms", "id", ("message",), ()),
    ("alarm_history", "id", ("message",), ()),
    ("jobs", "id", ("message",), ()),
    ("job_items", "id", ("message", "transcript"), ("plan",)),
    ("sink_deliveries", "id", ("last_error",), ()),
    ("outbox", "id", (), ("payload",)),
)
_MARK = "%://%@%"  # what every URL with userinfo looks like; rows without it are not read


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    text = json.dumps(value, ensure_ascii=False)
    clean = redact(text)
    return value if clean == text else json.loads(clean)


def _scrub(conn: sa.Connection, name: str, key: str, texts: tuple[str, ...], blobs: tuple[str, ...]) -> set:
    columns = (
        [sa.column(key)] + [sa.column(c, sa.Text) for c in texts] + [sa.column(c, sa.JSON) for c in blobs]
    )
    table = sa.table(name, *columns)
    marked = [sa.cast(table.c[c], sa.Text).like(_MARK) for c in (*texts, *blobs)]
    changed = set()
    for row in conn.execute(sa.select(*table.c).where(sa.or_(*marked))).mappings():
        values = {c: _clean(row[c]) for c in (*texts, *blobs) if row[c] is not None}
        values = {c: v for c, v in values.items() if v != row[c]}
        if values:
            conn.execute(sa.update(table).where(table.c[key] == row[key]).values(**values))
            changed.add(row[key])
    return changed


def _retained_key(row: Any) -> tuple | None:
    """The MQTT topic an event is retained under (see ``controller.ioc.mqtt.topic_for``)."""
    if row.type.endswith(".state"):
        kind = "state"
    elif row.type.startswith("alarm."):
        payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload or "{}")
        kind = f"alarm/{payload.get('kind') or 'alarm'}"
    else:
        return None
    return (row.entity_type, row.entity_id, row.unit_path, kind)


def _republish(conn: sa.Connection, scrubbed: set) -> None:
    outbox = sa.table(
        "outbox",
        sa.column("id"),
        sa.column("at"),
        sa.column("type"),
        sa.column("entity_type"),
        sa.column("entity_id"),
        sa.column("unit_path"),
        sa.column("payload", sa.JSON),
    )
    entities = {
        (r.entity_type, r.entity_id)
        for r in conn.execute(
            sa.select(outbox.c.entity_type, outbox.c.entity_id).where(outbox.c.id.in_(scrubbed))
        )
    }
    latest: dict[tuple, Any] = {}
    for entity_type, entity_id in entities:
        rows = conn.execute(
            sa.select(outbox)
            .where(outbox.c.entity_type == entity_type, outbox.c.entity_id == entity_id)
            .order_by(outbox.c.id)
        )
        for row in rows:
            key = _retained_key(row)
            if key is not None:
                latest[key] = row
    now = datetime.now(UTC).replace(tzinfo=None)
    for row in sorted(latest.values(), key=lambda r: r.id):
        if row.id in scrubbed:
            conn.execute(
                sa.insert(outbox).values(
                    at=now,
                    type=row.type,
                    entity_type=row.entity_type,
                    entity_id=row.entity_id,
                    unit_path=row.unit_path,
                    payload=row.payload,
                )
            )


def upgrade() -> None:
    conn = op.get_bind()
    scrubbed_events: set = set()
    for name, key, texts, blobs in _TABLES:
        changed = _scrub(conn, name, key, texts, blobs)
        if name == "outbox":
            scrubbed_events = changed
    if scrubbed_events:
        _republish(conn, scrubbed_events)


def downgrade() -> None:
    """Nothing to undo: the credentials are gone by design."""

"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from controller.db import Database
from controller.migrate import current_tables, upgrade
from controller.models import Base

pytestmark = pytest.mark.usefixtures("backend")


async def test_upgrade_from_empty_matches_models_and_is_repeatable(database_url):
    db = Database(database_url)
    try:
        await upgrade(db)
        await upgrade(db)  # a second run is a no-op
        tables = await current_tables(db)
        assert {"units", "endpoints", "users", "api_keys", "audit_log", "alembic_version"} <= set(tables)

        def diff(conn):
            ctx = MigrationContext.configure(conn, opts={"compare_type": False})
            return compare_metadata(ctx, Base.metadata)

        async with db.engine.connect() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await db.dispose()


async def test_credentials_stored_by_earlier_versions_are_scrubbed_and_republished(database_url):
    """Revision 0014: texts holding ``user:password@`` lose it; a retained topic whose latest
    event held it gets the clean event again at the end of the outbox (the broker's copy is
    replaced); a topic whose latest event was already clean gets nothing new."""
    leaky = "ConnectionRefusedError: Connection refused: 'rtsp://admin:Pw-Leak%2199@10.1.2.3:554/s'"
    now = datetime.now(UTC)
    outbox = sa.table(
        "outbox",
        sa.column("id", sa.Integer),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("type", sa.String),
        sa.column("entity_type", sa.String),
        sa.column("entity_id", sa.String),
        sa.column("unit_path", sa.String),
        sa.column("payload", sa.JSON),
    )
    jobs = sa.table(
        "jobs",
        *(sa.column(c, sa.String) for c in ("kind", "mode", "status", "created_by")),
        sa.column("id", sa.Uuid),
        sa.column("target", sa.JSON),
        sa.column("params", sa.JSON),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    items = sa.table(
        "job_items",
        sa.column("id", sa.Uuid),
        sa.column("job_id", sa.Uuid),
        sa.column("endpoint_name", sa.String),
        sa.column("seq", sa.Integer),
        sa.column("wave", sa.Integer),
        sa.column("status", sa.String),
        sa.column("plan", sa.JSON),
        sa.column("written", sa.JSON),
        sa.column("message", sa.Text),
    )
    db = Database(database_url)
    try:
        await upgrade(db, "0011")
        job_id, item_id = uuid.uuid4(), uuid.uuid4()
        events = [  # (type, entity, payload): cam-1's latest state leaks, cam-2's latest is clean
            ("camera.state", "cam-1", {"state": "online", "reason": None}),
            ("camera.state", "cam-1", {"state": "offline", "reason": leaky}),
            ("alarm.raised", "cam-1", {"kind": "camera_offline", "message": leaky}),
            ("camera.state", "cam-2", {"state": "offline", "reason": leaky}),
            ("camera.state", "cam-2", {"state": "online", "reason": None}),
            ("session.started", "s-1", {"title": "rtsp://x@y is just text@here"}),
        ]
        async with db.engine.begin() as conn:
            for type_, entity, payload in events:
                await conn.execute(
                    sa.insert(outbox).values(
                        at=now,
                        type=type_,
                        entity_type=type_.split(".")[0] if entity.startswith("s-") else "camera",
                        entity_id=entity,
                        unit_path="/u/",
                        payload=payload,
                    )
                )
            await conn.execute(
                sa.insert(jobs).values(
                    id=job_id,
                    kind="camera_provision",
                    mode="apply",
                    status="done",
                    created_by="t",
                    target={},
                    params={},
                    created_at=now,
                    updated_at=now,
                )
            )
            await conn.execute(
                sa.insert(items).values(
                    id=item_id,
                    job_id=job_id,
                    endpoint_name="cam",
                    seq=0,
                    wave=0,
                    status="error",
                    plan=[{"key": "stream", "current": leaky}],
                    written=[],
                    message=leaky,
                )
            )
        await upgrade(db)
        async with db.engine.connect() as conn:
            rows = (await conn.execute(sa.select(outbox).order_by(outbox.c.id))).all()
            item = (await conn.execute(sa.select(items.c.message, items.c.plan))).one()
    finally:
        await db.dispose()
    stored = [str(r) for r in rows] + [str(item)]
    assert not [s for s in stored if "Pw-Leak" in s], stored
    assert item.message == leaky.replace("admin:Pw-Leak%2199@", "***@")
    assert item.plan == [{"key": "stream", "current": item.message}]
    # cam-1's state and alarm topics are republished, in their order; cam-2's latest was clean
    republished = [(r.type, r.entity_id, r.payload) for r in rows[len(events) :]]
    assert republished == [
        ("camera.state", "cam-1", {"state": "offline", "reason": item.message}),
        ("alarm.raised", "cam-1", {"kind": "camera_offline", "message": item.message}),
    ]
    assert rows[5].payload == {"title": "rtsp://***@y is just text@here"}


async def test_users_keep_their_role_as_a_province_wide_grant(database_url):
    """Revision 0016: every user existing before grants gets one, their role over the province."""
    db = Database(database_url)
    try:
        await upgrade(db, "0015")
        now = datetime.now(UTC)
        ids = {role: uuid.uuid4() for role in ("admin", "technician")}
        users = sa.table(
            "users",
            sa.column("id", sa.Uuid()),
            sa.column("username", sa.String()),
            sa.column("role", sa.String()),
            sa.column("password_hash", sa.String()),
            sa.column("disabled", sa.Boolean()),
            sa.column("token_version", sa.Integer()),
            sa.column("created_at", sa.DateTime(timezone=True)),
            sa.column("updated_at", sa.DateTime(timezone=True)),
        )
        async with db.engine.begin() as conn:
            await conn.execute(
                users.insert(),
                [
                    {
                        "id": i,
                        "username": r,
                        "role": r,
                        "password_hash": "x",
                        "disabled": False,
                        "token_version": 0,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for r, i in ids.items()
                ],
            )
        await upgrade(db)
        async with db.engine.connect() as conn:
            rows = (await conn.execute(sa.text("SELECT user_id, role, unit_id FROM grants"))).all()
        got = {(uuid.UUID(str(u)), role, unit) for u, role, unit in rows}
        assert got == {(i, r, None) for r, i in ids.items()}
    finally:
        await db.dispose()


async def test_alarms_raised_before_codes_get_their_kind_as_code(database_url):
    """Revision 0020: an existing alarm's code is its kind, its params empty; existing health
    rows and job items get empty params (the console then words them by state and kind)."""
    db = Database(database_url)
    try:
        await upgrade(db, "0019")
        now = datetime.now(UTC)
        alarm_id = uuid.uuid4()
        alarms = sa.table(
            "alarms",
            *(sa.column(c, sa.String()) for c in ("dedupe_key", "entity_type", "entity_name", "unit_path")),
            *(sa.column(c, sa.String()) for c in ("kind", "severity", "status", "message")),
            sa.column("id", sa.Uuid()),
            sa.column("entity_id", sa.Uuid()),
            sa.column("count", sa.Integer()),
            *(sa.column(c, sa.DateTime(timezone=True)) for c in ("first_seen", "last_seen", "raised_at")),
        )
        async with db.engine.begin() as conn:
            await conn.execute(
                alarms.insert().values(
                    id=alarm_id,
                    dedupe_key="camera:x:black",
                    entity_type="camera",
                    entity_id=uuid.uuid4(),
                    entity_name="cam",
                    unit_path="/u/",
                    kind="camera_black",
                    severity="major",
                    status="active",
                    message="picture black: lens covered or no light",
                    count=1,
                    first_seen=now,
                    last_seen=now,
                    raised_at=now,
                )
            )
        await upgrade(db)
        async with db.engine.connect() as conn:
            row = (await conn.execute(sa.text("SELECT code, params FROM alarms"))).one()
        params = row.params if isinstance(row.params, dict) else json.loads(row.params)
        assert (row.code, params) == ("camera_black", {})
    finally:
        await db.dispose()

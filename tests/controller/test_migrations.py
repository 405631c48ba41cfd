"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import pytest
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

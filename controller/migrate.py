"""Schema migrations (Alembic), run by `diemcau db upgrade` and on server start.

Alembic is synchronous; we hand it a sync connection borrowed from the async
engine (`run_sync`), so the same code path serves SQLite and PostgreSQL and
works inside a running event loop.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, inspect

from controller.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _upgrade(conn: Connection, url: str, revision: str) -> None:
    cfg = alembic_config(url)
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


async def upgrade(db: Database, revision: str = "head") -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(_upgrade, db.url, revision)


async def current_tables(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        return await conn.run_sync(lambda c: sorted(inspect(c).get_table_names()))

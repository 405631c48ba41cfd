"""Jobs and sessions remember the deepest unit holding all they touch, so each is shown to
the people responsible for that unit (roles scoped to unit subtrees). Existing ones get the
common unit of their items' endpoints and cameras, or of their participants.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 07:25:00.000000
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _common(paths: list[str]) -> str | None:
    split = [p.strip("/").split("/") for p in paths]
    if not split:
        return None
    shared: list[str] = []
    for parts in zip(*split, strict=False):
        if any(part != parts[0] for part in parts):
            break
        shared.append(parts[0])
    return f"/{'/'.join(shared)}/" if shared else None


def _backfill(table: str, rows: list[tuple[object, str]]) -> None:
    by_owner: dict[object, list[str]] = defaultdict(list)
    for owner, path in rows:
        if path:
            by_owner[owner].append(path)
    bind = op.get_bind()
    for owner, paths in by_owner.items():
        bind.execute(
            sa.text(f"UPDATE {table} SET unit_path = :p WHERE id = :id"), {"p": _common(paths), "id": owner}
        )


def upgrade() -> None:
    for table in ("jobs", "conference_sessions"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("unit_path", sa.String(length=2000), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{table}_unit_path"), ["unit_path"], unique=False)
    bind = op.get_bind()
    items = bind.execute(
        sa.text(
            "SELECT i.job_id, u.path FROM job_items i "
            "LEFT JOIN endpoints e ON e.id = i.endpoint_id "
            "LEFT JOIN cameras c ON c.id = i.camera_id "
            "JOIN units u ON u.id = COALESCE(e.unit_id, c.unit_id)"
        )
    ).all()
    _backfill("jobs", [(r[0], r[1]) for r in items])
    parts = bind.execute(
        sa.text(
            "SELECT p.session_id, u.path FROM session_participants p JOIN units u ON u.code = p.unit_code"
        )
    ).all()
    _backfill("conference_sessions", [(r[0], r[1]) for r in parts])


def downgrade() -> None:
    for table in ("conference_sessions", "jobs"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_unit_path"))
            batch_op.drop_column("unit_path")

"""Accent- and case-insensitive search: units, endpoints and cameras get ``search_key``, the
folded text of their searched fields (controller/search_text.py), which the lists' ``q`` looks
in; the ORM keeps it from now on (controller/models.py, ``SEARCHED``). Existing rows are
filled here with the same Python fold, so SQLite and PostgreSQL hold the same keys.

No index: ``q`` finds text anywhere in the key (``LIKE '%...%'``), which a B-tree cannot
serve; the tables hold a province's few thousand rows at most.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-08 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from controller.search_text import search_key

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# table -> its searched fields, as controller/models.py SEARCHED had them at this revision
KEYED = {
    "units": ("name", "code"),
    "endpoints": ("name", "host", "description"),
    "cameras": ("name", "site"),
}


def upgrade() -> None:
    conn = op.get_bind()
    for name, fields in KEYED.items():
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column("search_key", sa.Text(), server_default="", nullable=False))
        table = sa.table(
            name, sa.column("id", sa.Uuid()), sa.column("search_key", sa.Text()), *map(sa.column, fields)
        )
        rows = conn.execute(sa.select(table.c.id, *(table.c[f] for f in fields))).all()
        if rows:
            conn.execute(
                sa.update(table)
                .where(table.c.id == sa.bindparam("b_id"))
                .values(search_key=sa.bindparam("b_key")),
                [{"b_id": row[0], "b_key": search_key(*row[1:])} for row in rows],
            )


def downgrade() -> None:
    for name in KEYED:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column("search_key")

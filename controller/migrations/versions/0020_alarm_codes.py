"""Stable codes beside the English words: an alarm's `code` and `params`, a health reason's
`reason_params`, a job item's `error_params`, so the console words them in Vietnamese or
English (controller/health/catalogue.py says what they hold). Alarms raised before this
get their kind as code and no params; the other rows no params.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 09:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# table -> its new JSON column (each filled with {} for the rows there are)
PARAMS = {
    "alarms": "params",
    "endpoint_health": "reason_params",
    "camera_health": "reason_params",
    "job_items": "error_params",
}


def upgrade() -> None:
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=32), nullable=True))
    for table, column in PARAMS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.JSON(), nullable=True))
        op.execute(sa.text(f"UPDATE {table} SET {column} = '{{}}'"))
    op.execute(sa.text("UPDATE alarms SET code = kind"))
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.alter_column("code", existing_type=sa.String(length=32), nullable=False)
    for table, column in PARAMS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    for table, column in PARAMS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.drop_column("code")

"""A job's and a job item's progress as a stable code with params beside the English
message ("3 to set, 2 already right", "waiting for the maintenance window ..."), so the
console words them (controller/provisioning/notes.py). Earlier rows have no code: the
console shows their English message.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 09:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("jobs", "job_items"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("message_code", sa.String(length=40), nullable=True))
            batch_op.add_column(sa.Column("message_params", sa.JSON(), nullable=True))


def downgrade() -> None:
    for table in ("jobs", "job_items"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("message_params")
            batch_op.drop_column("message_code")

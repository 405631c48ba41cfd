"""What the host chose, before the start, for endpoints that are not ready (busy in another
call, offline, an SSH key waiting for approval): "gọi khi rảnh" (wait: dialled whenever it
can be, never given up) or "bỏ qua" (skip: not invited). Kept on the session for a
scheduled start, and per participant so a restarted controller stays patient.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 12:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conference_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unready", sa.JSON(), nullable=True))
    with op.batch_alter_table("session_participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wait_free", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("session_participants", schema=None) as batch_op:
        batch_op.drop_column("wait_free")
    with op.batch_alter_table("conference_sessions", schema=None) as batch_op:
        batch_op.drop_column("unready")

"""Why a participant is not in the meeting, as a stable code with params beside the
English cause ("busy: in another call ..."), so the host's console words it
(controller/sessions/causes.py). Earlier rows have no code: the console shows their text.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 09:55:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("session_participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cause_code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("cause_params", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("session_participants", schema=None) as batch_op:
        batch_op.drop_column("cause_params")
        batch_op.drop_column("cause_code")

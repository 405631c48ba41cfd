"""A sink may receive one subtree's events only (a district's operations room).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 07:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sinks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_path", sa.String(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sinks", schema=None) as batch_op:
        batch_op.drop_column("unit_path")

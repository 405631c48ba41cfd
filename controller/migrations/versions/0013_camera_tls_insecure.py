"""Cameras: ``tls_insecure`` (an rtsps:// camera's certificate is verified unless it is set).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 20:40:00

Chained after 0011 for now; the lead re-chains it after 0012 when the branches merge.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tls_insecure", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.drop_column("tls_insecure")

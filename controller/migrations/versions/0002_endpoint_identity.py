"""endpoint identity learned on contact

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("endpoints") as batch:
        batch.add_column(sa.Column("model", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("firmware_version", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("serial", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("endpoints") as batch:
        for column in ("last_contact_at", "serial", "firmware_version", "model"):
            batch.drop_column(column)

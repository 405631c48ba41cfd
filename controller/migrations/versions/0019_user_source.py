"""Where a user signs in: a local password, or the province's directory (LDAP or OpenID
Connect), whose groups give the user's grants at each sign-in.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 09:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=16), nullable=False, server_default="local"))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("source")

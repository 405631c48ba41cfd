"""Roles scoped to a unit subtree: a user's grants (role, unit), one province-wide grant each
from the role users had; an API key may cover one subtree.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 07:20:00.000000
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    grants = op.create_table(
        "grants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "role", "unit_id", name="uq_grants_user_role_unit"),
    )
    op.create_index(op.f("ix_grants_user_id"), "grants", ["user_id"], unique=False)
    op.create_index(op.f("ix_grants_unit_id"), "grants", ["unit_id"], unique=False)
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            "fk_api_keys_unit_id_units", "units", ["unit_id"], ["id"], ondelete="RESTRICT"
        )
    # every user keeps what they had: their role, province-wide
    users = op.get_bind().execute(sa.text("SELECT id, role FROM users")).all()
    now = datetime.now(UTC)
    if users:
        op.bulk_insert(
            grants,
            [
                {
                    "id": uuid.uuid4(),
                    "user_id": uuid.UUID(str(u.id)),
                    "role": u.role,
                    "unit_id": None,
                    "created_at": now,
                }
                for u in users
            ],
        )


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_constraint("fk_api_keys_unit_id_units", type_="foreignkey")
        batch_op.drop_column("unit_id")
    op.drop_index(op.f("ix_grants_unit_id"), table_name="grants")
    op.drop_index(op.f("ix_grants_user_id"), table_name="grants")
    op.drop_table("grants")

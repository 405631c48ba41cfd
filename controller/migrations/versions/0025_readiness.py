"""Readiness before a meeting: a bridge's test conference, rounds of checks and each
endpoint's check with its verdict, reasons and the technician's acknowledgement.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 15:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bridges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("test_conference", sa.String(length=64), nullable=True))
    op.create_table(
        "readiness_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("label", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("unit_path", sa.String(length=2000), nullable=True),
        sa.Column("bridge_id", sa.Uuid(), nullable=True),
        sa.Column("test_dial", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["bridge_id"], ["bridges.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["session_id"], ["conference_sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("readiness_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_readiness_runs_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_readiness_runs_unit_path"), ["unit_path"], unique=False)
        batch_op.create_index(batch_op.f("ix_readiness_runs_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_readiness_runs_started_at"), ["started_at"], unique=False)
    op.create_table(
        "readiness_checks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("endpoint_id", sa.Uuid(), nullable=True),
        sa.Column("endpoint_name", sa.String(length=128), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("unit_name", sa.String(length=200), nullable=False),
        sa.Column("unit_path", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ack_kind", sa.String(length=16), nullable=True),
        sa.Column("ack_by", sa.String(length=128), nullable=True),
        sa.Column("ack_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ack_note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["endpoint_id"], ["endpoints.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["run_id"], ["readiness_runs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["conference_sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("readiness_checks", schema=None) as batch_op:
        for column in ("run_id", "session_id", "endpoint_id", "unit_path", "verdict", "created_at"):
            batch_op.create_index(batch_op.f(f"ix_readiness_checks_{column}"), [column], unique=False)


def downgrade() -> None:
    op.drop_table("readiness_checks")
    op.drop_table("readiness_runs")
    with op.batch_alter_table("bridges", schema=None) as batch_op:
        batch_op.drop_column("test_conference")

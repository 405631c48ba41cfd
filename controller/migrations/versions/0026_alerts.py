"""Alerts to people: rules, the messages they queue (sent, retried, dead) and which alarm
each rule has told whom about.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 19:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column("min_severity", sa.String(length=16), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.Column("secret_enc", sa.Text(), nullable=True),
        sa.Column("quiet_from", sa.String(length=5), nullable=True),
        sa.Column("quiet_until", sa.String(length=5), nullable=True),
        sa.Column("escalate_after_min", sa.Integer(), nullable=True),
        sa.Column("escalate_to", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_rules_unit_id"), ["unit_id"], unique=False)
    op.create_table(
        "alert_notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("rule_name", sa.String(length=100), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=1000), nullable=False),
        sa.Column("alarm_ids", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("ack_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["rule_id"], ["alert_rules.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alert_notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_notifications_rule_id"), ["rule_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_notifications_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            "ix_alert_notifications_status_next", ["status", "next_attempt_at"], unique=False
        )
    op.create_table(
        "alert_sent",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("alarm_id", sa.Uuid(), nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("recipient", sa.String(length=1000), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("raise_count", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["alarm_id"], ["alarms.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["rule_id"], ["alert_rules.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["notification_id"], ["alert_notifications.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("alarm_id", "rule_id", "recipient", "stage", "raise_count", name="uq_alert_sent"),
    )
    with op.batch_alter_table("alert_sent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_sent_alarm_id"), ["alarm_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_sent_rule_id"), ["rule_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_sent_notification_id"), ["notification_id"], unique=False)


def downgrade() -> None:
    op.drop_table("alert_sent")
    op.drop_table("alert_notifications")
    op.drop_table("alert_rules")

"""Audit trail: one record per mutation, in the mutation's own transaction.

Summaries are built by the caller from an allow-list of fields; `scrub` is the
last line of defence that drops anything that looks like a secret.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from controller.models import AuditRecord
from controller.principal import Principal

_SECRET_WORDS = ("password", "secret", "token", "key_hash", "api_key")


def scrub(summary: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in summary.items():
        if any(word in key.lower() for word in _SECRET_WORDS) and not isinstance(value, bool):
            clean[key] = "***"
        elif isinstance(value, dict):
            clean[key] = scrub(value)
        else:
            clean[key] = value
    return clean


def record(
    session: AsyncSession,
    actor: Principal,
    action: str,
    target_type: str,
    target_id: str | None,
    summary: dict[str, Any] | None = None,
) -> AuditRecord:
    row = AuditRecord(
        actor=actor.label,
        actor_role=actor.role.value,
        action=action,
        target_type=target_type,
        target_id=target_id,
        summary=scrub(summary or {}),
    )
    session.add(row)
    return row


async def list_records(
    session: AsyncSession,
    *,
    action: str | None = None,
    actor: str | None = None,
    target_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[AuditRecord], int]:
    query = select(AuditRecord)
    if action:
        query = query.where(AuditRecord.action == action)
    if actor:
        query = query.where(AuditRecord.actor == actor)
    if target_id:
        query = query.where(AuditRecord.target_id == target_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(AuditRecord.at.desc(), AuditRecord.id).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)

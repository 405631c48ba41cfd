"""Saved scopes: a host's named selection ("Huyện A và các xã") reused for every meeting.

A scope is resolved when it is saved, so an unknown unit or endpoint is refused at the
desk, not discovered when the meeting starts; and one reaching beyond the host's units is
refused too (a commune's host saves the commune's selections).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from controller import audit
from controller.errors import Conflict, Forbidden, NotFound
from controller.models import SavedScope
from controller.principal import Principal
from controller.scope import EVERYWHERE, UnitScope
from controller.sessions.schemas import ScopeCreate, ScopePublic
from controller.sessions.scope import Scope, resolve

__all__ = ["create_scope", "delete_scope", "list_scopes"]


def _public(row: SavedScope) -> ScopePublic:
    return ScopePublic(
        id=row.id, name=row.name, scope=Scope.model_validate(row.spec), created_by=row.created_by
    )


async def list_scopes(session: AsyncSession) -> list[ScopePublic]:
    return [_public(r) for r in (await session.scalars(select(SavedScope).order_by(SavedScope.name))).all()]


async def _reaches_outside(session: AsyncSession, scope: Scope, allowed: UnitScope) -> list[str]:
    return [e.name for e in await resolve(session, scope) if not allowed.covers(e.unit.path)]


async def create_scope(
    session: AsyncSession, actor: Principal, data: ScopeCreate, allowed: UnitScope = EVERYWHERE
) -> ScopePublic:
    if await session.scalar(select(SavedScope.id).where(SavedScope.name == data.name)):
        raise Conflict(f"a saved scope named {data.name!r} exists", field="name")
    outside = await _reaches_outside(session, data.scope, allowed)
    if outside:
        raise Forbidden(
            f"{len(outside)} of its endpoints are outside the units you are responsible for: {', '.join(outside[:10])}"
        )
    row = SavedScope(name=data.name, spec=data.scope.model_dump(mode="json"), created_by=actor.label)
    session.add(row)
    await session.flush()
    audit.record(session, actor, "scope.create", "scope", str(row.id), {"name": row.name})
    return _public(row)


async def delete_scope(
    session: AsyncSession, actor: Principal, scope_id: uuid.UUID, allowed: UnitScope = EVERYWHERE
) -> None:
    """A selection reaching beyond the caller's units is someone else's to delete."""
    row = await session.get(SavedScope, scope_id)
    if row is None or await _reaches_outside(session, Scope.model_validate(row.spec), allowed):
        raise NotFound(f"no saved scope {scope_id}")
    await session.delete(row)
    audit.record(session, actor, "scope.delete", "scope", str(scope_id), {"name": row.name})

"""The MCU bridges sessions dial into (admin): the only writer of bridge rows.

A bridge is never deleted while any session, live or past, names it: attendance records
keep saying which bridge a meeting was on. Its ``ports`` may not drop below what live
sessions hold, or the capacity rule in `store` would be broken by an edit.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from controller import audit
from controller.errors import Conflict
from controller.models import Bridge, ConferenceSession
from controller.principal import Principal
from controller.sessions import store
from controller.sessions.schemas import BridgeCreate, BridgePublic, BridgeUpdate

__all__ = ["create_bridge", "delete_bridge", "list_bridges", "update_bridge"]


async def list_bridges(session: AsyncSession) -> list[BridgePublic]:
    in_use = await store.ports_in_use(session)
    rows = (await session.scalars(select(Bridge).order_by(Bridge.name))).all()
    return [store.bridge_public(b, in_use.get(b.id, 0)) for b in rows]


async def _refuse_taken_name(session: AsyncSession, name: str) -> None:
    if await session.scalar(select(Bridge.id).where(Bridge.name == name)):
        raise Conflict(f"a bridge named {name!r} exists", field="name")


async def create_bridge(session: AsyncSession, actor: Principal, data: BridgeCreate) -> BridgePublic:
    await _refuse_taken_name(session, data.name)
    bridge = Bridge(**data.model_dump())
    session.add(bridge)
    await session.flush()
    audit.record(session, actor, "bridge.create", "bridge", str(bridge.id), data.model_dump())
    return store.bridge_public(bridge, 0)


async def update_bridge(
    session: AsyncSession, actor: Principal, bridge_id: uuid.UUID, data: BridgeUpdate
) -> BridgePublic:
    bridge = await store.get_bridge(session, bridge_id)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    if changes.get("name") and changes["name"] != bridge.name:
        await _refuse_taken_name(session, changes["name"])
    in_use = await store.ports_held(session, bridge.id)
    if changes.get("ports") is not None and changes["ports"] < in_use:
        raise Conflict(f"{in_use} ports are in use by live sessions", in_use=in_use, field="ports")
    for key, value in changes.items():
        setattr(bridge, key, value)
    audit.record(session, actor, "bridge.update", "bridge", str(bridge.id), changes)
    return store.bridge_public(bridge, in_use)


async def delete_bridge(session: AsyncSession, actor: Principal, bridge_id: uuid.UUID) -> None:
    bridge = await store.get_bridge(session, bridge_id)
    used = await session.scalar(
        select(func.count()).select_from(ConferenceSession).where(ConferenceSession.bridge_id == bridge.id)
    )
    if used:
        raise Conflict(f"{used} session(s) used this bridge; their records keep it", sessions=used)
    await session.delete(bridge)
    audit.record(session, actor, "bridge.delete", "bridge", str(bridge.id), {"name": bridge.name})

"""Event sinks for the IOC: the rules of their URLs and secrets, and the only writer of
``sinks`` and of their deliveries' state (the router parses and calls; the dispatcher sends)."""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from camera.netpolicy import AddressRefused, NetPolicy
from controller import audit
from controller.errors import Conflict, InvalidInput, NotFound
from controller.fields import Page
from controller.ioc.schemas import DeliveryPublic, SinkCreated, SinkPublic, SinkUpdate
from controller.ioc.senders import KINDS, SinkCreate
from controller.models import Delivery, OutboxEvent, Sink, Unit, utcnow
from controller.principal import Principal
from controller.security import SecretBox
from controller.units.service import unit_from_body

__all__ = [
    "check_url",
    "create_sink",
    "delete_sink",
    "deliveries",
    "get_sink",
    "list_sinks",
    "public",
    "replay",
    "update_sink",
]


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def check_url(kind: str, url: str, allow_plaintext: bool, policy: NetPolicy) -> None:
    """The URL as its kind reads it (a webhook https://, a broker mqtts://); plaintext only
    to loopback unless allowed; the host one the controller may connect to (its name is
    checked again when connecting)."""
    sink_kind = KINDS[kind]
    try:
        address = sink_kind.address(url)
    except ValueError as exc:
        raise InvalidInput(f"the URL {exc}", field="url") from None
    if address.plaintext and not allow_plaintext and not _is_loopback(address.host):
        raise InvalidInput(
            f"plaintext is allowed only to loopback; use {sink_kind.secure_scheme}://", field="url"
        )
    try:
        policy.check_host(address.host)
    except AddressRefused as exc:
        raise InvalidInput(str(exc), field="url") from None


async def public(session: AsyncSession, sink: Sink) -> SinkPublic:
    """A sink as the API shows it, with its deliveries counted by status."""
    rows = await session.execute(
        select(Delivery.status, func.count()).where(Delivery.sink_id == sink.id).group_by(Delivery.status)
    )
    unit = (
        await session.scalar(select(Unit.code).where(Unit.path == sink.unit_path)) if sink.unit_path else None
    )
    return SinkPublic(
        id=sink.id,
        name=sink.name,
        unit=unit,
        kind=sink.kind,
        url=sink.url,
        event_types=sink.event_types,
        enabled=sink.enabled,
        cursor=sink.cursor,
        backlog={s: n for s, n in rows.all()},
        created_at=sink.created_at,
    )


async def get_sink(session: AsyncSession, sink_id: uuid.UUID) -> Sink:
    sink = await session.get(Sink, sink_id)
    if sink is None:
        raise NotFound(f"no sink {sink_id}")
    return sink


async def list_sinks(session: AsyncSession) -> list[SinkPublic]:
    return [await public(session, s) for s in (await session.scalars(select(Sink).order_by(Sink.name))).all()]


async def create_sink(
    session: AsyncSession,
    data: SinkCreate,
    *,
    box: SecretBox,
    allow_plaintext: bool,
    policy: NetPolicy,
    actor: Principal,
) -> SinkCreated:
    """The signing secret is returned once; events from now on are delivered (or all, ``from_start``)."""
    check_url(data.kind, data.url, allow_plaintext, policy)
    if await session.scalar(select(Sink.id).where(Sink.name == data.name)):
        raise Conflict(f"a sink named {data.name!r} exists", field="name")
    secret, shown = KINDS[data.kind].secret(data)
    unit = await unit_from_body(session, data.unit) if data.unit else None
    cursor = 0 if data.from_start else (await session.scalar(select(func.max(OutboxEvent.id))) or 0)
    sink = Sink(
        name=data.name,
        kind=data.kind,
        url=data.url,
        secret_enc=box.encrypt(secret) if secret else None,
        event_types=data.event_types,
        enabled=data.enabled,
        cursor=cursor,
        created_by=actor.label,
        unit_path=unit.path if unit else None,
    )
    session.add(sink)
    await session.flush()
    audit.record(
        session,
        actor,
        "sink.create",
        "sink",
        str(sink.id),
        {"name": sink.name, "url": sink.url, "unit": unit.code if unit else None},
    )
    return SinkCreated(**(await public(session, sink)).model_dump(), secret=shown)


async def update_sink(
    session: AsyncSession,
    sink: Sink,
    data: SinkUpdate,
    *,
    box: SecretBox,
    allow_plaintext: bool,
    policy: NetPolicy,
    actor: Principal,
) -> SinkPublic:
    changes = data.model_dump(exclude_unset=True)
    if changes.get("url"):
        check_url(sink.kind, changes["url"], allow_plaintext, policy)
    password = changes.pop("password", None)
    if password is not None:
        if not KINDS[sink.kind].password_field:
            raise InvalidInput(f"a {sink.kind} sink has no password", field="password")
        sink.secret_enc = box.encrypt(password)
    for key, value in changes.items():
        if value is not None:
            setattr(sink, key, value)
    audit.record(
        session,
        actor,
        "sink.update",
        "sink",
        str(sink.id),
        changes | ({"password": "changed"} if password else {}),
    )
    return await public(session, sink)


async def delete_sink(session: AsyncSession, sink: Sink, actor: Principal) -> None:
    await session.delete(sink)
    audit.record(session, actor, "sink.delete", "sink", str(sink.id), {"name": sink.name})


async def deliveries(
    session: AsyncSession, sink_id: uuid.UUID, status: str | None, limit: int, offset: int
) -> Page[DeliveryPublic]:
    await get_sink(session, sink_id)
    query = select(Delivery).where(Delivery.sink_id == sink_id)
    if status:
        query = query.where(Delivery.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(query.order_by(Delivery.event_id.desc()).limit(limit).offset(offset))
    items = [DeliveryPublic.model_validate(r, from_attributes=True) for r in rows.all()]
    return Page[DeliveryPublic](items=items, total=total, limit=limit, offset=offset)


async def replay(
    session: AsyncSession, sink_id: uuid.UUID, status: str, from_event: int, actor: Principal
) -> int:
    """Queue again the dead letters (or already delivered events) from ``from_event`` on;
    returns how many (the caller wakes the dispatcher)."""
    await get_sink(session, sink_id)
    result = cast(
        CursorResult[Any],
        await session.execute(
            update(Delivery)
            .where(Delivery.sink_id == sink_id, Delivery.status == status, Delivery.event_id >= from_event)
            .values(
                status="pending", attempts=0, first_attempt_at=None, next_attempt_at=utcnow(), last_error=None
            )
        ),
    )
    audit.record(
        session, actor, "sink.replay", "sink", str(sink_id), {"status": status, "from_event": from_event}
    )
    return result.rowcount or 0

"""Event sinks for the IOC (admin): create, list, delivery status, dead letters, replay."""

from __future__ import annotations

import ipaddress
import uuid
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import func, select, update

from camera.netpolicy import AddressRefused, NetPolicy
from controller import netpolicy
from controller.api.deps import Actor, Offset, Session, State, route
from controller.errors import Conflict, InvalidInput, NotFound
from controller.ioc import signing
from controller.ioc.mqtt import parse_mqtt_url
from controller.ioc.schemas import DeliveryPublic, SinkCreate, SinkCreated, SinkPublic, SinkUpdate
from controller.models import Delivery, OutboxEvent, Sink, utcnow
from controller.roles import Role
from controller.schemas import Page
from controller.services import audit

router = APIRouter(prefix="/sinks", tags=["sinks"])
ADMIN = route(Role.admin)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _check_url(kind: str, url: str, allow_plaintext: bool, policy: NetPolicy) -> None:
    """A webhook is https://, an MQTT broker mqtts://; plaintext only to loopback unless allowed;
    the host one the controller may connect to (its name is checked again when connecting)."""
    if kind == "mqtt":
        try:
            target = parse_mqtt_url(url)
        except ValueError as exc:
            raise InvalidInput(f"the URL {exc}", field="url") from None
        host, plaintext, secure = target.host, not target.tls, "mqtts"
    else:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise InvalidInput("the URL must be https://host/...", field="url")
        host, plaintext, secure = parts.hostname, parts.scheme == "http", "https"
    if plaintext and not allow_plaintext and not _is_loopback(host):
        raise InvalidInput(f"plaintext is allowed only to loopback; use {secure}://", field="url")
    try:
        policy.check_host(host)
    except AddressRefused as exc:
        raise InvalidInput(str(exc), field="url") from None


async def _public(session, sink: Sink) -> SinkPublic:  # type: ignore[no-untyped-def]
    rows = await session.execute(
        select(Delivery.status, func.count()).where(Delivery.sink_id == sink.id).group_by(Delivery.status)
    )
    return SinkPublic(
        id=sink.id,
        name=sink.name,
        kind=sink.kind,
        url=sink.url,
        event_types=sink.event_types,
        enabled=sink.enabled,
        cursor=sink.cursor,
        backlog={s: n for s, n in rows.all()},
        created_at=sink.created_at,
    )


async def _sink(session, sink_id: uuid.UUID) -> Sink:  # type: ignore[no-untyped-def]
    sink = await session.get(Sink, sink_id)
    if sink is None:
        raise NotFound(f"no sink {sink_id}")
    return sink


@router.get("", response_model=list[SinkPublic], **ADMIN)
async def list_sinks(session: Session) -> list[SinkPublic]:
    return [
        await _public(session, s) for s in (await session.scalars(select(Sink).order_by(Sink.name))).all()
    ]


@router.post("", response_model=SinkCreated, status_code=status.HTTP_201_CREATED, **ADMIN)
async def create_sink(data: SinkCreate, state: State, session: Session, actor: Actor) -> SinkCreated:
    """The signing secret is returned once; events from now on are delivered (or all, ``from_start``)."""
    _check_url(data.kind, data.url, state.settings.sink_allow_plaintext, netpolicy.policy(state.settings))
    if await session.scalar(select(Sink.id).where(Sink.name == data.name)):
        raise Conflict(f"a sink named {data.name!r} exists", field="name")
    if data.kind == "mqtt" and data.secret:
        raise InvalidInput("an MQTT sink has no signing secret; give the broker's password", field="secret")
    if data.kind == "webhook" and data.password:
        raise InvalidInput("a webhook has no password; it is signed with its secret", field="password")
    secret = data.password if data.kind == "mqtt" else data.secret or signing.new_secret()
    cursor = 0 if data.from_start else (await session.scalar(select(func.max(OutboxEvent.id))) or 0)
    sink = Sink(
        name=data.name,
        kind=data.kind,
        url=data.url,
        secret_enc=state.box.encrypt(secret) if secret else None,
        event_types=data.event_types,
        enabled=data.enabled,
        cursor=cursor,
        created_by=actor.label,
    )
    session.add(sink)
    await session.flush()
    audit.record(session, actor, "sink.create", "sink", str(sink.id), {"name": sink.name, "url": sink.url})
    shown = secret if data.kind == "webhook" else None  # a password is never returned
    return SinkCreated(**(await _public(session, sink)).model_dump(), secret=shown)


@router.patch("/{sink_id}", response_model=SinkPublic, **ADMIN)
async def update_sink(
    sink_id: uuid.UUID, data: SinkUpdate, state: State, session: Session, actor: Actor
) -> SinkPublic:
    sink = await _sink(session, sink_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("url"):
        _check_url(
            sink.kind, changes["url"], state.settings.sink_allow_plaintext, netpolicy.policy(state.settings)
        )
    password = changes.pop("password", None)
    if password is not None:
        if sink.kind != "mqtt":
            raise InvalidInput("only an MQTT sink has a password", field="password")
        sink.secret_enc = state.box.encrypt(password)
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
    return await _public(session, sink)


@router.delete("/{sink_id}", status_code=status.HTTP_204_NO_CONTENT, **ADMIN)
async def delete_sink(sink_id: uuid.UUID, session: Session, actor: Actor) -> Response:
    sink = await _sink(session, sink_id)
    await session.delete(sink)
    audit.record(session, actor, "sink.delete", "sink", str(sink_id), {"name": sink.name})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{sink_id}/deliveries", response_model=Page[DeliveryPublic], **ADMIN)
async def deliveries(
    sink_id: uuid.UUID,
    session: Session,
    status_: Annotated[Literal["pending", "delivered", "dead"] | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> Page[DeliveryPublic]:
    await _sink(session, sink_id)
    query = select(Delivery).where(Delivery.sink_id == sink_id)
    if status_:
        query = query.where(Delivery.status == status_)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(query.order_by(Delivery.event_id.desc()).limit(limit).offset(offset))
    items = [DeliveryPublic.model_validate(r, from_attributes=True) for r in rows.all()]
    return Page[DeliveryPublic](items=items, total=total, limit=limit, offset=offset)


@router.post("/{sink_id}/replay", response_model=dict[str, int], **ADMIN)
async def replay(
    sink_id: uuid.UUID,
    state: State,
    session: Session,
    actor: Actor,
    status_: Annotated[Literal["dead", "delivered"], Query(alias="status")] = "dead",
    from_event: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> dict[str, int]:
    """Send again the dead letters (or already delivered events) from ``from_event`` on."""
    await _sink(session, sink_id)
    result = await session.execute(
        update(Delivery)
        .where(Delivery.sink_id == sink_id, Delivery.status == status_, Delivery.event_id >= from_event)
        .values(
            status="pending", attempts=0, first_attempt_at=None, next_attempt_at=utcnow(), last_error=None
        )
    )
    audit.record(
        session, actor, "sink.replay", "sink", str(sink_id), {"status": status_, "from_event": from_event}
    )
    state.sinks.poke(sink_id)
    return {"requeued": result.rowcount or 0}

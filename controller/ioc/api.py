"""Event sinks for the IOC (admin): create, list, delivery status, dead letters, replay."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from controller import netpolicy
from controller.api.deps import Actor, Offset, Session, State, route
from controller.fields import Page
from controller.ioc import sinks
from controller.ioc.schemas import DeliveryPublic, SinkCreated, SinkPublic, SinkUpdate
from controller.ioc.senders import SinkCreate
from controller.roles import Role

router = APIRouter(prefix="/sinks", tags=["sinks"])
ADMIN = route(Role.admin, province=True)


@router.get("", response_model=list[SinkPublic], **ADMIN)
async def list_sinks(session: Session) -> list[SinkPublic]:
    return await sinks.list_sinks(session)


@router.post("", response_model=SinkCreated, status_code=status.HTTP_201_CREATED, **ADMIN)
async def create_sink(data: SinkCreate, state: State, session: Session, actor: Actor) -> SinkCreated:
    """The signing secret is returned once; events from now on are delivered (or all, ``from_start``)."""
    return await sinks.create_sink(
        session,
        data,
        box=state.box,
        allow_plaintext=state.settings.sink_allow_plaintext,
        policy=netpolicy.policy(state.settings),
        actor=actor,
    )


@router.patch("/{sink_id}", response_model=SinkPublic, **ADMIN)
async def update_sink(
    sink_id: uuid.UUID, data: SinkUpdate, state: State, session: Session, actor: Actor
) -> SinkPublic:
    return await sinks.update_sink(
        session,
        await sinks.get_sink(session, sink_id),
        data,
        box=state.box,
        allow_plaintext=state.settings.sink_allow_plaintext,
        policy=netpolicy.policy(state.settings),
        actor=actor,
    )


@router.delete("/{sink_id}", status_code=status.HTTP_204_NO_CONTENT, **ADMIN)
async def delete_sink(sink_id: uuid.UUID, session: Session, actor: Actor) -> Response:
    await sinks.delete_sink(session, await sinks.get_sink(session, sink_id), actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{sink_id}/deliveries", response_model=Page[DeliveryPublic], **ADMIN)
async def list_deliveries(
    sink_id: uuid.UUID,
    session: Session,
    status_: Annotated[Literal["pending", "delivered", "dead"] | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> Page[DeliveryPublic]:
    return await sinks.deliveries(session, sink_id, status_, limit, offset)


@router.post("/{sink_id}/replay", response_model=dict[str, int], **ADMIN)
async def replay_dead_letters(
    sink_id: uuid.UUID,
    state: State,
    session: Session,
    actor: Actor,
    status_: Annotated[Literal["dead", "delivered"], Query(alias="status")] = "dead",
    from_event: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> dict[str, int]:
    """Send again the dead letters (or already delivered events) from ``from_event`` on."""
    requeued = await sinks.replay(session, sink_id, status_, from_event, actor)
    state.sinks.poke(sink_id)
    return {"requeued": requeued}

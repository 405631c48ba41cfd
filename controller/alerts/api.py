"""Alert rules (admin), their messages and dead letters (admin, the IOC's duty officer), and
the acknowledgement link (the link itself is the credential: see `controller.alerts.ack`)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.responses import HTMLResponse

from controller import netpolicy
from controller.alerts import ack_page, service
from controller.alerts.schemas import (
    AlertNotificationPublic,
    AlertRuleCreate,
    AlertRuleCreated,
    AlertRulePublic,
    AlertRuleUpdate,
    TestSent,
)
from controller.api.deps import Actor, Offset, Session, State, route
from controller.fields import Page
from controller.roles import Role

router = APIRouter(prefix="/alerts", tags=["alerts"])
ADMIN = route(Role.admin, province=True)
READ = route(Role.admin, Role.ioc_operator, province=True)
Token = Annotated[str, Path(min_length=10, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


@router.get("/rules", response_model=list[AlertRulePublic], **READ)
async def list_alert_rules(session: Session) -> list[AlertRulePublic]:
    return await service.list_rules(session)


@router.post("/rules", response_model=AlertRuleCreated, status_code=status.HTTP_201_CREATED, **ADMIN)
async def create_alert_rule(
    data: AlertRuleCreate, state: State, session: Session, actor: Actor
) -> AlertRuleCreated:
    """A webhook rule's signing secret is returned once."""
    created = await service.create_rule(
        session,
        data,
        box=state.box,
        smtp=state.settings.smtp,
        allow_plaintext=state.settings.sink_allow_plaintext,
        policy=netpolicy.policy(state.settings),
        actor=actor,
    )
    state.alerts.poke()
    return created


@router.get("/rules/{rule_id}", response_model=AlertRulePublic, **READ)
async def get_alert_rule(rule_id: uuid.UUID, session: Session) -> AlertRulePublic:
    return await service.public(session, await service.get_rule(session, rule_id))


@router.patch("/rules/{rule_id}", response_model=AlertRulePublic, **ADMIN)
async def update_alert_rule(
    rule_id: uuid.UUID, data: AlertRuleUpdate, state: State, session: Session, actor: Actor
) -> AlertRulePublic:
    updated = await service.update_rule(
        session,
        await service.get_rule(session, rule_id),
        data,
        smtp=state.settings.smtp,
        allow_plaintext=state.settings.sink_allow_plaintext,
        policy=netpolicy.policy(state.settings),
        actor=actor,
    )
    state.alerts.poke()
    return updated


@router.delete("/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT, **ADMIN)
async def delete_alert_rule(rule_id: uuid.UUID, session: Session, actor: Actor) -> Response:
    await service.delete_rule(session, await service.get_rule(session, rule_id), actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/rules/{rule_id}/test", response_model=TestSent, **ADMIN)
async def send_alert_test(rule_id: uuid.UUID, state: State, session: Session) -> TestSent:
    """A message with no alarm to each recipient, sent now; the answer says what the relay said."""
    rule = await service.get_rule(session, rule_id)
    await session.commit()  # the engine writes in transactions of its own
    return await service.send_test(state.alerts, rule)


@router.get("/messages", response_model=Page[AlertNotificationPublic], **READ)
async def list_alert_messages(
    session: Session,
    status_: Annotated[Literal["pending", "sent", "dead"] | None, Query(alias="status")] = None,
    rule: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> Page[AlertNotificationPublic]:
    """Newest first; ``status=dead``: the dead letters."""
    return await service.list_notifications(session, status_, rule, limit, offset)


@router.post("/messages/{message_id}/resend", response_model=AlertNotificationPublic, **ADMIN)
async def resend_alert_message(
    message_id: uuid.UUID, state: State, session: Session, actor: Actor
) -> AlertNotificationPublic:
    """A dead letter back in the queue, with a new retry period."""
    again = await service.resend(session, message_id, actor)
    state.alerts.poke()
    return again


@router.get("/ack/{token}", response_class=HTMLResponse, include_in_schema=False)
async def alert_ack_page(token: Token, request: Request, state: State, session: Session) -> HTMLResponse:
    """The link's page: the alarms and a button. Public: the signed link is the credential."""
    view = await service.read_link(session, state.box, token)
    if view.refusal is not None:
        return HTMLResponse(ack_page.refused_page(view.refusal), status_code=status.HTTP_410_GONE)
    return HTMLResponse(ack_page.confirm_page(view.row.subject, view.alarms, request.url.path))


@router.post("/ack/{token}", response_class=HTMLResponse, include_in_schema=False)
async def acknowledge_by_alert_link(token: Token, state: State, session: Session) -> HTMLResponse:
    view, done = await service.acknowledge_by_link(session, state.signal, state.box, token)
    if view.refusal is not None:
        return HTMLResponse(ack_page.refused_page(view.refusal), status_code=status.HTTP_410_GONE)
    return HTMLResponse(ack_page.done_page(done))

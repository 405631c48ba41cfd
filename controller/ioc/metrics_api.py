"""Prometheus scrape endpoint; a bearer token (an API key for the scraper) like every route.

The figures are the whole province's, so a province-wide grant is needed to read them."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from controller.api.deps import Session, State, route
from controller.roles import Role

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
    **route(Role.admin, Role.technician, Role.ioc_viewer, Role.ioc_operator, province=True),
)
async def metrics(state: State, session: Session) -> Response:
    """Endpoint and camera states per unit, poll latency, alarms, relay viewers, outbox backlog."""
    return Response(await state.metrics.render(session, state), media_type=CONTENT_TYPE_LATEST)

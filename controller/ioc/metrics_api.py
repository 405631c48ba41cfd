"""Prometheus scrape endpoint; a bearer token (an API key for the scraper) like every route.

The figures are the whole province's, so a province-wide grant is needed to read them."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from controller.api.deps import Session, State, route
from controller.roles import Role

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}, "application/openmetrics-text": {}}}},
    **route(Role.admin, Role.technician, Role.ioc_viewer, Role.ioc_operator, province=True),
)
async def prometheus_metrics(request: Request, state: State, session: Session) -> Response:
    """Every endpoint and camera, the counts per unit, alarms, sinks, relay viewers, the
    process; OpenMetrics when the scraper's Accept asks for it."""
    body, content_type = await state.metrics.render(session, state, request.headers.get("accept", ""))
    return Response(body, media_type=content_type)

"""The files the province asks for: the readiness export and the monthly summary per unit.

(The attendance workbook is a format of the session's attendance route, in sessions/api.py.)
Everyone who reads the boards reads their reports, over the units they are responsible for.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from controller.api.deps import Scope, Session, route
from controller.reports import service
from controller.reports.schemas import MonthlyReport
from controller.roles import ALL_ROLES

router = APIRouter(tags=["reports"])
READ = route(*ALL_ROLES)
FILES: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}, service.XLSX: {}}}}

SessionFilter = Annotated[uuid.UUID | None, Query(alias="session", description="One session's board")]
UnitFilter = Annotated[str | None, Query(description="A unit's subtree (code or id)", max_length=64)]


def _file(download: service.Download) -> Response:
    return Response(
        download.content,
        media_type=download.media_type,
        headers={"Content-Disposition": download.disposition},
    )


@router.get("/readiness/report", response_class=Response, responses=FILES, **READ)
async def readiness_report(
    session: Session,
    scope: Scope,
    session_id: SessionFilter = None,
    unit: UnitFilter = None,
    format_: Annotated[Literal["xlsx", "csv"], Query(alias="format")] = "xlsx",
) -> Response:
    """The readiness board as a file: the latest check of each endpoint (of one session, or
    under a unit), its verdict and reasons in Vietnamese, the measured figures and the
    technician's acknowledgement."""
    return _file(await service.readiness_download(session, scope, session_id, unit, format_))


@router.get("/reports/monthly", response_model=MonthlyReport, responses=FILES, **READ)
async def monthly_report(
    session: Session,
    scope: Scope,
    month: Annotated[
        str, Query(description="The province's calendar month", examples=["2026-12"], max_length=16)
    ],
    unit: UnitFilter = None,
    format_: Annotated[Literal["json", "xlsx", "csv"], Query(alias="format")] = "json",
) -> MonthlyReport | Response:
    """Per unit of the subtree, over the month: sessions, invited and joined participations,
    the attendance rate, readiness checks, not-ready verdicts by reason and the mean time to
    fix. A unit's row counts the endpoints registered at that unit itself."""
    report = await service.monthly(session, scope, month, unit)
    if format_ == "json":
        return report
    return _file(service.monthly_download(report, format_))

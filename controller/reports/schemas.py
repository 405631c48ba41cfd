"""The monthly summary as the API gives it in JSON (the xlsx and CSV hold the same rows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["MonthlyFigures", "MonthlyReport", "MonthlyRow"]


_FIGURES: dict[str, Any] = {
    "endpoints": 1,
    "sessions": 4,
    "invited": 4,
    "joined": 3,
    "attendance_pct": 75.0,
    "checks": 8,
    "not_ready": 2,
    "reasons": {"sip_unregistered": 2},
    "fixes": 1,
    "mean_fix_min": 42.5,
}
_ROW: dict[str, Any] = _FIGURES | {
    "unit_code": "23134",
    "unit_name": "Xã Tân Lập",
    "level": "commune",
    "district": "Lâm Đồng",
    "commune": "Xã Tân Lập",
}


class MonthlyFigures(BaseModel):
    """One unit's month, counting only the endpoints registered at that unit itself."""

    model_config = ConfigDict(json_schema_extra={"examples": [_FIGURES]})

    endpoints: int = Field(description="Endpoints registered at the unit now", examples=[1])
    sessions: int = Field(
        description="Ended or live sessions started in the month that invited one of them", examples=[4]
    )
    invited: int = Field(description="Participations: an endpoint invited to a session", examples=[4])
    joined: int = Field(description="Participations that joined at least once", examples=[3])
    attendance_pct: float | None = Field(
        description="joined / invited, in %, one decimal; null when nobody was invited", examples=[75.0]
    )
    checks: int = Field(description="Readiness checks done in the month", examples=[8])
    not_ready: int = Field(description="Of them, not-ready verdicts", examples=[2])
    reasons: dict[str, int] = Field(
        description="Blocking reasons of the not-ready verdicts by READINESS code (a check counts "
        "each of its reasons once)",
        examples=[{"sip_unregistered": 2}],
    )
    fixes: int = Field(description="Not-ready endpoints made ready again in the month", examples=[1])
    mean_fix_min: float | None = Field(
        description="Mean minutes from the first not-ready check of a fix to the ready check "
        "that ended it, over the fixes in the month; null when none",
        examples=[42.5],
    )


class MonthlyRow(MonthlyFigures):
    model_config = ConfigDict(json_schema_extra={"examples": [_ROW]})
    unit_code: str = Field(examples=["DEMO-H01-X01"])
    unit_name: str = Field(examples=["Xã 1.01"])
    level: str = Field(examples=["commune"])
    district: str = Field(description="The district column as in the xlsx", examples=["Huyện Số 1"])
    commune: str = Field(description="The commune column as in the xlsx", examples=["Xã 1.01"])


class MonthlyReport(BaseModel):
    """A month of one unit's subtree (inside the caller's units), a row per unit in tree
    order: each district followed by its communes."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "month": "2026-12",
                    "unit": "68",
                    "unit_name": "Lâm Đồng",
                    "period_start": "2026-11-30T17:00:00Z",
                    "period_end": "2026-12-31T17:00:00Z",
                    "rows": [_ROW],
                    "totals": _FIGURES
                    | {
                        "endpoints": 125,
                        "sessions": 6,
                        "invited": 500,
                        "joined": 491,
                        "attendance_pct": 98.2,
                    },
                }
            ]
        }
    )

    month: str = Field(examples=["2026-12"])
    unit: str | None = Field(
        description="The subtree's unit code; null: every unit you see", examples=["DEMO-H01"]
    )
    unit_name: str | None = Field(examples=["Huyện Số 1"])
    period_start: datetime = Field(description="The month's first instant in Asia/Ho_Chi_Minh, as UTC")
    period_end: datetime = Field(description="The next month's first instant (excluded)")
    rows: list[MonthlyRow]
    totals: MonthlyFigures = Field(description="The whole subtree (sessions counted once)")

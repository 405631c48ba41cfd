"""Which endpoints a session selects: unit subtrees, single units, single endpoints.

"The province office and every commune of district X" is
``units=[{unit: PROV, subtree: false}, {unit: X}]``. A scope is stored as
given and resolved again at each start, so a saved scope follows the registry.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from controller.errors import InvalidInput
from controller.fields import UnitRef
from controller.models import Endpoint, Unit
from controller.units.service import unit_from_body

__all__ = ["Scope", "ScopeUnit", "resolve"]


class ScopeUnit(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"unit": "23134", "subtree": True}]}
    )
    unit: UnitRef = Field(description="Unit code or id")
    subtree: bool = Field(default=True, description="Include every unit below it")


class Scope(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "units": [{"unit": "68", "subtree": False}, {"unit": "23134", "subtree": True}],
                    "endpoints": ["5a8f2c3e-9b47-4d16-a0e2-7c3b1f9d4e58"],
                }
            ]
        },
    )
    units: Annotated[list[ScopeUnit], Field(max_length=500)] = []
    endpoints: Annotated[list[uuid.UUID], Field(max_length=1000)] = []

    @model_validator(mode="after")
    def _not_empty(self) -> Scope:
        if not self.units and not self.endpoints:
            raise ValueError("a scope names at least one unit or endpoint")
        return self


async def resolve(session: AsyncSession, scope: Scope) -> list[Endpoint]:
    """The selected endpoints, once each, higher units first (province office before communes)."""
    conditions = []
    for i, item in enumerate(scope.units):
        unit = await unit_from_body(session, item.unit, field=f"scope.units[{i}].unit")
        conditions.append(Unit.path.startswith(unit.path) if item.subtree else Unit.id == unit.id)
    if scope.endpoints:
        conditions.append(Endpoint.id.in_(scope.endpoints))
    rows = (
        await session.scalars(
            select(Endpoint)
            .join(Endpoint.unit)
            .options(contains_eager(Endpoint.unit))
            .where(or_(*conditions))
            .order_by(Unit.depth, Unit.code, Endpoint.name)
        )
    ).all()
    missing = set(scope.endpoints) - {ep.id for ep in rows}
    if missing:
        raise InvalidInput(
            f"{len(missing)} endpoint id(s) in the scope are not registered",
            field="scope.endpoints",
            unknown=sorted(str(m) for m in missing),
        )
    return list(rows)

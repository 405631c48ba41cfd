"""The unit tree's request and response models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from controller.fields import Strict, UnitBrief, UnitRef, no_control


class UnitCreate(Strict):
    code: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$"),
    ]
    name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
        AfterValidator(no_control),
    ]
    level: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[a-z_]+$"),
    ]
    parent: UnitRef | None = None


class UnitUpdate(Strict):
    name: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
            AfterValidator(no_control),
        ]
        | None
    ) = None
    level: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[a-z_]+$"),
        ]
        | None
    ) = None


class UnitPublic(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    level: str
    parent_id: uuid.UUID | None
    depth: int
    created_at: datetime
    updated_at: datetime


class UnitNode(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    level: str
    endpoints: int = Field(description="Endpoints registered in this unit's whole subtree")
    children: list[UnitNode] = []


class ProvinceImport(Strict):
    province: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
        AfterValidator(no_control),
    ]


class UnitImportReport(BaseModel):
    created: int
    updated: int
    root: UnitBrief

"""The unit tree's request and response models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from controller.fields import Strict, UnitBrief, UnitRef, no_control


class UnitCreate(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"code": "23134", "name": "Xã Tân Lập", "level": "commune", "parent": "68"}]
        }
    )
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
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Xã Tân Lập", "level": "commune"}]})
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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "b2d4e6f8-1a3c-4e5f-8a7b-9c0d1e2f3a4b",
                    "code": "23134",
                    "name": "Xã Tân Lập",
                    "level": "commune",
                    "parent_id": "3f6c1a52-8d0e-4b7a-9c21-5e4f0a7b9d13",
                    "depth": 1,
                    "created_at": "2026-07-01T08:00:00+07:00",
                    "updated_at": "2026-07-01T08:00:00+07:00",
                }
            ]
        }
    )
    id: uuid.UUID
    code: str
    name: str
    level: str
    parent_id: uuid.UUID | None
    depth: int
    created_at: datetime
    updated_at: datetime


class UnitNode(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "3f6c1a52-8d0e-4b7a-9c21-5e4f0a7b9d13",
                    "code": "68",
                    "name": "Lâm Đồng",
                    "level": "province",
                    "endpoints": 125,
                    "children": [
                        {
                            "id": "b2d4e6f8-1a3c-4e5f-8a7b-9c0d1e2f3a4b",
                            "code": "23134",
                            "name": "Xã Tân Lập",
                            "level": "commune",
                            "endpoints": 1,
                            "children": [],
                        }
                    ],
                }
            ]
        }
    )
    id: uuid.UUID
    code: str
    name: str
    level: str
    endpoints: int = Field(description="Endpoints registered in this unit's whole subtree")
    children: list[UnitNode] = []


class ProvinceImport(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"province": "Lâm Đồng"}]})
    province: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
        AfterValidator(no_control),
    ]


class UnitImportReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "created": 125,
                    "updated": 0,
                    "root": {
                        "id": "3f6c1a52-8d0e-4b7a-9c21-5e4f0a7b9d13",
                        "code": "68",
                        "name": "Lâm Đồng",
                        "level": "province",
                    },
                }
            ]
        }
    )
    created: int
    updated: int
    root: UnitBrief

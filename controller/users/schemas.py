"""Users, API keys and logins: request and response models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from controller.fields import Strict, UnitBrief, UnitRef, no_control
from controller.roles import Role


class GrantIn(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"role": "technician", "unit": "23134"}]})
    role: Role
    unit: UnitRef | None = Field(
        default=None, description="Unit code or id: its whole subtree; none: the province"
    )


class GrantPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "role": "technician",
                    "unit": {
                        "id": "b2d4e6f8-1a3c-4e5f-8a7b-9c0d1e2f3a4b",
                        "code": "23134",
                        "name": "Xã Tân Lập",
                        "level": "commune",
                    },
                }
            ]
        }
    )
    role: Role
    unit: UnitBrief | None


def _one_way(role: Role | None, grants: list[GrantIn] | None, required: bool) -> None:
    if role is not None and grants is not None:
        raise ValueError("give either role (with an optional unit) or grants, not both")
    if required and role is None and not grants:
        raise ValueError("a user needs a role or at least one grant")


class UserCreate(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "kythuat.tanlap",
                    "password": "********",
                    "role": "technician",
                    "unit": "23134",
                    "full_name": "Nguyễn Văn An",
                }
            ]
        }
    )
    username: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$"),
    ]
    password: Annotated[str, StringConstraints(min_length=8, max_length=256)]
    role: Role | None = Field(default=None, description="One grant: this role over `unit` (or the province)")
    unit: UnitRef | None = None
    grants: Annotated[list[GrantIn], Field(min_length=1, max_length=50)] | None = None
    full_name: Annotated[str, StringConstraints(max_length=200), AfterValidator(no_control)] | None = None

    @model_validator(mode="after")
    def _role_or_grants(self) -> UserCreate:
        _one_way(self.role, self.grants, required=True)
        if self.unit is not None and self.role is None:
            raise ValueError("unit goes with role; in grants, each grant names its unit")
        return self

    def wanted_grants(self) -> list[GrantIn]:
        return self.grants or [GrantIn(role=self.role or Role.ioc_viewer, unit=self.unit)]


class UserUpdate(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "grants": [{"role": "technician", "unit": "23134"}, {"role": "host", "unit": "23134"}],
                    "full_name": "Nguyễn Văn An",
                }
            ]
        }
    )
    password: Annotated[str, StringConstraints(min_length=8, max_length=256)] | None = None
    role: Role | None = Field(default=None, description="Replaces the grants with this role over `unit`")
    unit: UnitRef | None = None
    grants: Annotated[list[GrantIn], Field(min_length=1, max_length=50)] | None = None
    full_name: Annotated[str, StringConstraints(max_length=200), AfterValidator(no_control)] | None = None
    disabled: bool | None = None

    @model_validator(mode="after")
    def _role_or_grants(self) -> UserUpdate:
        _one_way(self.role, self.grants, required=False)
        if self.unit is not None and self.role is None:
            raise ValueError("unit goes with role; in grants, each grant names its unit")
        return self


class UserPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "4e6a8c0d-2f4b-4d6e-9a1c-3b5d7f9a1c2e",
                    "username": "kythuat.tanlap",
                    "full_name": "Nguyễn Văn An",
                    "role": "technician",
                    "grants": [
                        {
                            "role": "technician",
                            "unit": {
                                "id": "b2d4e6f8-1a3c-4e5f-8a7b-9c0d1e2f3a4b",
                                "code": "23134",
                                "name": "Xã Tân Lập",
                                "level": "commune",
                            },
                        }
                    ],
                    "disabled": False,
                    "source": "local",
                    "created_at": "2026-07-01T09:00:00+07:00",
                    "updated_at": "2026-11-15T16:30:00+07:00",
                }
            ]
        }
    )
    id: uuid.UUID
    username: str
    full_name: str | None
    role: Role = Field(description="The first grant's role")
    grants: list[GrantPublic]
    disabled: bool
    source: Literal["local", "ldap", "oidc"] = Field(
        description="local: a password here; ldap, oidc: the directory, whose groups set the grants"
    )
    created_at: datetime
    updated_at: datetime


class ApiKeyCreate(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "Màn hình IOC xã Tân Lập", "role": "ioc_viewer", "unit": "23134", "view": "ioc"}
            ]
        }
    )
    name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=128),
        AfterValidator(no_control),
    ]
    role: Role
    unit: UnitRef | None = Field(default=None, description="The subtree the key covers; none: the province")
    view: Literal["ioc"] | None = Field(
        default=None,
        description="A wall display's key: the one console view it shows (read-only, ioc_viewer only)",
    )

    @model_validator(mode="after")
    def _a_view_is_read_only(self) -> ApiKeyCreate:
        if self.view is not None and self.role != Role.ioc_viewer:
            raise ValueError("a key bound to a view is a wall display's: its role must be ioc_viewer")
        return self


class ApiKeyPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0d3b5f7a-9c1e-4a2b-8d6f-2e4a6c8b0d1f",
                    "name": "Màn hình IOC xã Tân Lập",
                    "prefix": "3f9a1c7e",
                    "role": "ioc_viewer",
                    "created_by": "quantri.tinh",
                    "created_at": "2026-11-02T10:20:00+07:00",
                    "last_used_at": "2026-12-07T08:59:58+07:00",
                    "revoked_at": None,
                    "view": "ioc",
                    "unit_id": "b2d4e6f8-1a3c-4e5f-8a7b-9c0d1e2f3a4b",
                }
            ]
        }
    )
    id: uuid.UUID
    name: str
    prefix: str
    role: Role
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    view: str | None = None
    unit_id: uuid.UUID | None = None


class ApiKeyCreated(ApiKeyPublic):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0d3b5f7a-9c1e-4a2b-8d6f-2e4a6c8b0d1f",
                    "name": "Màn hình IOC xã Tân Lập",
                    "prefix": "3f9a1c7e",
                    "role": "ioc_viewer",
                    "created_by": "quantri.tinh",
                    "created_at": "2026-11-02T10:20:00+07:00",
                    "last_used_at": "2026-12-07T08:59:58+07:00",
                    "revoked_at": None,
                    "view": "ioc",
                    "unit_id": "b2d4e6f8-1a3c-4e5f-8a7b-9c0d1e2f3a4b",
                    "key": "dck_3f9a1c7e_EXAMPLE-not-a-real-key",
                }
            ]
        }
    )
    key: str = Field(description="Shown once; store it now")


class TokenResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiJ9.EXAMPLE.not-a-real-token",
                    "token_type": "bearer",
                    "expires_in": 3600,
                    "refresh_token": "drt_EXAMPLE_not_a_real_token",
                    "refresh_expires_in": 259200,
                    "role": "technician",
                }
            ]
        }
    )
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str = Field(description="Works once: exchange it for the next tokens before it expires")
    refresh_expires_in: int
    role: Role


class MyGrant(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"role": "technician", "unit": "23134"}]})
    role: Role
    unit: str | None = Field(description="The unit's code; none: the whole province")


class Me(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "kythuat.tanlap",
                    "role": "technician",
                    "kind": "user",
                    "grants": [{"role": "technician", "unit": "23134"}],
                    "view": None,
                }
            ]
        }
    )
    name: str
    role: Role
    kind: str
    grants: list[MyGrant] = Field(default_factory=list, description="What the caller may do where")
    view: str | None = Field(default=None, description="The one view a wall display's key may open")

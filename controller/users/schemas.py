"""Users, API keys and logins: request and response models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from controller.fields import Strict, no_control
from controller.roles import Role


class UserCreate(Strict):
    username: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$"),
    ]
    password: Annotated[str, StringConstraints(min_length=8, max_length=256)]
    role: Role
    full_name: Annotated[str, StringConstraints(max_length=200), AfterValidator(no_control)] | None = None


class UserUpdate(Strict):
    password: Annotated[str, StringConstraints(min_length=8, max_length=256)] | None = None
    role: Role | None = None
    full_name: Annotated[str, StringConstraints(max_length=200), AfterValidator(no_control)] | None = None
    disabled: bool | None = None


class UserPublic(BaseModel):
    id: uuid.UUID
    username: str
    full_name: str | None
    role: Role
    disabled: bool
    created_at: datetime
    updated_at: datetime


class ApiKeyCreate(Strict):
    name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=128),
        AfterValidator(no_control),
    ]
    role: Role
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
    id: uuid.UUID
    name: str
    prefix: str
    role: Role
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    view: str | None = None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="Shown once; store it now")


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str = Field(description="Works once: exchange it for the next tokens before it expires")
    refresh_expires_in: int
    role: Role


class Me(BaseModel):
    name: str
    role: Role
    kind: str
    view: str | None = Field(default=None, description="The one view a wall display's key may open")

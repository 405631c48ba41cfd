"""Login (OAuth2 password flow) and who-am-I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from controller.api.deps import Actor, State, route
from controller.roles import ALL_ROLES
from controller.users import logins
from controller.users.schemas import Me, TokenResponse

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/token",
    response_model=TokenResponse,
    openapi_extra={"x-roles": ["public"]},
    responses={429: {"description": "Too many failed logins for this user or address (Retry-After)"}},
)
async def token(
    request: Request,
    state: State,
    username: Annotated[str, Form(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")],
    password: Annotated[str, Form(min_length=1, max_length=256)],
) -> TokenResponse:
    """A bearer token for a user name and password (``application/x-www-form-urlencoded``)."""
    client = request.client.host if request.client else "unknown"
    access, expires_in, role = await logins.login(state, username, password, client)
    return TokenResponse(access_token=access, expires_in=expires_in, role=role)


@router.get("/me", response_model=Me, **route(*ALL_ROLES))
async def me(actor: Actor) -> Me:
    return Me(name=actor.name, role=actor.role, kind=actor.kind)

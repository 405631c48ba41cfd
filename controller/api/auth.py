"""Login (OAuth2 password flow) and who-am-I."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form

from controller.api.deps import Actor, Session, State, route
from controller.roles import ALL_ROLES
from controller.schemas import Me, TokenResponse
from controller.services import users

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=TokenResponse, openapi_extra={"x-roles": ["public"]})
async def token(
    state: State,
    session: Session,
    username: Annotated[str, Form(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")],
    password: Annotated[str, Form(min_length=1, max_length=256)],
) -> TokenResponse:
    ttl = timedelta(minutes=state.settings.token_ttl_minutes)
    access, expires_in, role = await users.login(session, state.box, username, password, ttl)
    return TokenResponse(access_token=access, expires_in=expires_in, role=role)


@router.get("/me", response_model=Me, **route(*ALL_ROLES))
async def me(actor: Actor) -> Me:
    return Me(name=actor.name, role=actor.role, kind=actor.kind)

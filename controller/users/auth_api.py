"""Sign-in (OAuth 2.0 token endpoint: the password and refresh-token grants), sign-out,
sign-out everywhere, and who-am-I."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request, Response, status

from controller.api.deps import Actor, Session, State, route
from controller.errors import Conflict, InvalidInput
from controller.roles import ALL_ROLES
from controller.users import logins
from controller.users.schemas import Me, MyGrant, TokenResponse

router = APIRouter(prefix="/auth", tags=["auth"])

RefreshTokenForm = Annotated[str | None, Form(min_length=10, max_length=200, pattern=r"^drt_[A-Za-z0-9_-]+$")]


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/token",
    response_model=TokenResponse,
    openapi_extra={"x-roles": ["public"]},
    responses={429: {"description": "Too many failed logins for this user or address (Retry-After)"}},
)
async def issue_token(
    request: Request,
    state: State,
    grant_type: Annotated[Literal["password", "refresh_token"], Form()] = "password",
    username: Annotated[str | None, Form(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")] = None,
    password: Annotated[str | None, Form(min_length=1, max_length=256)] = None,
    refresh_token: RefreshTokenForm = None,
) -> TokenResponse:
    """Tokens for a user name and password (``grant_type=password``, the default), or the next
    ones for a refresh token (``grant_type=refresh_token``: each refresh token works once).
    ``application/x-www-form-urlencoded``, as OAuth 2.0 has it."""
    if grant_type == "refresh_token":
        if refresh_token is None:
            raise InvalidInput(
                "refresh_token is required for grant_type=refresh_token", field="refresh_token"
            )
        tokens = await logins.renew(state, refresh_token)
    else:
        if username is None or password is None:
            raise InvalidInput(
                "username and password are required", field="username" if username is None else "password"
            )
        tokens = await logins.login(state, username, password, _client(request))
    return TokenResponse(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
        refresh_expires_in=tokens.refresh_expires_in,
        role=tokens.role,
    )


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    openapi_extra={"x-roles": ["public"]},
)
async def logout(
    state: State,
    refresh_token: Annotated[str, Form(min_length=10, max_length=200, pattern=r"^drt_[A-Za-z0-9_-]+$")],
) -> Response:
    """Sign this device out: its refresh token and every access token of its sign-in stop
    working. Public, so an expired access token does not stop a sign-out; the same answer
    whether the token was known or not."""
    await logins.logout(state, refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/sign-out-everywhere", status_code=status.HTTP_204_NO_CONTENT, **route(*ALL_ROLES))
async def sign_out_everywhere(session: Session, actor: Actor) -> Response:
    """End every sign-in of the calling user, on every device (a lost phone, a shared PC)."""
    if actor.kind != "user":
        raise Conflict("an API key has no sign-ins; revoke the key instead")
    await logins.sign_out_everywhere(session, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=Me, **route(*ALL_ROLES))
async def current_user(actor: Actor) -> Me:
    grants = [MyGrant(role=g.role, unit=g.unit_code) for g in actor.held]
    return Me(name=actor.name, role=actor.role, kind=actor.kind, view=actor.view, grants=grants)

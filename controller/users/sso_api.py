"""Single sign-on with the province's portal (OpenID Connect), and what the sign-in page offers.

A browser navigates here (these are pages, not XHR): ``start`` sends it to the portal, and
``callback`` sends it back to the console, with a one-time refresh token in the URL fragment
(never sent to any server, and rotated by the console at once) or with the code of what went
wrong, which the console words in the user's language.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from controller.api.deps import State
from controller.errors import DomainError
from controller.users import directory_signin
from controller.users.oidc import COOKIE, COOKIE_TTL_S

router = APIRouter(prefix="/auth", tags=["auth"])

PUBLIC: dict[str, Any] = {"x-roles": ["public"]}
CONSOLE = "/console/"
Param = Annotated[str | None, Query(max_length=4096)]


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _back(fragment: str) -> RedirectResponse:
    response = RedirectResponse(f"{CONSOLE}#{fragment}", status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/methods", openapi_extra=PUBLIC)
async def sign_in_methods(state: State) -> dict[str, object]:
    """How one may sign in here (the console's sign-in page reads it)."""
    return directory_signin.sign_in_methods(state)


@router.get("/oidc/start", status_code=303, openapi_extra=PUBLIC)
async def sso_start(state: State) -> RedirectResponse:
    """Send the browser to the province's portal; back to the console with the reason if the
    portal cannot be reached."""
    try:
        url, cookie = await directory_signin.sso_begin(state)
    except DomainError as exc:
        return _back(f"sso-error={quote(str(exc.extra.get('code', exc.slug)))}")
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(COOKIE, cookie, max_age=COOKIE_TTL_S, **directory_signin.sso_cookie(state))
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/oidc/callback", status_code=303, openapi_extra=PUBLIC)
async def sso_callback(
    request: Request,
    state: State,
    code: Param = None,
    state_: Annotated[str | None, Query(alias="state", max_length=4096)] = None,
    error: Param = None,
) -> RedirectResponse:
    """Where the portal sends the browser back: a new sign-in, or the console's error page."""
    params = {k: v for k, v in (("code", code), ("state", state_), ("error", error)) if v is not None}
    try:
        tokens = await directory_signin.sso_finish(
            state, request.cookies.get(COOKIE), params, _client(request)
        )
        response = _back(f"sso={tokens.refresh_token}")
    except DomainError as exc:
        response = _back(f"sso-error={quote(str(exc.extra.get('code', exc.slug)))}")
    response.delete_cookie(COOKIE, **directory_signin.sso_cookie(state))
    return response

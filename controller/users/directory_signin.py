"""Signing in through the province's directory: the part shared by an LDAP password and
the SSO portal (the user row and the tokens, or the audited refusal), the portal's round
trip, what the sign-in page offers, and the administrator's check of one name.

Password checking and its throttle stay in `controller.users.logins`, which calls
`sign_in` here once the directory has vouched for someone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import select

from controller import audit
from controller.errors import NotFound
from controller.models import Unit
from controller.principal import SYSTEM
from controller.users import directory_users
from controller.users import sessions as auth_sessions
from controller.users.directory import DirectoryPerson, DirectoryUnavailable
from controller.users.oidc import OidcClient, OidcRefused
from controller.users.sessions import Tokens

if TYPE_CHECKING:
    from controller.api.deps import AppState

log = logging.getLogger(__name__)


async def sign_in(state: AppState, person: DirectoryPerson, client: str) -> Tokens:
    """A new sign-in for someone the directory vouched for (a password bind, or the SSO
    portal's ID token); NoAccess, audited, when none of their groups is mapped."""
    assert state.directory.groups is not None  # configured with any directory
    async with state.db.transaction() as session:
        outcome = await directory_users.sign_in(session, person, state.directory.groups)
        if not isinstance(outcome, directory_users.NoAccess):
            return await auth_sessions.start(session, state.box, state.settings, outcome, client)
    log.info("directory user %s refused (%s)", person.username, outcome.extra["code"])
    raise outcome


def sign_in_methods(state: AppState) -> dict[str, object]:
    """What the console's sign-in page offers: the password form (local accounts, and the
    directory's when LDAP is on) and, with a portal, its button."""
    oidc = state.directory.oidc
    return {
        "password": True,
        "directory": state.directory.ldap is not None,
        "sso": {"label": oidc.settings.label} if oidc is not None else None,
    }


def _sso(state: AppState) -> OidcClient:
    if state.directory.oidc is None:
        raise NotFound("single sign-on is not configured")
    return state.directory.oidc


def sso_cookie(state: AppState) -> dict[str, Any]:
    """Where the sign-in cookie goes: only to the callback, only over https when the portal
    sends browsers back over https, never to scripts, and along a top-level redirect."""
    target = urlsplit(_sso(state).settings.redirect_uri)
    return {"path": target.path, "secure": target.scheme == "https", "httponly": True, "samesite": "lax"}


async def sso_begin(state: AppState) -> tuple[str, str]:
    """The portal's address to send the browser to, and the cookie for the way back."""
    try:
        return await _sso(state).begin()
    except DirectoryUnavailable as exc:
        log.warning("sso portal unavailable: %s", exc.why)
        raise


async def sso_finish(state: AppState, cookie: str | None, params: dict[str, str], client: str) -> Tokens:
    """A new sign-in for the portal's answer; every refusal is audited with its code."""
    try:
        person = await _sso(state).finish(cookie, params)
    except OidcRefused as exc:
        async with state.db.transaction() as session:
            audit.record(
                session, SYSTEM, "login.sso_refused", "auth", None, {"code": exc.code, "client": client}
            )
        log.warning("sso sign-in refused (%s): %s", exc.code, exc.detail)
        raise
    except DirectoryUnavailable as exc:
        log.warning("sso portal unavailable: %s", exc.why)
        raise
    return await sign_in(state, person, client)


@dataclass(frozen=True)
class DirectoryCheck:
    """What the directory says of one name, and what the group file makes of it."""

    person: DirectoryPerson | None
    grants: list[str]  # "role@UNIT" or "role@province"
    unknown_units: list[str]  # mapped units this controller does not have


async def check_directory_user(state: AppState, username: str) -> DirectoryCheck:
    """How a name would sign in, without its password (``diemcau users directory-check``)."""
    ldap, groups = state.directory.ldap, state.directory.groups
    if ldap is None or groups is None:
        raise NotFound("no LDAP directory is configured (DIEMCAU_LDAP)")
    person = await ldap.lookup(username)
    if person is None:
        return DirectoryCheck(None, [], [])
    async with state.db.transaction() as session:
        known = set(await session.scalars(select(Unit.code)))
    wanted = groups.grants_for(person.groups)
    return DirectoryCheck(
        person,
        [f"{g.role.value}@{g.unit or 'province'}" for g in wanted if g.unit is None or g.unit in known],
        [g.unit for g in wanted if g.unit is not None and g.unit not in known],
    )

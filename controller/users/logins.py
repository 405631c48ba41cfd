"""Password logins, throttled per user name and per client address.

Each failed login counts against its user name and its client address (`FailureWindow`);
while either has too many failures in the window, every login for it is answered 429
with Retry-After *before* the password is checked, the right password included: the
throttle must not tell a guesser when a guess was right, and a refused attempt costs no
Argon2 work. The moment a user name or an address becomes held is written to the audit
log (as ``system``, in a transaction of its own, since the failed login's request
transaction is rolled back). A successful login forgets its user name's failures, not its
address's (a guesser with one valid account must not reset the address's count).

Argon2 runs in the password worker pool (`security.verify_password_async`), never on the
event loop; ``login_max_in_flight`` bounds the checks waiting for it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from controller import audit
from controller.errors import TooManyRequests, Unauthorized
from controller.models import User
from controller.principal import SYSTEM, Principal
from controller.roles import Role
from controller.settings import Settings
from controller.throttle import FailureWindow
from controller.users import directory_signin
from controller.users import service as users
from controller.users import sessions as auth_sessions
from controller.users.directory import DirectoryUnavailable
from controller.users.sessions import Tokens

if TYPE_CHECKING:
    from controller.api.deps import AppState


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lockout:
    kind: str  # "user" | "client"
    key: str
    retry_after_s: int


class LoginThrottle:
    def __init__(self, settings: Settings) -> None:
        window = settings.login_failure_window_s
        self.users = FailureWindow(settings.login_max_failures_per_user, window)
        self.clients = FailureWindow(settings.login_max_failures_per_ip, window)
        self.max_in_flight = settings.login_max_in_flight
        self.in_flight = 0

    def admit(self, username: str, client: str) -> None:
        """Raise TooManyRequests if this login may not be checked now; else count it as begun."""
        wait = max(self.users.retry_after(username), self.clients.retry_after(client))
        if wait > 0:
            raise TooManyRequests(
                "too many failed logins for this user or from this address; try again later",
                retry_after=math.ceil(wait),
            )
        if self.in_flight >= self.max_in_flight:
            raise TooManyRequests("too many logins are being checked at once; try again", retry_after=1)
        self.in_flight += 1
        self.users.begin(username)
        self.clients.begin(client)

    def finish(self, username: str, client: str, *, failed: bool, succeeded: bool) -> list[Lockout]:
        """The attempt admitted for (username, client) is over; the lockouts its failure caused."""
        self.in_flight -= 1
        lockouts = []
        if self.users.end(username, failed=failed):
            lockouts.append(Lockout("user", username, math.ceil(self.users.retry_after(username))))
        if self.clients.end(client, failed=failed):
            lockouts.append(Lockout("client", client, math.ceil(self.clients.retry_after(client))))
        if succeeded:
            self.users.clear(username)
        return lockouts


async def login(state: AppState, username: str, password: str, client: str) -> Tokens:
    """A new sign-in's tokens for the right password; TooManyRequests while throttled;
    Unauthorized otherwise. A local account (the break-glass admin) is checked here even
    when a directory is configured; any other name is the directory's (`_check`)."""
    throttle: LoginThrottle = state.logins
    throttle.admit(username, client)
    failed = succeeded = False
    try:
        tokens = await _check(state, username, password, client)
        succeeded = True
        return tokens
    except Unauthorized:
        failed = True
        raise
    finally:
        lockouts = throttle.finish(username, client, failed=failed, succeeded=succeeded)
        if lockouts:
            await _audit(state, lockouts, throttle)


async def _check(state: AppState, username: str, password: str, client: str) -> Tokens:
    ldap = state.directory.ldap
    if ldap is not None:
        async with state.db.transaction() as session:
            local = await users.is_local_account(session, username)
        if not local:
            try:
                person = await ldap.authenticate(username, password)
            except DirectoryUnavailable as exc:
                log.warning("directory sign-in unavailable: %s", exc.why)
                raise
            if person is None:
                raise Unauthorized(users.WRONG_LOGIN)
            return await directory_signin.sign_in(state, person, client)
    async with state.db.transaction() as session:
        user = await users.verify_login(session, username, password)
        return await auth_sessions.start(session, state.box, state.settings, user, client)


async def _audit(state: AppState, lockouts: list[Lockout], throttle: LoginThrottle) -> None:
    async with state.db.transaction() as session:
        for lockout in lockouts:
            window = throttle.users if lockout.kind == "user" else throttle.clients
            audit.record(
                session,
                SYSTEM,
                "login.lockout",
                lockout.kind,
                lockout.key,
                {
                    lockout.kind: lockout.key,
                    "failures": window.limit,
                    "window_s": window.window_s,
                    "retry_after_s": lockout.retry_after_s,
                },
            )


async def renew(state: AppState, presented: str) -> Tokens:
    """The next tokens for a refresh token; Unauthorized with the reason otherwise. A refused
    reuse has revoked the session by then (committed before the 401 goes out)."""
    async with state.db.transaction() as session:
        outcome = await auth_sessions.rotate(session, state.box, state.settings, presented)
    if isinstance(outcome, auth_sessions.Refused):
        raise Unauthorized(outcome.reason)
    return outcome


async def logout(state: AppState, presented: str) -> None:
    async with state.db.transaction() as session:
        ended = await auth_sessions.revoke_by_refresh_token(session, presented)
        user = await session.get(User, ended.user_id) if ended is not None else None
        if ended is not None and user is not None:
            actor = Principal(name=user.username, role=Role(user.role))
            audit.record(
                session, actor, "auth.logout", "auth_session", str(ended.id), {"username": user.username}
            )


async def sign_out_everywhere(session: AsyncSession, actor: Principal) -> int:
    user = await session.scalar(select(User).where(User.username == actor.name))
    if user is None:
        raise Unauthorized("the user no longer exists")
    return await users.sign_out_everywhere(session, user, actor)

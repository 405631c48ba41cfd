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

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from controller import audit
from controller.errors import TooManyRequests, Unauthorized
from controller.principal import SYSTEM
from controller.roles import Role
from controller.settings import Settings
from controller.throttle import FailureWindow
from controller.users import service as users

if TYPE_CHECKING:
    from controller.api.deps import AppState


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


async def login(state: AppState, username: str, password: str, client: str) -> tuple[str, int, Role]:
    """(token, seconds valid, role) for the right password; TooManyRequests while throttled;
    Unauthorized otherwise."""
    throttle: LoginThrottle = state.logins
    throttle.admit(username, client)
    failed = succeeded = False
    try:
        ttl = timedelta(minutes=state.settings.token_ttl_minutes)
        async with state.db.transaction() as session:
            result = await users.login(session, state.box, username, password, ttl)
        succeeded = True
        return result
    except Unauthorized:
        failed = True
        raise
    finally:
        lockouts = throttle.finish(username, client, failed=failed, succeeded=succeeded)
        if lockouts:
            await _audit(state, lockouts, throttle)


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

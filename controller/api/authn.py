"""Who is calling: decided from the request's headers alone, before its body is read, and
kept true for as long as a response streams.

`Authenticate` is an ASGI middleware in front of every protected path (``/api/``,
``/whep/``, ``/metrics``, all but the public routes). It turns the bearer token or API key
into a `Credential` kept in the request scope, where `deps.current_principal` finds it. A
caller without a valid one is answered 401 before the application runs: FastAPI parses a
route's body before it runs the route's dependencies, so an authentication done only in a
dependency would read and parse an unknown caller's body first.

A credential can stop being valid while its request is still open: the token expires, or
its user is disabled, deleted or given a new password (see `User.token_version`), or the
API key is revoked. An event stream (``text/event-stream``) is cut then: at the token's
expiry, and at the first re-check (every ``auth_recheck_s``, one primary-key read) that
finds the user or key gone. WHEP viewers outlive their request; `Watchers` ends them the
same way.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from controller.api.problems import problem
from controller.models import utcnow
from controller.principal import Principal
from controller.security import API_KEY_PREFIX, read_token, split_api_key
from controller.users import service as users
from controller.users import sessions as auth_sessions

log = logging.getLogger("diemcau.auth")

PROTECTED_PREFIXES = ("/api/", "/whep/", "/metrics")
PUBLIC_ROUTES = frozenset(
    {
        ("POST", "/api/v1/auth/token"),
        ("POST", "/api/v1/auth/logout"),
        # single sign-on: the browser arrives here before it has any token
        ("GET", "/api/v1/auth/methods"),
        ("GET", "/api/v1/auth/oidc/start"),
        ("GET", "/api/v1/auth/oidc/callback"),
    }
)
# An alert message's acknowledgement link: the signed link is its own credential
# (controller.alerts.ack), good for its message's alarms only.
PUBLIC_PREFIXES = ("/api/v1/alerts/ack/",)
SCOPE_KEY = "diemcau.credential"


@dataclass(frozen=True)
class Credential:
    """A caller proven by a token (``user_id``, ``version``, ``expires_at``) or an API key."""

    principal: Principal
    expires_at: datetime | None = None  # a token's; an API key does not expire
    user_id: uuid.UUID | None = None
    version: int | None = None
    api_key_prefix: str | None = None
    session_id: uuid.UUID | None = None  # the sign-in a token was issued from


def bearer(headers: Headers) -> str | None:
    """The credential of an ``Authorization: Bearer ...`` header, else None."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


async def authenticate(state: Any, secret: str) -> Credential | None:
    """The credential for a bearer token or API key, or None if it is not (or no longer) valid.
    One proven a moment ago is answered from `state.credentials` (see credential_cache)."""
    cache = state.credentials
    kept: Credential | None = cache.get(secret)
    if kept is not None and (kept.expires_at is None or utcnow() < kept.expires_at):
        return kept
    generation = cache.generation
    credential = await _prove(state, secret)
    if credential is not None:
        cache.put(secret, credential, generation)
    return credential


async def _prove(state: Any, secret: str) -> Credential | None:
    async with state.db.transaction() as session:
        if secret.startswith(API_KEY_PREFIX):
            principal = await users.principal_from_api_key(session, secret)
            return Credential(principal, api_key_prefix=split_api_key(secret)) if principal else None
        claims = read_token(state.box, secret)
        if claims is None:
            return None
        principal = await users.principal_from_token(session, claims)
        if principal is None:
            return None
        return Credential(
            principal, claims.expires_at, claims.user_id, claims.version, session_id=claims.session_id
        )


def credential_of(request: Request) -> Credential | None:
    return request.scope.get(SCOPE_KEY)


def _follows_session(credential: Credential, follow_session: bool) -> bool:
    return follow_session and credential.session_id is not None


async def invalid_reason(state: Any, credential: Credential, follow_session: bool = False) -> str | None:
    """Why ``credential`` is no longer valid, or None while it is. ``follow_session``: a token
    from a sign-in stays good past its expiry for as long as the sign-in does (a viewer the
    console keeps renewing the tokens of), ended by a sign-out, not by the clock."""
    session_id = credential.session_id if _follows_session(credential, follow_session) else None
    if session_id is None and credential.expires_at is not None and utcnow() >= credential.expires_at:
        return "the access token expired"
    if session_id is not None and not await state.db.read(
        lambda s: auth_sessions.session_valid(s, session_id)
    ):
        return "the sign-in ended"
    if credential.user_id is not None:
        user_id, version = credential.user_id, credential.version or 0
        valid = await state.db.read(lambda s: users.token_still_valid(s, user_id, version))
    else:
        prefix = credential.api_key_prefix or ""
        valid = await state.db.read(lambda s: users.api_key_still_valid(s, prefix))
    return None if valid else "the user or API key was disabled, changed or revoked"


async def wait_until_invalid(
    state: Any, credential: Credential, alive: Callable[[], bool] = lambda: True, follow_session: bool = False
) -> str | None:
    """Returns the reason once ``credential`` stops being valid: at its expiry at the latest,
    or at the first re-check that finds it revoked; None as soon as ``alive()`` is False
    (what it guards ended by itself, so no more checks are spent on it)."""
    while True:
        delay = state.settings.auth_recheck_s
        if credential.expires_at is not None and not _follows_session(credential, follow_session):
            delay = min(delay, (credential.expires_at - utcnow()).total_seconds())
        if delay > 0:
            await asyncio.sleep(delay)
        if not alive():
            return None
        try:
            reason = await invalid_reason(state, credential, follow_session)
        except Exception as exc:  # noqa: BLE001 - a check that cannot run must not keep access open
            log.warning("credential re-check failed: %s", type(exc).__name__)
            reason = "the credentials could not be checked"
        if reason:
            return reason


class Watchers:
    """Tasks that end something outliving its request (a WHEP viewer) when the credential
    that opened it stops being valid. Cancelled all at once at shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def end_when_invalid(
        self,
        state: Any,
        credential: Credential,
        end: Callable[[str], Awaitable[object]],
        alive: Callable[[], bool],
        follow_session: bool = True,
    ) -> None:
        """Call ``end(reason)`` when ``credential`` stops being valid; stop watching once
        ``alive()`` is False (the thing ended by itself), at the next check. A viewer opened
        with a token from a sign-in lasts as long as the sign-in (``follow_session``): the
        video keeps playing while the console renews its tokens."""

        async def watch() -> None:
            reason = await wait_until_invalid(state, credential, alive, follow_session)
            if reason is not None:
                log.info("ending %s's access: %s", credential.principal.label, reason)
                await end(reason)

        task = asyncio.create_task(watch(), name="credential-watch")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def __len__(self) -> int:
        return len(self._tasks)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _protected(scope: Scope) -> bool:
    method: str = scope["method"]
    path: str = scope["path"]
    if method == "OPTIONS" or (method, path) in PUBLIC_ROUTES:
        return False  # CORS preflights carry no credentials, by the CORS rules
    if method in ("GET", "POST") and path.startswith(PUBLIC_PREFIXES):
        return False
    return path.startswith(PROTECTED_PREFIXES)


class Authenticate:
    """ASGI middleware: 401 before the application for a protected path without a valid
    credential; an event stream is cut when its credential stops being valid."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _protected(scope):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state.diemcau
        secret = bearer(Headers(scope=scope))
        credential = await authenticate(state, secret) if secret else None
        if credential is None:
            detail = (
                "a bearer token or API key is required"
                if secret is None
                else "the token or API key is invalid, expired or revoked"
            )
            await problem(401, "unauthorized", "Authentication required", detail, scope["path"])(
                scope, receive, send
            )
            return
        scope[SCOPE_KEY] = credential
        await _run_guarded(self.app, state, credential, scope, receive, send)


async def _run_guarded(
    app: ASGIApp, state: Any, credential: Credential, scope: Scope, receive: Receive, send: Send
) -> None:
    """Run the application; if it answers with an event stream, cut the stream (a closing
    comment, then the end of the body) when the credential stops being valid."""
    watcher: asyncio.Task[None] | None = None
    reason: str | None = None
    ended = False

    with anyio.CancelScope() as app_scope:

        async def cut_when_invalid() -> None:
            nonlocal reason
            reason = await wait_until_invalid(state, credential)
            app_scope.cancel()

        async def watched_send(message: Message) -> None:
            nonlocal watcher, ended
            if message["type"] == "http.response.start" and _is_event_stream(message):
                watcher = asyncio.create_task(cut_when_invalid(), name="stream-credential-watch")
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                ended = True
            await send(message)

        try:
            await app(scope, receive, watched_send)
        finally:
            if watcher is not None and not watcher.done():
                watcher.cancel()
    if reason is not None and not ended:
        log.info("event stream of %s closed: %s", credential.principal.label, reason)
        await send(
            {"type": "http.response.body", "body": f": closed: {reason}\n\n".encode(), "more_body": False}
        )


def _is_event_stream(message: Message) -> bool:
    headers: Iterable[tuple[bytes, bytes]] = message.get("headers", ())
    for key, value in headers:
        if key.lower() == b"content-type":
            return value.split(b";")[0].strip().lower() == b"text/event-stream"
    return False

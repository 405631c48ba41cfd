"""Sign-in sessions: a short access token renewed by a rotating refresh token (OAuth 2.0
Security BCP, RFC 9700 section 4.14).

A sign-in is an `AuthSession` (one device, one family of refresh tokens). Each refresh token
works once: using it gives a new access token and the family's next refresh token. A used
one presented again was copied (a stolen token racing its owner), so the whole session is
revoked and both holders must sign in again. A session also ends when its user signs out,
signs out everywhere, changes password or is disabled, when it has not been renewed for
``refresh_idle_hours``, and ``session_max_days`` after sign-in whatever happens (for someone
the directory vouched for, ``directory_session_hours``: a change of groups there reaches
the controller at the next sign-in).

Access tokens carry their session's id (``sid``) and are refused once it is revoked, so a
sign-out takes effect at the next request, not at the token's expiry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from controller import audit
from controller.models import AuthSession, RefreshToken, User, utcnow
from controller.principal import Principal
from controller.roles import Role
from controller.security import SecretBox, issue_token, new_refresh_token, refresh_digest
from controller.settings import Settings

__all__ = [
    "Refused",
    "Tokens",
    "revoke_all",
    "revoke_by_refresh_token",
    "rotate",
    "session_valid",
    "start",
]


@dataclass(frozen=True)
class Tokens:
    """What a sign-in or a renewal gives the client."""

    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    role: Role
    session_id: uuid.UUID


@dataclass(frozen=True)
class Refused:
    """Why a refresh token was not honoured; ``revoked``: the session was ended because of it
    (the caller commits that before answering 401)."""

    reason: str
    revoked: bool = False


def _lifetimes(settings: Settings) -> tuple[timedelta, timedelta, timedelta]:
    return (
        timedelta(minutes=settings.token_ttl_minutes),
        timedelta(hours=settings.refresh_idle_hours),
        timedelta(days=settings.session_max_days),
    )


def _issue(
    session: AsyncSession, box: SecretBox, settings: Settings, user: User, auth: AuthSession, now: datetime
) -> Tokens:
    access_ttl, idle, _ = _lifetimes(settings)
    refresh, digest = new_refresh_token()
    refresh_expires = min(now + idle, auth.expires_at)
    session.add(
        RefreshToken(session_id=auth.id, token_hash=digest, issued_at=now, expires_at=refresh_expires)
    )
    access, _ = issue_token(
        box,
        user.username,
        user.role,
        access_ttl,
        user_id=user.id,
        version=user.token_version,
        session_id=auth.id,
    )
    return Tokens(
        access_token=access,
        expires_in=int(access_ttl.total_seconds()),
        refresh_token=refresh,
        refresh_expires_in=int((refresh_expires - now).total_seconds()),
        role=Role(user.role),
        session_id=auth.id,
    )


async def start(
    session: AsyncSession, box: SecretBox, settings: Settings, user: User, client: str | None
) -> Tokens:
    """A new sign-in for ``user`` (already authenticated by the caller)."""
    now = utcnow()
    _, _, longest = _lifetimes(settings)
    if user.source != "local":  # groups change in the directory: ask it again after a working day
        longest = min(longest, timedelta(hours=settings.directory_session_hours))
    auth = AuthSession(
        id=uuid.uuid4(),
        user_id=user.id,
        user_version=user.token_version,
        created_at=now,
        expires_at=now + longest,
        last_used_at=now,
        client=(client or "")[:200] or None,
    )
    session.add(auth)
    return _issue(session, box, settings, user, auth, now)


async def rotate(
    session: AsyncSession, box: SecretBox, settings: Settings, presented: str
) -> Tokens | Refused:
    """The next tokens for a refresh token, or why not (a reuse revokes the session here)."""
    now = utcnow()
    row = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == refresh_digest(presented))
    )
    if row is None:
        return Refused("the refresh token is not known")
    auth = await session.get(AuthSession, row.session_id)
    user = await session.get(User, auth.user_id) if auth is not None else None
    if auth is None or user is None:
        return Refused("the refresh token is not known")
    if auth.revoked_at is not None:
        return Refused("the session was signed out")
    if row.used_at is not None:
        _revoke(auth, "refresh_reuse", now)
        audit.record(
            session,
            Principal(name=user.username, role=Role(user.role)),
            "auth.refresh_reuse",
            "auth_session",
            str(auth.id),
            {"username": user.username, "token_used_at": row.used_at.isoformat()},
        )
        return Refused("the refresh token was already used; the session is ended, sign in again", True)
    if now >= row.expires_at or now >= auth.expires_at:
        return Refused("the session expired; sign in again")
    if user.disabled or user.token_version != auth.user_version:
        _revoke(auth, "credentials_changed", now)
        return Refused("the account was disabled or its password changed; sign in again", True)
    row.used_at = now
    auth.last_used_at = now
    return _issue(session, box, settings, user, auth, now)


def _revoke(auth: AuthSession, reason: str, now: datetime) -> None:
    if auth.revoked_at is None:
        auth.revoked_at, auth.revoked_reason = now, reason


async def revoke_by_refresh_token(session: AsyncSession, presented: str) -> AuthSession | None:
    """Sign-out: the session of this refresh token ends (used or not: either proves the
    holder signed in on this device). None when the token is not known."""
    row = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == refresh_digest(presented))
    )
    auth = await session.get(AuthSession, row.session_id) if row is not None else None
    if auth is not None:
        _revoke(auth, "signed_out", utcnow())
    return auth


async def revoke_all(session: AsyncSession, user_id: uuid.UUID, reason: str) -> int:
    """Every open session of the user ends (sign out everywhere, a new password, a disable)."""
    result = await session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def session_valid(session: AsyncSession, session_id: uuid.UUID) -> bool:
    """Whether a sign-in is still open (access tokens issued from it are then honoured)."""
    row = (
        await session.execute(
            select(AuthSession.revoked_at, AuthSession.expires_at).where(AuthSession.id == session_id)
        )
    ).one_or_none()
    return row is not None and row.revoked_at is None and utcnow() < row.expires_at

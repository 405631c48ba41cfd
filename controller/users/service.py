"""Users, logins and API keys."""

from __future__ import annotations

import hmac
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from controller import audit
from controller.errors import Conflict, InvalidInput, NotFound, Unauthorized
from controller.models import ApiKey, Grant, Unit, User, utcnow
from controller.principal import Principal
from controller.roles import Role
from controller.scope import Grant as ScopeGrant
from controller.security import (
    DUMMY_HASH,
    SecretBox,
    TokenClaims,
    api_key_digest,
    hash_password_async,
    issue_token,
    new_api_key,
    split_api_key,
    verify_password_async,
)
from controller.units.service import unit_from_body
from controller.users import sessions as auth_sessions
from controller.users.schemas import ApiKeyCreate, GrantIn, UserCreate, UserUpdate


async def _grant_rows(session: AsyncSession, wanted: list[GrantIn], field: str) -> list[Grant]:
    """Grant rows for the wanted (role, unit) pairs; an unknown unit is the caller's input."""
    rows: dict[tuple[str, uuid.UUID | None], Grant] = {}
    for i, g in enumerate(wanted):
        unit = await unit_from_body(session, g.unit, field=f"{field}.{i}.unit") if g.unit else None
        key = (g.role.value, unit.id if unit else None)
        rows.setdefault(key, Grant(role=g.role.value, unit_id=key[1], unit=unit))
    return list(rows.values())


def _summary(grants: list[Grant]) -> list[str]:
    return [f"{g.role}@{g.unit.code if g.unit else 'province'}" for g in grants]


async def create_user(session: AsyncSession, data: UserCreate, actor: Principal) -> User:
    if await session.scalar(select(User.id).where(User.username == data.username)):
        raise Conflict(f"user {data.username!r} already exists", field="username")
    grants = await _grant_rows(session, data.wanted_grants(), "grants" if data.grants else "role")
    user = User(
        username=data.username,
        full_name=data.full_name,
        role=grants[0].role,
        password_hash=await hash_password_async(data.password),
        grants=grants,
    )
    session.add(user)
    await session.flush()
    audit.record(
        session,
        actor,
        "user.create",
        "user",
        str(user.id),
        {"username": user.username, "role": user.role, "grants": _summary(grants)},
    )
    return user


async def list_users(session: AsyncSession) -> list[User]:
    return list(await session.scalars(select(User).order_by(User.username)))


async def list_api_keys(session: AsyncSession) -> list[ApiKey]:
    return list(await session.scalars(select(ApiKey).order_by(ApiKey.created_at)))


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    return user


def _province_admin(grants: list[Grant]) -> bool:
    return any(g.role == Role.admin.value and g.unit_id is None for g in grants)


async def _active_admins(session: AsyncSession) -> int:
    """Enabled users who administer the whole province (who can still fix anything)."""
    return int(
        await session.scalar(
            select(func.count(func.distinct(Grant.user_id)))
            .join(User, User.id == Grant.user_id)
            .where(Grant.role == Role.admin.value, Grant.unit_id.is_(None), User.disabled.is_(False))
        )
        or 0
    )


async def update_user(session: AsyncSession, user: User, data: UserUpdate, actor: Principal) -> User:
    changes = data.model_dump(exclude_unset=True)
    directory_owned = {"password", "grants", "role", "unit"} & changes.keys()
    if user.source != "local" and directory_owned:
        raise Conflict(
            f"{user.username} signs in with the directory ({user.source}): the password and the grants "
            "come from there (its groups, through the group file); only full_name and disabled change here",
            field=sorted(directory_owned)[0],
        )
    new_grants: list[Grant] | None = None
    if data.grants is not None:
        new_grants = await _grant_rows(session, data.grants, "grants")
    elif data.role is not None:
        new_grants = await _grant_rows(session, [GrantIn(role=data.role, unit=data.unit)], "role")
    losing_admin = _province_admin(user.grants) and (
        (new_grants is not None and not _province_admin(new_grants)) or changes.get("disabled") is True
    )
    if losing_admin and not user.disabled and await _active_admins(session) <= 1:
        raise Conflict("this is the last active admin; create another admin first")
    summary: dict[str, object] = {}
    if new_grants is not None:
        user.grants = new_grants
        user.role = new_grants[0].role
        summary["grants"] = _summary(new_grants)
    for key, value in changes.items():
        if key in ("grants", "role", "unit"):
            continue
        if value is None and key != "full_name":
            raise InvalidInput(f"{key} cannot be cleared", field=key)
        if key == "password":
            user.password_hash = await hash_password_async(value)
            user.token_version += 1  # every token issued with the old password is refused
            await auth_sessions.revoke_all(session, user.id, "password_changed")
            summary["password_changed"] = True
        elif key == "disabled":
            if value and not user.disabled:
                user.token_version += 1  # enabling the account again does not revive them
                await auth_sessions.revoke_all(session, user.id, "disabled")
            user.disabled = value
            summary[key] = value
        else:
            setattr(user, key, value)
            summary[key] = value
    await session.flush()
    audit.record(session, actor, "user.update", "user", str(user.id), {"username": user.username} | summary)
    return user


async def delete_user(session: AsyncSession, user: User, actor: Principal) -> None:
    if _province_admin(user.grants) and not user.disabled and await _active_admins(session) <= 1:
        raise Conflict("this is the last active admin; create another admin first")
    audit.record(session, actor, "user.delete", "user", str(user.id), {"username": user.username})
    await session.delete(user)


WRONG_LOGIN = "wrong user name or password, or the account is disabled"


async def verify_login(session: AsyncSession, username: str, password: str) -> User:
    """The local user a name and password prove, else Unauthorized (the same time and words
    for an unknown name, a wrong password, a disabled account and a directory user, who has
    no password here)."""
    user = await session.scalar(select(User).where(User.username == username))
    local = user is not None and user.source == "local"
    ok = await verify_password_async(user.password_hash if user and local else DUMMY_HASH, password)
    if user is None or not local or not ok or user.disabled:
        raise Unauthorized(WRONG_LOGIN)
    return user


async def is_local_account(session: AsyncSession, username: str) -> bool:
    """Whether this name is a local account (checked here, never by the directory)."""
    source = await session.scalar(select(User.source).where(User.username == username))
    return source == "local"


async def sign_out_everywhere(session: AsyncSession, user: User, actor: Principal) -> int:
    """Every sign-in of the user ends and every access token issued to it is refused."""
    user.token_version += 1
    ended = await auth_sessions.revoke_all(session, user.id, "signed_out_everywhere")
    audit.record(
        session,
        actor,
        "user.sign_out_everywhere",
        "user",
        str(user.id),
        {"username": user.username, "sessions": ended},
    )
    return ended


def user_token(box: SecretBox, user: User, ttl: timedelta) -> tuple[str, datetime]:
    """An access token for ``user`` as it is now: its id and token version go into the token."""
    return issue_token(box, user.username, user.role, ttl, user_id=user.id, version=user.token_version)


async def principal_from_token(session: AsyncSession, claims: TokenClaims) -> Principal | None:
    """Re-read the user so that disabling, re-roling or a new password takes effect at once,
    and the sign-in the token came from, so that a sign-out does too."""
    user = await session.get(User, claims.user_id)
    if user is None or user.disabled or user.token_version != claims.version:
        return None
    if claims.session_id is not None and not await auth_sessions.session_valid(session, claims.session_id):
        return None
    return user_principal(user)


def user_principal(user: User) -> Principal:
    """The user as the controller authorises them: each grant's role over its unit's subtree."""
    grants = tuple(
        ScopeGrant(Role(g.role), g.unit.path if g.unit else None, g.unit.code if g.unit else None)
        for g in user.grants
    )
    return Principal(name=user.username, role=Role(user.role), grants=grants)


async def token_still_valid(session: AsyncSession, user_id: uuid.UUID, version: int) -> bool:
    """Whether a token issued to ``user_id`` at ``version`` would still be accepted (its expiry aside)."""
    row = (
        await session.execute(select(User.disabled, User.token_version).where(User.id == user_id))
    ).one_or_none()
    return row is not None and not row.disabled and row.token_version == version


async def api_key_still_valid(session: AsyncSession, prefix: str) -> bool:
    revoked = (await session.execute(select(ApiKey.revoked_at).where(ApiKey.prefix == prefix))).one_or_none()
    return revoked is not None and revoked.revoked_at is None


async def principal_from_api_key(session: AsyncSession, key: str) -> Principal | None:
    prefix = split_api_key(key)
    if prefix is None:
        return None
    row = await session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.key_hash, api_key_digest(key)):
        return None
    now = utcnow()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now
    unit = await session.get(Unit, row.unit_id) if row.unit_id else None
    grant = ScopeGrant(Role(row.role), unit.path if unit else None, unit.code if unit else None)
    return Principal(name=row.name, role=Role(row.role), kind="api_key", view=row.view, grants=(grant,))


async def create_api_key(session: AsyncSession, data: ApiKeyCreate, actor: Principal) -> tuple[ApiKey, str]:
    key, prefix, digest = new_api_key()
    unit = await unit_from_body(session, data.unit) if data.unit else None
    row = ApiKey(
        name=data.name,
        prefix=prefix,
        key_hash=digest,
        role=data.role.value,
        created_by=actor.label,
        view=data.view,
        unit_id=unit.id if unit else None,
    )
    session.add(row)
    await session.flush()
    audit.record(
        session,
        actor,
        "api_key.create",
        "api_key",
        str(row.id),
        {
            "name": row.name,
            "role": row.role,
            "prefix": prefix,
            "view": row.view,
            "unit": unit.code if unit else None,
        },
    )
    return row, key


async def revoke_api_key(session: AsyncSession, key_id: uuid.UUID, actor: Principal) -> ApiKey:
    row = await session.get(ApiKey, key_id)
    if row is None:
        raise NotFound(f"API key {key_id} does not exist")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(session, actor, "api_key.revoke", "api_key", str(row.id), {"name": row.name})
    return row

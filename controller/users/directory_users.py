"""The user row of someone the directory (LDAP/AD or the SSO portal) vouched for.

The directory is the truth about a directory user: each sign-in writes the name and the
grants its groups give (`GroupMap`), so a move to another district's group or out of every
mapped group takes effect at the next sign-in. Someone in no mapped group gets no access: a
clear 403 (``directory.no_access``), written to the audit log by the caller, and any earlier
sign-in of theirs ends.

A directory name never takes over a local account: local accounts are the break-glass
admins, and a directory that can create ``admin`` must not thereby own it.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from controller import audit
from controller.errors import Forbidden
from controller.models import Grant, Unit, User
from controller.principal import SYSTEM, Principal
from controller.roles import Role
from controller.users import sessions as auth_sessions
from controller.users.directory import DirectoryPerson
from controller.users.group_map import GroupMap

__all__ = ["NoAccess", "sign_in"]

log = logging.getLogger(__name__)

NO_PASSWORD = "!directory"  # never a valid Argon2 hash: a directory user has no password here


_WHY = {
    "directory.no_access": "you are signed in with the directory, but none of your groups gives access "
    "to diemcau; ask the province's administrator to add your group",
    "directory.name_taken": "a local account already has this name; ask the province's administrator",
    "directory.disabled": "an administrator has disabled this account in diemcau",
}


class NoAccess(Forbidden):
    """The directory vouched for the person, but they may not in: no mapped group, a name
    that is a local account's, or an account an administrator disabled here."""

    def __init__(self, person: DirectoryPerson, *, code: str = "directory.no_access") -> None:
        super().__init__(_WHY[code], code=code, username=person.username)
        self.username = person.username
        self.groups = person.groups


async def _grants(session: AsyncSession, person: DirectoryPerson, groups: GroupMap) -> list[Grant]:
    rows: dict[tuple[str, object], Grant] = {}
    for wanted in groups.grants_for(person.groups):
        unit = None
        if wanted.unit is not None:
            unit = await session.scalar(select(Unit).where(Unit.code == wanted.unit))
            if unit is None:
                log.warning(
                    "directory group maps to unit %s, which does not exist; grant skipped", wanted.unit
                )
                continue
        key = (wanted.role.value, unit.id if unit else None)
        rows.setdefault(key, Grant(role=wanted.role.value, unit_id=key[1], unit=unit))
    return list(rows.values())


def _same(old: list[Grant], new: list[Grant]) -> bool:
    return {(g.role, g.unit_id) for g in old} == {(g.role, g.unit_id) for g in new}


def _refused(session: AsyncSession, person: DirectoryPerson, refusal: NoAccess) -> NoAccess:
    audit.record(
        session,
        SYSTEM,  # as for a lockout: the person holds no role here
        "login.no_access",
        "user",
        person.username,
        {
            "username": person.username,
            "source": person.source,
            "code": refusal.extra["code"],
            "groups": list(person.groups[:50]),
        },
    )
    return refusal


async def sign_in(session: AsyncSession, person: DirectoryPerson, groups: GroupMap) -> User | NoAccess:
    """The user row for ``person``, created or brought up to date; or, when none of their
    groups is mapped, the refusal to raise once this transaction (the audit record, and the
    end of their earlier sign-ins) is committed."""
    user = await session.scalar(select(User).where(User.username == person.username))
    if user is not None and user.source == "local":
        return _refused(session, person, NoAccess(person, code="directory.name_taken"))
    if user is not None and user.disabled:  # an administrator locked the account here
        return _refused(session, person, NoAccess(person, code="directory.disabled"))
    grants = await _grants(session, person, groups)
    if not grants:
        if user is not None:  # its grants stay on the row, unused: no sign-in reaches them
            user.token_version += 1
            await auth_sessions.revoke_all(session, user.id, "directory_no_access")
        return _refused(session, person, NoAccess(person))
    if user is None:
        user = User(username=person.username, role=grants[0].role, password_hash=NO_PASSWORD, grants=grants)
        session.add(user)
    elif not _same(user.grants, grants):
        user.grants = grants
        user.role = grants[0].role
    user.source = person.source
    user.full_name = person.full_name or user.full_name
    await session.flush()
    actor = Principal(name=person.username, role=Role(user.role))
    audit.record(
        session,
        actor,
        "login.directory",
        "user",
        str(user.id),
        {
            "username": person.username,
            "source": person.source,
            "grants": [f"{g.role}@{g.unit.code if g.unit else 'province'}" for g in grants],
        },
    )
    return user

"""The province's directory as the sign-in code sees it: who it vouched for, what it means
when it cannot answer, and the configured ways to reach it (LDAP/AD, the SSO portal) with
the file that turns its groups into grants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from controller.errors import Unavailable

if TYPE_CHECKING:
    from controller.users.group_map import GroupMap
    from controller.users.ldap_directory import LdapDirectory
    from controller.users.oidc import OidcClient

__all__ = ["Directory", "DirectoryPerson", "DirectoryUnavailable"]


@dataclass(frozen=True)
class DirectoryPerson:
    """Who the directory says signed in, and the groups it says they are in."""

    username: str
    full_name: str | None
    groups: tuple[str, ...]
    source: str  # "ldap" | "oidc"


class DirectoryUnavailable(Unavailable):
    """The directory or the portal did not answer as it should: an outage, never a wrong
    password. ``why`` is for the operator's log, not for the person signing in."""

    def __init__(self, why: str) -> None:
        super().__init__(
            "the province's directory cannot be reached now; try again shortly "
            "(a local administrator account still signs in)",
            retry_after=30,
            code="directory.unavailable",
        )
        self.why = why


@dataclass(frozen=True)
class Directory:
    """What is configured; both off (the default) means local accounts only."""

    ldap: LdapDirectory | None = None
    oidc: OidcClient | None = None
    groups: GroupMap | None = None

"""Password sign-in against the province's LDAP or Active Directory.

The usual three steps of every LDAP-backed product (Grafana, GitLab, Zabbix): the service
account finds the one entry whose ``user_filter`` matches the typed name (escaped as RFC 4515
says, so a name cannot widen the filter), a bind as that entry checks the password, and the
user's groups are read (a group search, or the ``memberOf`` attribute). Wrong name and wrong
password look the same to the caller. An empty password is refused before any bind: LDAP
treats a simple bind with a DN and no password as an anonymous bind that *succeeds*
(RFC 4513 section 5.1.2).

A directory that cannot be reached, is too slow (``timeout_s``), or refuses the service
account is an outage (`DirectoryUnavailable`, 503), never a wrong password: the user must
not be told their password is wrong, and the local break-glass admin still signs in.

ldap3 is synchronous; each sign-in runs in a worker thread, bounded by the login throttle.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from urllib.parse import urlsplit

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from controller import templates
from controller.directory_settings import LdapSettings
from controller.users.directory import DirectoryPerson, DirectoryUnavailable

__all__ = ["LdapDirectory"]

log = logging.getLogger(__name__)

INVALID_CREDENTIALS = 49  # RFC 4511 resultCode


def _first(values: object) -> str | None:
    if isinstance(values, list | tuple):
        return str(values[0]) if values else None
    return str(values) if values not in (None, "") else None


class LdapDirectory:
    def __init__(self, settings: LdapSettings) -> None:
        self.settings = settings
        parts = urlsplit(settings.url)
        secure = parts.scheme == "ldaps"
        tls = None
        if secure or settings.start_tls:
            tls = ldap3.Tls(
                validate=ssl.CERT_REQUIRED,
                ca_certs_file=str(settings.ca_file) if settings.ca_file else None,
            )
        self.server = ldap3.Server(
            parts.hostname or "",
            port=parts.port or (636 if secure else 389),
            use_ssl=secure,
            tls=tls,
            get_info=ldap3.NONE,
            connect_timeout=self.settings.timeout_s,
        )

    async def authenticate(self, username: str, password: str) -> DirectoryPerson | None:
        """The person for this name and password; None when either is wrong;
        DirectoryUnavailable when the directory cannot say."""
        if not password:
            return None
        return await asyncio.to_thread(self._authenticate, username, password)

    def _open(self, user: str | None, password: str | None) -> ldap3.Connection:
        conn = ldap3.Connection(
            self.server,
            user=user,
            password=password,
            read_only=True,
            receive_timeout=self.settings.timeout_s,
            raise_exceptions=False,
        )
        conn.open()  # raises LDAPSocketOpenError (caught by the caller) when nothing answers
        if conn.closed:
            raise DirectoryUnavailable(f"cannot connect to {self.settings.url}")
        if self.settings.start_tls and not conn.start_tls():
            raise DirectoryUnavailable(f"StartTLS refused by {self.settings.url}: {conn.result}")
        return conn

    async def lookup(self, username: str) -> DirectoryPerson | None:
        """The person with this name and their groups, as the service account sees them (no
        password: what an administrator checks the group file with)."""
        return await asyncio.to_thread(self._authenticate, username, None)

    def _authenticate(self, username: str, password: str | None) -> DirectoryPerson | None:
        cfg = self.settings
        try:
            service = self._open(
                cfg.bind_dn, cfg.bind_password.get_secret_value() if cfg.bind_password else None
            )
            try:
                if not service.bind():
                    raise DirectoryUnavailable(
                        f"the service account was refused: {service.result['description']}"
                    )
                found = self._find(service, username)
                if found is None:
                    return None
                dn, attributes = found
                if password is not None and not self._password_ok(dn, password):
                    return None
                groups = self._groups(service, dn, attributes)
            finally:
                service.unbind()
        except (LDAPException, OSError) as exc:
            raise DirectoryUnavailable(f"{type(exc).__name__}: {exc}") from None
        return DirectoryPerson(username, _first(attributes.get(cfg.name_attribute)), groups, "ldap")

    def _find(self, conn: ldap3.Connection, username: str) -> tuple[str, dict[str, object]] | None:
        cfg = self.settings
        wanted = [cfg.name_attribute] + ([] if cfg.group_base else [cfg.group_attribute])
        query = templates.render(cfg.user_filter, {"username": escape_filter_chars(username)})
        if not conn.search(cfg.user_base, query, ldap3.SUBTREE, attributes=wanted, size_limit=2):
            if conn.result["result"] not in (0, 32):  # success with no entries, noSuchObject
                raise DirectoryUnavailable(f"user search failed: {conn.result['description']}")
            return None
        entries = [e for e in conn.response or [] if e.get("type") == "searchResEntry"]
        if len(entries) != 1:  # nobody, or a filter that matches two people: not a sign-in
            if len(entries) > 1:
                log.warning("ldap user_filter matches %d entries for one name", len(entries))
            return None
        return str(entries[0]["dn"]), dict(entries[0].get("attributes") or {})

    def _password_ok(self, dn: str, password: str) -> bool:
        user = self._open(dn, password)
        try:
            if user.bind():
                return True
            if user.result["result"] == INVALID_CREDENTIALS:
                return False
            raise DirectoryUnavailable(f"bind as the user failed: {user.result['description']}")
        finally:
            user.unbind()

    def _groups(self, conn: ldap3.Connection, dn: str, attributes: dict[str, object]) -> tuple[str, ...]:
        cfg = self.settings
        if not cfg.group_base:
            values = attributes.get(cfg.group_attribute) or []
            return tuple(str(v) for v in (values if isinstance(values, list) else [values]))
        query = templates.render(cfg.group_filter, {"dn": escape_filter_chars(dn)})
        if not conn.search(cfg.group_base, query, ldap3.SUBTREE, attributes=[]):
            if conn.result["result"] not in (0, 32):
                raise DirectoryUnavailable(f"group search failed: {conn.result['description']}")
            return ()
        return tuple(str(e["dn"]) for e in conn.response or [] if e.get("type") == "searchResEntry")

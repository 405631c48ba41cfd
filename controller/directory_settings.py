"""The settings of the province's directory: LDAP / Active Directory and the SSO portal
(OpenID Connect). Apart from `controller.settings` only because they are a world of their
own: URLs that must not send passwords in clear, and filter templates with one placeholder.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from controller import templates

__all__ = ["LdapSettings", "OidcSettings"]


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


class LdapSettings(BaseModel):
    """The province's LDAP or Active Directory (``DIEMCAU_LDAP`` as JSON): the controller finds
    the user with a service account, binds as the user to check the password, and reads the
    user's groups (``controller.users.ldap_directory``)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="ldaps://HOST[:PORT], or ldap://HOST[:PORT] with start_tls")
    start_tls: bool = Field(default=False, description="StartTLS on an ldap:// URL before any bind")
    ca_file: Path | None = Field(default=None, description="CA bundle for the directory's certificate")
    bind_dn: str | None = Field(default=None, max_length=500, description="Service account (none: anonymous)")
    bind_password: SecretStr | None = Field(default=None, description="never returned or logged")
    user_base: str = Field(min_length=1, max_length=500, description="e.g. ou=people,dc=tinh,dc=vn")
    user_filter: str = Field(
        default="(uid={username})",
        max_length=500,
        description="Active Directory: (sAMAccountName={username})",
    )
    name_attribute: str = Field(default="cn", max_length=64, description="Active Directory: displayName")
    group_base: str | None = Field(
        default=None, max_length=500, description="Search groups here; none: read group_attribute"
    )
    group_filter: str = Field(
        default="(&(objectClass=groupOfNames)(member={dn}))",
        max_length=500,
        description="Active Directory, nested groups: (member:1.2.840.113556.1.4.1941:={dn})",
    )
    group_attribute: str = Field(default="memberOf", max_length=64)
    timeout_s: int = Field(default=5, ge=1, le=60, description="Connect and reply timeout, seconds")
    allow_plaintext: bool = Field(
        default=False, description="Allow ldap:// without start_tls beyond loopback (passwords in clear)"
    )

    @model_validator(mode="after")
    def _checked(self) -> LdapSettings:
        parts = urlsplit(self.url)
        if parts.scheme not in ("ldap", "ldaps") or not parts.hostname:
            raise ValueError(f"url {self.url!r} must be ldaps://HOST[:PORT] or ldap://HOST[:PORT]")
        plain = parts.scheme == "ldap" and not self.start_tls
        if plain and not self.allow_plaintext and not _loopback(parts.hostname):
            raise ValueError("ldap:// sends passwords in clear: use ldaps://, start_tls, or allow_plaintext")
        for name, placeholder in (("user_filter", "username"), ("group_filter", "dn")):
            if placeholder not in templates.check(getattr(self, name), (placeholder,)):
                raise ValueError(f"{name} must contain {{{placeholder}}}")
        if (self.bind_dn is None) != (self.bind_password is None):
            raise ValueError("bind_dn and bind_password go together")
        return self


class OidcSettings(BaseModel):
    """The province's single sign-on portal (``DIEMCAU_OIDC`` as JSON): OpenID Connect,
    authorization code with PKCE (``controller.users.oidc``)."""

    model_config = ConfigDict(extra="forbid")

    issuer: str = Field(description="https://sso.tinh.vn/realms/tinh (http only on loopback)")
    client_id: str = Field(min_length=1, max_length=200)
    client_secret: SecretStr | None = Field(default=None, description="none: a public client (PKCE only)")
    redirect_uri: str = Field(
        description="This controller's callback as browsers reach it: https://HOST/api/v1/auth/oidc/callback"
    )
    scopes: str = Field(default="openid profile groups", max_length=500)
    username_claim: str = Field(default="preferred_username", max_length=64)
    name_claim: str = Field(default="name", max_length=64)
    groups_claim: str = Field(default="groups", max_length=64)
    label: str = Field(default="SSO", max_length=80, description="What the console's sign-in button says")
    timeout_s: float = Field(default=10, gt=0, le=60)

    @model_validator(mode="after")
    def _checked(self) -> OidcSettings:
        for name in ("issuer", "redirect_uri"):
            parts = urlsplit(getattr(self, name))
            if parts.scheme not in ("https", "http") or not parts.hostname:
                raise ValueError(f"{name} must be an https:// URL")
            if parts.scheme == "http" and not _loopback(parts.hostname):
                raise ValueError(f"{name} must be https:// (http:// only on loopback)")
        if "openid" not in self.scopes.split():
            raise ValueError("scopes must include openid")
        return self

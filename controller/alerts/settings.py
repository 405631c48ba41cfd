"""The mail server alerts go out through (``DIEMCAU_SMTP`` as JSON).

Apart from `controller.settings` for the same reason as the directory's: a world of its own,
with a password that must not cross the network in clear.
"""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

__all__ = ["SmtpSettings"]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SmtpSettings(BaseModel):
    """The province's mail relay (a Zimbra, an Exchange, a Postfix smarthost)."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1, max_length=253, description="mail.tinh.gov.vn")
    port: int | None = Field(default=None, ge=1, le=65535, description="default: 465 for tls, 587 otherwise")
    security: Literal["starttls", "tls", "none"] = Field(
        default="starttls", description="starttls on 587, implicit TLS on 465, none only to loopback"
    )
    username: str | None = Field(default=None, max_length=256)
    password: SecretStr | None = Field(default=None, description="never returned or logged")
    sender: str = Field(
        default="diemcau@localhost",
        max_length=254,
        pattern=r"^[^@\s<>]+@[^@\s<>]+$",
        description="The From address (the relay may require one of its own domain)",
    )
    timeout_s: float = Field(default=15, gt=0, le=120)
    allow_plaintext: bool = Field(
        default=False, description="Allow security none beyond loopback (the password and alerts in clear)"
    )

    @property
    def effective_port(self) -> int:
        return self.port or (465 if self.security == "tls" else 587)

    @model_validator(mode="after")
    def _checked(self) -> SmtpSettings:
        if self.security == "none" and not self.allow_plaintext and not _loopback(self.host):
            raise ValueError(
                "security none sends the password and alerts in clear: use starttls, tls or allow_plaintext"
            )
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together")
        return self

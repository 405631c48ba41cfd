"""Field types and models every feature's schemas share (names, hosts, pages, row errors).

Each feature's own models (XCreate / XUpdate / XPublic) live in its ``schemas.py``.

Validation here is the first of two fences: it rejects control characters and
malformed hosts before anything is stored; the second fence is the dialect
escaping in `endpoints`, applied when a value is sent to a device.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import unicodedata
import uuid
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from controller.netpolicy import allowed_host

_HOSTNAME = re.compile(r"(?=.{1,253}\Z)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")
# An IPv6 zone id (``fe80::1%eth0``) is free text to `ipaddress`: only an interface's name or
# number passes (RFC 6874's unreserved characters).
ZONE_ID = re.compile(r"[A-Za-z0-9._~-]{1,64}")
# Unicode categories that are not text to a reader: controls (Cc: newline, ESC, NEL U+0085),
# format characters (Cf: bidi overrides U+202A-U+202E, isolates U+2066-U+2069, zero-width),
# line and paragraph separators (Zl U+2028, Zp U+2029), lone surrogates (Cs).
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
)


def _hidden(value: str, allowed: str = "") -> str | None:
    return next((c for c in value if unicodedata.category(c) in _HIDDEN and c not in allowed), None)


def _refuse_hidden(value: str, allowed: str) -> str:
    if (c := _hidden(value, allowed)) is not None:
        raise PydanticCustomError(
            "text_hidden",
            "must not contain control characters or invisible formatting: newlines, tabs, line"
            " separators, bidi overrides (found {char})",
            {"char": f"U+{ord(c):04X} {unicodedata.name(c, unicodedata.category(c))}"},
        )
    return value


def no_control(value: str) -> str:
    """The one check of text that reaches devices and logs: names, titles, standard values.

    A device's shell or a log viewer takes U+2028 or U+0085 as a new line, and a bidi
    override shows a technician another name than the one stored."""
    return _refuse_hidden(value, "")


def free_text(value: str) -> str:
    """`no_control` for descriptions and comments, which may span lines and hold tabs."""
    return _refuse_hidden(value, "\n\r\t")


no_nul = free_text  # the former, narrower name (NUL only)


def _host(value: str) -> str:
    value = value.strip()
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        pass
    else:
        zone = getattr(address, "scope_id", None)
        if zone is not None and not ZONE_ID.fullmatch(zone):
            raise PydanticCustomError(
                "host_zone_invalid", "an IPv6 zone id (after %) must be an interface name such as eth0"
            )
        return str(address)
    if _HOSTNAME.fullmatch(value) and not value.replace(".", "").isdigit():
        return value.lower().rstrip(".")
    raise PydanticCustomError("host_invalid", "must be an IPv4/IPv6 address or a DNS host name")


def _host_key(value: str) -> str:
    parts = value.strip().split()
    if len(parts) < 2 or parts[0] not in _KEY_TYPES:
        raise PydanticCustomError(
            "host_key_format",
            "must be an OpenSSH public key line ({types} <base64>)",
            {"types": ", ".join(_KEY_TYPES)},
        )
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise PydanticCustomError("host_key_base64", "the key's base64 part is not valid base64") from None
    if parts[0].encode() not in blob[:40]:
        raise PydanticCustomError("host_key_type", "the key's type does not match its base64 body")
    return f"{parts[0]} {parts[1]}"


def _sip_uri(value: str) -> str:
    value = value.strip()
    if re.fullmatch(r"(sips?:)?[A-Za-z0-9._+\-]+@[A-Za-z0-9.\-]+(:\d{1,5})?", value):
        return value
    if re.fullmatch(r"\+?\d{2,20}", value):  # H.323 E.164 alias
        return value
    raise PydanticCustomError("sip_uri_invalid", "must be a SIP URI (sip:user@domain) or an E.164 number")


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=128),
    AfterValidator(no_control),
]
Host = Annotated[
    str, StringConstraints(min_length=1, max_length=255), AfterValidator(_host), AfterValidator(allowed_host)
]
Port = Annotated[int, Field(ge=1, le=65535)]
Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[^\s]+$"),
    AfterValidator(no_control),
]
DevicePassword = Annotated[str, StringConstraints(min_length=1, max_length=128), AfterValidator(no_control)]
ProfileId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
HostKey = Annotated[str, StringConstraints(max_length=8192), AfterValidator(_host_key)]
SipUri = Annotated[str, StringConstraints(max_length=255), AfterValidator(_sip_uri)]


Text = Annotated[str, StringConstraints(max_length=2000), AfterValidator(free_text)]
UnitRef = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), AfterValidator(no_control)
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UnitBrief(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "b2d4e6f8-1a3c-4e5f-8a7b-9c0d1e2f3a4b",
                    "code": "23134",
                    "name": "Xã Tân Lập",
                    "level": "commune",
                }
            ]
        }
    )
    id: uuid.UUID
    code: str
    name: str
    level: str


T = TypeVar("T")


def _page_example(schema: dict[str, Any], cls: type[Any]) -> None:
    """A page holding the first example of its item model (``Page[EndpointPublic]``)."""
    args = getattr(cls, "__pydantic_generic_metadata__", {}).get("args") or ()
    extra = getattr(args[0], "model_config", {}).get("json_schema_extra") if args else None
    items = extra.get("examples") if isinstance(extra, dict) else None
    if isinstance(items, list) and items:
        schema["examples"] = [{"items": items[:1], "total": 1, "limit": 100, "offset": 0}]


class Page(BaseModel, Generic[T]):
    model_config = ConfigDict(json_schema_extra=_page_example)
    items: list[T]
    total: int
    limit: int
    offset: int


class RowError(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "line": 7,
                    "field": "unit",
                    "reason": "no unit with this code",
                    "value": "23999",
                    "code": "unit.unknown",
                    "params": {},
                }
            ]
        }
    )
    line: int = Field(description="Line number in the file (the header is line 1)")
    field: str | None
    reason: str = Field(description="In English; a console words `code` with `params` instead")
    value: str | None = Field(default=None, description="The offending value (never for secrets)")
    code: str = Field(
        default="invalid", description="Stable: what is wrong (e.g. unit.unknown, value.string_too_long)"
    )
    params: dict[str, str | int | float] = Field(default_factory=dict, description="The code's details")


class ImportReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rows": 124,
                    "valid": 123,
                    "imported": 0,
                    "errors": [
                        {
                            "line": 7,
                            "field": "unit",
                            "reason": "no unit with this code",
                            "value": "23999",
                            "code": "unit.unknown",
                            "params": {},
                        }
                    ],
                }
            ]
        }
    )
    rows: int
    valid: int
    imported: int
    errors: list[RowError]

"""Pydantic schemas at the API edge, named XCreate / XUpdate / XPublic.

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
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from controller.netpolicy import allowed_host
from controller.roles import Role

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
        raise ValueError(
            "must not contain control characters or invisible formatting: newlines, tabs, line"
            f" separators, bidi overrides (found U+{ord(c):04X} {unicodedata.name(c, unicodedata.category(c))})"
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
            raise ValueError("an IPv6 zone id (after %) must be an interface name such as eth0")
        return str(address)
    if _HOSTNAME.fullmatch(value) and not value.replace(".", "").isdigit():
        return value.lower().rstrip(".")
    raise ValueError("must be an IPv4/IPv6 address or a DNS host name")


def _host_key(value: str) -> str:
    parts = value.strip().split()
    if len(parts) < 2 or parts[0] not in _KEY_TYPES:
        raise ValueError(f"must be an OpenSSH public key line ({', '.join(_KEY_TYPES)} <base64>)")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the key's base64 part is not valid base64") from None
    if parts[0].encode() not in blob[:40]:
        raise ValueError("the key's type does not match its base64 body")
    return f"{parts[0]} {parts[1]}"


def _sip_uri(value: str) -> str:
    value = value.strip()
    if re.fullmatch(r"(sips?:)?[A-Za-z0-9._+\-]+@[A-Za-z0-9.\-]+(:\d{1,5})?", value):
        return value
    if re.fullmatch(r"\+?\d{2,20}", value):  # H.323 E.164 alias
        return value
    raise ValueError("must be a SIP URI (sip:user@domain) or an E.164 number")


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


class EndpointCreate(Strict):
    name: Name
    unit: UnitRef = Field(description="Unit code or id")
    host: Host
    port: Port = 22
    username: Username
    password: DevicePassword = Field(description="Write-only; stored encrypted, never returned")
    profile: ProfileId
    host_key: HostKey | None = Field(
        default=None, description="OpenSSH public key; else learned on first contact"
    )
    sip_uri: SipUri | None = None
    description: Text | None = None


class EndpointUpdate(Strict):
    name: Name | None = None
    unit: UnitRef | None = None
    host: Host | None = None
    port: Port | None = None
    username: Username | None = None
    password: DevicePassword | None = None
    profile: ProfileId | None = None
    host_key: HostKey | None = None
    sip_uri: SipUri | None = None
    description: Text | None = None


class UnitBrief(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    level: str


class EndpointPublic(BaseModel):
    id: uuid.UUID
    name: str
    unit: UnitBrief
    host: str
    port: int
    username: str
    profile: str
    host_key: str | None
    host_key_source: str | None
    sip_uri: str | None
    description: str | None
    state: str
    model: str | None
    firmware_version: str | None
    last_contact_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ProbeResult(BaseModel):
    reachable: bool
    model: str | None = None
    firmware_version: str | None = None
    serial: str | None = None
    host_key_learned: bool = False
    error_type: str | None = Field(default=None, description="auth_failed, hostkey_mismatch, timeout, ...")
    error: str | None = None


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class RowError(BaseModel):
    line: int = Field(description="Line number in the file (the header is line 1)")
    field: str | None
    reason: str
    value: str | None = Field(default=None, description="The offending value (never for secrets)")


class ImportReport(BaseModel):
    rows: int
    valid: int
    imported: int
    errors: list[RowError]


class UnitCreate(Strict):
    code: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$"),
    ]
    name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
        AfterValidator(no_control),
    ]
    level: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[a-z_]+$"),
    ]
    parent: UnitRef | None = None


class UnitUpdate(Strict):
    name: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
            AfterValidator(no_control),
        ]
        | None
    ) = None
    level: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[a-z_]+$"),
        ]
        | None
    ) = None


class UnitPublic(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    level: str
    parent_id: uuid.UUID | None
    depth: int
    created_at: datetime
    updated_at: datetime


class UnitNode(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    level: str
    endpoints: int = Field(description="Endpoints registered in this unit's whole subtree")
    children: list[UnitNode] = []


class ProvinceImport(Strict):
    province: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
        AfterValidator(no_control),
    ]


class UnitImportReport(BaseModel):
    created: int
    updated: int
    root: UnitBrief


class UserCreate(Strict):
    username: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$"),
    ]
    password: Annotated[str, StringConstraints(min_length=8, max_length=256)]
    role: Role
    full_name: Annotated[str, StringConstraints(max_length=200), AfterValidator(no_control)] | None = None


class UserUpdate(Strict):
    password: Annotated[str, StringConstraints(min_length=8, max_length=256)] | None = None
    role: Role | None = None
    full_name: Annotated[str, StringConstraints(max_length=200), AfterValidator(no_control)] | None = None
    disabled: bool | None = None


class UserPublic(BaseModel):
    id: uuid.UUID
    username: str
    full_name: str | None
    role: Role
    disabled: bool
    created_at: datetime
    updated_at: datetime


class ApiKeyCreate(Strict):
    name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=128),
        AfterValidator(no_control),
    ]
    role: Role


class ApiKeyPublic(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    role: Role
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="Shown once; store it now")


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    role: Role


class Me(BaseModel):
    name: str
    role: Role
    kind: str


class AuditPublic(BaseModel):
    id: uuid.UUID
    at: datetime
    actor: str
    actor_role: str
    action: str
    target_type: str
    target_id: str | None
    summary: dict[str, Any]


class ProfilePublic(BaseModel):
    id: str
    summary: dict[str, Any]


class JobTarget(Strict):
    unit: UnitRef | None = Field(default=None, description="A unit's whole subtree (id or code)")
    endpoints: list[uuid.UUID] | None = Field(default=None, max_length=5000)
    profile: ProfileId | None = None


class ProvisionCreate(JobTarget):
    mode: Literal["plan", "apply"] = "plan"
    concurrency: int = Field(default=250, ge=1, le=1000)


class CameraProvisionCreate(Strict):
    """Cameras to bring to the stream standard: a unit's subtree and/or listed cameras."""

    unit: UnitRef | None = Field(default=None, description="A unit's whole subtree (id or code)")
    cameras: list[uuid.UUID] | None = Field(default=None, max_length=5000)
    mode: Literal["plan", "apply"] = "plan"
    concurrency: int = Field(default=50, ge=1, le=500)


class JobPublic(BaseModel):
    id: uuid.UUID
    kind: str
    mode: str
    status: str
    target: dict[str, Any]
    params: dict[str, Any]
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    message: str | None
    total: int
    counts: dict[str, int]


class JobItemPublic(BaseModel):
    id: uuid.UUID
    endpoint_id: uuid.UUID | None
    camera_id: uuid.UUID | None = Field(default=None, description="Set on a camera provisioning item")
    endpoint_name: str = Field(description="The endpoint's or the camera's name")
    wave: int
    status: str
    plan: list[dict[str, Any]]
    written: list[str]
    message: str | None
    error_code: str | None
    transcript: str | None = Field(description="The device exchange; admin and technician only (else null)")
    started_at: datetime | None
    finished_at: datetime | None


class StandardValue(Strict):
    value: Annotated[str, StringConstraints(min_length=1, max_length=500), AfterValidator(no_control)]


class StandardPublic(BaseModel):
    unit: str = Field(description="Unit code, or * for the whole province")
    key: str
    value: str


class CampaignCreate(JobTarget):
    profile: ProfileId = Field(description="A campaign upgrades one firmware family")
    version: Annotated[str, StringConstraints(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")] | None = Field(
        default=None, description="Default: the profile's target"
    )
    canary: int = Field(default=3, ge=1, le=50)
    wave_size: int = Field(default=25, ge=1, le=250)
    max_failure_rate: float = Field(default=0.2, ge=0, le=1)
    canary_max_failures: int = Field(default=0, ge=0, le=50)
    window: Annotated[str, StringConstraints(pattern=r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$")] | None = Field(
        default=None, description="Daily maintenance window in local time, e.g. 22:00-05:00"
    )
    timezone: Annotated[str, StringConstraints(max_length=64)] = "Asia/Ho_Chi_Minh"
    per_unit_level: Annotated[str, StringConstraints(max_length=32, pattern=r"^[a-z_]+$")] | None = Field(
        default=None, description="Share download slots per unit of this level (e.g. district)"
    )
    per_unit_limit: int = Field(default=1, ge=1, le=50)
    hostkey_policy: Literal["accept", "hold"] = Field(
        default="hold",
        description="A host key that changed across the upgrade: hold it for approval (default), "
        "or accept it (an impostor that reports the target version would be pinned; audited)",
    )
    timeout_s: float | None = Field(default=None, gt=0, le=7200)
    poll_s: float = Field(default=5, gt=0, le=300)

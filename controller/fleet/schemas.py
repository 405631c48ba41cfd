"""The endpoint registry's request and response models."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from controller.fields import (
    DevicePassword,
    Host,
    HostKey,
    Name,
    Port,
    ProfileId,
    SipUri,
    Strict,
    Text,
    UnitBrief,
    UnitRef,
    Username,
)


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
    host_key_pending: bool = Field(default=False, description="A new SSH host key awaits approval")
    host_key_fingerprint: str | None = Field(
        default=None, description="SHA256 of the pinned key (ssh-keygen -l)"
    )
    pending_host_key_fingerprint: str | None = Field(
        default=None, description="SHA256 of the key awaiting approval: compare it with the device's own"
    )
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

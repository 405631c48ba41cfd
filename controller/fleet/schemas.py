"""The endpoint registry's request and response models."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "UBND-XA-TANLAP",
                    "unit": "23134",
                    "host": "10.68.134.21",
                    "port": 22,
                    "username": "admin",
                    "password": "********",
                    "profile": "cisco-roomos",
                    "sip_uri": "sip:23134@mcu.lamdong.gov.vn",
                    "description": "Phòng họp trực tuyến UBND xã Tân Lập",
                }
            ]
        }
    )
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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"host": "10.68.134.22", "description": "Chuyển sang phòng họp tầng 2"}]
        }
    )
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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5a8f2c3e-9b47-4d16-a0e2-7c3b1f9d4e58",
                    "name": "UBND-XA-TANLAP",
                    "unit": {
                        "id": "b2d4e6f8-1a3c-4e5f-8a7b-9c0d1e2f3a4b",
                        "code": "23134",
                        "name": "Xã Tân Lập",
                        "level": "commune",
                    },
                    "host": "10.68.134.21",
                    "port": 22,
                    "username": "admin",
                    "profile": "cisco-roomos",
                    "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJZsJOyolJc9FWmSjsBJzkQIm4zSOpNNFYQgpUsXW2UH",
                    "host_key_source": "tofu",
                    "sip_uri": "sip:23134@mcu.lamdong.gov.vn",
                    "description": "Phòng họp trực tuyến UBND xã Tân Lập",
                    "state": "online",
                    "host_key_pending": False,
                    "host_key_fingerprint": "SHA256:ByRKTk848OZ1/9OnDRdAxA7z3Mp4H401L97SYDTbqkQ",
                    "pending_host_key_fingerprint": None,
                    "model": "Cisco Room Kit",
                    "firmware_version": "ce11.14.1.5",
                    "last_contact_at": "2026-12-07T08:59:30+07:00",
                    "created_at": "2026-07-01T09:15:00+07:00",
                    "updated_at": "2026-11-20T14:02:11+07:00",
                }
            ]
        }
    )
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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reachable": True,
                    "model": "Cisco Room Kit",
                    "firmware_version": "ce11.14.1.5",
                    "serial": "FOC2417N0ZX",
                    "host_key_learned": True,
                    "error_type": None,
                    "error": None,
                }
            ]
        }
    )
    reachable: bool
    model: str | None = None
    firmware_version: str | None = None
    serial: str | None = None
    host_key_learned: bool = False
    error_type: str | None = Field(default=None, description="auth_failed, hostkey_mismatch, timeout, ...")
    error: str | None = None

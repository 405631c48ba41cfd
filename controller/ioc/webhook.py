"""One event, one HTTPS POST, signed; the receiver's answer decides delivered or retry."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import ConfigDict, Field, StringConstraints

from camera.netpolicy import AddressRefused
from camera.urls import redact
from controller.ioc import signing
from controller.ioc.kinds import Address, SenderContext, SinkKind
from controller.ioc.schemas import SinkCreateBase
from controller.ioc.signing import signature_headers
from controller.models import OutboxEvent, Sink

__all__ = ["KIND", "WebhookSender", "WebhookSinkCreate", "event_body"]

Secret = Annotated[str, StringConstraints(min_length=10, max_length=200, pattern=r"^whsec_[A-Za-z0-9+/=]+$")]


def event_body(event: OutboxEvent) -> bytes:
    """The JSON a receiver gets: Standard Webhooks' type / timestamp / data, plus the entity."""
    return json.dumps(
        {
            "id": event.id,
            "type": event.type,
            "timestamp": event.at.isoformat(),
            "entity": {"type": event.entity_type, "id": event.entity_id, "unit_path": event.unit_path},
            "data": event.payload,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


class WebhookSender:
    def __init__(self, url: str, secret: str, client: httpx.AsyncClient) -> None:
        self.url, self._secret, self.client = url, secret, client

    async def open(self) -> None:
        """Nothing to open: each event is its own request on the shared client."""

    async def send(self, event: OutboxEvent) -> tuple[bool, int | None, str | None]:
        """(delivered, HTTP status, error). 2xx is delivered; anything else is retried."""
        body = event_body(event)
        headers: dict[str, Any] = {"content-type": "application/json"}
        headers |= signature_headers(self._secret, f"msg_{event.id}", int(time.time()), body)
        try:
            r = await self.client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return False, None, redact(f"{type(exc).__name__}: {exc}")[:500]
        except AddressRefused as exc:  # the client's transport resolved the name to a refused address
            return False, None, str(exc)[:500]
        if 200 <= r.status_code < 300:
            return True, r.status_code, None
        return False, r.status_code, f"HTTP {r.status_code}"

    async def aclose(self) -> None:
        """The HTTP client is the dispatcher's, shared by every webhook sink."""


class WebhookSinkCreate(SinkCreateBase):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "IOC tỉnh Lâm Đồng",
                    "kind": "webhook",
                    "url": "https://ioc.lamdong.gov.vn/hooks/diemcau",
                    "event_types": ["endpoint.state", "alarm.raised", "alarm.cleared"],
                    "enabled": True,
                    "unit": None,
                    "from_start": False,
                }
            ]
        }
    )
    kind: Literal["webhook"] = "webhook"
    secret: Secret | None = Field(default=None, description="whsec_<base64>; absent: one is generated")


def _address(url: str) -> Address:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("must be https://host/...")
    return Address(parts.hostname, parts.scheme == "http")


def _secret(data: WebhookSinkCreate) -> tuple[str, str]:
    """The signing secret: the one given, or a new one; shown once so the receiver can verify."""
    secret = data.secret or signing.new_secret()
    return secret, secret


def _sender(sink: Sink, secret: str | None, ctx: SenderContext) -> WebhookSender:
    return WebhookSender(sink.url, secret or "", ctx.client)


KIND = SinkKind(
    name="webhook",
    create=WebhookSinkCreate,
    secure_scheme="https",
    address=_address,
    secret=_secret,
    sender=_sender,
)

"""One event, one HTTPS POST, signed; the receiver's answer decides delivered or retry."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from camera.netpolicy import AddressRefused
from camera.urls import redact
from controller.ioc.signing import signature_headers
from controller.models import OutboxEvent

__all__ = ["WebhookSender", "event_body"]


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

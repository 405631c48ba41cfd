"""A message to a chat webhook (Mattermost, Rocket.Chat, Slack-compatible): the digest's words
as ``text``, the alarms as data, signed like the IOC's webhooks so the receiver can check it."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx

from camera.netpolicy import AddressRefused
from camera.urls import redact
from controller.alerts.digest import Digest
from controller.alerts.email import DeliveryFailed
from controller.ioc.signing import signature_headers

__all__ = ["chat_body", "send_chat"]


def chat_body(
    digest: Digest, notification_id: uuid.UUID, stage: str, alarms: list[dict[str, Any]], ack_url: str | None
) -> bytes:
    return json.dumps(
        {
            "id": str(notification_id),
            "stage": stage,
            "text": f"{digest.subject}\n\n{digest.text}",
            "subject": digest.subject,
            "ack_url": ack_url,
            "alarms": alarms,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


async def send_chat(
    client: httpx.AsyncClient, url: str, secret: str, notification_id: uuid.UUID, body: bytes
) -> None:
    """2xx is delivered; anything else raises for a retry. The message id is the notification's,
    the same on every retry, so a receiver can drop a duplicate."""
    headers = {"content-type": "application/json"}
    headers |= signature_headers(secret, f"alert_{notification_id}", int(time.time()), body)
    try:
        r = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(redact(f"{type(exc).__name__}: {exc}")[:500]) from None
    except AddressRefused as exc:
        raise DeliveryFailed(str(exc)[:500]) from None
    if not 200 <= r.status_code < 300:
        raise DeliveryFailed(f"HTTP {r.status_code}")

"""The acknowledgement link in a message: the notification's id, signed.

The link is the credential (a technician on a phone has no console token at hand), so it
does one thing: acknowledge the alarms of its own message, once, before it expires. Opening
it shows a page with a button; only the button's POST acknowledges, because mail scanners
and link previews open every link they see.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

from controller.security import SecretBox

__all__ = ["link_token", "read_token"]

_PURPOSE = "alert-ack-link"
_MAC_BYTES = 16


def _mac(box: SecretBox, notification_id: uuid.UUID) -> bytes:
    key = box.derived_key(_PURPOSE)
    return hmac.new(key, notification_id.bytes, hashlib.sha256).digest()[:_MAC_BYTES]


def link_token(box: SecretBox, notification_id: uuid.UUID) -> str:
    raw = notification_id.bytes + _mac(box, notification_id)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_token(box: SecretBox, token: str) -> uuid.UUID | None:
    """The notification a token names, or None for anything not signed by this controller."""
    if len(token) > 64:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return None
    if len(raw) != 16 + _MAC_BYTES:
        return None
    notification_id = uuid.UUID(bytes=raw[:16])
    if not hmac.compare_digest(raw[16:], _mac(box, notification_id)):
        return None
    return notification_id

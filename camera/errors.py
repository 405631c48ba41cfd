"""What the camera library raises for its callers, each error meaning one thing.

Third-party libraries raise what they like: aiortc refuses a malformed SDP offer with
``ValueError``, ``KeyError``, ``IndexError`` or its own ``InvalidAccessError`` depending on
where its parser stops. The relay translates those in one place (``Relay.answer``), so a
caller (the WHEP route) catches these errors and nothing broader: a fault of ours still
surfaces as one, not as "your offer is bad".
"""

from __future__ import annotations

from camera.playability import Unplayable

__all__ = ["CameraError", "OfferRefused", "RelayFull", "StreamUnplayable"]


class CameraError(Exception):
    """Base of the camera library's own errors."""


class StreamUnplayable(CameraError):
    """The camera sends what a browser cannot play over this relay (`camera.playability`)."""

    def __init__(self, why: Unplayable) -> None:
        super().__init__(why.detail)
        self.why = why


class RelayFull(CameraError):
    """Viewer limits reached; ``scope`` is ``user`` (the viewer's owner), ``camera`` or ``total``."""

    def __init__(self, scope: str, limit: int) -> None:
        super().__init__(f"{scope} viewer limit ({limit}) reached")
        self.scope, self.limit = scope, limit


class OfferRefused(CameraError):
    """An SDP offer the relay cannot answer: malformed, or nothing in common with it.
    ``kind`` names what the WebRTC library raised, for the log and the caller's message."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"the SDP offer cannot be answered ({kind})")
        self.kind = kind

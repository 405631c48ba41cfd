"""Whether a browser can play a camera's stream through our relay, and if not, why.

The relay forwards the camera's packets without transcoding (`camera.relay`), so what the
camera sends is what the browser must decode. Browsers' WebRTC decodes H.264 everywhere
(RFC 7742 makes it mandatory) but H.265 only in recent builds with a hardware decoder
(Chrome 136+, Safari 18+), and aiortc, our relay, sends only VP8 and H.264; its H.264 receivers
assume pictures arrive in display order: with B-frames the jitter buffer shows a few
pictures per second and stutters while 25 arrive. Offering such a stream would give a black
tile that says "Connecting…" forever, so it is refused with its reason instead, and health
raises it as a problem a technician can fix at the camera (H.264 baseline/main, no B-frames,
on the sub-stream; ONVIF provisioning sets exactly that).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CODEC_NAMES", "PLAYABLE_CODECS", "Unplayable", "judge"]

PLAYABLE_CODECS = frozenset({"h264"})
# FFmpeg's codec names as operators know them.
CODEC_NAMES = {"h264": "H.264", "hevc": "H.265", "mjpeg": "MJPEG", "mpeg4": "MPEG-4 Part 2"}
FIX = (
    "set the camera's sub-stream to H.264 baseline or main profile without B-frames "
    "(B-frames are a setting of the camera's web page: ONVIF Media1 has none)"
)


@dataclass(frozen=True)
class Unplayable:
    """``code``: ``codec`` (not H.264) or ``b_frames`` (H.264 with pictures out of order)."""

    code: str
    codec: str  # as operators name it: H.265, H.264 ...
    detail: str

    def as_dict(self) -> dict[str, str]:
        """The fields a problem response or a health record adds to its own detail."""
        return {"reason": self.code, "codec": self.codec, "fix": FIX}


def judge(codec: str, reordered: int) -> Unplayable | None:
    """None when the relay can give the stream to a browser as it is."""
    name = CODEC_NAMES.get(codec, codec.upper())
    if codec not in PLAYABLE_CODECS:
        return Unplayable(
            "codec", name, f"the camera sends {name}; the relay passes H.264 only, which every browser plays"
        )
    if reordered:
        return Unplayable(
            "b_frames", name, "the camera sends H.264 with B-frames; browsers show them out of order"
        )
    return None

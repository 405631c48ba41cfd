"""Decoding one keyframe to pixels, and pixels to a JPEG: for snapshots and analytics.

Only keyframes are ever decoded (an IDR decodes on its own, with the
stream's SPS/PPS), so a snapshot or a health sample costs one frame's decode
however long the GOP is. CPU-bound: callers run these off the event loop.
"""

from __future__ import annotations

from typing import cast

import av
import cv2
import numpy as np
from av.video.codeccontext import VideoCodecContext

from camera.ingest import MediaPacket, StreamInfo

__all__ = ["decode_keyframe", "to_jpeg"]


def decode_keyframe(packet: MediaPacket, info: StreamInfo) -> np.ndarray:
    """The keyframe as a BGR image; ValueError when it does not decode."""
    # A camera's video stream: its codec (h264, hevc) makes a video decoder.
    ctx = cast(VideoCodecContext, av.CodecContext.create(info.codec, "r"))
    if info.extradata:
        ctx.extradata = info.extradata
    ctx.skip_frame = "NONKEY"
    try:
        frames = ctx.decode(av.Packet(packet.data)) + ctx.decode(None)
    except av.FFmpegError as exc:
        raise ValueError(f"keyframe does not decode: {exc}") from None
    if not frames:
        raise ValueError("keyframe gave no picture")
    return frames[0].to_ndarray(format="bgr24")


def to_jpeg(image: np.ndarray, max_width: int | None = None, quality: int = 80) -> bytes:
    if max_width and image.shape[1] > max_width:
        height = round(image.shape[0] * max_width / image.shape[1])
        image = cv2.resize(image, (max_width, height), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()

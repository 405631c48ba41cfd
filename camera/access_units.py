"""Whole pictures out of demuxed packets: one access unit per picture, keyframes self-contained.

FFmpeg's RTSP demuxer hands out what its parser cut, and its H.264 parser starts a new
packet at every SPS. A camera that repeats its parameter sets before each slice of an IDR
picture (several slices per picture, as encoders with slice threads make them) therefore
arrives as several "keyframe" packets with one timestamp; each holds a slice, none the
picture. Cached, snapshotted or relayed one by one, they give a quarter of a picture or
none (a browser's depacketizer ends a frame at each RTP marker bit).

`AccessUnits` joins a packet to the picture before it when its first slice does not start
a picture (H.264 ``first_mb_in_slice`` ≠ 0, H.265 ``first_slice_segment_in_pic_flag`` = 0)
and its timestamp is the same. Only keyframes are held back for that (until the next
packet shows whether it continues them): the split only happens at IDR pictures, and a
held keyframe costs the viewer one frame interval once per GOP, not on every frame.

A camera that announces its SPS/PPS only in the SDP (``sprop-parameter-sets``) sends
keyframes a decoder cannot start from; FFmpeg keeps those sets as the stream's extradata,
and they are put in front of every keyframe that lacks them, so the keyframe cache, a
snapshot and a browser joining at any keyframe all have what they need.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from camera.ingest import MediaPacket

__all__ = ["AccessUnits", "nal_types", "parameter_sets"]

START = b"\x00\x00\x01"


def _units(data: bytes) -> Iterator[int]:
    """Offsets of each NAL unit's header in an Annex B byte stream."""
    at = data.find(START)
    while at >= 0:
        yield at + 3
        at = data.find(START, at + 3)


def _h264_type(data: bytes, at: int) -> int:
    return data[at] & 0x1F


def _h265_type(data: bytes, at: int) -> int:
    return (data[at] >> 1) & 0x3F


def nal_types(data: bytes, codec: str) -> list[int]:
    """The NAL unit types of an Annex B packet, in order (``codec`` as FFmpeg names it)."""
    kind = _h265_type if codec == "hevc" else _h264_type
    return [kind(data, at) for at in _units(data) if at < len(data)]


def _starts_picture(data: bytes, codec: str) -> bool | None:
    """Whether the packet's first slice starts a picture; None when it carries no slice."""
    for at in _units(data):
        if codec == "hevc":
            if at + 2 < len(data) and _h265_type(data, at) <= 31:  # VCL: 0..31
                return bool(data[at + 2] & 0x80)  # first_slice_segment_in_pic_flag
        elif at + 1 < len(data) and 1 <= _h264_type(data, at) <= 5:  # coded slices
            return bool(data[at + 1] & 0x80)  # first_mb_in_slice is ue(v): '1' means 0
    return None


# NAL types of the parameter sets a decoder needs before a keyframe.
_PARAMETER_SETS = {"h264": {7, 8}, "hevc": {32, 33, 34}}
_AUD = {"h264": 9, "hevc": 35}


def parameter_sets(extradata: bytes | None, codec: str) -> bytes | None:
    """The stream's parameter sets as Annex B, when its extradata holds them in that form
    (FFmpeg's RTSP demuxer turns ``sprop-parameter-sets`` into exactly that); else None."""
    wanted = _PARAMETER_SETS.get(codec)
    if not extradata or wanted is None or not extradata.startswith((START, b"\x00" + START)):
        return None
    return extradata if wanted <= set(nal_types(extradata, codec)) else None


class AccessUnits:
    """Per pull: packets in, whole pictures out (see the module doc). Not thread-safe: one
    demux thread owns it."""

    def __init__(self, codec: str, extradata: bytes | None) -> None:
        self.codec = codec
        self._sets = parameter_sets(extradata, codec)
        self._wanted = _PARAMETER_SETS.get(codec, set())
        self._held: MediaPacket | None = None
        self.joined = 0  # packets joined to the picture before them
        self.injected = 0  # keyframes given the SDP's parameter sets

    def push(self, packet: MediaPacket) -> list[MediaPacket]:
        """What is complete now that ``packet`` arrived, in order (zero, one or two pictures)."""
        held = self._held
        if held is not None and self._continues(held, packet):
            self._held = replace(held, data=held.data + packet.data, pts=_first(held.pts, packet.pts))
            self.joined += 1
            return []
        out = [] if held is None else [self._complete(held)]
        self._held = None
        if packet.keyframe:
            self._held = packet
        else:
            out.append(packet)
        return out

    def flush(self) -> list[MediaPacket]:
        """The held keyframe, if any (the pull ended or stalled after it)."""
        held, self._held = self._held, None
        return [] if held is None else [self._complete(held)]

    def _continues(self, held: MediaPacket, packet: MediaPacket) -> bool:
        same_time = held.pts is None or packet.pts is None or held.pts == packet.pts
        return same_time and _starts_picture(packet.data, self.codec) is False

    def _complete(self, key: MediaPacket) -> MediaPacket:
        if self._sets is None or self._wanted <= set(nal_types(key.data, self.codec)):
            return key
        self.injected += 1
        data = key.data
        units = list(_units(data))
        # An access unit delimiter stays first (H.264 7.4.1.2.3, H.265 7.4.2.4.4).
        if len(units) > 1 and nal_types(data[units[0] - 3 : units[1] - 3], self.codec) == [_AUD[self.codec]]:
            cut = units[1] - 3 - (1 if data[units[1] - 4 : units[1] - 3] == b"\x00" else 0)
            return replace(key, data=data[:cut] + self._sets + data[cut:])
        return replace(key, data=self._sets + data)


def _first(a: int | None, b: int | None) -> int | None:
    return a if a is not None else b

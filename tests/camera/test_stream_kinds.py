"""What real desk cameras send, pulled from the RTSP simulator's stream kinds: parameter sets
only in the SDP, four slices per picture, B-frames, H.265, AAC audio beside the video.

Each keyframe the source caches must be one whole picture that decodes on its own (no
extradata given to the decoder), and what a browser cannot play must be named."""

from __future__ import annotations

import asyncio
import dataclasses

import numpy as np
import pytest

from camera.access_units import AccessUnits, nal_types
from camera.frames import decode_keyframe
from camera.ingest import CameraSource, MediaPacket
from camera.playability import judge
from camera.sim.process import CameraSimProcess
from tests.support.waiting import PATIENT_S, until

KINDS = {
    "plain": "h264",
    "sdp": "sdp-only",
    "slices": "multi-slice",
    "b": "bframes",
    "hevc": "h265",
    "aac": "aac",
}


@pytest.fixture(scope="module")
def cams():
    with CameraSimProcess(names=list(KINDS), fps=25, streams=KINDS) as sim:
        yield sim


async def pulled(cams, name: str, keyframes: int = 2) -> CameraSource:
    """A source that has streamed ``keyframes`` keyframes (one after its first) of camera ``name``."""
    src = CameraSource(name, cams.urls[name], open_timeout_s=5, read_timeout_s=5, backoff_base_s=0.2)
    async with src.subscribe(queue_size=500):
        await until(lambda: src.stats.keyframes >= keyframes, seconds=PATIENT_S, what=f"{name}: keyframes")
        await asyncio.sleep(0.3)  # a few pictures after the last keyframe
    return src


def alone(key: MediaPacket, src: CameraSource) -> np.ndarray:
    """The keyframe decoded with nothing but its own bytes (no extradata from the SDP)."""
    return decode_keyframe(key, dataclasses.replace(src.info, extradata=None))


async def test_parameter_sets_only_in_the_sdp_are_put_before_every_keyframe(cams):
    src = await pulled(cams, "sdp")
    try:
        key = src.gop()[0]
        assert key.keyframe and src.info.codec == "h264"
        types = nal_types(key.data, "h264")
        assert {7, 8, 5} <= set(types), types
        assert types.index(7) < types.index(5) and types.index(8) < types.index(5)
        assert types[0] == 9, types  # the access unit delimiter stays first
        assert alone(key, src).shape == (360, 640, 3)
        assert judge(src.info.codec, src.stats.reordered) is None
    finally:
        await src.stop()


async def test_a_keyframe_of_four_slices_is_cached_as_one_picture(cams):
    src = await pulled(cams, "slices")
    try:
        key = src.gop()[0]
        assert nal_types(key.data, "h264").count(5) == 4  # four IDR slices, one picture
        assert all(p.pts != q.pts for p, q in zip(src.gop(), src.gop()[1:], strict=False))
        image = alone(key, src)
        # a picture of one slice out of four leaves three quarters grey (128): none here
        quarters = [image[i * 90 : (i + 1) * 90].std() for i in range(4)]
        assert min(quarters) > 5, quarters
    finally:
        await src.stop()


async def test_b_frames_are_seen_and_named(cams):
    src = await pulled(cams, "b")
    try:
        assert src.stats.reordered > 0
        why = judge(src.info.codec, src.stats.reordered)
        assert why is not None and why.code == "b_frames" and why.codec == "H.264"
        assert alone(src.gop()[0], src).shape == (360, 640, 3)  # snapshots still work
    finally:
        await src.stop()


async def test_h265_is_named_unplayable_and_still_snapshots(cams):
    src = await pulled(cams, "hevc")
    try:
        assert src.info.codec == "hevc"
        why = judge(src.info.codec, src.stats.reordered)
        assert why is not None and why.code == "codec" and why.codec == "H.265"
        assert alone(src.gop()[0], src).shape == (360, 640, 3)
    finally:
        await src.stop()


@pytest.mark.parametrize("name", ["plain", "aac"])
async def test_plain_h264_with_or_without_audio_plays(cams, name):
    src = await pulled(cams, name)
    try:
        assert src.info.codec == "h264" and src.stats.reordered == 0
        assert judge(src.info.codec, 0) is None
        rates = src.stats.rates(window_s=10)
        assert 20 <= rates["fps"] <= 30, rates  # the camera's 25 fps, video only
    finally:
        await src.stop()


def packet(data: bytes, pts: int | None, key: bool) -> MediaPacket:
    return MediaPacket(data, pts, pts, time_base=None, keyframe=key, received=0.0)  # type: ignore[arg-type]


SPS, PPS = b"\x00\x00\x00\x01\x67\x42\xc0\x1e", b"\x00\x00\x00\x01\x68\xce\x3c\x80"


def test_slices_join_only_their_own_picture():
    """first_mb_in_slice: '1' (the first bit) is 0, a picture's first slice; '01..' is not."""
    units = AccessUnits("h264", None)
    first = packet(SPS + PPS + b"\x00\x00\x01\x65\x88\x84", None, True)  # IDR, first slice
    second = packet(SPS + PPS + b"\x00\x00\x01\x65\x40\x84", 0, True)  # IDR, a later slice
    other = packet(b"\x00\x00\x01\x41\x9a\x00", 3600, False)  # the next picture
    assert units.push(first) == [] and units.push(second) == []
    out = units.push(other)
    assert [p.data for p in out] == [first.data + second.data, other.data] and out[0].pts == 0
    assert units.joined == 1
    # a later slice with another timestamp is not part of the held picture
    units.push(packet(b"\x00\x00\x01\x65\x88", 7200, True))
    assert len(units.push(packet(b"\x00\x00\x01\x65\x40", 10800, True))) == 1


def test_parameter_sets_go_after_the_delimiter_and_only_where_missing():
    units = AccessUnits("h264", SPS + PPS)
    units.push(packet(b"\x00\x00\x00\x01\x09\xf0\x00\x00\x00\x01\x65\x88", 0, True))
    [key] = units.flush()
    assert nal_types(key.data, "h264") == [9, 7, 8, 5]
    units.push(packet(SPS + PPS + b"\x00\x00\x01\x65\x88", 3600, True))
    [already] = units.flush()
    assert nal_types(already.data, "h264") == [7, 8, 5] and units.injected == 1

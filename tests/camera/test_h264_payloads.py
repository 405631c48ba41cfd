"""The relay's H.264 RTP payloads, read back by aiortc's depacketizer (RFC 6184 as a browser
reads it): the same NAL units come out, and every fragment of a unit is one size."""

from __future__ import annotations

import struct

from aiortc.codecs.h264 import H264PayloadDescriptor

from camera.h264_payloads import PAYLOAD_MAX, nal_units, payloads

SPS = bytes([0x67, 0x42, 0xC0, 0x1F, 0xDA, 0x01, 0x40, 0x16, 0xEC, 0x04, 0x40])
PPS = bytes([0x68, 0xCE, 0x3C, 0x80])
SEI = bytes([0x06, 0x05, 0x10]) + bytes(16) + b"\x80"


def unit(kind: int, size: int, nri: int = 0x60) -> bytes:
    return bytes([nri | kind]) + bytes((i * 7 + 3) % 251 for i in range(size - 1))


def depacketize(packets: list[bytes]) -> list[bytes]:
    """Annex B out of aiortc's receiver-side parser, split back into units."""
    stream = b""
    for p in packets:
        _, data = H264PayloadDescriptor.parse(p)
        stream += data
    return list(nal_units(stream))


def test_annex_b_is_split_at_three_and_four_byte_start_codes():
    idr = unit(5, 40)
    stream = b"\x00\x00\x00\x01" + SPS + b"\x00\x00\x01" + PPS + b"\x00\x00\x00\x01" + idr
    assert list(nal_units(stream)) == [SPS, PPS, idr]
    assert list(nal_units(b"")) == [] and list(nal_units(b"\x00\x00\x01")) == []


def test_a_keyframe_is_its_parameter_sets_aggregated_then_equal_fragments():
    idr = unit(5, 9001)
    out = payloads([SPS, PPS, SEI, idr])
    assert out[0][0] & 0x1F == 24  # STAP-A
    (first_len,) = struct.unpack("!H", out[0][1:3])
    assert out[0][3 : 3 + first_len] == SPS
    fragments = out[1:]
    assert all(p[0] & 0x1F == 28 and p[1] & 0x1F == 5 for p in fragments)
    assert [bool(p[1] & 0x80) for p in fragments] == [True] + [False] * (len(fragments) - 1)  # S
    assert [bool(p[1] & 0x40) for p in fragments] == [False] * (len(fragments) - 1) + [True]  # E
    sizes = {len(p) for p in fragments[:-1]}
    assert len(sizes) == 1 and len(fragments[-1]) <= sizes.pop()  # one size, the last no larger
    assert len(fragments) == 7 and all(len(p) <= PAYLOAD_MAX for p in out)
    assert depacketize(out) == [SPS, PPS, SEI, idr]


def test_small_units_share_packets_up_to_the_size_and_count_limits():
    small = [unit(6, 200, nri=0) for _ in range(12)]
    out = payloads(small)
    assert all(len(p) <= PAYLOAD_MAX for p in out)
    assert [p[0] & 0x1F for p in out] == [24, 24]  # six of 200 bytes fill one STAP-A
    assert out[0][0] & 0x60 == 0  # NRI: the highest of its units
    assert depacketize(out) == small
    assert len(payloads([unit(6, 10)] * 20)) == 3  # at most nine units in one STAP-A


def test_a_unit_that_fits_goes_alone_and_the_stap_a_takes_the_highest_importance():
    exact = unit(1, PAYLOAD_MAX, nri=0x20)
    assert payloads([exact]) == [exact]
    assert payloads([exact, unit(1, PAYLOAD_MAX + 1)])[0] == exact
    out = payloads([unit(6, 30, nri=0), PPS])
    assert out[0][0] == 0x60 | 24 and depacketize(out) == [unit(6, 30, nri=0), PPS]
    assert payloads([]) == []

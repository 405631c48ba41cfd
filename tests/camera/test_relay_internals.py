"""The aiortc internals the relay relies on (pyproject pins aiortc to the versions checked here).

The relay hands aiortc pre-encoded packets: it puts its own packer in the sender's private
encoder slot and reuses aiortc's H.264 packetizer. Neither is public API; if an aiortc
release moves them, this file fails first and says what moved, instead of viewers getting
black tiles."""

from __future__ import annotations

import inspect
from importlib.metadata import version

from aiortc.codecs.h264 import H264Encoder
from aiortc.rtcrtpsender import RTCRtpSender

from camera.relay import PayloadCache, install_packer


def test_aiortc_is_a_version_the_relay_was_checked_against():
    major, minor = (int(p) for p in version("aiortc").split(".")[:2])
    assert (major, minor) == (1, 16), f"aiortc {version('aiortc')}: re-check camera/relay.py, then the pin"


def test_the_sender_takes_a_packer_in_its_encoder_slot_and_packs_what_is_not_a_frame():
    source = inspect.getsource(RTCRtpSender._next_encoded_frame)
    assert "self.__encoder is None" in source, "aiortc no longer creates its encoder lazily"
    assert "self.__encoder.pack(data)" in source, "aiortc no longer packs pre-encoded data"

    class Transport:  # the sender only asks its DTLS transport whether it is closed
        state = "new"

    sender = RTCRtpSender("video", transport=Transport())  # type: ignore[arg-type]
    install_packer(sender, PayloadCache())
    assert sender._RTCRtpSender__encoder.cache is not None  # type: ignore[attr-defined]


def test_the_h264_packetizer_splits_annex_b_and_fragments_large_units():
    nal = b"\x65" + bytes(range(256)) * 8  # an IDR slice larger than one RTP packet
    stream = b"\x00\x00\x00\x01\x67\x42\x00\x1f" + b"\x00\x00\x00\x01\x68\xce\x3c\x80" + b"\x00\x00\x01" + nal
    units = list(H264Encoder._split_bitstream(stream))
    assert [u[0] & 0x1F for u in units] == [7, 8, 5]
    payloads = H264Encoder._packetize(units)
    assert payloads[0][0] & 0x1F == 24  # SPS and PPS aggregated (STAP-A)
    assert all(p[0] & 0x1F == 28 for p in payloads[1:]) and len(payloads) > 2  # FU-A fragments
    assert b"".join(p[2:] for p in payloads[1:]) == nal[1:]

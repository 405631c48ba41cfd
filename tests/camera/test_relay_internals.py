"""The aiortc internals the relay relies on (pyproject pins aiortc to the versions checked here).

The relay hands aiortc pre-encoded packets: it puts its own packer in the sender's private
encoder slot, serves the sender from its own fan-out loop (which keeps the sender's report
counters and SRTP session in use) and seals packets into pylibsrtp's session buffer. None of
that is public API; if an aiortc or pylibsrtp release moves it, this file fails first and
says what moved, instead of viewers getting black tiles."""

from __future__ import annotations

import inspect
from importlib.metadata import version

from aiortc.rtcrtpsender import RTCRtpSender

from camera.relay import PayloadCache, install_packer


def test_aiortc_is_a_version_the_relay_was_checked_against():
    major, minor = (int(p) for p in version("aiortc").split(".")[:2])
    assert (major, minor) == (1, 16), f"aiortc {version('aiortc')}: re-check camera/relay.py, then the pin"


async def test_the_sender_takes_a_packer_in_its_encoder_slot_and_packs_what_is_not_a_frame():
    source = inspect.getsource(RTCRtpSender._next_encoded_frame)
    assert "self.__encoder is None" in source, "aiortc no longer creates its encoder lazily"
    assert "self.__encoder.pack(data)" in source, "aiortc no longer packs pre-encoded data"

    class Transport:  # the sender only asks its DTLS transport whether it is closed
        state = "new"

    sender = RTCRtpSender("video", transport=Transport())  # type: ignore[arg-type]
    install_packer(sender, PayloadCache())
    assert sender._RTCRtpSender__encoder.cache is not None  # type: ignore[attr-defined]


def configured_sender():
    """A sender as the relay gets it after negotiation: mid, and the mid and abs-send-time
    header extensions a browser offers."""
    from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpSendParameters

    class Transport:
        state = "new"
        sent: list[bytes] = []

        async def _send_rtp(self, data: bytes) -> None:
            self.sent.append(data)

    sender = RTCRtpSender("video", transport=Transport())  # type: ignore[arg-type]
    params = RTCRtpSendParameters(
        headerExtensions=[
            RTCRtpHeaderExtensionParameters(id=4, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
            RTCRtpHeaderExtensionParameters(
                id=2, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
            ),
        ],
        muxId="0",
    )
    sender._RTCRtpSender__rtp_header_extensions_map.configure(params)  # type: ignore[attr-defined]
    sender._RTCRtpSender__mid = "0"  # type: ignore[attr-defined]
    return sender


async def test_the_fanout_header_is_byte_for_byte_what_aiortc_serializes():
    from aiortc.rtp import RtpPacket

    from camera.rtp_fanout import _Header

    sender = configured_sender()
    header = _Header(sender, 102)
    extensions = sender._RTCRtpSender__rtp_header_extensions_map  # type: ignore[attr-defined]
    for marker, seq, ts, abs_time in (
        (False, 1, 0, 0),
        (True, 65535, 2**32 - 1, 0xABCDEF),
        (False, 7, 90000, 5),
    ):
        packet = RtpPacket(payload_type=102, sequence_number=seq, timestamp=ts)
        packet.ssrc, packet.marker, packet.payload = sender._ssrc, int(marker), b"\x65payload"
        packet.extensions.abs_send_time, packet.extensions.mid = abs_time, "0"
        header.stamp(abs_time)
        assert header.write(marker, seq, ts) + b"\x65payload" == packet.serialize(extensions)


async def test_a_nack_gets_the_packet_again_from_the_fanout_history():
    from aiortc.rtp import RtpPacket

    from camera.rtp_fanout import HISTORY, _Header, _retransmit

    sender = configured_sender()
    header, history = _Header(sender, 102), {}
    for seq in (10, 11):
        history[seq % HISTORY] = (header.write(seq == 11, seq, 3000), bytes([0x41, seq]))
    retransmit = _retransmit(sender, history)
    await retransmit(11)
    await retransmit(12)  # never sent: nothing
    extensions = sender._RTCRtpSender__rtp_header_extensions_map  # type: ignore[attr-defined]
    [again] = [RtpPacket.parse(data, extensions) for data in sender.transport.sent]
    assert (again.sequence_number, again.timestamp, again.marker, again.payload) == (11, 3000, 1, b"\x41\x0b")


async def test_the_private_state_the_fanout_loop_keeps_up_to_date_is_where_it_expects():
    import inspect as _inspect

    from aiortc.rtcdtlstransport import RTCDtlsTransport

    sender = configured_sender()
    for name in (
        "rtp_started", "rtp_exited", "track", "encoder", "rtx_payload_type", "rtx_sequence_number",
        "ntp_timestamp", "rtp_timestamp", "octet_count", "packet_count", "rtp_header_extensions_map", "mid",
    ):  # fmt: skip
        assert hasattr(sender, f"_RTCRtpSender__{name}"), f"RTCRtpSender.__{name} moved"
    dtls = _inspect.getsource(RTCDtlsTransport)
    for needle in ("self._tx_srtp = Session(", "self.__tx_bytes += len(data)", "self.__tx_packets += 1"):
        assert needle in dtls, f"RTCDtlsTransport no longer has {needle!r}"
    from aioice.ice import Connection

    assert "active_pair = self._nominated.get(component)" in _inspect.getsource(Connection.sendto)
    assert "active_pair.protocol.send_data(data, active_pair.remote_addr)" in _inspect.getsource(
        Connection.sendto
    )


def test_the_sealer_protects_as_pylibsrtp_does_and_the_receiver_can_unprotect():
    from pylibsrtp import Policy, Session

    from camera.rtp_fanout import _Sealer

    def session(direction: int) -> Session:
        key = bytes(range(28))
        return Session(
            Policy(key=key, ssrc_type=direction, srtp_profile=Policy.SRTP_PROFILE_AEAD_AES_128_GCM)
        )

    head = bytes([0x80, 0xE6, 0x12, 0x34, 0, 0, 0x0B, 0xB8, 0xCA, 0xFE, 0xBA, 0xBE])
    payload = bytes([0x7C, 0x85]) + bytes(range(256)) * 5
    by_library = session(Policy.SSRC_ANY_OUTBOUND).protect(head + payload)
    sealed = _Sealer(session(Policy.SSRC_ANY_OUTBOUND)).seal(head, payload)
    assert sealed == by_library and len(sealed) == len(head) + len(payload) + 16  # the GCM tag
    assert session(Policy.SSRC_ANY_INBOUND).unprotect(sealed) == head + payload

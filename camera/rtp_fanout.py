"""A viewer's RTP send loop for pre-packetized pictures: rewrite the header, encrypt, send.

aiortc's own loop (``RTCRtpSender._run_rtp``) builds an ``RtpPacket`` object for every
packet, reads the wall clock twice, serializes its header extensions and awaits three
layers (DTLS, ICE, the datagram protocol) before each ``sendto``: about two thirds of what
a relayed viewer costs. A relay sends the same payloads to every viewer of a camera
(``PayloadCache`` packetizes each picture once), so per viewer only a few header fields
differ. This loop keeps one header per viewer, built once by aiortc itself (so the header
extensions it negotiated are laid out by aiortc's own code), and per packet writes the
marker bit, sequence number and timestamp into it, and the abs-send-time once per picture;
then SRTP (libsrtp, through aiortc's session) and the datagram transport of the nominated
ICE pair. What the rest of aiortc reads from the sender is kept up to date: the sender
report counters, and a history for retransmissions asked by NACK (parsed back into an
``RtpPacket`` only then, which is rare).

It replaces ``_run_rtp`` on one sender instance (``install``), before aiortc starts it.
The aiortc internals it touches are named in ``tests/camera/test_relay_internals.py``,
which fails first if an aiortc release moves them (pyproject pins the version).
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Awaitable, Callable
from typing import Any

from aiortc import clock
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RtpPacket, wrap_rtx
from aiortc.utils import random16, random32, uint16_add, uint32_add

log = logging.getLogger("diemcau.relay")

__all__ = ["install"]

HISTORY = 512  # packets kept for NACK: ~3 s at 1.5 Mbit/s, as aiortc's RTP_HISTORY_SIZE (128) is shorter
_SEQ_TS = struct.Struct("!HI")  # sequence number and timestamp, at offset 2 of the RTP header


def _private(sender: RTCRtpSender, name: str) -> Any:
    return getattr(sender, f"_RTCRtpSender__{name}")


def _set_private(sender: RTCRtpSender, name: str, value: Any) -> None:
    setattr(sender, f"_RTCRtpSender__{name}", value)


class _Header:
    """One viewer's RTP header, laid out by aiortc's serializer, with the offsets to rewrite."""

    def __init__(self, sender: RTCRtpSender, payload_type: int) -> None:
        extensions = _private(sender, "rtp_header_extensions_map")

        def serialized(abs_send_time: int) -> bytes:
            packet = RtpPacket(payload_type=payload_type, sequence_number=0, timestamp=0)
            packet.ssrc = sender._ssrc
            packet.extensions.abs_send_time = abs_send_time
            packet.extensions.mid = _private(sender, "mid")
            return packet.serialize(extensions)

        first, second = serialized(0x000000), serialized(0xFFFFFF)
        differ = [i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b]
        self.abs_at = differ[0] if differ else None  # None: abs-send-time was not negotiated
        if differ and differ != [differ[0], differ[0] + 1, differ[0] + 2]:
            raise RuntimeError("unexpected abs-send-time layout from aiortc's serializer")
        self.bytes = bytearray(first)
        self.payload_type = payload_type

    def write(self, marker: bool, sequence: int, timestamp: int) -> bytes:
        header = self.bytes
        header[1] = (0x80 if marker else 0) | self.payload_type
        _SEQ_TS.pack_into(header, 2, sequence, timestamp)
        return bytes(header)

    def stamp(self, abs_send_time: int) -> None:
        if self.abs_at is not None:
            self.bytes[self.abs_at : self.abs_at + 3] = abs_send_time.to_bytes(3, "big")


def install(sender: RTCRtpSender) -> None:
    """Give ``sender`` this loop instead of aiortc's (call before the sender starts)."""
    if not hasattr(sender, "_run_rtp") or not hasattr(sender, "_RTCRtpSender__rtp_exited"):
        raise RuntimeError("this aiortc version has no RTP loop to replace; update camera.rtp_fanout")
    history: dict[int, bytes] = {}
    sender._run_rtp = _run_rtp(sender, history)  # type: ignore[method-assign]
    sender._retransmit = _retransmit(sender, history)  # type: ignore[method-assign]


def _run_rtp(
    sender: RTCRtpSender, history: dict[int, bytes]
) -> Callable[[RTCRtpCodecParameters], Awaitable[None]]:
    async def run(codec: RTCRtpCodecParameters) -> None:
        _private(sender, "rtp_started").set()
        sequence, origin = random16(), random32()
        header = _Header(sender, codec.payloadType)
        dtls = sender.transport
        octets = packets = 0
        try:
            while True:
                frame = await sender._next_encoded_frame(codec)
                if frame is None:
                    continue
                timestamp = uint32_add(origin, frame.timestamp)
                now = clock.current_ntp_time()
                header.stamp((now >> 14) & 0x00FFFFFF)
                srtp = dtls._tx_srtp
                pair = dtls.transport._connection._nominated.get(1)
                if srtp is None or pair is None:
                    raise ConnectionError("not connected")
                last = len(frame.payloads) - 1
                sent = 0
                for i, payload in enumerate(frame.payloads):
                    plain = header.write(i == last, sequence, timestamp) + payload
                    history[sequence % HISTORY] = plain
                    secret = srtp.protect(plain)
                    await pair.protocol.send_data(secret, pair.remote_addr)
                    sent += len(secret)
                    octets += len(payload)
                    sequence = uint16_add(sequence, 1)
                packets += last + 1
                # the transport's own counters (getStats), as its _send_rtp keeps them
                dtls._RTCDtlsTransport__tx_bytes += sent
                dtls._RTCDtlsTransport__tx_packets += last + 1
                # what the sender reports (RTCP SR) and its stats read
                _set_private(sender, "ntp_timestamp", now)
                _set_private(sender, "rtp_timestamp", timestamp)
                _set_private(sender, "octet_count", octets)
                _set_private(sender, "packet_count", packets)
        except (asyncio.CancelledError, ConnectionError, MediaStreamError):
            pass
        except Exception:  # noqa: BLE001 - as aiortc's loop: rtp_exited must be set, or stop() hangs
            log.exception("relay RTP loop failed")
        track = _private(sender, "track")
        if track:
            track.stop()
            _set_private(sender, "track", None)
        _set_private(sender, "encoder", None)
        _private(sender, "rtp_exited").set()

    return run


def _retransmit(sender: RTCRtpSender, history: dict[int, bytes]) -> Callable[[int], Awaitable[None]]:
    async def retransmit(sequence_number: int) -> None:
        """A packet a NACK asked for, again (as RTX when negotiated), as aiortc's own does."""
        plain = history.get(sequence_number % HISTORY)
        if plain is None:
            return
        extensions = _private(sender, "rtp_header_extensions_map")
        packet = RtpPacket.parse(plain, extensions)
        if packet.sequence_number != sequence_number:
            return  # overwritten by a newer packet
        rtx_type = _private(sender, "rtx_payload_type")
        if rtx_type is not None:
            rtx_seq = _private(sender, "rtx_sequence_number")
            packet = wrap_rtx(packet, payload_type=rtx_type, sequence_number=rtx_seq, ssrc=sender._rtx_ssrc)
            _set_private(sender, "rtx_sequence_number", uint16_add(rtx_seq, 1))
        await sender.transport._send_rtp(packet.serialize(extensions))

    return retransmit

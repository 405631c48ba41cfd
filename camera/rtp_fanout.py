"""One task sends a camera's pictures to all its viewers: rewrite the header, encrypt, send.

aiortc runs one RTP loop per sender (``RTCRtpSender._run_rtp``): per picture and viewer a
task wakes, awaits the track, and per packet builds an ``RtpPacket`` object, reads the wall
clock twice, serializes its header extensions and awaits three layers (DTLS, ICE, the
datagram protocol) before each ``sendto``. With forty viewers of one camera that is a
thousand task wake-ups a second for the same bytes. Here a ``Group`` per camera is woken once
per picture and, in one pass, sends it to every viewer: the payloads are the same for all
(``PayloadCache`` packetizes each picture once), so per viewer only the header fields differ.
Each viewer keeps one header, built once by aiortc itself (so the header extensions it
negotiated are laid out by aiortc's own code); per packet the marker bit, sequence number and
timestamp are written into it, and the abs-send-time once per picture; then SRTP (libsrtp,
through aiortc's session) and ``sendto`` on the datagram transport of the nominated ICE pair
(what aioice's ``send_data`` does, for host and TURN pairs alike). What the rest of aiortc
reads from the sender is kept up to date: the sender report counters, and a history for
retransmissions asked by NACK (parsed back into an ``RtpPacket`` only then, which is rare).

Each viewer's own tracks still queue its packets (a late joiner's GOP, a slow viewer skipping
to the next keyframe); the group drains them without a task per viewer. ``install`` replaces
``_run_rtp`` on one sender before aiortc starts it: the sender's loop joins the group and
waits, so aiortc's ``stop()`` ends it as before. The aiortc internals touched are named in
``tests/camera/test_relay_internals.py``, which fails first if an aiortc release moves them
(pyproject pins the version).
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, runtime_checkable

from aiortc import clock
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RtpPacket, wrap_rtx
from aiortc.utils import random16, random32, uint16_add
from pylibsrtp import SRTP_MAX_TRAILER_LEN, Session
from pylibsrtp import _binding as _srtp_binding

from camera.udp_gso import DatagramSender

log = logging.getLogger("diemcau.relay")

_ffi, _srtp_protect, _SRTP_OK = (
    _srtp_binding.ffi,
    _srtp_binding.lib.srtp_protect,
    _srtp_binding.lib.srtp_err_status_ok,
)

__all__ = ["Group", "PolledTrack", "install"]

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


@runtime_checkable
class PolledTrack(Protocol):
    """A track the group can serve without awaiting it (``camera.relay.PacketTrack``)."""

    def poll(self) -> object | None:
        """The next item for the sender's packer, None when nothing is queued; raises
        ``MediaStreamError`` once the track ended."""

    def listen(self, wake: Callable[[], None] | None) -> None:
        """Call ``wake`` whenever an item is queued (None: stop calling)."""


YIELD_AFTER_S = 0.005  # a pass over many viewers gives the event loop a turn this often


class Group:
    """The viewers of one camera, served by one task that wakes once per picture."""

    def __init__(self) -> None:
        self._members: dict[RTCRtpSender, _Member] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.retransmits = 0  # packets sent again on a viewer's NACK: loss on its path

    def wake(self) -> None:
        self._wake.set()

    def _join(self, member: _Member) -> None:
        self._members[member.sender] = member
        member.track.listen(self.wake)
        if self._task is None or self._task.done():  # done: it ended on an error
            self._task = asyncio.create_task(self._serve(), name="relay fan-out")
        self._wake.set()  # what the viewer's queue holds already (the GOP it is replayed)

    def _leave(self, member: _Member) -> None:
        if self._members.pop(member.sender, None) is None:
            return
        member.track.listen(None)
        if not self._members and self._task is not None:
            self._task.cancel()
            self._task = None

    async def _serve(self) -> None:
        wake = self._wake
        while True:
            await wake.wait()
            wake.clear()
            now = clock.current_ntp_time()
            abs_send_time = (now >> 14) & 0x00FFFFFF
            started = time.monotonic()
            for member in list(self._members.values()):
                if member.ended.done() or member.sender not in self._members:
                    continue  # ended, or left while the loop had its turn
                member.drain(now, abs_send_time)
                if time.monotonic() - started > YIELD_AFTER_S:
                    await asyncio.sleep(0)
                    started = time.monotonic()


def install(sender: RTCRtpSender, group: Group) -> None:
    """Serve ``sender`` from ``group`` instead of aiortc's own loop (call before it starts)."""
    if not hasattr(sender, "_run_rtp") or not hasattr(sender, "_RTCRtpSender__rtp_exited"):
        raise RuntimeError("this aiortc version has no RTP loop to replace; update camera.rtp_fanout")
    if not isinstance(sender.track, PolledTrack):
        raise TypeError("the fan-out serves tracks that can be polled (camera.relay.PacketTrack)")
    history: dict[int, tuple[bytes, bytes]] = {}
    sender._run_rtp = _run_rtp(sender, group, history)  # type: ignore[method-assign]
    sender._retransmit = _retransmit(sender, history, group)  # type: ignore[method-assign]


# aiortc's private fields the loop keeps up to date, by their mangled names
_NTP_TIMESTAMP = "_RTCRtpSender__ntp_timestamp"
_RTP_TIMESTAMP = "_RTCRtpSender__rtp_timestamp"
_OCTET_COUNT = "_RTCRtpSender__octet_count"
_PACKET_COUNT = "_RTCRtpSender__packet_count"
_TX_BYTES = "_RTCDtlsTransport__tx_bytes"
_TX_PACKETS = "_RTCDtlsTransport__tx_packets"


class _Member:
    """One viewer's send state: its header, sequence, timestamp origin and counters."""

    def __init__(
        self, sender: RTCRtpSender, codec: RTCRtpCodecParameters, history: dict[int, tuple[bytes, bytes]]
    ) -> None:
        self.sender = sender
        self.track: PolledTrack = sender.track  # type: ignore[assignment]
        self.packer = _private(sender, "encoder")
        if codec.payloadType is None:  # aiortc sends with negotiated codecs: they all have one
            raise ValueError(f"codec {codec.mimeType} has no payload type")
        self.header = _Header(sender, codec.payloadType)
        self.history = history
        self.sequence, self.origin = random16(), random32()
        self.octets = self.packets = 0
        self.sealer: _Sealer | None = None
        self.datagrams: DatagramSender | None = None
        self.ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def drain(self, now: int, abs_send_time: int) -> None:
        """Send whatever the viewer's track has queued; a failure ends this viewer only."""
        try:
            while (item := self.track.poll()) is not None:
                if not self.sender._enabled:
                    continue  # as aiortc: a disabled sender reads its track and drops
                payloads, timestamp = self.packer.pack(item)
                if payloads:
                    self._send(payloads, timestamp, now, abs_send_time)
        except (ConnectionError, MediaStreamError):
            self.end()
        except Exception:  # noqa: BLE001 - as aiortc's loop: this viewer ends, the others go on
            log.exception("relay RTP send failed")
            self.end()

    def end(self) -> None:
        if not self.ended.done():
            self.ended.set_result(None)

    def close(self) -> None:
        if self.datagrams is not None:
            self.datagrams.close()

    def _send(self, payloads: list[bytes], pts: int, now: int, abs_send_time: int) -> None:
        sender, header, history = self.sender, self.header, self.history
        dtls = sender.transport
        srtp = dtls._tx_srtp
        pair = dtls.transport._connection._nominated.get(1)
        if srtp is None or pair is None:
            raise ConnectionError("not connected")
        sealer = self.sealer
        if sealer is None or sealer.session is not srtp:
            sealer = self.sealer = _Sealer(srtp)
        transport = pair.protocol.transport
        datagrams = self.datagrams
        if datagrams is None or datagrams.transport is not transport:
            if datagrams is not None:
                datagrams.close()
            datagrams = self.datagrams = DatagramSender(transport)
        seal = sealer.seal
        timestamp = (self.origin + pts) & 0xFFFFFFFF
        header.stamp(abs_send_time)
        sequence = self.sequence
        last = len(payloads) - 1
        octets = 0
        secrets = []
        for i, payload in enumerate(payloads):
            head = header.write(i == last, sequence, timestamp)
            history[sequence % HISTORY] = (head, payload)
            secrets.append(seal(head, payload))
            octets += len(payload)
            sequence = (sequence + 1) & 0xFFFF
        datagrams.send(secrets, pair.remote_addr)
        sent = sum(map(len, secrets))
        self.sequence = sequence
        self.octets += octets
        self.packets += last + 1
        # the transport's own counters (getStats), as its _send_rtp keeps them
        setattr(dtls, _TX_BYTES, getattr(dtls, _TX_BYTES) + sent)
        setattr(dtls, _TX_PACKETS, getattr(dtls, _TX_PACKETS) + last + 1)
        # what the sender reports (RTCP SR) and its stats read
        setattr(sender, _NTP_TIMESTAMP, now)
        setattr(sender, _RTP_TIMESTAMP, timestamp)
        setattr(sender, _OCTET_COUNT, self.octets)
        setattr(sender, _PACKET_COUNT, self.packets)


class _Sealer:
    """SRTP protection of header + payload straight into the session's own buffer.

    ``pylibsrtp.Session.protect`` takes one ``bytes`` (so header and payload would be joined
    first) and allocates a length cell per call; here both parts are copied into the buffer
    the session already keeps for its calls and libsrtp is called on it. Same library, same
    context: only the copies and allocations around the call are saved.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._context = session._srtp[0]
        self._cdata = session._cdata
        self._buffer = session._buffer
        self._room = len(session._buffer) - SRTP_MAX_TRAILER_LEN
        self._length = _ffi.new("int *")

    def seal(self, head: bytes, payload: bytes) -> bytes:
        size = len(head) + len(payload)
        if size > self._room:
            raise ValueError(f"RTP packet of {size} bytes does not fit SRTP's buffer")
        buffer = self._buffer
        buffer[0 : len(head)] = head
        buffer[len(head) : size] = payload
        self._length[0] = size
        if _srtp_protect(self._context, self._cdata, self._length) != _SRTP_OK:
            raise ConnectionError("SRTP protection failed")
        sealed: bytes = buffer[0 : self._length[0]]
        return sealed


class _RunRtp(Protocol):
    """What stands in for ``RTCRtpSender._run_rtp``: its signature, as aiortc calls it."""

    def __call__(self, codec: RTCRtpCodecParameters) -> Coroutine[Any, Any, None]: ...


class _Retransmit(Protocol):
    """What stands in for ``RTCRtpSender._retransmit``."""

    def __call__(self, sequence_number: int) -> Coroutine[Any, Any, None]: ...


def _run_rtp(sender: RTCRtpSender, group: Group, history: dict[int, tuple[bytes, bytes]]) -> _RunRtp:
    async def run(codec: RTCRtpCodecParameters) -> None:
        _private(sender, "rtp_started").set()
        member = _Member(sender, codec, history)
        group._join(member)
        try:
            await member.ended
        except asyncio.CancelledError:
            pass  # aiortc's stop(): as its own loop, end quietly with rtp_exited set
        finally:
            group._leave(member)
            member.close()
        track = _private(sender, "track")
        if track:
            track.stop()
            _set_private(sender, "track", None)
        _set_private(sender, "encoder", None)
        _private(sender, "rtp_exited").set()

    return run


def _retransmit(
    sender: RTCRtpSender, history: dict[int, tuple[bytes, bytes]], group: Group | None = None
) -> _Retransmit:
    async def retransmit(sequence_number: int) -> None:
        """A packet a NACK asked for, again (as RTX when negotiated), as aiortc's own does."""
        kept = history.get(sequence_number % HISTORY)
        if kept is None:
            return
        plain = kept[0] + kept[1]
        extensions = _private(sender, "rtp_header_extensions_map")
        packet = RtpPacket.parse(plain, extensions)
        if packet.sequence_number != sequence_number:
            return  # overwritten by a newer packet
        rtx_type = _private(sender, "rtx_payload_type")
        if rtx_type is not None:
            rtx_seq = _private(sender, "rtx_sequence_number")
            packet = wrap_rtx(packet, payload_type=rtx_type, sequence_number=rtx_seq, ssrc=sender._rtx_ssrc)
            _set_private(sender, "rtx_sequence_number", uint16_add(rtx_seq, 1))
        if group is not None:
            group.retransmits += 1
        await sender.transport._send_rtp(packet.serialize(extensions))

    return retransmit

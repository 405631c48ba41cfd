"""RTP payloads of an H.264 access unit (RFC 6184), every fragment of a NAL unit one size.

A browser's depacketizer takes any valid cut, so the cut is chosen for the sender: a NAL
unit larger than one packet becomes FU-A fragments that are all the same size except the
last (RFC 6184 §5.8 leaves the sizes free), and small units in a row (SPS, PPS, SEI, AUD)
share one STAP-A packet (§5.7.1). Equal sizes let ``camera.udp_gso`` hand a picture's
fragments to the kernel in one call (UDP GSO cuts a run of equal segments); aiortc's own
packetizer spreads the remainder over the first fragments, which splits every run in two.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Iterator

__all__ = ["PAYLOAD_MAX", "nal_units", "payloads"]

# As aiortc's PACKET_MAX: with the RTP header, its extensions and the SRTP tag a packet
# stays well inside a 1500-byte MTU, with room for a tunnel (IPsec, GRE) on the way.
PAYLOAD_MAX = 1300
_FU_A, _STAP_A = 28, 24
_STAP_A_MAX_UNITS = 9  # as aiortc: a browser's depacketizer takes more, a few is what pays
_LENGTH = struct.Struct("!H")


def nal_units(annex_b: bytes) -> Iterator[bytes]:
    """The NAL units of an Annex B byte stream, without start codes (3 or 4 bytes)."""
    at = annex_b.find(b"\x00\x00\x01")
    while at >= 0:
        start = at + 3
        at = annex_b.find(b"\x00\x00\x01", start)
        end = len(annex_b) if at < 0 else at - 1 if annex_b[at - 1] == 0 else at
        if end > start:
            yield annex_b[start:end]


def _fragments(unit: bytes) -> list[bytes]:
    """FU-A: the unit's header goes into each fragment's two-byte FU header."""
    head, body = unit[0], unit[1:]
    count = math.ceil(len(body) / (PAYLOAD_MAX - 2))
    size = math.ceil(len(body) / count)
    indicator = (head & 0xE0) | _FU_A
    kind = head & 0x1F
    out = []
    for i in range(0, len(body), size):
        flags = (0x80 if i == 0 else 0) | (0x40 if i + size >= len(body) else 0)
        out.append(bytes((indicator, flags | kind)) + body[i : i + size])
    return out


def _aggregate(units: list[bytes]) -> bytes:
    """STAP-A of two or more units: F is any unit's F, NRI the highest of them."""
    forbidden = max(u[0] & 0x80 for u in units)
    importance = max(u[0] & 0x60 for u in units)
    return bytes((forbidden | importance | _STAP_A,)) + b"".join(_LENGTH.pack(len(u)) + u for u in units)


def payloads(units: Iterable[bytes]) -> list[bytes]:
    """The RTP payloads of one access unit, in order (the last one carries the marker)."""
    out: list[bytes] = []
    pending: list[bytes] = []
    room = PAYLOAD_MAX - 1  # a STAP-A's own header byte

    def flush() -> None:
        if len(pending) == 1:
            out.append(pending[0])
        elif pending:
            out.append(_aggregate(pending))
        pending.clear()

    for unit in units:
        if len(unit) > PAYLOAD_MAX:
            flush()
            room = PAYLOAD_MAX - 1
            out.extend(_fragments(unit))
            continue
        if pending and (len(pending) == _STAP_A_MAX_UNITS or 2 + len(unit) > room):
            flush()
            room = PAYLOAD_MAX - 1
        pending.append(unit)
        room -= 2 + len(unit)
    flush()
    return out

"""A viewer's packets handed to the kernel in runs, one system call per run (Linux UDP GSO).

A relayed picture is several RTP packets to one address, all one size but the last
(``camera.h264_payloads`` cuts them so). Sent with one ``sendto`` each, the kernel walks its
UDP/IP stack once per packet, which costs a relay more than encrypting it. With generic
segmentation offload (``UDP_SEGMENT``, Linux 4.18) a run of equal segments goes down the
stack once and is cut into the same datagrams just before the device (or by the NIC); the
receiver cannot tell. QUIC stacks send this way for the same reason.

Where it cannot apply, packets go one by one through the asyncio transport as before: a
TURN relayed pair (its transport is not a socket), a kernel or device that refuses GSO
(the first refusal turns it off for that viewer), or data already queued in the transport
(order is kept). The runs are sent on a duplicate of the transport's socket descriptor, so
nothing private of asyncio is touched.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import struct
import sys
from collections.abc import Iterator, Sequence

log = logging.getLogger("diemcau.relay")

__all__ = ["DatagramSender", "runs"]

SOL_UDP = 17
UDP_SEGMENT = 103  # linux/udp.h
MAX_SEGMENTS = 64  # UDP_MAX_SEGMENTS
MAX_BYTES = 65_000  # one GSO send stays below the 64 KiB datagram limit, headers included
_REFUSALS = {errno.EINVAL, errno.EIO, errno.ENOPROTOOPT, errno.EOPNOTSUPP, errno.EMSGSIZE}
_SEGMENT_SIZES: dict[int, list[tuple[int, int, bytes]]] = {}


def runs(packets: Sequence[bytes]) -> Iterator[tuple[int, int]]:
    """``(start, end)`` slices one GSO send can carry: equal sizes, the last may be shorter."""
    i, count = 0, len(packets)
    while i < count:
        size = total = len(packets[i])
        j = i + 1
        while j < count and j - i < MAX_SEGMENTS:
            n = len(packets[j])
            if n > size or total + n > MAX_BYTES:
                break
            total += n
            j += 1
            if n < size:
                break
        yield i, j
        i = j


def _segment(size: int) -> list[tuple[int, int, bytes]]:
    ancillary = _SEGMENT_SIZES.get(size)
    if ancillary is None:
        ancillary = _SEGMENT_SIZES[size] = [(SOL_UDP, UDP_SEGMENT, struct.pack("=H", size))]
    return ancillary


class DatagramSender:
    """Sends packets to one address on one asyncio datagram transport, in runs where it can."""

    def __init__(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.gso_sends = 0  # system calls that carried a run of two or more packets
        self._socket: socket.socket | None = None
        raw = transport.get_extra_info("socket")
        if (
            sys.platform == "linux"
            and raw is not None
            and raw.type == socket.SOCK_DGRAM
            and raw.family in (socket.AF_INET, socket.AF_INET6)
            and transport.get_extra_info("sockname") == raw.getsockname()
        ):
            # a duplicate descriptor of the same socket: asyncio's own object stays untouched
            self._socket = socket.socket(raw.family, raw.type, raw.proto, fileno=os.dup(raw.fileno()))

    def send(self, packets: Sequence[bytes], address: tuple[str, int]) -> None:
        sendto = self.transport.sendto  # type: ignore[attr-defined]
        gso = self._socket
        if gso is not None and (self.transport.is_closing() or self.transport.get_write_buffer_size()):  # type: ignore[attr-defined]
            gso = None  # asyncio holds packets back (the new ones queue behind them) or drops them
        for start, end in runs(packets):
            if gso is not None and end - start > 1:
                try:
                    gso.sendmsg(packets[start:end], _segment(len(packets[start])), 0, address)
                    self.gso_sends += 1
                    continue
                except BlockingIOError:
                    gso = None  # the socket's buffer is full: asyncio queues the rest, in order
                except OSError as exc:
                    if exc.errno not in _REFUSALS:
                        raise
                    log.info("UDP GSO refused (%s): this viewer's packets go one by one", exc.strerror)
                    self.close()
                    gso = None
            for packet in packets[start:end]:
                sendto(packet, address)

    def close(self) -> None:
        """Close the duplicate descriptor (the transport's own socket stays open)."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None

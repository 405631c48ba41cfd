"""A viewer's packets in runs of one system call each, received as the same datagrams."""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile

from camera.udp_gso import MAX_BYTES, MAX_SEGMENTS, DatagramSender, runs


def test_runs_are_equal_sizes_and_may_end_shorter():
    assert list(runs([b"a" * 1300] * 6 + [b"b" * 700])) == [(0, 7)]
    # aiortc's cut (the remainder spread over the first fragments) splits a picture in two
    assert list(runs([b"x" * 1251] * 2 + [b"y" * 1250] * 4)) == [(0, 3), (3, 6)]
    # a larger packet starts a new run; a lone packet is a run of one
    assert list(runs([b"s" * 30, b"f" * 1300, b"f" * 1300])) == [(0, 1), (1, 3)]
    assert list(runs([])) == []


def test_runs_keep_to_the_kernels_segment_and_size_limits():
    many = [b"p" * 100] * (MAX_SEGMENTS + 5)
    assert list(runs(many)) == [(0, MAX_SEGMENTS), (MAX_SEGMENTS, MAX_SEGMENTS + 5)]
    big = [b"q" * 1400] * 60
    first_end = next(iter(runs(big)))[1]
    assert first_end * 1400 <= MAX_BYTES < (first_end + 1) * 1400


async def _endpoint(family: int, local: object) -> asyncio.DatagramTransport:
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=local, family=family
    )
    return transport  # type: ignore[return-value]


def _received(receiver: socket.socket, count: int) -> list[bytes]:
    receiver.settimeout(2)
    return [receiver.recv(65535) for _ in range(count)]


async def test_a_picture_goes_in_one_call_and_arrives_as_the_same_datagrams():
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    transport = await _endpoint(socket.AF_INET, ("127.0.0.1", 0))
    sender = DatagramSender(transport)
    try:
        packets = [os.urandom(1316) for _ in range(6)] + [os.urandom(611)]
        keyframe = [os.urandom(40)] + [os.urandom(1316) for _ in range(3)]
        sender.send(packets, receiver.getsockname())
        sender.send(keyframe, receiver.getsockname())
        assert _received(receiver, 11) == packets + keyframe  # in order, cut where they were
        assert sender.gso_sends == 2  # the picture; the keyframe's fragments after its STAP-A
    finally:
        sender.close()
        transport.close()
        receiver.close()


async def test_a_transport_that_is_not_an_ip_socket_gets_packets_one_by_one():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "rx")
        receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        receiver.bind(path)
        transport = await _endpoint(socket.AF_UNIX, os.path.join(tmp, "tx"))
        sender = DatagramSender(transport)
        try:
            packets = [b"a" * 500] * 3
            sender.send(packets, path)  # type: ignore[arg-type]
            assert _received(receiver, 3) == packets and sender.gso_sends == 0
        finally:
            sender.close()
            transport.close()
            receiver.close()


async def test_closing_the_sender_leaves_the_transport_working():
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    transport = await _endpoint(socket.AF_INET, ("127.0.0.1", 0))
    sender = DatagramSender(transport)
    sender.close()
    sender.close()
    transport.sendto(b"still here", receiver.getsockname())
    assert _received(receiver, 1) == [b"still here"]
    transport.close()
    receiver.close()

"""What the ONVIF client keeps of a reply: SOAP only, read with a size cap; where it may connect at all.

The peer is a bare HTTP server on loopback that answers whatever a test sets: a web
page, an endless body, a SOAP fault. It is what an ``onvif_url`` pointed at some
other service would reach (security review 16, findings 6 and 14).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from camera.netpolicy import NetPolicy
from camera.onvif.client import OnvifClient, OnvifError
from camera.onvif.soap import SoapFault, fault_envelope
from tests.support.http_peer import SECRET_PAGE, Peer, running_peer

LOOPBACK = NetPolicy(allow_loopback=True)


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    async with running_peer() as p:
        yield p


async def failure(client: OnvifClient) -> OnvifError:
    with pytest.raises(OnvifError) as caught:
        await client.get_device_information()
    return caught.value


async def test_a_reply_that_is_not_soap_is_bad_reply_with_its_status_and_length_only(peer: Peer) -> None:
    async with OnvifClient(f"127.0.0.1:{peer.port}", "admin", "pw", timeout_s=5, policy=LOOPBACK) as c:
        error = await failure(c)
    assert error.code == "bad_reply" and error.operation == "GetSystemDateAndTime"
    assert "HTTP 200" in error.message and f"{len(SECRET_PAGE)} bytes" in error.message
    assert "text/html" in error.message
    assert error.transcript is not None and error.transcript.status == 200
    kept = f"{error.message} {error.transcript}"
    assert "hunter2" not in kept and "internal admin" not in kept and "<html" not in kept


async def test_a_refusal_that_is_not_soap_keeps_no_body_either(peer: Peer) -> None:
    peer.status = 401
    async with OnvifClient(f"127.0.0.1:{peer.port}", "admin", "pw", timeout_s=5, policy=LOOPBACK) as c:
        error = await failure(c)
    assert error.code == "auth_failed"
    assert error.transcript is not None and error.transcript.status == 401
    assert "hunter2" not in str(error.transcript) and "<html" not in str(error.transcript)


async def test_a_soap_fault_is_kept_in_the_transcript(peer: Peer) -> None:
    peer.status, peer.content_type = 500, "application/soap+xml"
    peer.body = fault_envelope(SoapFault("Receiver", ["Action", "ActionFailed"], "busy"))
    async with OnvifClient(f"127.0.0.1:{peer.port}", "admin", "pw", timeout_s=5, policy=LOOPBACK) as c:
        error = await failure(c)
    assert error.code == "device_fault"
    assert error.transcript is not None and "ActionFailed" in error.transcript.reply


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "until-close"])
async def test_a_reply_past_the_cap_is_bad_reply_and_is_not_read_to_its_end(
    peer: Peer, declared: bool
) -> None:
    peer.body, peer.chunks, peer.declare_length = b"<" * 65536, 256, declared  # 16 MiB offered
    async with OnvifClient(
        f"127.0.0.1:{peer.port}", "admin", "pw", timeout_s=5, policy=LOOPBACK, max_reply_bytes=256 * 1024
    ) as c:
        error = await failure(c)
    assert error.code == "bad_reply"
    assert "larger than 262144 bytes" in error.message, error.message
    assert error.transcript is not None and error.transcript.reply == ""
    assert peer.bytes_sent < 16 * 1024 * 1024  # the client hung up instead of reading on


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
async def test_loopback_is_refused_before_connecting_unless_allowed(peer: Peer, host: str) -> None:
    async with OnvifClient(f"{host}:{peer.port}", "admin", "pw", timeout_s=5, policy=NetPolicy()) as c:
        error = await failure(c)
    assert error.code == "address_refused", error
    assert "loopback" in error.message and host in error.message
    assert peer.connections == 0

"""What the ONVIF client keeps of a reply: SOAP only, read with a size cap; where it may connect at all.

The peer is a bare HTTP server on loopback that answers whatever a test sets: a web
page, an endless body, a SOAP fault. It is what an ``onvif_url`` pointed at some
other service would reach (security review 16, findings 6 and 14). ``DigestPeer``
challenges for HTTP Digest the way a camera set to "digest only" does, with a
challenge the test chooses: the 401 of Digest's round trip is a reply like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from camera.netpolicy import NetPolicy
from camera.onvif.client import OnvifClient, OnvifError
from camera.onvif.soap import SoapFault, envelope, fault_envelope
from tests.support.http_peer import SECRET_PAGE, Peer, running_peer, serving

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


# ---------------------------------------------------------------- HTTP Digest challenges

CLOCK = envelope(
    "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>"
    "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
)
CHALLENGE = 'Digest realm="cam", qop="auth", nonce="abc123", algorithm=MD5'


@dataclass
class DigestPeer:
    """GetSystemDateAndTime answered; everything else 401 with ``challenge``: a short page to a
    request with a WS-Security token, ``probe_body`` (``chunks`` times over, length undeclared)
    to one without (the start of Digest's round trip)."""

    challenge: str = CHALLENGE
    probe_body: bytes = b"<html>401</html>"
    chunks: int = 1
    bytes_sent: int = 0
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                body = await reader.readexactly(length)
                if b"GetSystemDateAndTime" in body:
                    writer.write(self.head(200, "application/soap+xml", len(CLOCK)) + CLOCK)
                    await writer.drain()
                    continue
                if b"UsernameToken" in body:
                    page = b"<html>401</html>"
                    writer.write(self.head(401, "text/html", len(page), self.challenge) + page)
                    await writer.drain()
                    continue
                writer.write(self.head(401, "text/html", None, self.challenge))
                for _ in range(self.chunks):  # until the client hangs up
                    writer.write(self.probe_body)
                    await writer.drain()
                    self.bytes_sent += len(self.probe_body)
                break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    @staticmethod
    def head(status: int, ctype: str, length: int | None, challenge: str | None = None) -> bytes:
        lines = [f"HTTP/1.1 {status} X", f"Content-Type: {ctype}"]
        lines += [f"Content-Length: {length}"] if length is not None else ["Connection: close"]
        lines += [f"WWW-Authenticate: {challenge}"] if challenge else []
        return ("\r\n".join(lines) + "\r\n\r\n").encode()


def digest_peer(**kw: object) -> contextlib.AbstractAsyncContextManager[DigestPeer]:
    return serving(DigestPeer(**kw))  # type: ignore[arg-type]


async def test_a_digest_challenge_past_the_cap_is_bad_reply_and_is_not_read_to_its_end() -> None:
    async with digest_peer(probe_body=b"<" * 65536, chunks=256) as peer:  # 16 MiB offered with the 401
        async with OnvifClient(
            f"127.0.0.1:{peer.port}", "admin", "pw", timeout_s=5, policy=LOOPBACK, max_reply_bytes=256 * 1024
        ) as c:
            error = await failure(c)
    assert error.code == "bad_reply" and error.operation == "GetDeviceInformation"
    assert "larger than 262144 bytes" in error.message, error.message
    assert peer.bytes_sent < 16 * 1024 * 1024  # the client hung up instead of reading on


@pytest.mark.parametrize(
    "challenge",
    ['Digest realm="cam", qop="auth-int", nonce="abc123"', 'Digest realm="cam", qop="auth"'],
    ids=["auth-int-only", "no-nonce"],
)
async def test_a_digest_challenge_that_cannot_be_answered_is_bad_reply(challenge: str) -> None:
    async with digest_peer(challenge=challenge) as peer:
        async with OnvifClient(f"127.0.0.1:{peer.port}", "admin", "pw", timeout_s=5, policy=LOOPBACK) as c:
            error = await failure(c)
            assert c.auth_method == "ws-security"
    assert error.code == "bad_reply" and "HTTP Digest challenge cannot be answered" in error.message
    assert error.transcript is not None and error.transcript.status == 401 and error.transcript.reply == ""

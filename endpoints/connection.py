"""SSH sessions to room codecs: the only module that touches asyncssh.

One interactive shell per device, kept open and reused (handshakes are the
expensive part).  A background reader feeds every byte through a ``Framer``
so a command's response is matched even with feedback interleaved; feedback
is kept in a bounded queue (and an optional callback) for monitoring.

Host keys are pinned: with ``known_host_key`` any other key is refused with
``HostKeyMismatch``; without one we trust on first use and expose the key as
``session.host_key`` for the caller to store.
"""

from __future__ import annotations

import asyncio
import errno
import itertools
import socket
from collections.abc import Callable
from types import TracebackType

import asyncssh
from asyncssh.encryption import get_default_encryption_algs

from endpoints.errors import (
    AuthFailed,
    CommandFailed,
    ConnectFailed,
    ConnectionLost,
    EndpointError,
    EndpointTimeout,
    HostKeyMismatch,
    ParseError,
)
from endpoints.frames import framer_for
from endpoints.framing import Response
from endpoints.profiles import Profile

__all__ = ["EndpointSession", "open_session"]

FEEDBACK_QUEUE_SIZE = 1000
# asyncssh's own list, AES-GCM first: AES runs in hardware (AES-NI) while asyncssh's
# ChaCha20 path builds three cipher contexts per packet; with hundreds of sessions
# that is most of the client's CPU.  Devices without GCM still negotiate the rest.
_CIPHERS = ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com"] + [
    alg.decode()
    for alg in get_default_encryption_algs()
    if alg not in (b"aes128-gcm@openssh.com", b"aes256-gcm@openssh.com")
]
_tags = itertools.count(1)


class _PinningClient(asyncssh.SSHClient):
    """Accept exactly the pinned key, or any key on first use; remember what was shown."""

    def __init__(self, pinned: asyncssh.SSHKey | None) -> None:
        self.pinned = pinned
        self.presented: asyncssh.SSHKey | None = None

    def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        self.presented = key
        return self.pinned is None or key == self.pinned


def _key_line(key: asyncssh.SSHKey) -> str:
    return key.export_public_key("openssh").decode().strip()


class EndpointSession:
    """A logged-in shell on one device: ``run`` one command or ``run_many`` pipelined.

    Commands from several coroutines may be in flight at once: each call
    writes its lines and queues their expectations in one synchronous step,
    so the framer always knows which response comes next.
    """

    def __init__(
        self,
        conn: asyncssh.SSHClientConnection,
        process: asyncssh.SSHClientProcess[str],
        profile: Profile,
        *,
        endpoint: str,
        host_key: str,
        command_timeout: float,
        on_feedback: Callable[[str], None] | None = None,
    ) -> None:
        self.profile = profile
        self.endpoint = endpoint
        self.host_key = host_key
        self.host_key_changed_from: str | None = None  # set by SessionPool on an accepted re-key
        self.command_timeout = command_timeout
        self.registration_errors: list[CommandFailed] = []  # feedback_register commands refused
        self.feedback: asyncio.Queue[str] = asyncio.Queue(FEEDBACK_QUEUE_SIZE)
        self._on_feedback = on_feedback
        self._conn = conn
        self._process = process
        self._framer = framer_for(profile.session, self._feedback)
        self._closed: EndpointError | None = None
        self._reader = asyncio.get_running_loop().create_task(self._read_loop())

    async def _register_feedback(self) -> None:
        """Send the profile's feedback registrations (pipelined, one round trip).

        A refused registration does not fail the session: feedback only makes
        state changes visible sooner, polling still sees them.  The refusals
        are kept in ``registration_errors`` for the caller to report.
        """
        results = await self.run_many(list(self.profile.session.feedback_register))
        self.registration_errors = [r for r in results if isinstance(r, CommandFailed)]

    @property
    def alive(self) -> bool:
        """False once the device closed the stream, a command timed out, or ``close`` ran."""
        return self._closed is None and not self._reader.done()

    def _feedback(self, line: str) -> None:
        if self.feedback.full():  # keep the newest: monitoring cares about now
            self.feedback.get_nowait()
        self.feedback.put_nowait(line)
        if self._on_feedback is not None:
            self._on_feedback(line)

    async def _read_loop(self) -> None:
        partial = ""
        try:
            while True:
                chunk = await self._process.stdout.read(65536)
                if not chunk:
                    break
                *lines, partial = (partial + chunk).split("\n")
                for line in lines:
                    for resp in self._framer.feed(line):
                        self._deliver(resp)
                if (tail := self._framer.feed_partial(partial)) is not None:
                    partial = ""
                    self._deliver(tail)
        except (asyncssh.Error, OSError):
            pass
        self._fail(ConnectionLost("connection closed by device", endpoint=self.endpoint))

    @staticmethod
    def _deliver(resp: Response | None) -> None:
        if resp is not None and isinstance(resp.key, asyncio.Future) and not resp.key.done():
            resp.key.set_result(resp)

    def _fail(self, error: EndpointError) -> None:
        self._closed = self._closed or error
        for fut in self._framer.clear():
            if isinstance(fut, asyncio.Future) and not fut.done():
                fut.set_exception(error)
                fut.exception()  # retrieved here: the waiter raises its own copy

    def _send(self, commands: list[str | None], *, tagged: bool) -> list[asyncio.Future[Response]]:
        """Queue expectations and write every line in one go (no await in between)."""
        if self._closed is not None:
            raise self._closed
        s = self.profile.session
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[Response]] = []
        out: list[str] = []
        for command in commands:
            tag = f"dc{next(_tags)}" if tagged and command is not None else None
            fut: asyncio.Future[Response] = loop.create_future()
            if (now := self._framer.expect(command, tag, fut)) is not None:
                fut.set_result(now)
            futures.append(fut)
            if command is not None:
                line = s.command_template.format(command=command, tag=tag) if tag else command
                out.append(line + s.line_ending)
        if out:
            try:
                self._process.stdin.write("".join(out))
            except (asyncssh.Error, OSError, BrokenPipeError):
                self._fail(ConnectionLost("cannot write", endpoint=self.endpoint))
                raise ConnectionLost("cannot write", endpoint=self.endpoint) from None
        return futures

    async def _collect(
        self,
        futures: list[asyncio.Future[Response]],
        commands: list[str | None],
        timeout: float,  # noqa: ASYNC109
    ) -> list[Response]:
        """Await each response in order; ``timeout`` runs from the previous response."""
        out: list[Response] = []
        for fut, command in zip(futures, commands, strict=True):
            try:
                out.append(await asyncio.wait_for(asyncio.shield(fut), timeout))
            except TimeoutError:
                # The stream is now out of step with us; nothing later can be trusted.
                self._fail(EndpointTimeout(f"{command!r} timed out", endpoint=self.endpoint))
                self._conn.close()
                raise EndpointTimeout(
                    f"no response to {command!r} within {timeout}s", endpoint=self.endpoint
                ) from None
        return out

    async def _exchange(
        self,
        command: str | None,
        timeout: float,  # noqa: ASYNC109
        *,
        tagged: bool = True,
    ) -> Response:
        """Send ``command`` (None: just wait for ready) and await its framed response.

        Untagged commands (on-open setup such as ``echo off``) are sent verbatim.
        """
        futures = self._send([command], tagged=tagged)
        return (await self._collect(futures, [command], timeout))[0]

    def _result(self, command: str, resp: Response) -> str | CommandFailed:
        if resp.malformed:
            raise ParseError(f"answer to {command!r}: {resp.message}", resp.text, endpoint=self.endpoint)
        if resp.failed:
            raw = "\n".join(resp.lines + [resp.end])
            return CommandFailed(command, raw, resp.message or "", endpoint=self.endpoint)
        return resp.text

    async def run(
        self,
        command: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - per-command override
        tagged: bool = True,
    ) -> str:
        """Run one already-rendered command; return its raw response text.

        Raises CommandFailed with the device's message when it answers with an error.
        """
        resp = await self._exchange(command, timeout or self.command_timeout, tagged=tagged)
        result = self._result(command, resp)
        if isinstance(result, CommandFailed):
            raise result
        return result

    async def run_many(
        self,
        commands: list[str],
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - per-response override
    ) -> list[str | CommandFailed]:
        """Pipeline already-rendered commands: one write, responses collected in order.

        A device error is returned in its slot (the others still count); a
        timeout (no response within ``timeout`` of the previous one) or a lost
        connection raises, as ``run`` does.
        """
        if not commands:
            return []
        sent: list[str | None] = list(commands)
        futures = self._send(sent, tagged=True)
        responses = await self._collect(futures, sent, timeout or self.command_timeout)
        return [self._result(c, r) for c, r in zip(commands, responses, strict=True)]

    async def close(self) -> None:
        self._fail(ConnectionLost("session closed", endpoint=self.endpoint))
        self._reader.cancel()
        self._conn.close()
        try:
            await asyncio.wait_for(self._conn.wait_closed(), 2)
        except (TimeoutError, asyncssh.Error, OSError):
            pass

    async def __aenter__(self) -> EndpointSession:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


_ERRNO_CAUSES = {
    errno.ECONNREFUSED: "connection_refused",
    errno.ECONNRESET: "connection_reset",
    errno.EHOSTUNREACH: "host_unreachable",
    errno.ENETUNREACH: "network_unreachable",
}


def _cause(exc: BaseException) -> str:
    """A failed connect named for ``ConnectFailed.cause`` (errors.CONNECT_CAUSES): by errno,
    not by the exception's words, which differ between Python versions and platforms."""
    if isinstance(exc, socket.gaierror):
        return "name_unresolved"
    if isinstance(exc, OSError) and exc.errno in _ERRNO_CAUSES:
        return _ERRNO_CAUSES[exc.errno]
    if isinstance(exc, ConnectionRefusedError):
        return "connection_refused"
    if isinstance(exc, ConnectionResetError):
        return "connection_reset"
    return "ssh_handshake" if isinstance(exc, asyncssh.Error) else "connection_failed"


async def read_host_key(host: str, port: int, *, timeout: float = 10) -> str:  # noqa: ASYNC109 - bounded by design
    """The host key a device presents, read without logging in (no password is sent).

    For the strict host-key policy: a technician compares this key with the device's own
    display or documentation before approving it.
    """
    endpoint = f"{host}:{port}"
    try:
        key = await asyncio.wait_for(asyncssh.get_server_host_key(host, port, config=None), timeout)
    except TimeoutError:
        raise EndpointTimeout(f"connect timed out after {timeout}s", endpoint=endpoint) from None
    except (asyncssh.Error, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc.__class__.__name__
        raise ConnectFailed(f"cannot connect: {reason}", endpoint=endpoint, cause=_cause(exc)) from None
    if key is None:
        raise ConnectFailed("the device presented no host key", endpoint=endpoint, cause="no_host_key")
    return _key_line(key)


async def open_session(
    host: str,
    port: int,
    username: str,
    password: str,
    profile: Profile,
    *,
    known_host_key: str | None,
    connect_timeout: float = 10,
    command_timeout: float = 10,
    keepalive_interval: float = 30,
    on_feedback: Callable[[str], None] | None = None,
) -> EndpointSession:
    """Connect, log in, wait until ready, run the profile's on-open commands, register feedback.

    Feedback lines (and only those) go to ``session.feedback`` and ``on_feedback``;
    ``profile.is_state_feedback(line)`` says which of them mean "poll me now".
    """
    endpoint = f"{host}:{port}"
    try:
        pinned = asyncssh.import_public_key(known_host_key) if known_host_key else None
    except (asyncssh.KeyImportError, ValueError):
        raise HostKeyMismatch(known_host_key or "", "", endpoint=endpoint) from None
    client = _PinningClient(pinned)
    trusted = [pinned] if pinned else []
    try:
        conn, _ = await asyncio.wait_for(
            asyncssh.create_connection(
                lambda: client,
                host,
                port,
                username=username,
                password=password,
                known_hosts=(trusted, [], []),
                client_keys=None,
                agent_path=None,
                config=None,
                preferred_auth="password,keyboard-interactive",
                connect_timeout=connect_timeout,
                keepalive_interval=keepalive_interval,
                encryption_algs=_CIPHERS,
            ),
            connect_timeout,
        )
        process = await asyncio.wait_for(
            conn.create_process(term_type=None, encoding="utf-8", errors="replace"),
            connect_timeout,
        )
    except TimeoutError:
        raise EndpointTimeout(f"connect timed out after {connect_timeout}s", endpoint=endpoint) from None
    except asyncssh.PermissionDenied:
        raise AuthFailed(f"login refused for user {username!r}", endpoint=endpoint) from None
    except asyncssh.HostKeyNotVerifiable:
        presented = _key_line(client.presented) if client.presented else ""
        raise HostKeyMismatch(known_host_key or "", presented, endpoint=endpoint) from None
    except (asyncssh.Error, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc.__class__.__name__
        raise ConnectFailed(f"cannot connect: {reason}", endpoint=endpoint, cause=_cause(exc)) from None
    host_key = _key_line(client.presented) if client.presented else (known_host_key or "")
    session = EndpointSession(
        conn,
        process,
        profile,
        endpoint=endpoint,
        host_key=host_key,
        command_timeout=command_timeout,
        on_feedback=on_feedback,
    )
    try:
        await session._exchange(None, connect_timeout)
        for command in profile.session.on_open:
            await session.run(command, tagged=False)
        await session._register_feedback()
    except BaseException:
        await session.close()
        raise
    return session

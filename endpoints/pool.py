"""One reused SSH session per device, shared by everything that talks to it.

Handshakes are the expensive part of talking to a codec, so monitors and jobs
ask the pool instead of calling ``open_session`` themselves:

* a live session whose target is unchanged is returned as is; callers that
  arrive while a connect is in flight share that connect (one handshake);
* a semaphore bounds concurrent handshakes, never commands on open sessions;
* a failed connect starts exponential backoff with full jitter: calls inside
  the window raise ``Backoff`` at once, so a loop cannot hammer a dead device.
  Work a person started (a job, a readiness check) passes ``now=True``: it makes
  its one attempt, because the technician may just have fixed the device, and a
  "backoff" answer would only say the monitor failed a moment ago;
* ``AuthFailed`` is sticky until the target's username or password changes;
* host keys are pinned on first contact, whoever connects first: a target
  with no key asks the ``HostKeyStore`` for the stored one (a probe or another
  process may have pinned it since the target was built), and after a first
  contact hands it the key presented, which it stores only where none is
  stored yet (the store's answer wins: a different key is a mismatch). The
  pool remembers the key, so every reconnect is pinned. The store may also
  refuse to connect to an unpinned device (``HostKeyUnpinned``, strict policy);
* ``HostKeyMismatch`` is raised, never accepted silently, except with
  ``accept_new_host_key=True`` (an upgrade or reset the caller ran itself):
  then the key the device presented is pinned for a second connect and the
  session records ``host_key_changed_from`` for the caller to audit and store.

Every (re)connect goes through ``open_session``, so the profile's on-open
commands (output mode, feedback registrations) run again on the new shell.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from endpoints.connection import EndpointSession, open_session
from endpoints.driver import EndpointDriver
from endpoints.errors import AuthFailed, Backoff, ConnectFailed, EndpointError, HostKeyMismatch
from endpoints.profiles import Profile

__all__ = ["ConnStatus", "HostKeyStore", "SessionPool", "Target"]


@dataclass(frozen=True)
class Target:
    """How to reach one device; ``key`` is its stable id (the controller passes a UUID)."""

    key: str
    host: str
    port: int
    username: str
    password: str = field(repr=False)
    profile: Profile = field(repr=False)
    host_key: str | None = None  # pinned OpenSSH key line; None = trust on first use

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    def same_device(self, other: Target) -> bool:
        """Equal in everything but the pinned key (checked against the live session)."""
        return (self.host, self.port, self.username, self.password, self.profile) == (
            other.host,
            other.port,
            other.username,
            other.password,
            other.profile,
        )


class HostKeyStore(Protocol):
    """Where pinned keys live (the controller's database); the pool asks it around first contacts."""

    async def pinned(self, target: Target) -> str | None:
        """The key stored now for a target built without one; may raise ``HostKeyUnpinned``."""

    async def first_contact(self, target: Target, presented: str) -> str:
        """Store ``presented`` if no key is stored yet; return the key stored after that."""


@dataclass(frozen=True)
class ConnStatus:
    connected: bool
    failures: int = 0  # consecutive failed connects
    last_error: str | None = None  # the failure's ``code``; None after a success
    next_attempt_at: float | None = None  # time.monotonic() when backoff ends
    auth_failed: bool = False


@dataclass
class _Entry:
    target: Target | None = None  # what ``session`` was opened for
    session: EndpointSession | None = None
    connecting: asyncio.Task[EndpointSession] | None = None
    connecting_for: tuple[Target, bool] | None = None
    failed_target: Target | None = None
    failures: int = 0
    last_error: str | None = None
    next_attempt_at: float | None = None
    auth_failed: bool = False
    pinned: str | None = None  # learned on first contact (or from the store) for keyless targets

    def reset_failures(self) -> None:
        self.failed_target, self.failures, self.last_error = None, 0, None
        self.next_attempt_at, self.auth_failed = None, False


def _consume(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()  # every waiter got it; do not warn when nobody is left


class SessionPool:
    """Open, reuse and re-open sessions by ``Target.key``."""

    def __init__(
        self,
        *,
        max_handshakes: int = 32,
        connect_timeout: float = 10,
        command_timeout: float = 10,
        keepalive_interval: float = 30,
        backoff_base: float = 1.0,
        backoff_max: float = 300.0,
        rng: random.Random | None = None,
        on_feedback: Callable[[str, str], None] | None = None,  # (key, line)
        host_keys: HostKeyStore | None = None,
        address: Callable[[Target], Awaitable[str]] | None = None,
    ) -> None:
        self.connect_timeout = connect_timeout
        self.command_timeout = command_timeout
        self.keepalive_interval = keepalive_interval
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.handshakes_started = 0
        self._rng = rng or random.Random()
        self._on_feedback = on_feedback
        self._host_keys = host_keys
        self._address = address  # where to connect for a target: resolved and checked by the caller's policy
        self._handshakes = asyncio.Semaphore(max_handshakes)
        self._entries: dict[str, _Entry] = {}
        self._closed = False

    # -- public API -----------------------------------------------------------------
    async def session(
        self, target: Target, *, accept_new_host_key: bool = False, now: bool = False
    ) -> EndpointSession:
        """The open session for ``target.key``, connecting (once, shared) when needed.

        ``now`` connects even inside a backoff window (one attempt asked for by a person).
        """
        if self._closed:
            raise ConnectFailed("session pool is closed", endpoint=target.endpoint, cause="pool_closed")
        entry = self._entries.setdefault(target.key, _Entry())
        while True:
            s = entry.session
            if (
                s is not None
                and s.alive
                and entry.target is not None
                and entry.target.same_device(target)
                and target.host_key in (None, s.host_key)
            ):
                return s
            task = entry.connecting
            if task is None:
                break
            if entry.connecting_for == (target, accept_new_host_key):
                return await asyncio.shield(task)
            # A connect for other parameters is in flight: let it end, then decide again.
            with contextlib.suppress(EndpointError):
                await asyncio.shield(task)
        old, entry.session = entry.session, None
        self._gate(entry, target, accept_new_host_key, now)
        task = asyncio.get_running_loop().create_task(self._connect(entry, target, accept_new_host_key, old))
        task.add_done_callback(_consume)
        entry.connecting, entry.connecting_for = task, (target, accept_new_host_key)
        return await asyncio.shield(task)

    async def driver(self, target: Target, **kw: Any) -> EndpointDriver:
        """``EndpointDriver`` over ``session(target, **kw)``."""
        return EndpointDriver(await self.session(target, **kw))

    def status(self, key: str) -> ConnStatus:
        entry = self._entries.get(key)
        if entry is None:
            return ConnStatus(connected=False)
        return ConnStatus(
            connected=entry.session is not None and entry.session.alive,
            failures=entry.failures,
            last_error=entry.last_error,
            next_attempt_at=entry.next_attempt_at,
            auth_failed=entry.auth_failed,
        )

    async def drop(self, key: str) -> None:
        """Close that device's session and forget its backoff (e.g. credentials changed)."""
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        if entry.connecting is not None:
            entry.connecting.cancel()
            with contextlib.suppress(BaseException):
                await entry.connecting
        if entry.session is not None:
            await entry.session.close()

    async def close(self) -> None:
        self._closed = True
        await asyncio.gather(*(self.drop(k) for k in list(self._entries)))

    # -- internals ------------------------------------------------------------------
    def _gate(self, entry: _Entry, target: Target, accept_new_host_key: bool, now: bool) -> None:
        """Raise instead of connecting while a past failure still says no."""
        failed = entry.failed_target
        if failed is not None and failed != target:
            creds_changed = (failed.username, failed.password) != (
                target.username,
                target.password,
            )
            auth_failed = entry.auth_failed and not creds_changed
            entry.reset_failures()  # something changed since: try at once
            entry.auth_failed = auth_failed
            entry.failed_target = target if auth_failed else None
        if entry.auth_failed:
            raise AuthFailed(
                "credentials were refused before; not retrying until they change",
                endpoint=target.endpoint,
            )
        if entry.next_attempt_at is not None and entry.last_error is not None:
            wait = entry.next_attempt_at - time.monotonic()
            rekey = accept_new_host_key and entry.last_error == HostKeyMismatch.code
            if wait > 0 and not rekey and not now:
                raise Backoff(entry.last_error, wait, endpoint=target.endpoint)

    async def _open(self, target: Target, host_key: str | None, host: str) -> EndpointSession:
        on_feedback = None
        if self._on_feedback is not None:
            cb, key = self._on_feedback, target.key
            on_feedback = lambda line: cb(key, line)  # noqa: E731
        self.handshakes_started += 1
        return await open_session(
            host,
            target.port,
            target.username,
            target.password,
            target.profile,
            known_host_key=host_key,
            connect_timeout=self.connect_timeout,
            command_timeout=self.command_timeout,
            keepalive_interval=self.keepalive_interval,
            on_feedback=on_feedback,
        )

    async def _connect(
        self,
        entry: _Entry,
        target: Target,
        accept_new_host_key: bool,
        old: EndpointSession | None,
    ) -> EndpointSession:
        try:
            if old is not None:
                await old.close()
            host = await self._address(target) if self._address is not None else target.host
            known = target.host_key or entry.pinned
            if known is None and self._host_keys is not None:
                known = entry.pinned = await self._host_keys.pinned(target)
            async with self._handshakes:
                try:
                    session = await self._open(target, known, host)
                except HostKeyMismatch as exc:
                    if not (accept_new_host_key and known and exc.presented):
                        raise
                    # Pin exactly the key just presented, not "anything".
                    session = await self._open(target, exc.presented, host)
                    session.host_key_changed_from = known
            if known is None:
                await self._first_contact(entry, target, session)
        except EndpointError as exc:
            self._failed(entry, target, exc)
            raise
        finally:
            if entry.connecting is asyncio.current_task():
                entry.connecting, entry.connecting_for = None, None
        entry.session, entry.target = session, target
        entry.reset_failures()
        return session

    async def _first_contact(self, entry: _Entry, target: Target, session: EndpointSession) -> None:
        """Pin the key a keyless target presented, unless another path pinned a different one."""
        stored = session.host_key
        if self._host_keys is not None:
            try:
                stored = await self._host_keys.first_contact(target, session.host_key)
            except BaseException:
                await session.close()
                raise
        if stored != session.host_key:
            await session.close()
            raise HostKeyMismatch(stored, session.host_key, endpoint=target.endpoint)
        entry.pinned = stored

    def _failed(self, entry: _Entry, target: Target, exc: EndpointError) -> None:
        entry.failed_target = target
        entry.failures += 1
        entry.last_error = exc.code
        entry.auth_failed = isinstance(exc, AuthFailed)
        cap = min(self.backoff_max, self.backoff_base * 2 ** (entry.failures - 1))
        entry.next_attempt_at = time.monotonic() + self._rng.uniform(0, cap)

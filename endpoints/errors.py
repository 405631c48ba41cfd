"""Typed errors raised by the ``endpoints`` library.

Callers (the controller's monitor loops, provisioning jobs, scripts) decide
what to do from the *type* of an error: retry a timeout, alarm on a host-key
mismatch, show the device's own message for a failed command.  Only
``endpoints.connection`` catches ``asyncssh`` exceptions and translates them
into this tree, so nothing above the SSH layer depends on asyncssh.

::

    EndpointError                  anything this library raises on purpose
    ├── ProfileError               a firmware profile YAML is invalid (file + field path)
    ├── ConnectFailed              TCP/SSH could not be established (refused, reset, unreachable)
    │   └── ConnectionLost         an established session went away (mid-command drop, EOF)
    ├── EndpointTimeout            connect, login or a command took longer than allowed
    ├── AuthFailed                 the device rejected the credentials
    ├── HostKeyMismatch            the presented host key is not the pinned one
    ├── Backoff                    SessionPool: the last attempt failed, next one not yet due
    ├── CommandFailed              the device answered ERROR / ``error: ...``
    ├── ParseError                 the output did not match the profile's parse rule
    └── UnsafeValue                a value cannot be escaped safely for the dialect

Messages never contain passwords: nothing here is ever given one.

Beside its English message each error has ``params``: the few stable facts a caller may
show in its own words (the controller's console is Vietnamese first), e.g. a refused
connection is ``code == "unreachable"`` with ``params == {"cause": "connection_refused"}``.
A param is a code, a number or the device's own words, never an English sentence of ours.
"""

from __future__ import annotations

__all__ = [
    "CONNECT_CAUSES",
    "AuthFailed",
    "Backoff",
    "CommandFailed",
    "ConnectFailed",
    "ConnectionLost",
    "EndpointError",
    "EndpointTimeout",
    "HostKeyMismatch",
    "ParseError",
    "ProfileError",
    "UnsafeValue",
]


# Why a connection could not be made (``ConnectFailed.cause``): the socket's errno, named.
CONNECT_CAUSES = (
    "connection_refused",  # nothing listens on the port (or a firewall rejects)
    "connection_reset",  # the peer or a middlebox reset the connection
    "host_unreachable",  # no route to the device (ARP or ICMP said so)
    "network_unreachable",  # no route to its network
    "name_unresolved",  # the device's DNS name does not resolve
    "ssh_handshake",  # TCP connected but the SSH handshake failed
    "connection_failed",  # any other socket failure (e.g. every address of a name failed)
    "no_host_key",  # the device presented no host key
    "pool_closed",  # the controller is shutting down
)


class EndpointError(Exception):
    """Root of the tree; ``endpoint`` is ``host:port`` when known."""

    code = "endpoint_error"  # stable name for APIs, states and alarms

    def __init__(self, message: str, *, endpoint: str | None = None) -> None:
        self.endpoint = endpoint
        super().__init__(f"{endpoint}: {message}" if endpoint else message)

    @property
    def params(self) -> dict[str, str]:
        """Stable facts beside ``code`` for a caller's own words; none by default."""
        return {}


class ProfileError(EndpointError):
    """A profile file is unreadable or invalid; the message names file and field path."""

    code = "profile_error"


class ConnectFailed(EndpointError):
    """The TCP connection or SSH handshake failed (refused, reset, unreachable).

    ``cause`` is one of ``CONNECT_CAUSES`` when the failure says which.
    """

    code = "unreachable"

    def __init__(self, message: str, *, endpoint: str | None = None, cause: str | None = None) -> None:
        self.cause = cause
        super().__init__(message, endpoint=endpoint)

    @property
    def params(self) -> dict[str, str]:
        return {"cause": self.cause} if self.cause else {}


class AddressRefused(ConnectFailed):
    """The device's address is one the controller may not connect to (its network policy)."""

    code = "address_refused"


class ConnectionLost(ConnectFailed):
    """An established session closed under us, e.g. while a command was running."""

    code = "connection_lost"


class EndpointTimeout(EndpointError):
    """Connect, login or a single command exceeded its timeout."""

    code = "timeout"


class AuthFailed(EndpointError):
    """The device rejected the username/password."""

    code = "auth_failed"


class HostKeyMismatch(EndpointError):
    """The device presented a host key other than the pinned one.

    Both keys are OpenSSH public key lines so an operator can compare them
    and, if the device was legitimately replaced, re-pin the new one.
    """

    code = "hostkey_mismatch"

    def __init__(self, expected: str, presented: str, *, endpoint: str | None = None) -> None:
        self.expected = expected
        self.presented = presented
        super().__init__(
            f"host key mismatch: expected {fingerprint(expected)}, presented {fingerprint(presented)}",
            endpoint=endpoint,
        )

    @property
    def params(self) -> dict[str, str]:
        return {"expected": fingerprint(self.expected), "presented": fingerprint(self.presented)}


class HostKeyUnpinned(EndpointError):
    """No host key is pinned for the device and the policy forbids learning one on first use.

    Under the ``strict`` policy no password is sent to a device whose key nobody vouched for:
    a technician approves the key it presents (read without logging in) or imports it.
    """

    code = "hostkey_unpinned"


class Backoff(EndpointError):
    """The pool will not try this device again yet; nothing was sent.

    ``last_code`` is the ``code`` of the failure that started the wait and
    ``retry_in`` the seconds until the next attempt is allowed.
    """

    code = "backoff"

    def __init__(self, last_code: str, retry_in: float, *, endpoint: str | None = None) -> None:
        self.last_code = last_code
        self.retry_in = retry_in
        super().__init__(f"backing off after {last_code}: next attempt in {retry_in:.1f}s", endpoint=endpoint)

    @property
    def params(self) -> dict[str, str]:
        return {"last_code": self.last_code}


class CommandFailed(EndpointError):
    """The device refused a command; ``device_message`` is its own words."""

    code = "command_failed"

    def __init__(self, command: str, raw: str, device_message: str, *, endpoint: str | None = None) -> None:
        self.command = command
        self.raw = raw
        self.device_message = device_message
        super().__init__(f"command {command!r} failed: {device_message}", endpoint=endpoint)

    @property
    def params(self) -> dict[str, str]:
        """The command and the device's own words (quoted, not translated)."""
        return {"command": self.command[:200], "device_message": self.device_message[:300]}


class ParseError(EndpointError):
    """Output did not satisfy a parse rule; ``raw`` keeps the text for the log/fixture."""

    code = "bad_reply"

    def __init__(self, rule: str, raw: str, *, endpoint: str | None = None) -> None:
        self.rule = rule
        self.raw = raw
        super().__init__(f"cannot parse with rule {rule}: {raw[:200]!r}", endpoint=endpoint)

    @property
    def params(self) -> dict[str, str]:
        return {"rule": self.rule[:200]}


class UnsafeValue(EndpointError):
    """A value cannot be rendered into a command without changing its meaning."""

    code = "unsafe_value"

    def __init__(self, value: object, reason: str) -> None:
        self.value = value
        self.reason = reason
        super().__init__(f"unsafe value {str(value)[:60]!r}: {reason}")


def fingerprint(key_line: str) -> str:
    """SHA256 fingerprint of an OpenSSH key line, as ``ssh-keygen -l`` shows it."""
    import base64
    import hashlib

    try:
        blob = base64.b64decode(key_line.split()[1])
    except (IndexError, ValueError):
        return key_line[:40]
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"

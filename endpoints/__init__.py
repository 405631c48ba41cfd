"""diemcau.endpoints: talk to room video-conference codecs over SSH.

A library (async, typed, no HTTP, no ORM): give it host, credentials and a
firmware profile; get typed results back or a typed error from
``endpoints.errors``.  All vendor knowledge lives in ``firmware_profiles/*.yaml``.
"""

from endpoints.commands import quote, render
from endpoints.connection import EndpointSession, open_session, read_host_key
from endpoints.driver import CallStatus, EndpointDriver, Health, Identity
from endpoints.errors import (
    AddressRefused,
    AuthFailed,
    Backoff,
    CommandFailed,
    ConnectFailed,
    ConnectionLost,
    EndpointError,
    EndpointTimeout,
    HostKeyMismatch,
    HostKeyUnpinned,
    ParseError,
    ProfileError,
    UnsafeValue,
    fingerprint,
)
from endpoints.parsing import apply_query, apply_rule
from endpoints.pool import ConnStatus, SessionPool, Target
from endpoints.profiles import CallEnded, Profile, default_profiles_dir, load_profile, load_profiles
from endpoints.reach import tcp_probe

__all__ = [
    "AddressRefused",
    "AuthFailed",
    "Backoff",
    "CallEnded",
    "CallStatus",
    "CommandFailed",
    "ConnStatus",
    "ConnectFailed",
    "ConnectionLost",
    "EndpointDriver",
    "EndpointError",
    "EndpointSession",
    "EndpointTimeout",
    "Health",
    "HostKeyMismatch",
    "HostKeyUnpinned",
    "Identity",
    "ParseError",
    "Profile",
    "ProfileError",
    "SessionPool",
    "Target",
    "UnsafeValue",
    "apply_query",
    "apply_rule",
    "default_profiles_dir",
    "load_profile",
    "load_profiles",
    "open_session",
    "read_host_key",
    "quote",
    "render",
    "fingerprint",
    "tcp_probe",
]

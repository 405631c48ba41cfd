"""Every health problem and alarm kind in one table: its severity and its words.

A problem a check reports (camera picture analytics, stream timing, browser playability, an
endpoint's or camera's state machine) is named here once. Alarms take their severity and
message from it, the camera monitor its reason text, and the console words each code in both
languages (``web/lib/vocabulary.js``: ``alarm.<kind>``, ``problem.<code>``;
``web/lib/alarm-text.js``: ``says.<kind>``, ``degraded.<code>``; ``web/lib/failure-text.js``:
``failure.<code>``, ``cause.<cause>``). ``tests/controller/test_health_catalogue.py`` reads the checks' source for every code
they can emit and fails when one has no entry here or no words in the console, so a new check
cannot ship half-named. A kind that is somehow missing still raises its alarm (``severity``
falls back to a warning and says so in the log) instead of stopping every alarm pass.

Codes and params, for words in any language. Beside its English ``message`` every alarm has
a ``code`` and ``params`` (JSON); an endpoint's or camera's health has ``reason_params``
beside its English ``reason``. The console words them (``web/lib/alarm-text.js``), the
English text stays for logs, sinks and older clients:

- an alarm's ``code`` is its kind (``unreachable``, ``uplink``, ``camera_black`` ...), and a
  health reason's code is the state it explains (``unreachable``, ``degraded`` ...);
- a failure's params are ``{"error": <code>, ...}``: the ``code`` of the ``EndpointError``
  (``endpoints/errors.py``: ``unreachable``, ``timeout``, ``auth_failed``, ``command_failed``,
  ``bad_reply``, ``address_refused``, ``connection_lost`` ...) with that error's own
  ``params`` (``cause`` for a connect: ``connection_refused``, ``host_unreachable`` ...,
  ``errors.CONNECT_CAUSES``; ``command`` and ``device_message`` for a refused command), or
  the camera's answer (``FAILURE_CODES``);
- ``degraded`` has ``{"problems": [...]}``: ``ENDPOINT_PROBLEMS`` codes with the limits
  ``temperature_c`` and ``loss_pct`` for an endpoint, ``CAMERA_PROBLEMS`` codes for a camera;
- ``uplink`` has ``{"unit": <name>, "total": <endpoints>}``; the others have none.

Provisioning job items use the same failure codes in ``error_code``/``error_params``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from camera.playability import FIX
from endpoints.errors import EndpointError

log = logging.getLogger("diemcau.alarms")

__all__ = [
    "CAMERA_PROBLEMS",
    "CAMERA_STATES",
    "ENDPOINT",
    "ENDPOINT_PROBLEMS",
    "FAILURE_CODES",
    "READINESS",
    "Entry",
    "blocks_readiness",
    "camera_kind",
    "readiness_text",
    "camera_problem_text",
    "failure_params",
    "severity",
]

Severity = Literal["critical", "major", "minor", "warning"]


@dataclass(frozen=True)
class Entry:
    severity: Severity  # of the alarm raised for it
    text: str  # English, for alarms, logs and the API's reason; the console words it by key


# Endpoint alarm kinds (the state machine's states and the correlation's uplink).
ENDPOINT: dict[str, Entry] = {
    "hostkey_mismatch": Entry(
        "critical", "SSH host key changed: possible device swap or spoofing; connection refused"
    ),
    "hostkey_unpinned": Entry(
        "warning", "no SSH host key approved (strict policy): probe the endpoint and approve its key"
    ),
    "uplink": Entry("critical", "all endpoints under the unit are unreachable: check the unit's uplink"),
    "unreachable": Entry("major", "no TCP connection to the endpoint"),
    "offline": Entry("major", "the endpoint's port answers but its control API does not"),
    "auth_failed": Entry("major", "the endpoint rejects the stored credentials"),
    "degraded": Entry("minor", "degraded"),
    "flapping": Entry("warning", "the endpoint keeps going down and up"),
    "not_ready": Entry("major", "not ready for a scheduled session"),
}

# Why an endpoint is degraded (the tracker's `problems`), English; the limits are params.
ENDPOINT_PROBLEMS: dict[str, str] = {
    "camera_disconnected": "camera disconnected",
    "microphone_disconnected": "microphone disconnected",
    "sip_unregistered": "SIP not registered",
    "temperature_high": "temperature above {temperature_c:g} °C",
    "packet_loss_high": "packet loss above {loss_pct:g} %",
}

# The `error` param of a failed reading or job item, as the console words it: the endpoint
# library's codes (EndpointError.code), the ONVIF client's (camera.onvif.client) and the
# stream's (camera.ingest `last_code`), and what jobs themselves conclude.
FAILURE_CODES = frozenset(
    {
        # endpoints (endpoints/errors.py)
        "unreachable",
        "address_refused",
        "connection_lost",
        "timeout",
        "auth_failed",
        "hostkey_mismatch",
        "hostkey_unpinned",
        "command_failed",
        "bad_reply",
        "unsafe_value",
        "profile_error",
        "endpoint_error",
        "backoff",  # a job met the pool's wait after a failure: params {"last_code": <that code>}
        # cameras (ONVIF and RTSP)
        "unsupported_setting",
        "not_supported",
        "device_fault",
        "not_found",
        "onvif_error",
        "no_stream",
        # jobs
        "verify_failed",
        "upgrade_failed",
    }
)

# A camera's states that are alarms of their own (its stream, not its picture).
CAMERA_STATES: dict[str, Entry] = {
    "offline": Entry("major", "the camera's RTSP stream cannot be opened"),
    "auth_failed": Entry(
        "major", "the camera refuses the stored username or password: correct them in the registry"
    ),
    "stalled": Entry("major", "the camera's stream opens but sends no picture"),
    "flapping": Entry("warning", "the camera keeps going down and up"),
}

# What a camera's samples find wrong: each is a `degraded` reason and an alarm of its own
# (covered and blurred are different jobs for a technician).
CAMERA_PROBLEMS: dict[str, Entry] = {
    "black": Entry("major", "picture black: lens covered or no light"),
    "frozen": Entry("major", "picture frozen"),
    "blurred": Entry("minor", "picture blurred (out of focus or dirty lens)"),
    "moved": Entry("major", "scene changed: camera turned away"),
    "low_fps": Entry("minor", "frame rate too low"),
    "rare_keyframes": Entry("warning", "keyframes too rare"),
    "stream_unplayable": Entry(
        "warning", f"browsers cannot play this stream (not H.264, or H.264 with B-frames): {FIX}"
    ),
}


# Why an endpoint is not ready for a meeting (controller/readiness): each a reason with params.
# A `warning` is shown on the board but does not make the endpoint "not ready"; any other
# severity does. The console words each as `readiness.<code>` with what to do about it,
# `readiness.fix.<code>` (web/lib/readiness-text.js).
READINESS: dict[str, Entry] = {
    # reachable and trusted (a fresh SSH session; params: failure_params of the error)
    "unreachable": Entry("major", "no SSH session to the endpoint"),
    "auth_failed": Entry("major", "the endpoint rejects the stored credentials"),
    "hostkey_mismatch": Entry("critical", "SSH host key changed: connection refused"),
    "hostkey_unpinned": Entry("major", "no approved SSH host key"),
    "check_failed": Entry("major", "the endpoint did not answer a check"),
    # what the codec reports
    "sip_unregistered": Entry("major", "SIP not registered"),
    "camera_disconnected": Entry("major", "camera disconnected"),
    "microphone_disconnected": Entry("major", "microphone disconnected"),
    "firmware_below_minimum": Entry("major", "firmware {version} below the minimum {minimum}"),
    "firmware_below_target": Entry("warning", "firmware {version} below the target {target}"),
    "clock_skew": Entry("major", "clock {skew_s:+g} s off (limit {limit_s:g} s)"),
    "ntp_not_synced": Entry("warning", "clock not synchronised by NTP"),
    "clock_unknown": Entry("warning", "this model does not report its clock"),
    "in_other_call": Entry("major", "in another call ({remote}): no test call made"),
    "in_session": Entry("major", "in the live session {session}: no test call made"),
    # the test call to the bridge's test conference
    "no_test_number": Entry("major", "the bridge has no test conference number: no test call made"),
    "no_free_port": Entry("major", "no free bridge port for a test call ({in_use} of {ports} in use)"),
    "test_call_failed": Entry("major", "the test call failed: {cause}"),
    "test_call_timeout": Entry("major", "the test call did not connect within {seconds:g} s"),
    "test_call_dropped": Entry("major", "the test call dropped after {after_s:g} s: {cause}"),
    "packet_loss_high": Entry("major", "packet loss {loss_pct:g} % on the test call (limit {limit_pct:g} %)"),
    "jitter_high": Entry("major", "jitter {jitter_ms:g} ms on the test call (limit {limit_ms:g} ms)"),
    "no_media": Entry("major", "the test call connected but no media arrived (one-way or blocked)"),
    "media_not_measured": Entry("warning", "this model does not report call statistics"),
    "hangup_unconfirmed": Entry("major", "the test call's hang-up was not confirmed: {cause}"),
    "interrupted": Entry("major", "the check was interrupted (the controller stopped)"),
}


def blocks_readiness(code: str) -> bool:
    """Whether a readiness reason makes the endpoint "not ready" (an unknown code does)."""
    entry = READINESS.get(code)
    return entry is None or entry.severity != "warning"


def readiness_text(code: str, params: dict[str, Any]) -> str:
    """A reason in English (logs, sinks, the alarm message); the console words it by key."""
    entry = READINESS.get(code)
    if entry is None:
        return code
    try:
        return entry.text.format(**params)
    except (KeyError, ValueError, IndexError):
        return entry.text.split(":", 1)[0].split("{", 1)[0].strip() or code


def failure_params(exc: EndpointError) -> dict[str, Any]:
    """A device failure's params for an alarm, a health reason or a job item: its code as
    ``error`` and the error's own stable facts (cause, command, device words)."""
    return {"error": exc.code, **exc.params}


def camera_kind(code: str) -> str:
    """The alarm kind of a camera state or problem (``camera_`` + its code)."""
    return f"camera_{code}"


def camera_problem_text(code: str) -> str:
    entry = CAMERA_PROBLEMS.get(code)
    return entry.text if entry else code


def _entry(kind: str) -> Entry | None:
    if kind.startswith("camera_"):
        code = kind.removeprefix("camera_")
        return CAMERA_PROBLEMS.get(code) or CAMERA_STATES.get(code)
    return ENDPOINT.get(kind)


_unknown_logged: set[str] = set()


def severity(kind: str) -> Severity:
    """An alarm kind's severity; a kind missing from the catalogue is a warning (logged once)."""
    entry = _entry(kind)
    if entry is not None:
        return entry.severity
    if kind not in _unknown_logged:
        _unknown_logged.add(kind)
        log.error("alarm kind %r is not in controller/health/catalogue.py: raised as a warning", kind)
    return "warning"

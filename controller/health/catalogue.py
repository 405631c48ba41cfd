"""Every health problem and alarm kind in one table: its severity and its words.

A problem a check reports (camera picture analytics, stream timing, browser playability, an
endpoint's or camera's state machine) is named here once. Alarms take their severity and
message from it, the camera monitor its reason text, and the console shows each code under
the keys ``ioc.kind.<kind>`` and ``details.problem.<code>`` / ``ioc.problem.<code>`` in both
languages. ``tests/controller/test_health_catalogue.py`` reads the checks' source for every code
they can emit and fails when one has no entry here or no words in the console, so a new check
cannot ship half-named. A kind that is somehow missing still raises its alarm (``severity``
falls back to a warning and says so in the log) instead of stopping every alarm pass.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from camera.playability import FIX

log = logging.getLogger("diemcau.alarms")

__all__ = [
    "CAMERA_PROBLEMS",
    "CAMERA_STATES",
    "ENDPOINT",
    "Entry",
    "camera_kind",
    "camera_problem_text",
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
}

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

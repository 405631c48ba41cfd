"""What a job and its items say of their progress: a stable code with its params, and the
English sentence made from them for logs, sinks and older clients.

The console words each code itself (``web/lib/job-text.js``, Vietnamese first), so a
technician reads "3 mục cần đặt, 2 mục đã đúng" and not the server's English. Failures are
not here: an item that failed carries ``error_code``/``error_params`` (the device's failure,
``controller.health.catalogue``). ``tests/controller/test_job_notes.py`` checks that every
code here has words in both of the console's languages.
"""

from __future__ import annotations

from typing import Any

from controller import templates

__all__ = ["NOTES", "note"]

# code -> English template; bare {name} placeholders only (controller.templates)
NOTES: dict[str, str] = {
    # an item
    "endpoint_gone": "endpoint no longer registered",
    "camera_gone": "camera no longer registered",
    "no_onvif": "no ONVIF address registered",
    "profile_missing": "profile {profile} not installed",
    "no_upgrade": "the profile has no upgrade command",
    "in_call": "in a call: not touched",
    "plan": "{to_set} to set, {right} already right",
    "writing": "writing",
    "applied": "{count} key(s) set and verified",
    "camera_applied": "verified: {resolution} at {fps} fps, a keyframe every {keyframe_s} s, {bitrate_kbps} kbit/s",
    "already_at": "already at {version}",
    "upgrading": "upgrading {version} -> {wanted}",
    "upgraded": "{before} -> {version}",
    "host_key_held": "came back with a new host key; approve it to finish",
    "item_cancelled": "job cancelled",
    "item_interrupted": "interrupted mid-way; the writes listed were planned and may have been applied; "
    "resume re-reads the device before writing",
    # a job
    "waiting_window": "waiting for the maintenance window {window}",
    "halted_canary": "canary wave: {failed} of {tried} upgrade(s) failed; campaign halted, nothing more started",
    "halted_wave": "wave {wave}: {failed} of {tried} failed ({percent}%); campaign halted",
    "job_crashed": "the job stopped on an internal error ({error}); see the log",
    "job_interrupted": "the controller stopped while this job ran; resume to finish it",
}

# a plan's counts that are said only when there are some
_PLAN_EXTRAS = (("refused", "refused"), ("unsettable", "not settable"))


def _english(code: str, params: dict[str, Any]) -> str:
    text = templates.render(NOTES[code], {k: str(v) for k, v in params.items()})
    if code == "plan":
        text += "".join(f", {params[k]} {words}" for k, words in _PLAN_EXTRAS if params.get(k))
        if params.get("profile"):
            text += f" (profile {params['profile']}, stream {params.get('stream')})"
    return text


def note(code: str, **params: Any) -> dict[str, Any]:
    """The fields a job or an item takes for this note: ``message`` (English),
    ``message_code`` and ``message_params``; KeyError for a code not in NOTES."""
    return {"message": _english(code, params), "message_code": code, "message_params": params}

"""Why a participant is not in the meeting, as a host reads it: a stable code with params,
and the English sentence made from them.

A `Cause` is a ``str`` (the English sentence, stored in ``participants.cause``, logged and
written to the attendance CSV as before) that also carries ``code`` and ``params``: the
conductor's many return paths hand causes along unchanged, and the one place that records
them (``Conductor._set``) stores the code beside the text. The console words the code
(``web/views/host-i18n.js``, ``host.cause.<code>``), so the host board reads "máy đang
trong cuộc gọi khác" rather than the server's English.
"""

from __future__ import annotations

from typing import Any

from controller import templates
from controller.health.catalogue import failure_params
from endpoints.errors import CommandFailed, EndpointError

__all__ = ["CAUSES", "Cause"]

# code -> English template (bare {name} placeholders only: controller.templates)
CAUSES: dict[str, str] = {
    # cannot join at all (the session's start, adding one)
    "in_session": "in another live session: {session}",
    "endpoint_down": "endpoint is {state}",
    "host_key_pending": "endpoint has a host key waiting for approval",
    "bridge_full": "bridge '{bridge}' full ({ports} ports in use)",
    # a dial that did not connect, a call that was lost
    "busy_other_call": "busy: in another call ({remote})",
    "previous_call_ending": "the previous call is still ending",
    "setup_timeout": "not connected within {seconds} s",
    "ended_during_setup": "call ended during setup",
    "in_other_call": "in another call ({remote})",
    "call_ended": "call ended",
    "device_ended": "{device_cause}",  # the device's own words in its call-ended feedback
    "device_error": "{text}",  # the device refused, or could not be reached (params: the failure)
    # leaving
    "hangup_unconfirmed": "hang-up not confirmed: {text}",
    "still_in_call": "still in a call {seconds} s after hang-up",
}


class Cause(str):
    """The English sentence, with ``code`` and ``params`` for words in any language."""

    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, **params: Any) -> Cause:
        shown = {k: ("unknown remote" if k == "remote" and not v else str(v)) for k, v in params.items()}
        self = super().__new__(cls, templates.render(CAUSES[code], shown))
        self.code, self.params = code, {k: v for k, v in params.items() if k != "text"}
        return self

    @classmethod
    def of_error(cls, exc: EndpointError, code: str = "device_error") -> Cause:
        """A device failure: the device's own words when it refused a command, else the
        error's code and message; params are the failure's (``catalogue.failure_params``)."""
        if isinstance(exc, CommandFailed):
            text = exc.device_message or exc.code
        else:
            text = f"{exc.code}: {exc}"
        return cls(code, text=text, **failure_params(exc))


def code_of(cause: str | None) -> tuple[str | None, dict[str, Any] | None]:
    """The code and params of a cause (none for a plain string or no cause)."""
    if isinstance(cause, Cause):
        return cause.code, cause.params
    return None, None

"""What every simulated dialect shares: state, config keys taken from the profile.

The simulator plays the device, so each vendor family has a small command
interpreter (``cisco.py``, ``poly.py``).  Config keys, their read/set command
shapes and quoting come from the profile so the two cannot drift apart on
key names; the device's own quote parsing lives in ``tokens.py``.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from endpoints.profiles import ConfigKey, Profile
from endpoints.sim.state import EndpointState
from endpoints.sim.tokens import QuoteError, quote_out, tokenize

__all__ = ["Dialect", "norm"]

# Starting values, by canonical key, in the device's own vocabulary per family.
_DEFAULTS: dict[str, str] = {
    "display_name": "{name}",
    "h323_name": "{name}",
    "sip_uri": "{name}@vc.example.gov.vn",
    "sip_proxy": "cucm.example.gov.vn",
    "ntp_server": "ntp.example.gov.vn",
    "time_zone": "Asia/Ho_Chi_Minh",
    "default_call_rate": "1920",
}


def norm(text: str) -> str:
    """Case- and whitespace-insensitive form used to compare command paths."""
    return " ".join(text.split()).lower()


def _set_prefix(spec: ConfigKey) -> str:
    return norm(spec.set.split("{", 1)[0])


def _quoted(spec: ConfigKey) -> bool:
    return "{value}" in spec.set or "{value:q}" in spec.set


class Dialect:
    """One SSH shell on a simulated device.  Subclasses implement ``handle``."""

    models: tuple[str, ...] = ("Generic",)
    choice_defaults: dict[str, str] = {}

    def __init__(
        self,
        state: EndpointState,
        profile: Profile,
        broadcast: Callable[[str, dict[str, object]], None],
    ) -> None:
        self.state = state
        self.profile = profile
        # Tells the device: ``dial`` {call} (accepted, status dialling: the device
        # runs the setup), ``hangup``, ``upgrade`` {url}; other kinds are events.
        self.broadcast = broadcast
        self.rng = random.Random(state.name)

    @classmethod
    def initial_state(cls, name: str, unit: str, profile: Profile, index: int) -> EndpointState:
        config: dict[str, str] = {}
        for key, spec in profile.config.items():
            default = cls.choice_defaults.get(key) or _DEFAULTS.get(key, "")
            if spec.choices and default not in spec.choices.values():
                default = next(iter(spec.choices.values()))
            config[key] = default.format(name=name)
        return EndpointState(
            name=name,
            unit=unit,
            profile_id=profile.id,
            model=cls.models[index % len(cls.models)],
            firmware=profile.firmware.target,
            serial=f"SIM{index:07d}",
            config=config,
        )

    # -- config, shaped by the profile --------------------------------------
    def config_read(self, line: str) -> tuple[str, str] | None:
        """(key, printed value) if ``line`` is a profile read command."""
        for key, spec in self.profile.config.items():
            if norm(line) == norm(spec.read):
                value = self.state.config.get(key, "")
                return key, quote_out(value) if _quoted(spec) else value
        return None

    def config_set(self, line: str) -> tuple[str, str | None] | None:
        """(key, error or None) if ``line`` is a profile set command; stores the value."""
        low = norm(line)
        for key, spec in self.profile.config.items():
            prefix = _set_prefix(spec)
            if low.startswith(prefix + " ") and norm(line) != norm(spec.read):
                self.state.stats.config_writes += 1
                rest = " ".join(line.split())[len(prefix) :].strip()
                try:
                    tokens = tokenize(rest)
                except QuoteError as exc:
                    return key, str(exc)
                if len(tokens) != 1:
                    return key, "invalid value"
                value = tokens[0].text
                if spec.choices and value not in spec.choices.values():
                    return key, f"invalid value {value}"
                if key == "default_call_rate" and not value.isdigit():
                    return key, f"invalid value {value}"
                self.state.config[key] = value
                return key, None
        return None

    # -- to implement -------------------------------------------------------
    def banner(self) -> str:
        raise NotImplementedError

    def handle(self, line: str) -> tuple[list[str], bool]:
        """Reply pieces for one input line, and whether to close the session after."""
        raise NotImplementedError

    def garbage(self, line: str) -> list[str]:
        raise NotImplementedError

    def event(self, kind: str, data: dict[str, object]) -> str | None:
        """Feedback text this session prints for a device event, if subscribed.

        Kinds: ``call_progress`` {call} (a dialled call is now ``dialling`` or
        ``ringing``), ``call_connected`` {call}, ``call_disconnected`` {call, cause:
        ``LocalDisconnect`` | ``RemoteDisconnect`` | ``NetworkError`` |
        ``NoResources`` | ...}, ``peripheral`` {device:
        ``camera`` | ``microphones``, connected}, ``sip`` {registered}.
        """
        return None

    def noise(self) -> str:
        """A harmless unsolicited line to interleave (fault ``noise``)."""
        raise NotImplementedError

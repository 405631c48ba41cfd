"""The endpoint state machine, with hysteresis and flap detection. Pure: no I/O.

States: unknown, online, in_call, degraded (up); offline, unreachable,
auth_failed, hostkey_mismatch, hostkey_unpinned (down). Thresholds and why:

- `fail_after` = 3: one lost reply or a slow SSH handshake must not page
  anyone; with 2 % of replies lost, three in a row happen about once in
  125,000 polls — roughly once a month for a whole province polled every 15 s.
  Detection then takes at most 3 intervals (+ timeouts), which the IOC accepts.
- `recover_after` = 2: a device that answers once between reboots is not back.
- `auth_failed`, `hostkey_mismatch` and `hostkey_unpinned` (strict policy, no key
  approved yet) are definitive answers, not noise:
  they take effect at once and clear on the first clean poll.
- Degraded enters when a condition appears and leaves when it is gone (reasons
  name the condition, not the measured value, so a changing value is not a
  new event); packet
  loss uses a band (enter above `loss_pct`, leave below 60 % of it) so a call
  hovering at the threshold does not flap.
- `flap_transitions` up/down changes within `flap_window_s` mark the endpoint
  flapping: one flapping alarm replaces the storm of offline/online ones.

Every reason comes with `reason_params` (JSON): the reason's code is the state itself, the
params say which failure or which problems (`catalogue.py` documents them), so the console
words a reason in its own language and the English `reason` stays for logs and old clients.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from controller.health.catalogue import ENDPOINT_PROBLEMS

UP = frozenset({"online", "in_call", "degraded"})
# "stalled": a camera whose stream opens but sends no picture.
DOWN = frozenset({"offline", "unreachable", "auth_failed", "hostkey_mismatch", "hostkey_unpinned", "stalled"})
DEFINITIVE = frozenset({"auth_failed", "hostkey_mismatch", "hostkey_unpinned"})


@dataclass(frozen=True)
class Thresholds:
    fail_after: int = 3
    recover_after: int = 2
    loss_pct: float = 5.0
    temperature_c: float = 75.0
    flap_transitions: int = 6
    flap_window_s: float = 600.0


@dataclass(frozen=True)
class Observation:
    """One poll: `health` when the device answered, else the failure's `code`."""

    health: dict[str, Any] | None = None
    code: str | None = None  # unreachable | offline | auth_failed | hostkey_mismatch
    message: str | None = None
    params: dict[str, Any] | None = None  # the failure's facts: {"error": code, "cause": ...}


@dataclass(frozen=True)
class Transition:
    old: str
    new: str
    reason: str | None
    params: dict[str, Any] = field(default_factory=dict)


# What a healthy answer means: (state, English reason, the reason's params).
Verdict = tuple[str, str | None, dict[str, Any]]


@dataclass
class Tracker:
    thresholds: Thresholds = field(default_factory=Thresholds)
    state: str = "unknown"
    reason: str | None = None
    reason_params: dict[str, Any] = field(default_factory=dict)
    failures: int = 0
    successes: int = 0
    flapping: bool = False
    # What a healthy answer means (state, reason); endpoints by default, cameras pass their own.
    classify: Callable[[dict[str, Any]], Verdict] | None = None
    _flips: deque[float] = field(default_factory=deque)

    def observe(self, obs: Observation, now: float) -> Transition | None:
        """Feed one poll; returns the transition if the state changed."""
        self._expire_flips(now)
        if obs.health is None:
            return self._failure(obs, now)
        return self._success(obs.health, now)

    # -- failures ---------------------------------------------------------------
    def _failure(self, obs: Observation, now: float) -> Transition | None:
        code = obs.code or "unreachable"
        self.successes = 0
        self.failures += 1
        params = dict(obs.params or {})
        if code in DEFINITIVE:
            return self._move(code, obs.message, now, params)
        if self.state in DOWN - DEFINITIVE:
            # Already down: follow the layer that fails now (offline <-> unreachable).
            return self._move(code, obs.message, now, params) if code != self.state else None
        if self.failures >= self.thresholds.fail_after:
            return self._move(code, obs.message, now, params)
        return None

    # -- successes --------------------------------------------------------------
    def _success(self, health: dict[str, Any], now: float) -> Transition | None:
        self.failures = 0
        self.successes += 1
        target, reason, params = (self.classify or self._classify)(health)
        if self.state in DOWN - DEFINITIVE and self.successes < self.thresholds.recover_after:
            return None
        if target == self.state and reason == self.reason:
            return None
        return self._move(target, reason, now, params)

    def _classify(self, h: dict[str, Any]) -> Verdict:
        t = self.thresholds
        problems = []
        if h.get("camera_connected") is False:
            problems.append("camera_disconnected")
        if h.get("microphones_connected") is False:
            problems.append("microphone_disconnected")
        if h.get("sip_registered") is False:
            problems.append("sip_unregistered")
        temp = h.get("temperature_c")
        if temp is not None and temp > t.temperature_c:
            problems.append("temperature_high")
        loss = h.get("packet_loss_pct")
        if h.get("in_call") and loss is not None:
            was_lossy = self.state == "degraded" and "packet_loss_high" in self.reason_params.get(
                "problems", ()
            )
            limit = t.loss_pct * (0.6 if was_lossy else 1.0)
            if loss > limit:
                problems.append("packet_loss_high")
        if problems:
            # the limits, not the measured values: a changing value is not a new reason
            limits = {"temperature_c": t.temperature_c, "loss_pct": t.loss_pct}
            text = ", ".join(ENDPOINT_PROBLEMS[p].format(**limits) for p in problems)
            return "degraded", text, {"problems": problems, **limits}
        if h.get("in_call"):
            return "in_call", None, {}
        return "online", None, {}

    # -- bookkeeping ------------------------------------------------------------
    def _move(
        self, new: str, reason: str | None, now: float, params: dict[str, Any] | None = None
    ) -> Transition | None:
        if new == self.state and reason == self.reason:
            return None
        old = self.state
        if (old in UP) != (new in UP) and old != "unknown":
            self._flips.append(now)
            if len(self._flips) >= self.thresholds.flap_transitions:
                self.flapping = True
        self.state, self.reason = new, reason
        self.reason_params = dict(params or {})
        return Transition(old, new, reason, dict(self.reason_params))

    def _expire_flips(self, now: float) -> None:
        window = self.thresholds.flap_window_s
        while self._flips and now - self._flips[0] > window:
            self._flips.popleft()
        if self.flapping and not self._flips:
            self.flapping = False

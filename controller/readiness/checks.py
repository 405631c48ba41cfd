"""What the readiness checks conclude from what a codec reports: findings, no I/O.

Each finding is a reason code of the catalogue (``health/catalogue.py`` READINESS) with its
params; a ``warning`` is shown but does not make the endpoint "not ready". The limits are
the province's settings; docs/READINESS.md gives the reason for each default.

"Unknown" is never "fine" and never "broken": a model that does not report its camera (a
Group Series has no camera line in ``status``) simply has no camera finding, and one that
cannot report its clock gets the ``clock_unknown`` warning so the board says it was not
measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from controller.health.catalogue import blocks_readiness, failure_params
from controller.provisioning.firmware import bucket
from controller.settings import Settings
from endpoints import CallStatus, Health
from endpoints.driver import DeviceClock, MediaSample
from endpoints.errors import Backoff, EndpointError
from endpoints.profiles import Firmware

__all__ = ["Finding", "Limits", "device_findings", "error_finding", "media_findings", "verdict"]

# EndpointError codes that mean "no usable session to the device"
_UNREACHABLE = frozenset({"unreachable", "address_refused", "connection_lost", "timeout", "backoff"})
_OWN_CODES = frozenset({"auth_failed", "hostkey_mismatch", "hostkey_unpinned"})


@dataclass(frozen=True)
class Finding:
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def blocking(self) -> bool:
        return blocks_readiness(self.code)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": self.params, "blocking": self.blocking}


@dataclass(frozen=True)
class Limits:
    max_clock_skew_s: float
    max_loss_pct: float
    max_jitter_ms: float

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            settings.readiness_max_clock_skew_s,
            settings.readiness_max_loss_pct,
            settings.readiness_max_jitter_ms,
        )


def error_finding(exc: EndpointError) -> Finding:
    """Why a check could not talk to the codec, as a reason: the trust problems by name (a
    person must act), every transport failure as ``unreachable``, anything else (a reply we
    could not read, a refused query) as ``check_failed``, with the error's own params."""
    code = exc.last_code if isinstance(exc, Backoff) else exc.code
    params = failure_params(exc)
    if code in _OWN_CODES:
        return Finding(code, params)
    if code in _UNREACHABLE:
        return Finding("unreachable", params)
    return Finding("check_failed", params)


def device_findings(
    health: Health,
    call: CallStatus,
    clock: DeviceClock | None,
    firmware_version: str | None,
    firmware: Firmware,
    limits: Limits,
) -> list[Finding]:
    """The pre-call checks: registered, peripherals present, firmware, clock, not in a call."""
    out: list[Finding] = []
    if call.state != "idle":
        out.append(Finding("in_other_call", {"remote": call.remote or ""}))
    if health.sip_registered is False:
        out.append(Finding("sip_unregistered"))
    if health.camera_connected is False:
        out.append(Finding("camera_disconnected"))
    if health.microphones_connected is False:
        out.append(Finding("microphone_disconnected"))
    level = bucket(firmware_version, firmware.minimum, firmware.target)
    if level == "below_minimum":
        out.append(
            Finding("firmware_below_minimum", {"version": firmware_version, "minimum": firmware.minimum})
        )
    elif level == "below_target":
        out.append(Finding("firmware_below_target", {"version": firmware_version, "target": firmware.target}))
    if clock is None:
        out.append(Finding("clock_unknown"))
    elif abs(clock.skew_s) > limits.max_clock_skew_s:
        out.append(Finding("clock_skew", {"skew_s": round(clock.skew_s), "limit_s": limits.max_clock_skew_s}))
    elif clock.ntp_synced is False:
        out.append(Finding("ntp_not_synced"))
    return out


def window_loss_pct(first: MediaSample, last: MediaSample) -> float | None:
    """Receive loss over the window: from the counters' growth when the device keeps
    cumulative counters, else the device's own short-interval figure."""
    counters = (first.lost_packets, first.received_packets, last.lost_packets, last.received_packets)
    if None not in counters:
        lost = (last.lost_packets or 0) - (first.lost_packets or 0)
        received = (last.received_packets or 0) - (first.received_packets or 0)
        if lost >= 0 and received >= 0 and lost + received > 0:
            return round(100 * lost / (lost + received), 2)
    figures = [s.loss_pct for s in (first, last) if s.loss_pct is not None]
    return max(figures) if figures else None


def counters_stood_still(first: MediaSample, last: MediaSample) -> bool:
    """Cumulative counters that did not move over the window: no packet received at all."""
    if first.received_packets is None or last.received_packets is None:
        return False
    lost = (last.lost_packets or 0) - (first.lost_packets or 0)
    return last.received_packets - first.received_packets <= 0 and lost <= 0


def media_findings(
    first: MediaSample | None, last: MediaSample | None, limits: Limits
) -> tuple[list[Finding], dict[str, Any]]:
    """The test call's quality: findings and the measured figures (None: not measured)."""
    if first is None or last is None:
        return [Finding("media_not_measured")], {"loss_pct": None, "jitter_ms": None}
    loss = window_loss_pct(first, last)
    jitter = last.jitter_ms
    out: list[Finding] = []
    if counters_stood_still(first, last):
        out.append(Finding("no_media"))  # connected, but nothing arrived: one-way or blocked media
    elif loss is None and jitter is None:
        out.append(Finding("media_not_measured"))
    if loss is not None and loss > limits.max_loss_pct:
        out.append(Finding("packet_loss_high", {"loss_pct": loss, "limit_pct": limits.max_loss_pct}))
    if jitter is not None and jitter > limits.max_jitter_ms:
        out.append(Finding("jitter_high", {"jitter_ms": jitter, "limit_ms": limits.max_jitter_ms}))
    return out, {"loss_pct": loss, "jitter_ms": jitter}


def verdict(findings: list[Finding]) -> str:
    return "not_ready" if any(f.blocking for f in findings) else "ready"

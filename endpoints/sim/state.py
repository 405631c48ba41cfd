"""What one simulated codec knows about itself, and which faults are active.

Plain dataclasses so tests can read the device's "truth" (what it stored,
which commands it ran) directly, without going through SSH.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

__all__ = ["FAULTS", "CallState", "EndpointState", "Faults", "Stats", "UpgradeState"]

FAULTS = (
    "refuse",
    "stall",
    "wrong_password",
    "new_host_key",
    "slow",
    "drop",
    "garbage",
    "reboot",
    "noise",
    "flaky",
    "stuck_call",
    "clear",
)


@dataclass
class CallState:
    call_id: int
    remote: str
    rate: int
    protocol: str  # "sip", "h323" or "spark"; each shell prints its own word
    direction: str = "outgoing"  # or "incoming" (started through the control API)
    # "dialling" -> "ringing" -> "connected" (canonical words; each dialect prints its own)
    status: str = "connected"
    started: float = field(default_factory=time.monotonic)  # reset when connected

    @property
    def duration_s(self) -> int:
        return int(time.monotonic() - self.started)


@dataclass
class Stats:
    """Counters the controller's tests and benchmarks read (e.g. "0 writes on a re-run")."""

    connections: int = 0  # SSH logins accepted
    passwords: int = 0  # passwords received (every password login attempt, right or wrong)
    commands: int = 0  # non-empty command lines received
    config_writes: int = 0  # setting writes received (accepted or refused)
    upgrades: int = 0  # firmware upgrades started
    flaky_dropped: int = 0  # batches of input never answered (fault ``flaky``)
    flaky_delayed: int = 0  # batches answered ``flaky_delay_ms`` late
    dials: int = 0  # dial commands received (accepted or refused)
    batches: int = 0  # reads of input that held one or more complete lines (one link delay each)

    def as_dict(self) -> dict[str, int]:
        return {
            "dials": self.dials,
            "batches": self.batches,
            "connections": self.connections,
            "passwords": self.passwords,
            "commands": self.commands,
            "config_writes": self.config_writes,
            "upgrades": self.upgrades,
            "flaky_dropped": self.flaky_dropped,
            "flaky_delayed": self.flaky_delayed,
        }


@dataclass
class UpgradeState:
    """The last firmware upgrade: ``downloading`` → ``installing`` → ``succeeded``/``failed``."""

    url: str
    version: str | None  # parsed from the file name; None: not a firmware file
    status: str = "downloading"
    message: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "url": self.url,
            "version": self.version,
            "status": self.status,
            "message": self.message,
        }


@dataclass
class Faults:
    """Active faults; ``noise`` interleaves feedback into every reply (not a failure).

    ``flaky_pct``: each batch of input the device receives is, with that
    probability, either never answered or answered ``flaky_delay_ms`` late
    (half and half, from the endpoint's seeded RNG).
    """

    refuse: bool = False
    stall: bool = False
    wrong_password: bool = False
    new_host_key: bool = False
    slow_ms: int = 0
    drop: bool = False
    garbage: bool = False
    noise: bool = False
    flaky_pct: float = 0.0
    stuck_call: bool = False  # a hang-up is acknowledged but the call stays up
    flaky_delay_ms: int = 0
    down_until: float = 0.0  # reboot: monotonic time the device comes back

    def active(self) -> list[str]:
        names = [
            n
            for n in (
                "refuse",
                "stall",
                "wrong_password",
                "new_host_key",
                "drop",
                "garbage",
                "noise",
                "stuck_call",
            )
            if getattr(self, n)
        ]
        if self.slow_ms:
            names.append(f"slow:{self.slow_ms}ms")
        if self.flaky_pct:
            names.append(f"flaky:{self.flaky_pct:g}%/{self.flaky_delay_ms}ms")
        if self.down_until > time.monotonic():
            names.append("reboot")
        return names


@dataclass
class EndpointState:
    name: str
    unit: str
    family: str  # the shell family it runs, e.g. "cisco-roomos"
    model: str
    firmware: str  # the installed release, as the family names its packages
    serial: str
    config: dict[str, str]  # stored settings, keyed by the device's own names
    booted_at: float = field(default_factory=time.monotonic)
    call: CallState | None = None
    next_call_id: int = 1
    muted: bool = False
    camera_connected: bool = True
    microphones_connected: bool = True
    sip_registered: bool = True
    packet_loss_pct: float = 0.0
    temperature_c: float = 41.5
    # the device's clock: how far it is from true time (+ ahead, - behind), and whether it
    # says it is synchronised with its NTP server; each shell prints the clock its own way
    clock_offset_s: float = 0.0
    ntp_synced: bool = True
    jitter_ms: float = 2.0  # in-call jitter of received media (RFC 3550), where a family reports it
    commands: list[str] = field(default_factory=list)  # every command line the device ran
    # notification registrations the device keeps across sessions and reboots (Poly keeps
    # them in flash); a family whose registrations belong to a session ignores this
    registrations: set[str] = field(default_factory=set)
    faults: Faults = field(default_factory=Faults)
    stats: Stats = field(default_factory=Stats)
    upgrade: UpgradeState | None = None

    def new_call(
        self, remote: str, rate: int, protocol: str, direction: str, status: str = "connected"
    ) -> CallState:
        """Put the device in a call (the caller checked it was idle) and return it."""
        self.call = CallState(self.next_call_id, remote, rate, protocol, direction, status)
        self.next_call_id += 1
        return self.call

    @property
    def upgrading(self) -> bool:
        return self.upgrade is not None and self.upgrade.status in ("downloading", "installing")

    @property
    def uptime_s(self) -> int:
        return int(time.monotonic() - self.booted_at)

    def summary(self) -> dict[str, object]:
        """JSON-friendly view for the control API."""
        return {
            "name": self.name,
            "unit": self.unit,
            "family": self.family,
            "model": self.model,
            "firmware": self.firmware,
            "uptime_s": self.uptime_s,
            "in_call": self.call is not None and self.call.status == "connected",
            "call_status": self.call.status if self.call else "idle",
            "remote": self.call.remote if self.call else None,
            "call_direction": self.call.direction if self.call else None,
            "muted": self.muted,
            "camera_connected": self.camera_connected,
            "microphones_connected": self.microphones_connected,
            "sip_registered": self.sip_registered,
            "packet_loss_pct": self.packet_loss_pct,
            "temperature_c": self.temperature_c,
            "clock_offset_s": self.clock_offset_s,
            "ntp_synced": self.ntp_synced,
            "jitter_ms": self.jitter_ms,
            "config": dict(self.config),
            "faults": self.faults.active(),
            "commands": len(self.commands),
            "stats": self.stats.as_dict(),
            "upgrade": self.upgrade.as_dict() if self.upgrade else None,
        }

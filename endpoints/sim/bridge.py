"""A simulated MCU bridge with a fixed number of ports, shared by a whole fleet.

A conference is joined by dialling ``sip:<conference>@<bridge host>``.  Each
participant holds one port from ringing until the call ends; when none is
free the call is refused (cause ``NoResources``), as a full MCU does.  The
counters (peak, rejected, who is in which conference) are what load tests
and benchmarks assert on, so they live here rather than on each endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["SimBridge", "split_uri"]


def split_uri(remote: str) -> tuple[str, str]:
    """(user, host) of a dial string: scheme (``sip:``/``h323:``...), ``;params``
    and ``:port`` dropped, host lower-cased; ("", "") when there is no ``@``."""
    text = remote.strip().split(";", 1)[0]
    scheme, colon, rest = text.partition(":")
    if colon and "@" not in scheme:
        text = rest
    user, at, host = text.rpartition("@")
    if not at:
        return "", ""
    return user, host.split(":", 1)[0].lower()


@dataclass
class SimBridge:
    """Ports by endpoint name; one call per endpoint, so the name is the key."""

    host: str = "bridge.sim"
    ports: int = 250
    peak: int = 0
    rejected: int = 0
    _held: dict[str, str] = field(default_factory=dict)  # endpoint name -> conference id

    def conference(self, remote: str) -> str | None:
        """The conference id when ``remote`` is on this bridge, else None (point-to-point)."""
        user, host = split_uri(remote)
        return user if host and host == self.host.lower() else None

    def take(self, name: str, conference: str) -> bool:
        """Give ``name`` a port in ``conference``; False (and counted) when the bridge is full."""
        if name in self._held:
            self._held[name] = conference
            return True
        if len(self._held) >= self.ports:
            self.rejected += 1
            return False
        self._held[name] = conference
        self.peak = max(self.peak, len(self._held))
        return True

    def release(self, name: str) -> None:
        self._held.pop(name, None)

    def resize(self, ports: int) -> None:
        """New capacity (calls already in keep their ports; new ones wait for room)."""
        if isinstance(ports, bool) or not isinstance(ports, int) or ports < 0:
            raise ValueError("bridge ports must be an integer >= 0")
        self.ports = ports

    @property
    def in_use(self) -> int:
        return len(self._held)

    def as_dict(self) -> dict[str, object]:
        conferences: dict[str, list[str]] = {}
        for name, conf in self._held.items():
            conferences.setdefault(conf, []).append(name)
        return {
            "host": self.host,
            "ports": self.ports,
            "in_use": self.in_use,
            "peak": self.peak,
            "rejected": self.rejected,
            "conferences": {c: sorted(names) for c, names in sorted(conferences.items())},
        }

"""The contract between a simulated device (``server.SimEndpoint``) and the shell of its family.

A shell plays one SSH session on one device, as the vendor documents it: it is text in,
text out, with no I/O of its own, and it knows nothing of the controller (it must never
import the driver, the profiles, the framer or the escaping code: a simulator written
from the driver's assumptions can only agree with it). What the device *is* (name,
calls, peripherals, stored configuration) lives in ``EndpointState``, shared by every
session of that device; what the device *does* beyond answering (run a call set-up,
hang up, reboot, upgrade) the shell asks of ``DeviceHooks``.

One family, one module: ``roomos.py`` (Cisco RoomOS / CE xAPI), ``group_series.py``
(Poly RealPresence Group Series API). Each module's docstring cites the documents it
follows; ``docs/devices/<family>.md`` is the catalogue of those behaviours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from endpoints.sim.state import CallState, EndpointState

__all__ = ["EVENT_KINDS", "DeviceHooks", "DeviceShell"]

# What the device tells its open sessions (``DeviceShell.event``), with ``data``:
#   call_progress      {"call": CallState}  a call we dialled is now "dialling" or "ringing"
#   call_connected     {"call": CallState}  a call is up (dialled and answered, or incoming)
#   call_disconnected  {"call": CallState, "cause": str}  cause: LocalDisconnect,
#                      RemoteDisconnect, NetworkError, NoResources, NotFound, Busy
#   peripheral         {"device": "camera" | "microphones", "connected": bool}
#   sip                {"registered": bool}
EVENT_KINDS = ("call_progress", "call_connected", "call_disconnected", "peripheral", "sip")


@dataclass
class DeviceHooks:
    """What a shell asks of the device it runs on.

    ``dial(call)``: the shell accepted a dial and put ``call`` (status "dialling") in
    ``state.call`` with ``state.new_call``; the device runs the set-up from there
    (ringing, answer, bridge port) and tells every session through ``event``.
    ``hangup(call_id)``: end the call with that id (None: whatever call there is) as a
    local disconnect; False when there was no such call.
    ``upgrade(url)``: start a firmware upgrade (download, reboot, come back).
    ``reboot()``: restart now (every session is dropped, the port closes for a while).
    """

    dial: Callable[[CallState], None]
    hangup: Callable[[int | None], bool]
    upgrade: Callable[[str], object]  # what they return (the device's task) is not used
    reboot: Callable[[], object]


class DeviceShell:
    """One SSH session on a simulated device of one family. Subclasses implement it all.

    ``variants`` switches documented-but-optional behaviour on (each family lists its
    own in ``VARIANTS``); the default is the device as its vendor documents it, awkward
    parts included (echo, banners, reply order, value limits).
    """

    family: ClassVar[str] = ""  # the id tests and the fleet use, e.g. "cisco-roomos"
    models: ClassVar[tuple[str, ...]] = ()  # product names the fleet hands out in turn
    firmware: ClassVar[str] = ""  # installed release, as the family names its packages
    reboot_seconds: ClassVar[float] = 0.0  # how long a reboot keeps the port closed
    VARIANTS: ClassVar[dict[str, str]] = {}  # variant name -> what it changes

    def __init__(
        self, state: EndpointState, hooks: DeviceHooks, variants: frozenset[str] = frozenset()
    ) -> None:
        unknown = set(variants) - set(self.VARIANTS)
        if unknown:
            raise ValueError(
                f"unknown {self.family} variant(s) {sorted(unknown)}; have {sorted(self.VARIANTS)}"
            )
        self.state = state
        self.hooks = hooks
        self.variants = variants

    @classmethod
    def initial_config(cls, name: str, index: int) -> dict[str, str]:
        """A factory-fresh device's stored settings, keyed by the device's own names."""
        raise NotImplementedError

    def login(self) -> str:
        """Everything the device prints once SSH authentication succeeded."""
        raise NotImplementedError

    def split(self, buffer: str) -> tuple[list[str], str]:
        """Complete input lines in ``buffer`` (without their line ending), and the rest."""
        raise NotImplementedError

    def handle(self, line: str) -> tuple[list[str], bool]:
        """Output for one input line, echo included, as pieces (feedback may be pushed
        between two pieces), and whether the session ends after it."""
        raise NotImplementedError

    def event(self, kind: str, data: dict[str, object]) -> str | None:
        """The feedback this session prints for a device event, if it registered for it."""
        raise NotImplementedError

    def garbage(self, line: str) -> list[str]:
        """A malformed reply to ``line`` (fault ``garbage``), framed like a real one."""
        raise NotImplementedError

    def noise(self) -> str:
        """A harmless unsolicited feedback block (fault ``noise``)."""
        raise NotImplementedError

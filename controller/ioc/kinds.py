"""What a kind of sink is: the address it takes, the secret it keeps, the sender it builds.

The rest of the sink machinery (order per entity, retries, dead letters, replay) is the
same for every kind; a new kind is a sender module that declares its `SinkKind` and one
entry in `controller.ioc.senders.KINDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from camera.netpolicy import NetPolicy
from controller.ioc.schemas import SinkCreateBase
from controller.models import OutboxEvent, Sink
from controller.units.codes import UnitCodes

if TYPE_CHECKING:
    from controller.settings import Settings

__all__ = ["Address", "Sender", "SenderContext", "SinkKind"]


class Sender(Protocol):
    """One way to deliver an event; the dispatcher owns order and retries."""

    async def open(self) -> None:
        """Before the first event (an MQTT sink says it is online); never raises."""

    async def send(self, event: OutboxEvent) -> tuple[bool, int | None, str | None]: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class Address:
    """Where a sink's URL points: checked against the network policy and the plaintext rule."""

    host: str
    plaintext: bool


@dataclass(frozen=True)
class SenderContext:
    """What the dispatcher lends every sender: the shared HTTP client (connections pooled
    across webhooks), the settings, the network policy in force, and the units' codes (topics
    name units by code)."""

    client: httpx.AsyncClient
    settings: Settings
    policy: NetPolicy
    unit_codes: UnitCodes


@dataclass(frozen=True)
class SinkKind:
    """One kind of sink.

    ``address`` reads a URL (ValueError says what is wrong); ``secure_scheme`` is named in
    the error when plaintext is refused. ``secret`` gives, from the create body, what is
    stored encrypted and what is shown once (None: never shown, e.g. a broker password). ``password_field``: the
    stored secret may be replaced later by ``password`` (a broker's password rotates; a
    webhook's signing secret does not, a new sink is made instead).
    """

    name: str
    create: type[SinkCreateBase]
    secure_scheme: str
    address: Callable[[str], Address]
    secret: Callable[[Any], tuple[str | None, str | None]]
    sender: Callable[[Sink, str | None, SenderContext], Sender]
    password_field: bool = False

"""A real SMTP server (aiosmtpd) on loopback, on the test's own event loop: what the alert
tests send mail to. It can refuse recipients, and be stopped and started again on the same
port (a mail relay that goes down and comes back)."""

from __future__ import annotations

import asyncio
import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

__all__ = ["Inbox", "SmtpServer"]


@dataclass
class Inbox:
    """Every message accepted, parsed; ``refuse`` holds addresses answered 550 at RCPT."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:  # noqa: N802 - aiosmtpd's hook name
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        parsed: Any = email.message_from_bytes(raw, policy=email.policy.default)
        self.messages.append(parsed)
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        self.arrived.set()
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m, (_, rcpts) in zip(self.messages, self.envelopes, strict=True) if address in rcpts]

    async def wait_for(self, count: int, timeout_s: float = 20) -> None:
        async def enough() -> None:
            while len(self.messages) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), timeout_s)


class SmtpServer:
    """``await start()`` (port 0 picks a free one; a later start reuses it), ``await stop()``."""

    def __init__(self, inbox: Inbox | None = None) -> None:
        self.inbox = inbox or Inbox()
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self.inbox, hostname="mail.test", ident="diemcau test relay"), "127.0.0.1", self.port
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

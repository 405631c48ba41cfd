"""How many long-lived things one principal (a user or an API key) may hold at once.

An event stream (SSE) costs the controller a task and a database query every few
seconds for as long as it is open; one user with a script, or a console left open in
many tabs, could otherwise hold hundreds. Each principal gets at most
``sse_max_streams_per_user`` streams (every kind together: the outbox stream, job
progress, session boards); one more is a 429 problem+json naming the limit. WHEP
viewers are counted by the relay itself (``camera.relay``), which knows when a
viewer ends however it ends.

The counts live in this process (one controller process serves a province).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends

from controller.api.deps import Actor, State
from controller.errors import DomainError

__all__ = ["PerPrincipal", "StreamSlot", "TooManyAtOnce", "stream_slot"]


class TooManyAtOnce(DomainError):
    """429: the principal already holds as many of these as it may."""

    status, slug, title = 429, "too-many-requests", "Too many at once"


class PerPrincipal:
    """At most ``limit`` concurrent holds per principal; ``hold`` is the one way to take one."""

    def __init__(self, what: str, limit: int) -> None:
        self.what, self.limit = what, limit
        self._held: Counter[str] = Counter()

    def held(self, principal: str) -> int:
        return self._held[principal]

    @contextmanager
    def hold(self, principal: str) -> Iterator[None]:
        if self._held[principal] >= self.limit:
            raise TooManyAtOnce(
                f"at most {self.limit} {self.what} open at once per user; close one first",
                limit=self.limit,
            )
        self._held[principal] += 1
        try:
            yield
        finally:
            self._held[principal] -= 1
            if not self._held[principal]:
                del self._held[principal]


async def stream_slot(state: State, actor: Actor) -> AsyncIterator[None]:
    """A route dependency: one of the caller's event streams, held until the stream ends."""
    with state.sse_streams.hold(actor.label):
        yield


# Declare it first in an SSE route's parameters: the cap is checked before anything else.
StreamSlot = Annotated[None, Depends(stream_slot)]

"""Waiting in tests: for a condition, with a generous bound, never for a fixed time.

A test that sleeps "long enough" and then looks passes on a quiet machine and fails on a
busy CI box; one that polls a condition until a bound passes on both and is no slower.
The bound is a limit, not a measure: reaching it is a failure, never a timing result.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

# How long work that should succeed (a login, a command, a state change) may take before
# a test gives up. Only a test about a timeout sets a short one, and then the peer it
# talks to never answers at all.
PATIENT_S = 30.0


async def until(
    check: Callable[[], T | Awaitable[T]], *, seconds: float = PATIENT_S, every: float = 0.02, what: str = ""
) -> T:
    """The first truthy value of ``check()`` (sync or async); AssertionError after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {seconds} s: {what or check!r} (last: {value!r})")
        await asyncio.sleep(every)


def until_sync(
    check: Callable[[], T], *, seconds: float = PATIENT_S, every: float = 0.05, what: str = ""
) -> T:
    """``until`` for code without an event loop (browser tests, subprocess scenarios)."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {seconds} s: {what or check!r} (last: {value!r})")
        time.sleep(every)

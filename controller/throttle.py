"""Failures per key over a sliding window, in memory: the login throttle's counter.

A key (a user name, a client address) is *held* while it has ``limit`` failures within the
last ``window_s`` seconds, counting the attempts still being checked: a burst of concurrent
guesses cannot all slip in before the first of them fails. It is free again when enough of
its failures have aged out; `retry_after` says when. In memory on purpose: one process
serves the API, a restart forgets at most one window, and no guess costs a database write.

The table is bounded (``max_keys``): keys whose failures have all aged out are dropped
first, then the least recently failed, so a flood of made-up names cannot grow it without
end.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable


class FailureWindow:
    def __init__(
        self,
        limit: int,
        window_s: float,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("limit must be at least 1 and window_s positive")
        self.limit = limit
        self.window_s = window_s
        self.max_keys = max_keys
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()  # oldest change first
        self._pending: dict[str, int] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again; 0.0 if it may now."""
        now = self._clock()
        times = self._recent(key, now)
        excess = len(times) + self._pending.get(key, 0) - self.limit + 1
        if excess <= 0:
            return 0.0
        if excess > len(times):  # held by attempts in flight alone: they end within seconds
            return 1.0
        return max(times[excess - 1] + self.window_s - now, 0.001)

    def begin(self, key: str) -> None:
        """An attempt for ``key`` is being checked (it counts until `end`)."""
        self._pending[key] = self._pending.get(key, 0) + 1

    def end(self, key: str, *, failed: bool) -> bool:
        """The attempt is over; True if its failure is the one that made ``key`` held."""
        left = self._pending.get(key, 0) - 1
        if left > 0:
            self._pending[key] = left
        else:
            self._pending.pop(key, None)
        if not failed:
            return False
        now = self._clock()
        times = self._recent(key, now)
        if not times:
            self._make_room()
            self._failures[key] = times
        times.append(now)
        self._failures.move_to_end(key)
        return len(times) == self.limit

    def clear(self, key: str) -> None:
        """Forget ``key``'s failures (a user who signed in with the right password)."""
        self._failures.pop(key, None)

    def __len__(self) -> int:
        return len(self._failures)

    def _make_room(self) -> None:
        if len(self._failures) < self.max_keys:
            return
        now = self._clock()
        for key in list(self._failures):
            self._recent(key, now)
        while len(self._failures) >= self.max_keys:
            self._failures.popitem(last=False)

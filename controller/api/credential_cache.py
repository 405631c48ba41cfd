"""Credentials already proven, kept a few seconds so a poller's every request does not re-read
its user, grants and sign-in.

An operations centre's wall and the IOC's systems send the same token many times a second.
Proving it costs three reads of the database (the user and token version, the grants, the
sign-in), which at 200 requests a second were most of the controller's work. A proven
credential is kept here by the digest of its secret (the token itself is not kept):

- for ``ttl_s`` at most, so a change another process makes (``diemcau users disable`` from a
  shell) takes effect within that time;
- and forgotten, all of them, the moment this process commits a change to users, grants,
  API keys or sign-ins (`Database.on_change`): a disable, a new password, a revoked key, a
  sign-out through the API take effect at once, as before;
- a token past its expiry is never answered from here.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from typing import Any, Generic, TypeVar

__all__ = ["AUTH_TABLES", "CredentialCache"]

AUTH_TABLES = frozenset({"users", "grants", "api_keys", "auth_sessions", "refresh_tokens"})
C = TypeVar("C")


class CredentialCache(Generic[C]):
    def __init__(self, ttl_s: float = 5.0, max_entries: int = 10_000) -> None:
        self.ttl_s, self.max_entries = ttl_s, max_entries
        self._kept: OrderedDict[bytes, tuple[float, C]] = OrderedDict()
        self.generation = 0  # moves on every forget: a read begun before it is not kept
        self.hits = 0

    @staticmethod
    def _key(secret: str) -> bytes:
        return hashlib.sha256(secret.encode()).digest()

    def get(self, secret: str) -> C | None:
        if self.ttl_s <= 0:
            return None
        key = self._key(secret)
        entry = self._kept.get(key)
        if entry is None:
            return None
        if time.monotonic() - entry[0] > self.ttl_s:
            del self._kept[key]
            return None
        self.hits += 1
        return entry[1]

    def put(self, secret: str, credential: C, generation: int) -> None:
        """Keep ``credential`` unless something was forgotten since ``generation`` was read."""
        if self.ttl_s <= 0 or generation != self.generation:
            return
        self._kept[self._key(secret)] = (time.monotonic(), credential)
        while len(self._kept) > self.max_entries:
            self._kept.popitem(last=False)

    def forget(self) -> None:
        self._kept.clear()
        self.generation += 1

    def on_change(self, table: str, _keys: Any) -> None:
        """A `Database.on_change` listener: any change to who may do what forgets everything."""
        if table in AUTH_TABLES:
            self.forget()

"""Pinned SSH host keys, shared by every path that connects (monitor, probe, jobs, sessions).

The session pool asks this store around first contacts (`endpoints.pool.HostKeyStore`), so a
key is pinned by whichever path reaches a device first, not only by a technician's probe:

- ``tofu`` (default): the first key a device presents is stored, atomically, only where no key
  is stored yet (``UPDATE ... WHERE host_key IS NULL``), and audited. Two paths, or two
  processes, racing on one device agree on the key stored first; the loser's session is
  refused as a mismatch. From then on any other key is refused everywhere and the monitor
  raises the ``hostkey_mismatch`` alarm.
- ``strict``: no automated connection at all to a device without a key. A technician's probe
  reads the key the device presents (without logging in) and holds it for approval, or the
  key is given at registration / import.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, select, update

from controller import audit
from controller.db import Database
from controller.models import Endpoint
from controller.principal import SYSTEM, Principal
from endpoints import HostKeyUnpinned, fingerprint
from endpoints.pool import Target

HostKeyPolicy = Literal["tofu", "strict"]


def _endpoint_id(target: Target) -> uuid.UUID | None:
    try:
        return uuid.UUID(target.key)
    except ValueError:
        return None


class HostKeys:
    """The database as the pool's `HostKeyStore`."""

    def __init__(self, db: Database, policy: HostKeyPolicy = "tofu", actor: Principal = SYSTEM) -> None:
        self.db, self.policy, self.actor = db, policy, actor

    async def pinned(self, target: Target) -> str | None:
        ep_id = _endpoint_id(target)
        stored = None
        if ep_id is not None:
            async with self.db.transaction() as session:
                stored = await session.scalar(select(Endpoint.host_key).where(Endpoint.id == ep_id))
        if stored is None and self.policy == "strict":
            raise HostKeyUnpinned(
                "no SSH host key is pinned and the policy is strict: probe the endpoint and approve "
                "the key it presents, or register it with its key",
                endpoint=target.endpoint,
            )
        return stored

    async def first_contact(self, target: Target, presented: str) -> str:
        ep_id = _endpoint_id(target)
        if ep_id is None:
            return presented
        async with self.db.transaction() as session:
            claimed = cast(
                CursorResult[Any],
                await session.execute(
                    update(Endpoint)
                    .where(Endpoint.id == ep_id, Endpoint.host_key.is_(None))
                    .values(host_key=presented, host_key_source="tofu")
                ),
            )
            if claimed.rowcount == 1:
                name = await session.scalar(select(Endpoint.name).where(Endpoint.id == ep_id))
                audit.record(
                    session,
                    self.actor,
                    "endpoint.hostkey_learned",
                    "endpoint",
                    str(ep_id),
                    {"name": name, "host_key": presented.split()[0], "fingerprint": fingerprint(presented)},
                )
                return presented
            stored = await session.scalar(select(Endpoint.host_key).where(Endpoint.id == ep_id))
        return stored or presented  # a deleted endpoint: nothing to pin against

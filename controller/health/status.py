"""The status reads an operations centre polls: the summary tree, endpoint health, active
alarms. Answered from the live view (`live_view`), with a validator for HTTP caching; or,
with ``DIEMCAU_STATUS_SOURCE=database``, from the tables as `queries` answers them (the
benchmark's comparison, and a way back should the view ever be in doubt).

Each read returns an `Answer`: its validator and how to build its JSON body, so a client
that holds the current answer is told so before anything is built.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic_core import to_json

from controller.db import Database
from controller.fields import Page
from controller.health import queries
from controller.health.live_updater import LiveUpdater
from controller.health.queries import AlarmFilter
from controller.health.schemas import AlarmPublic, HealthPublic
from controller.scope import UnitScope

__all__ = ["Answer", "StatusReads", "tag_of"]

Source = Literal["memory", "database"]


@dataclass(frozen=True)
class Answer:
    tag: str | None  # None: no validator, built for every request
    build: Callable[[], bytes]


def tag_of(*parts: object) -> str:
    """A validator from what an answer depends on (their ``repr``s)."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()


def _scope_key(scope: UnitScope) -> tuple[str, ...] | None:
    return None if scope.paths is None else tuple(sorted(scope.paths))


def _now(body: object) -> Answer:
    data = to_json(body)
    return Answer(None, lambda: data)


class StatusReads:
    """The reads; only the database way opens a transaction (the routes take no session: at
    200 requests a second, one per request was a tenth of the controller's core)."""

    def __init__(self, live: LiveUpdater, source: Source, db: Database) -> None:
        self.live, self.source, self.db = live, source, db

    async def summary(self, unit: str | None, scope: UnitScope) -> Answer:
        if self.source == "database":
            async with self.db.transaction() as session:
                return _now(await queries.summary(session, unit, scope))
        view = await self.live.current()
        if unit:
            view.unit(unit)  # an unknown unit is a 404, before any validator
        tag = tag_of(view.epoch, "summary", view.counts_version, unit, _scope_key(scope))
        return Answer(tag, lambda: to_json(view.summary(unit, scope)))

    async def health_page(
        self, *, unit: str | None, state: str | None, limit: int, offset: int, scope: UnitScope
    ) -> Answer:
        if self.source == "database":
            async with self.db.transaction() as session:
                items, total = await queries.list_health(
                    session, unit=unit, state=state, limit=limit, offset=offset, scope=scope
                )
            return _now(Page[HealthPublic](items=items, total=total, limit=limit, offset=offset))
        view = await self.live.current()
        rows, total = view.health_page(unit=unit, state=state, limit=limit, offset=offset, scope=scope)
        revs = [(e.id, e.rev) for e in rows]
        tag = tag_of(view.epoch, "health", unit, state, limit, offset, _scope_key(scope), total, revs)
        items = [e.health for e in rows if e.health is not None]
        return Answer(
            tag, lambda: to_json(Page[HealthPublic](items=items, total=total, limit=limit, offset=offset))
        )

    async def endpoint_health(self, endpoint_id: uuid.UUID, scope: UnitScope) -> Answer:
        if self.source == "database":
            async with self.db.transaction() as session:
                return _now(await queries.endpoint_health(session, endpoint_id, scope))
        view = await self.live.current()
        row = view.endpoint(endpoint_id, scope)
        return Answer(tag_of(view.epoch, "endpoint", row.id, row.rev), lambda: to_json(row.health))

    async def alarms(self, filters: AlarmFilter, *, limit: int, offset: int, scope: UnitScope) -> Answer:
        """Active alarms from the view; cleared ones and all are history, read from the tables."""
        if self.source == "database" or filters.status != "active":
            async with self.db.transaction() as session:
                items, total = await queries.list_alarms(
                    session, filters, limit=limit, offset=offset, scope=scope
                )
            return _now(Page[AlarmPublic](items=items, total=total, limit=limit, offset=offset))
        view = await self.live.current()
        found, total = view.active_alarms(filters, limit=limit, offset=offset, scope=scope)
        tag = tag_of(view.epoch, "alarms", view.alarms_version, filters, limit, offset, _scope_key(scope))
        return Answer(
            tag, lambda: to_json(Page[AlarmPublic](items=found, total=total, limit=limit, offset=offset))
        )

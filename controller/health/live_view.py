"""The live picture of the province, in memory: what the status routes answer from.

An operations centre asks "how is the province now" many times a second (a video wall, every
operator's desk, the IOC's pollers), and the monitors already know the answer. Rebuilt from
the tables on every request it cost a 48 KB summary 14 ms of one core, so 70 requests a
second took the whole controller and the monitors' writes queued behind them. Here each
answer is a walk over a few hundred objects, and the parts that only change with a state
(the counts per unit subtree, the sorted order) are computed once per change.

The view is a cache of the database, never a second truth: `controller.health.live_updater` fills
it from the tables (at start, then the rows that changed) and the tables keep history,
filters over history and exports. Every answer here has a database twin in
`controller.health.queries`, and the tests hold the two to the same output.

`version` numbers say what changed: ``counts`` when a state, a unit or the registry moved
(the summary), ``alarms`` when an active alarm did; each device has its own ``rev``. They
make the HTTP validators (`controller.api.http_cache`) without building a body.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from typing import Any, TypeVar

from controller.errors import NotFound
from controller.health import queries
from controller.health.schemas import AlarmPublic, HealthPublic
from controller.scope import EVERYWHERE, UnitScope

__all__ = ["ActiveAlarm", "CameraLive", "EndpointLive", "LiveView", "Snapshot", "UnitLive"]

D = TypeVar("D", "EndpointLive", "CameraLive")
_revs = count(1)  # one sequence for every change of every view: a rev is never reused


@dataclass(frozen=True, slots=True)
class UnitLive:
    id: uuid.UUID
    code: str
    name: str
    level: str
    parent_id: uuid.UUID | None
    path: str
    depth: int


@dataclass(slots=True)
class EndpointLive:
    """An endpoint as the status routes show it; ``health`` is None until its first poll row."""

    id: uuid.UUID
    name: str
    unit_id: uuid.UUID
    state: str
    health: HealthPublic | None
    rev: int = field(default_factory=lambda: next(_revs))

    def content(self) -> tuple[object, ...]:
        """What an answer shows of it: an unchanged content keeps the rev (and validators)."""
        return (self.name, self.unit_id, self.state, self.health)

    def placement(self) -> tuple[object, ...]:
        """What the counts and the health list's order depend on."""
        return (self.name, self.unit_id, self.state, self.health is None)


@dataclass(slots=True)
class CameraLive:
    id: uuid.UUID
    name: str
    unit_id: uuid.UUID
    state: str
    measures: dict[str, Any]
    last_ok_at: datetime | None
    rev: int = field(default_factory=lambda: next(_revs))

    def content(self) -> tuple[object, ...]:
        return (self.name, self.unit_id, self.state, self.measures, self.last_ok_at)

    def placement(self) -> tuple[object, ...]:
        return (self.unit_id, self.state)


@dataclass(frozen=True, slots=True)
class ActiveAlarm:
    public: AlarmPublic
    unit_path: str  # what the alarm is about lies there: scope and unit filters read it


@dataclass
class Snapshot:
    """Everything the view holds, as read from the tables in one transaction."""

    units: list[UnitLive]
    endpoints: list[EndpointLive]
    cameras: list[CameraLive]
    alarms: list[ActiveAlarm]  # active ones only


class LiveView:
    def __init__(self) -> None:
        self.epoch = uuid.uuid4().hex[:8]  # a validator from before a restart never matches
        self.units: dict[uuid.UUID, UnitLive] = {}
        self._by_code: dict[str, UnitLive] = {}
        self.endpoints: dict[uuid.UUID, EndpointLive] = {}
        self.cameras: dict[uuid.UUID, CameraLive] = {}
        self.alarms: dict[uuid.UUID, ActiveAlarm] = {}
        self.counts_version = 0
        self.alarms_version = 0
        self.loaded = False
        self._totals: tuple[int, dict[uuid.UUID, dict[str, int]], dict[uuid.UUID, dict[str, int]]] | None = (
            None
        )
        self._order: tuple[int, list[EndpointLive]] | None = None
        self._tree: tuple[int, list[UnitLive]] | None = None
        self._newest: tuple[int, list[ActiveAlarm]] | None = None

    # --- filling (the updater's side) ---------------------------------------------------------

    def replace(self, snap: Snapshot) -> set[uuid.UUID]:
        """Take a whole snapshot; returns the ids of what differed from what was held (the
        periodic re-read reports those it was not told of: they should not exist)."""
        differ: set[uuid.UUID] = set()
        if moved := set(self.units.values()) ^ set(snap.units):
            differ |= {u.id for u in moved}
            self.set_units(snap.units)
        differ |= self.put_endpoints(
            snap.endpoints, gone=set(self.endpoints) - {e.id for e in snap.endpoints}
        )
        differ |= self.put_cameras(snap.cameras, gone=set(self.cameras) - {c.id for c in snap.cameras})
        differ |= self.put_alarms(snap.alarms, gone=set(self.alarms) - {a.public.id for a in snap.alarms})
        self.loaded = True
        return differ

    def set_units(self, units: Iterable[UnitLive]) -> None:
        self.units = {u.id: u for u in units}
        self._by_code = {u.code: u for u in self.units.values()}
        self.counts_version += 1

    def put_endpoints(self, rows: Iterable[EndpointLive], gone: Iterable[uuid.UUID] = ()) -> set[uuid.UUID]:
        """Store what was read; an unchanged row keeps its rev (and so the pages' validators).
        Returns the ids that changed."""
        return self._put(self.endpoints, rows, gone)

    def put_cameras(self, rows: Iterable[CameraLive], gone: Iterable[uuid.UUID] = ()) -> set[uuid.UUID]:
        return self._put(self.cameras, rows, gone)

    def _put(self, held: dict[uuid.UUID, D], rows: Iterable[D], gone: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        changed: set[uuid.UUID] = set()
        moved = False
        for row in rows:
            old = held.get(row.id)
            if old is not None and old.content() == row.content():
                continue
            moved = moved or old is None or old.placement() != row.placement()
            held[row.id] = row
            changed.add(row.id)
        for key in gone:
            if held.pop(key, None) is not None:
                changed.add(key)
                moved = True
        if moved:
            self.counts_version += 1
        return changed

    def put_alarms(self, rows: Iterable[ActiveAlarm], gone: Iterable[uuid.UUID] = ()) -> set[uuid.UUID]:
        """Active alarms are kept, any other status removes the alarm. Returns the ids of the
        alarms that changed and of what they are about."""
        changed: set[uuid.UUID] = set()
        for alarm in rows:
            key = alarm.public.id
            if alarm.public.status != "active":
                if self.alarms.pop(key, None) is not None:
                    changed |= {key, alarm.public.entity_id}
            elif self.alarms.get(key) != alarm:
                self.alarms[key] = alarm
                changed |= {key, alarm.public.entity_id}
        for key in gone:
            if (old := self.alarms.pop(key, None)) is not None:
                changed |= {key, old.public.entity_id}
        if changed:
            self.alarms_version += 1
        return changed

    # --- reading (the routes' side) -----------------------------------------------------------

    def unit(self, ref: str) -> UnitLive:
        """A unit by id or code, as `units.service.get_unit` finds it."""
        found: UnitLive | None = None
        try:
            found = self.units.get(uuid.UUID(ref))
        except ValueError:
            pass
        found = found or self._by_code.get(ref)
        if found is None:
            raise NotFound(f"unit {ref!s} does not exist")
        return found

    def _counts(self) -> tuple[dict[uuid.UUID, dict[str, int]], dict[uuid.UUID, dict[str, int]]]:
        """Devices per state over each unit's whole subtree, once per counts version."""
        if self._totals is None or self._totals[0] != self.counts_version:
            self._totals = (
                self.counts_version,
                self._subtree_counts(self.endpoints.values()),
                self._subtree_counts(self.cameras.values()),
            )
        return self._totals[1], self._totals[2]

    def _subtree_counts(
        self, devices: Iterable[EndpointLive | CameraLive]
    ) -> dict[uuid.UUID, dict[str, int]]:
        totals: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for device in devices:
            unit = self.units.get(device.unit_id)
            if unit is None:
                continue
            for part in unit.path.strip("/").split("/"):
                totals[uuid.UUID(part)][device.state] += 1
        return totals

    def summary(self, unit: str | None, scope: UnitScope = EVERYWHERE) -> dict[str, Any]:
        """What `health.queries.summary` answers, from memory."""
        root = self.unit(unit) if unit else None
        endpoints, cameras = self._counts()
        if self._tree is None or self._tree[0] != self.counts_version:
            self._tree = (self.counts_version, sorted(self.units.values(), key=lambda u: (u.depth, u.code)))
        out = [
            queries.summary_unit(u, scope, endpoints.get(u.id, {}), cameras.get(u.id, {}))
            for u in self._tree[1]
            if scope.covers(u.path) and (root is None or u.path.startswith(root.path))
        ]
        return {"units": out}

    def _ordered(self) -> list[EndpointLive]:
        """Endpoints with a health row by unit code then name: the health list's order."""
        if self._order is None or self._order[0] != self.counts_version:
            rows = [e for e in self.endpoints.values() if e.health is not None and e.unit_id in self.units]
            rows.sort(key=lambda e: (self.units[e.unit_id].code, e.name))
            self._order = (self.counts_version, rows)
        return self._order[1]

    def health_page(
        self, *, unit: str | None, state: str | None, limit: int, offset: int, scope: UnitScope = EVERYWHERE
    ) -> tuple[list[EndpointLive], int]:
        """What `health.queries.list_health` answers: one page and the total matching."""
        root = self.unit(unit).path if unit else None
        matching = [
            e
            for e in self._ordered()
            if (state is None or e.state == state)
            and scope.covers(path := self.units[e.unit_id].path)
            and (root is None or path.startswith(root))
        ]
        return [self.endpoints[e.id] for e in matching[offset : offset + limit]], len(matching)

    def endpoint(self, endpoint_id: uuid.UUID, scope: UnitScope = EVERYWHERE) -> EndpointLive:
        """One endpoint with its health; one outside the caller's units is as unknown as a missing one."""
        found = self.endpoints.get(endpoint_id)
        unit = self.units.get(found.unit_id) if found else None
        if found is None or found.health is None or unit is None or not scope.covers(unit.path):
            raise NotFound(f"no health known for endpoint {endpoint_id}")
        return found

    def active_alarms(
        self, filters: queries.AlarmFilter, *, limit: int, offset: int, scope: UnitScope = EVERYWHERE
    ) -> tuple[list[AlarmPublic], int]:
        """What `health.queries.list_alarms` answers for ``status=active``, newest raised first
        (``filters.status`` is not read: these are the active ones)."""
        f = filters
        root = self.unit(f.unit).path if f.unit else None
        matching = [
            a.public
            for a in self._alarms_newest_first()
            if (not f.severity or a.public.severity == f.severity)
            and (not f.kind or a.public.kind == f.kind)
            and (f.entity_id is None or a.public.entity_id == f.entity_id)
            and (f.acknowledged is None or (a.public.acknowledged_at is not None) == f.acknowledged)
            and scope.covers(a.unit_path)
            and (root is None or a.unit_path.startswith(root))
        ]
        return matching[offset : offset + limit], len(matching)

    def _alarms_newest_first(self) -> list[ActiveAlarm]:
        if self._newest is None or self._newest[0] != self.alarms_version:
            self._newest = (
                self.alarms_version,
                sorted(self.alarms.values(), key=lambda a: a.public.raised_at, reverse=True),
            )
        return self._newest[1]

    def endpoints_by_unit(self) -> list[tuple[str, str, str, EndpointLive]]:
        """(name, unit code, state, endpoint) by unit code then name: the metrics' order."""
        return self._by_unit(self.endpoints.values())

    def cameras_by_unit(self) -> list[tuple[str, str, str, CameraLive]]:
        return self._by_unit(self.cameras.values())

    def _by_unit(self, held: Iterable[D]) -> list[tuple[str, str, str, D]]:
        rows = [(d.name, self.units[d.unit_id].code, d.state, d) for d in held if d.unit_id in self.units]
        rows.sort(key=lambda r: (r[1], r[0]))
        return rows

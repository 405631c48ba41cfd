"""What part of the province a caller may see or change: the units of the grants that allow
the route they called.

A grant is a role over a unit's subtree (or the whole province). For one request, the grants
whose role the route allows make the caller's `UnitScope`: the union of their subtrees, or
everything when one of them is province-wide. So a user who is a district's technician and
the province's meeting host reads every session, but registers endpoints in the district
only: each route's scope comes from the roles that route allows.

Every row the controller scopes lives under a unit and has its materialised path
(``/<id>/<id>/``), so "inside the scope" is a prefix test, in SQL (`where`) or in Python
(`covers`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, or_, true
from sqlalchemy.sql.elements import ColumnElement

from controller.errors import Forbidden
from controller.roles import Role

__all__ = ["EVERYWHERE", "Grant", "UnitScope", "common_path"]


@dataclass(frozen=True)
class Grant:
    """A role over a unit subtree (``unit_path``), or the whole province (None)."""

    role: Role
    unit_path: str | None = None
    unit_code: str | None = None


@dataclass(frozen=True)
class UnitScope:
    """The subtrees a request may touch; ``paths`` None: the whole province."""

    paths: frozenset[str] | None = None

    @classmethod
    def of(cls, grants: Iterable[Grant], roles: Iterable[Role]) -> UnitScope:
        """The scope the ``roles`` of these grants give; empty when none of them is held."""
        allowed = set(roles)
        matching = [g for g in grants if g.role in allowed]
        if any(g.unit_path is None for g in matching):
            return EVERYWHERE
        paths = {g.unit_path for g in matching if g.unit_path is not None}
        # a subtree inside another adds nothing
        kept = frozenset(p for p in paths if not any(p != q and p.startswith(q) for q in paths))
        return cls(kept)

    @property
    def everywhere(self) -> bool:
        return self.paths is None

    def covers(self, unit_path: str | None) -> bool:
        """Whether a row under ``unit_path`` is inside (a row of no unit only when everywhere)."""
        if self.paths is None:
            return True
        return unit_path is not None and any(unit_path.startswith(p) for p in self.paths)

    def where(self, path_column: Any) -> ColumnElement[bool]:
        """The SQL condition "the row's unit path is inside the scope"."""
        if self.paths is None:
            return true()
        if not self.paths:
            return false()
        return or_(*(path_column.startswith(p, autoescape=True) for p in sorted(self.paths)))

    def check(self, unit_path: str | None, what: str) -> None:
        """Forbidden unless ``unit_path`` is inside: a write outside the caller's units."""
        if not self.covers(unit_path):
            raise Forbidden(
                f"{what} is outside the units you are responsible for", code="unit.outside_scope", what=what
            )


EVERYWHERE = UnitScope(None)


def common_path(paths: Iterable[str]) -> str | None:
    """The deepest unit that holds every one of ``paths`` (a job's or a session's home: the
    people responsible for it see it); None for none, or when they share no unit."""
    split = [p.strip("/").split("/") for p in paths]
    if not split:
        return None
    shared: list[str] = []
    for parts in zip(*split, strict=False):
        if any(part != parts[0] for part in parts):
            break
        shared.append(parts[0])
    return f"/{'/'.join(shared)}/" if shared else None

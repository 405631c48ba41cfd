"""Who is acting: a logged-in user or an API key. Carried into audit records."""

from __future__ import annotations

from dataclasses import dataclass

from controller.roles import Role
from controller.scope import Grant, UnitScope


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    kind: str = "user"  # "user" | "api_key" | "system"
    view: str | None = None  # a wall display's key: the one console view it opens
    # What the principal may do where; ``role`` above is the first grant's (what people see).
    # Empty: ``role`` province-wide (the system, and principals made in code).
    grants: tuple[Grant, ...] = ()

    @property
    def held(self) -> tuple[Grant, ...]:
        return self.grants or (Grant(self.role),)

    def scope(self, *roles: Role) -> UnitScope:
        """The units in which this principal holds one of ``roles``."""
        return UnitScope.of(self.held, roles)

    @property
    def label(self) -> str:
        return self.name if self.kind == "user" else f"{self.kind}:{self.name}"


SYSTEM = Principal(name="system", role=Role.admin, kind="system")

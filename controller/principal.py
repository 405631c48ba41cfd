"""Who is acting: a logged-in user or an API key. Carried into audit records."""

from __future__ import annotations

from dataclasses import dataclass

from controller.roles import Role


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    kind: str = "user"  # "user" | "api_key" | "system"
    view: str | None = None  # a wall display's key: the one console view it opens

    @property
    def label(self) -> str:
        return self.name if self.kind == "user" else f"{self.kind}:{self.name}"


SYSTEM = Principal(name="system", role=Role.admin, kind="system")

"""Which directory groups give which grants: the province's file (``directory_groups_file``).

A directory user's grants are not kept here by hand: at each sign-in they are computed from
the groups the directory (LDAP/AD) or the SSO portal (the ``groups`` claim) says the user is
in, so a person who leaves the district's technician group loses that grant at the next
sign-in. The file is read once at start; a wrong file stops the controller with the line
that is wrong, rather than letting the wrong people in or keeping the right ones out::

    groups:
      - group: cn=ioc-tinh,ou=groups,dc=tinh,dc=vn      # an LDAP group DN ...
        grants: [{role: ioc_viewer}]                    # ... the whole province
      - group: /kythuat/huyen-h01                       # ... or an SSO group name
        grants: [{role: technician, unit: H01}]         # ... district H01 and its communes

LDAP group DNs compare as DNs (case and spaces around separators do not matter); other
names compare exactly, as an SSO portal sends them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from ldap3.core.exceptions import LDAPInvalidDnError
from ldap3.utils.dn import parse_dn
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from controller.roles import Role

__all__ = ["GroupGrant", "GroupMap", "GroupMapError"]


class GroupMapError(ValueError):
    """The file cannot be used; the message names the file and the place in it."""


class GroupGrant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    unit: str | None = Field(
        default=None, min_length=1, max_length=64, description="unit code; none: province"
    )


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group: str = Field(min_length=1, max_length=1000)
    grants: list[GroupGrant] = Field(min_length=1, max_length=100)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    groups: list[_Entry] = Field(max_length=10000)


def group_key(name: str) -> str:
    """How a group name compares: a DN by its parsed parts, lower-cased; anything else as is."""
    if "=" in name:
        try:
            parts = parse_dn(name, escape=False, strip=True)
        except LDAPInvalidDnError:
            return name
        return ",".join(f"{attr.lower()}={value.lower()}" for attr, value, _ in parts)
    return name


@dataclass(frozen=True)
class GroupMap:
    by_group: dict[str, tuple[GroupGrant, ...]]

    @classmethod
    def load(cls, path: Path) -> GroupMap:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise GroupMapError(f"{path}: cannot read ({exc.strerror})") from None
        except yaml.YAMLError as exc:
            raise GroupMapError(f"{path}: not YAML: {exc}") from None
        try:
            parsed = _File.model_validate(raw if raw is not None else {"groups": []})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(top)"
            raise GroupMapError(f"{path}: {where}: {first['msg']}") from None
        by_group: dict[str, tuple[GroupGrant, ...]] = {}
        for i, entry in enumerate(parsed.groups):
            key = group_key(entry.group)
            if key in by_group:
                raise GroupMapError(f"{path}: groups.{i}.group: {entry.group!r} is listed twice")
            by_group[key] = tuple(entry.grants)
        return cls(by_group)

    def grants_for(self, groups: Iterable[str]) -> list[GroupGrant]:
        """The grants of every mapped group the user is in, each once."""
        found: dict[GroupGrant, None] = {}
        for name in groups:
            for grant in self.by_group.get(group_key(name), ()):
                found.setdefault(grant, None)
        return list(found)

"""The four roles. A route names the roles it allows; admin is never implied."""

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    technician = "technician"
    host = "host"
    ioc_viewer = "ioc_viewer"


ALL_ROLES: frozenset[Role] = frozenset(Role)

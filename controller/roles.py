"""The five roles. A route names the roles it allows; admin is never implied.

``ioc_operator`` is the operations centre's duty officer: everything ``ioc_viewer`` reads,
and acknowledging alarms (with a comment, audited). A wall display or an IOC system's
key stays ``ioc_viewer``: it watches, it answers for nothing.
"""

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    technician = "technician"
    host = "host"
    ioc_viewer = "ioc_viewer"
    ioc_operator = "ioc_operator"


ALL_ROLES: frozenset[Role] = frozenset(Role)

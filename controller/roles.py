"""The five roles. A route names the roles it allows; admin is never implied.

``ioc_operator`` is the operations centre's duty officer: everything ``ioc_viewer`` reads,
and acknowledging alarms (with a comment, audited). A wall display or an IOC system's
key stays ``ioc_viewer``: it watches, it answers for nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema


class Role(StrEnum):
    admin = "admin"
    technician = "technician"
    host = "host"
    ioc_viewer = "ioc_viewer"
    ioc_operator = "ioc_operator"

    @classmethod
    def __get_pydantic_json_schema__(cls, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """The OpenAPI document's example of a role (the schema is pydantic's own)."""
        schema = handler.resolve_ref_schema(handler(core))
        schema["examples"] = ["technician", "ioc_viewer"]
        return schema


ALL_ROLES: frozenset[Role] = frozenset(Role)

"""Simulated room codecs: real asyncssh servers speaking each profile's dialect.

Used by tests, examples and load rehearsals; never by production code paths.
"""

from endpoints.sim.control import ControlServer, control_request
from endpoints.sim.fleet import DIALECTS, INVENTORY_HEADER, Fleet
from endpoints.sim.server import SimEndpoint
from endpoints.sim.state import FAULTS, EndpointState

__all__ = [
    "DIALECTS",
    "FAULTS",
    "INVENTORY_HEADER",
    "ControlServer",
    "EndpointState",
    "Fleet",
    "SimEndpoint",
    "control_request",
]

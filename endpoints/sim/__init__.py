"""Simulated room codecs: real asyncssh servers, each speaking its family's API as the
vendor documents it (``roomos.py``, ``group_series.py``), never as our driver assumes.

Used by tests, examples and load rehearsals; never by production code paths.
"""

from endpoints.sim.control import ControlServer, control_request
from endpoints.sim.fleet import FAMILIES, INVENTORY_HEADER, Fleet
from endpoints.sim.server import STATE_FIELDS, Gauge, SimEndpoint, version_from_url
from endpoints.sim.state import FAULTS, EndpointState, Stats, UpgradeState

__all__ = [
    "FAMILIES",
    "FAULTS",
    "INVENTORY_HEADER",
    "STATE_FIELDS",
    "ControlServer",
    "EndpointState",
    "Fleet",
    "Gauge",
    "SimEndpoint",
    "Stats",
    "UpgradeState",
    "control_request",
    "version_from_url",
]

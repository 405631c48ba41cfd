"""What a simulated device itself holds, for tests that check the truth behind the API."""

from __future__ import annotations

from endpoints.sim import SimEndpoint

# Where each simulated family keeps a setting the controller writes: the device's own name.
STORED_AS = {
    "cisco-roomos": {
        "display_name": "SystemUnit Name",
        "sip_uri": "SIP URI",
        "sip_proxy": "SIP Proxy 1 Address",
        "ntp_server": "NetworkServices NTP Server 1 Address",
        "ntp_mode": "NetworkServices NTP Mode",
        "time_zone": "Time Zone",
        "default_call_rate": "Conference DefaultCall Rate",
        "auto_answer": "Conference AutoAnswer Mode",
    },
    "poly-group": {
        "display_name": "systemname",
        "h323_name": "h323name",
        "sip_uri": "sipusername",
        "sip_proxy": "sipproxyserver",
    },
}


def stored(ep: SimEndpoint, key: str) -> str:
    """What the simulated device itself holds for the controller's setting ``key``."""
    return ep.state.config[STORED_AS[ep.family][key]]

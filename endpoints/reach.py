"""Is anything listening?  A bare TCP probe for layered health checks.

A monitor that cannot reach a device over SSH wants to know why: no TCP at
all (``unreachable``: powered off, wrong VLAN, firewall) or TCP accepted but
the SSH/xAPI layer silent or failing (``offline``: hung codec, rebooting
software).  ``tcp_probe`` answers the first question and nothing more.
"""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["tcp_probe"]


async def tcp_probe(host: str, port: int, timeout: float) -> bool:  # noqa: ASYNC109
    """True if a TCP connection to ``host:port`` is accepted within ``timeout`` seconds.

    The connection is closed at once without sending a byte.  Refused, reset,
    unresolvable or timed out are all False; this never raises for the network.
    """
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError, TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), timeout)
    return True

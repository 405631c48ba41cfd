"""First contact with a registered endpoint: identify it and pin its host key.

Trust on first use: an endpoint registered without a host key gets the key it
presents the first time, stored with source ``tofu`` and audited. From then on
any other key is refused (`HostKeyMismatch`) and the attempt is audited too, so
a swapped or spoofed device is visible, never silently accepted.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

import endpoints
from controller.models import Endpoint, utcnow
from controller.principal import Principal
from controller.schemas import ProbeResult
from controller.services import audit
from endpoints.pool import SessionPool, Target


async def probe(
    session: AsyncSession,
    pool: SessionPool,
    target: Target,
    ep: Endpoint,
    actor: Principal,
) -> ProbeResult:
    """Identify the device over its pooled session (a technician asked: no backoff wait)."""
    if not pool.status(target.key).connected:
        await pool.drop(target.key)
    try:
        dev = await pool.session(target)
        ident = await endpoints.EndpointDriver(dev).identify()
        presented = dev.host_key
    except endpoints.EndpointError as exc:
        kind = exc.code
        if isinstance(exc, endpoints.HostKeyMismatch):
            audit.record(
                session,
                actor,
                "endpoint.hostkey_refused",
                "endpoint",
                str(ep.id),
                {"name": ep.name, "expected": exc.expected, "presented": exc.presented},
            )
        return ProbeResult(reachable=False, error_type=kind, error=str(exc))
    learned = ep.host_key is None
    if learned:
        ep.host_key, ep.host_key_source = presented, "tofu"
        audit.record(
            session,
            actor,
            "endpoint.hostkey_learned",
            "endpoint",
            str(ep.id),
            {"name": ep.name, "host_key": presented.split()[0]},
        )
    ep.model, ep.firmware_version, ep.serial = ident.model, ident.firmware_version, ident.serial
    ep.last_contact_at = utcnow()
    await session.flush()
    return ProbeResult(
        reachable=True,
        model=ident.model,
        firmware_version=ident.firmware_version,
        serial=ident.serial,
        host_key_learned=learned,
    )

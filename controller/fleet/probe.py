"""A technician's contact with an endpoint: identify it, and show what happened to its host key.

Pinning itself is the session pool's (through `services.hostkeys`), whichever path connects
first; the probe reports whether this contact pinned the key, and audits a refused key with the
technician's name. Under the strict policy a device without a key is not logged into: the key it
presents is read without a password and held for approval
(``POST /endpoints/{id}/host-key/approve``).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

import endpoints
from controller import audit
from controller.fleet.schemas import ProbeResult
from controller.models import Endpoint, utcnow
from controller.principal import Principal
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
    had_key = ep.host_key is not None
    try:
        dev = await pool.session(target)
        ident = await endpoints.EndpointDriver(dev).identify()
    except endpoints.HostKeyUnpinned as exc:
        return await _hold_presented_key(session, pool, target, ep, actor, exc)
    except endpoints.EndpointError as exc:
        if isinstance(exc, endpoints.HostKeyMismatch):
            audit.record(
                session,
                actor,
                "endpoint.hostkey_refused",
                "endpoint",
                str(ep.id),
                {
                    "name": ep.name,
                    "expected": endpoints.fingerprint(exc.expected),
                    "presented": endpoints.fingerprint(exc.presented),
                },
            )
        return ProbeResult(reachable=False, error_type=exc.code, error=str(exc))
    await session.refresh(ep, ["host_key", "host_key_source"])
    ep.model, ep.firmware_version, ep.serial = ident.model, ident.firmware_version, ident.serial
    ep.last_contact_at = utcnow()
    await session.flush()
    return ProbeResult(
        reachable=True,
        model=ident.model,
        firmware_version=ident.firmware_version,
        serial=ident.serial,
        host_key_learned=not had_key and ep.host_key is not None,
    )


async def _hold_presented_key(
    session: AsyncSession,
    pool: SessionPool,
    target: Target,
    ep: Endpoint,
    actor: Principal,
    refused: endpoints.EndpointError,
) -> ProbeResult:
    try:
        presented = await endpoints.read_host_key(target.host, target.port, timeout=pool.connect_timeout)
    except endpoints.EndpointError as exc:
        return ProbeResult(reachable=False, error_type=exc.code, error=str(exc))
    ep.pending_host_key = presented
    audit.record(
        session,
        actor,
        "endpoint.hostkey_held",
        "endpoint",
        str(ep.id),
        {"name": ep.name, "presented": endpoints.fingerprint(presented), "policy": "strict"},
    )
    await session.flush()
    return ProbeResult(
        reachable=True,
        error_type=refused.code,
        error=f"{refused}; the key presented ({endpoints.fingerprint(presented)}) awaits approval",
    )

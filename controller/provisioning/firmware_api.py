"""Firmware compliance and upgrade campaigns; approving a held host key."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from controller import audit
from controller.api.deps import Actor, Scope, Session, State, route
from controller.db import on_commit
from controller.errors import Conflict, InvalidInput
from controller.fleet import registry
from controller.fleet.schemas import EndpointPublic
from controller.models import Endpoint
from controller.provisioning import firmware, jobs_query, targets
from controller.provisioning.campaign import assign_waves
from controller.provisioning.firmware import Window
from controller.provisioning.schemas import CampaignCreate, CampaignPreview, JobPublic
from controller.roles import ALL_ROLES, Role
from controller.units.service import get_unit

router = APIRouter(tags=["firmware"])


@router.get("/firmware/compliance", **route(*ALL_ROLES))
async def firmware_compliance(
    state: State, session: Session, scope: Scope, unit: Annotated[str | None, Query(max_length=64)] = None
) -> list[dict[str, Any]]:
    """Per profile: endpoints below minimum, below target, at target (from the last contact)."""
    root = await get_unit(session, unit) if unit else None
    return await firmware.compliance(session, state.profiles, root, scope)


async def _campaign(
    data: CampaignCreate, state: State, session: Session, scope: Scope
) -> tuple[list[Endpoint], list[int], dict[str, Any]]:
    """The checked campaign: its endpoints, their waves and the job's params."""
    profile = state.profiles.get(data.profile)
    if profile is None:
        raise InvalidInput(f"unknown profile {data.profile!r}", field="profile")
    if profile.firmware.upgrade is None:
        raise InvalidInput(f"profile {data.profile} has no upgrade command", field="profile")
    firmware.zone(data.timezone)
    if data.window:
        Window(data.window, data.timezone)
    eps = await targets.select_endpoints(
        session, unit=data.unit, endpoints=data.endpoints, profile=data.profile, scope=scope
    )
    waves = assign_waves(len(eps), data.canary, data.wave_size)
    params = data.model_dump(mode="json", exclude={"unit", "endpoints"})
    params["version"] = data.version or profile.firmware.target
    params["url"] = state.settings.firmware_url_template
    params["timeout_s"] = data.timeout_s or profile.firmware.reboot_seconds * 2 + 600
    return eps, waves, params


@router.post(
    "/firmware/campaigns/preview",
    response_model=CampaignPreview,
    **route(Role.admin, Role.technician),
)
async def preview_campaign(
    data: CampaignCreate, state: State, session: Session, scope: Scope
) -> CampaignPreview:
    """What the campaign would do, checked as a start is, without starting anything: the
    console states it before the technician confirms (every endpoint reboots)."""
    eps, waves, params = await _campaign(data, state, session, scope)
    return CampaignPreview(
        endpoints=len(eps),
        version=params["version"],
        already_at=sum(1 for ep in eps if ep.firmware_version == params["version"]),
        canary=waves.count(0),
        waves=len(set(waves)),
        names=[ep.name for ep in eps[:20]],
    )


@router.post(
    "/firmware/campaigns",
    response_model=JobPublic,
    status_code=status.HTTP_202_ACCEPTED,
    **route(Role.admin, Role.technician),
)
async def create_campaign(
    data: CampaignCreate, state: State, session: Session, actor: Actor, scope: Scope
) -> JobPublic:
    eps, waves, params = await _campaign(data, state, session, scope)
    job = await state.runner.create(
        session,
        kind="firmware",
        mode="upgrade",
        target=data.model_dump(mode="json", include={"unit", "endpoints", "profile"}),
        params=params,
        endpoints=eps,
        actor=actor,
        waves={ep.id: w for ep, w in zip(eps, waves, strict=True)},
    )
    if data.hostkey_policy == "accept":  # a choice that weakens pinning: easy to find in the trail
        audit.record(
            session,
            actor,
            "firmware.hostkey_accept",
            "job",
            str(job.id),
            {"profile": data.profile, "endpoints": len(eps), "version": params["version"]},
        )
    on_commit(session, lambda: state.runner.start(job.id))
    return jobs_query.public(job, {"pending": len(eps)})


@router.post(
    "/endpoints/{endpoint_id}/host-key/approve",
    response_model=EndpointPublic,
    **route(Role.admin, Role.technician),
)
async def approve_host_key(
    endpoint_id: uuid.UUID, state: State, session: Session, actor: Actor, scope: Scope
) -> EndpointPublic:
    """Pin the new host key an endpoint presented after an upgrade (policy `hold`)."""
    ep = await registry.get_endpoint(session, endpoint_id, scope)
    if not ep.pending_host_key:
        raise Conflict("this endpoint has no host key awaiting approval")
    old = ep.host_key
    ep.host_key, ep.host_key_source, ep.pending_host_key = ep.pending_host_key, "approved", None
    audit.record(
        session,
        actor,
        "endpoint.hostkey_approved",
        "endpoint",
        str(ep.id),
        {"name": ep.name, "old": (old or "").split(" ")[0], "new": ep.host_key.split(" ")[0]},
    )
    await state.pool.drop(str(ep.id))
    return registry.to_public(ep)

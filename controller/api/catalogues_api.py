"""Read-only catalogues: firmware profiles and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from controller import audit
from controller.api.catalogue_schemas import AuditPublic, ProfilePublic
from controller.api.deps import Offset, Session, State, route
from controller.errors import NotFound
from controller.fields import Page
from controller.roles import ALL_ROLES, Role

router = APIRouter()


def _summary(profile: Any) -> dict[str, Any]:
    data = profile.model_dump(mode="json") if hasattr(profile, "model_dump") else dict(profile)
    return data


@router.get("/profiles", response_model=list[ProfilePublic], tags=["profiles"], **route(*ALL_ROLES))
async def list_profiles(state: State) -> list[ProfilePublic]:
    return [ProfilePublic(id=pid, summary=_summary(p)) for pid, p in sorted(state.profiles.items())]


@router.get("/profiles/{profile_id}", response_model=ProfilePublic, tags=["profiles"], **route(*ALL_ROLES))
async def get_profile(profile_id: str, state: State) -> ProfilePublic:
    if profile_id not in state.profiles:
        raise NotFound(f"no firmware profile {profile_id!r}")
    return ProfilePublic(id=profile_id, summary=_summary(state.profiles[profile_id]))


@router.get("/audit", response_model=Page[AuditPublic], tags=["audit"], **route(Role.admin, province=True))
async def list_audit(
    session: Session,
    action: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=128)] = None,
    target_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> Page[AuditPublic]:
    rows, total = await audit.list_records(
        session, action=action, actor=actor, target_id=target_id, limit=limit, offset=offset
    )
    return Page[AuditPublic](
        items=[AuditPublic.model_validate(r, from_attributes=True) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )

"""Provisioning jobs and their live progress (SSE)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from fastapi.sse import EventSourceResponse, ServerSentEvent
from sqlalchemy.ext.asyncio import AsyncSession

from controller import audit
from controller.api.deps import Actor, Offset, Scope, Session, State, route
from controller.db import on_commit
from controller.fields import Page
from controller.limits import StreamSlot
from controller.provisioning import jobs_query, targets
from controller.provisioning.schemas import CameraProvisionCreate, JobItemPublic, JobPublic, ProvisionCreate
from controller.roles import ALL_ROLES, Role

router = APIRouter(tags=["jobs"])
JOB_ENDS = frozenset({"done", "cancelled", "failed", "halted"})
READ = route(*ALL_ROLES)
WRITE = route(Role.admin, Role.technician)
# What a device answered (an item's transcript) may hold anything the address reached: only the
# roles that register devices and run jobs see it; everyone else gets the item without it.
SEES_TRANSCRIPTS = frozenset({Role.admin, Role.technician})


@router.post("/provisioning/jobs", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED, **WRITE)
async def create_provisioning_job(
    data: ProvisionCreate, state: State, session: Session, actor: Actor, scope: Scope
) -> JobPublic:
    """Plan (read and diff) or apply (write what differs, then verify) the standard."""
    eps = await targets.select_endpoints(
        session, unit=data.unit, endpoints=data.endpoints, profile=data.profile, scope=scope
    )
    job = await state.runner.create(
        session,
        kind="provision",
        mode=data.mode,
        target=data.model_dump(mode="json", include={"unit", "endpoints", "profile"}),
        params={"concurrency": data.concurrency},
        endpoints=eps,
        actor=actor,
    )
    on_commit(session, lambda: state.runner.start(job.id))
    return jobs_query.public(job, {"pending": len(eps)})


@router.post("/provisioning/cameras", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED, **WRITE)
async def create_camera_provisioning_job(
    data: CameraProvisionCreate, state: State, session: Session, actor: Actor, scope: Scope
) -> JobPublic:
    """Plan (read over ONVIF and diff) or apply (write what differs, read back, measure the stream)
    the stream standard on cameras; the same jobs, progress and audit as endpoint provisioning."""
    cams = await targets.select_cameras(session, unit=data.unit, cameras=data.cameras, scope=scope)
    job = await state.runner.create(
        session,
        kind="camera_provision",
        mode=data.mode,
        target=data.model_dump(mode="json", include={"unit", "cameras"}),
        params={"concurrency": data.concurrency},
        cameras=cams,
        actor=actor,
    )
    on_commit(session, lambda: state.runner.start(job.id))
    return jobs_query.public(job, {"pending": len(cams)})


@router.get("/jobs", response_model=Page[JobPublic], **READ)
async def list_jobs(
    session: Session,
    scope: Scope,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> Page[JobPublic]:
    jobs, total = await jobs_query.list_jobs(session, kind=kind, limit=limit, offset=offset, scope=scope)
    return Page[JobPublic](items=jobs, total=total, limit=limit, offset=offset)


@router.get("/jobs/{job_id}", response_model=JobPublic, **READ)
async def get_job(job_id: uuid.UUID, session: Session, scope: Scope) -> JobPublic:
    return await jobs_query.get_job(session, job_id, scope)


@router.get("/jobs/{job_id}/items", response_model=list[JobItemPublic], **READ)
async def list_job_items(
    job_id: uuid.UUID,
    session: Session,
    actor: Actor,
    scope: Scope,
    status_: Annotated[str | None, Query(alias="status", max_length=24)] = None,
) -> list[JobItemPublic]:
    """Every item; ``transcript`` (the device's own words) is null for roles other than admin and technician."""
    await jobs_query.get_job(session, job_id, scope)
    items = await jobs_query.items(session, job_id, status_)
    if actor.scope(*SEES_TRANSCRIPTS).covers(await jobs_query.home(session, job_id)):
        return items
    return [item.model_copy(update={"transcript": None}) for item in items]


@router.post("/jobs/{job_id}/cancel", response_model=JobPublic, **WRITE)
async def cancel_job(
    job_id: uuid.UUID, state: State, session: Session, actor: Actor, scope: Scope
) -> JobPublic:
    """Stop starting new endpoints; those under way finish their current step."""
    job = await jobs_query.get_job(session, job_id, scope)
    await state.runner.cancel(job_id)
    audit.record(session, actor, f"job.{job.kind}.cancel", "job", str(job_id), {})
    return job


@router.post("/jobs/{job_id}/resume", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED, **WRITE)
async def resume_job(
    job_id: uuid.UUID, state: State, session: Session, actor: Actor, scope: Scope
) -> JobPublic:
    """Run what an interrupted, halted or cancelled job left undone."""
    await jobs_query.get_job(session, job_id, scope)
    await state.runner.resume(session, job_id, actor)
    on_commit(session, lambda: state.runner.start(job_id))
    return await jobs_query.get_job(session, job_id)


async def existing_job(job_id: uuid.UUID, session: Session, scope: Scope) -> JobPublic:
    """Checked before a stream starts, so an unknown id is a 404, not a broken stream."""
    return await jobs_query.get_job(session, job_id, scope)


@router.get("/jobs/{job_id}/events", response_class=EventSourceResponse, **READ)
async def job_events(
    _slot: StreamSlot, job_id: uuid.UUID, state: State, _job: Annotated[JobPublic, Depends(existing_job)]
) -> AsyncIterator[ServerSentEvent]:
    """Live progress: a snapshot of every item first, then each change as it happens.

    A client that reconnects simply receives a fresh snapshot, so nothing is missed.
    """
    async with state.runner.events.listen(job_id) as queue:

        async def read_snapshot(session: AsyncSession) -> tuple[Any, list[Any]]:
            return await jobs_query.get_job(session, job_id), await jobs_query.items(session, job_id)

        job, snapshot = await state.db.read(read_snapshot)
        yield ServerSentEvent(event="job", data=job.model_dump(mode="json"))
        for item in snapshot:
            yield ServerSentEvent(event="item", data=item.model_dump(mode="json", exclude={"transcript"}))
        if not state.runner.is_running(job_id):
            # It may have finished after the snapshot was read: what changed since is queued
            # (we listened first), and the final status is read again.
            while not queue.empty():
                message = queue.get_nowait()
                yield ServerSentEvent(event=message["event"], id=str(message["seq"]), data=message["data"])
            job = await state.db.read(lambda s: jobs_query.get_job(s, job_id))
            yield ServerSentEvent(event="end", data={"status": job.status})
            return
        while True:
            message = await queue.get()
            yield ServerSentEvent(event=message["event"], id=str(message["seq"]), data=message["data"])
            if message["event"] == "job" and message["data"].get("status") in JOB_ENDS:
                yield ServerSentEvent(event="end", data={"status": message["data"].get("status")})
                return

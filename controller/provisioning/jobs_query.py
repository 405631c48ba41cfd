"""Reading jobs for the API and CLI: a job with its counts by item status."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from controller.errors import NotFound
from controller.models import Job, JobItem
from controller.provisioning.schemas import JobItemPublic, JobPublic
from controller.scope import EVERYWHERE, UnitScope


async def counts(session: AsyncSession, job_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
    rows = await session.execute(
        select(JobItem.job_id, JobItem.status, func.count())
        .where(JobItem.job_id.in_(job_ids))
        .group_by(JobItem.job_id, JobItem.status)
    )
    out: dict[uuid.UUID, dict[str, int]] = {j: {} for j in job_ids}
    for job_id, status, n in rows.all():
        out[job_id][status] = n
    return out


def public(job: Job, by_status: dict[str, int]) -> JobPublic:
    return JobPublic(
        id=job.id,
        kind=job.kind,
        mode=job.mode,
        status=job.status,
        target=job.target,
        params=job.params,
        created_by=job.created_by,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        message=job.message,
        message_code=job.message_code,
        message_params=job.message_params,
        total=sum(by_status.values()),
        counts=by_status,
    )


async def get_job(session: AsyncSession, job_id: uuid.UUID, scope: UnitScope = EVERYWHERE) -> JobPublic:
    """A job; one outside the caller's units is as unknown to them as a missing one."""
    job = await session.get(Job, job_id)
    if job is None or not scope.covers(job.unit_path):
        raise NotFound(f"job {job_id} does not exist")
    await session.refresh(job)
    return public(job, (await counts(session, [job.id]))[job.id])


async def list_jobs(
    session: AsyncSession, *, kind: str | None, limit: int, offset: int, scope: UnitScope = EVERYWHERE
) -> tuple[list[JobPublic], int]:
    query = select(Job).where(scope.where(Job.unit_path))
    if kind:
        query = query.where(Job.kind == kind)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    jobs = list(await session.scalars(query.order_by(Job.created_at.desc()).limit(limit).offset(offset)))
    by_job = await counts(session, [j.id for j in jobs])
    return [public(j, by_job[j.id]) for j in jobs], int(total or 0)


async def items(session: AsyncSession, job_id: uuid.UUID, status: str | None = None) -> list[JobItemPublic]:
    query = select(JobItem).where(JobItem.job_id == job_id)
    if status:
        query = query.where(JobItem.status == status)
    rows = await session.scalars(query.order_by(JobItem.wave, JobItem.seq))
    return [JobItemPublic.model_validate(r, from_attributes=True) for r in rows]


async def home(session: AsyncSession, job_id: uuid.UUID) -> str | None:
    """The unit path a job belongs to (the deepest unit holding all its targets)."""
    return await session.scalar(select(Job.unit_path).where(Job.id == job_id))

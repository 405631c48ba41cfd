"""Runs jobs as asyncio tasks and keeps their record true across restarts.

A job is created (with one item per endpoint) in the caller's transaction,
then started here. Item updates go through the group-commit `Recorder` and
are published to listeners. On start-up `recover()` marks jobs that were
running when the process died as ``interrupted`` — their items that were
mid-flight keep the planned writes on record — and `resume()` runs whatever
is not finished.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from controller import audit, logs
from controller.db import Database
from controller.errors import Conflict, NotFound
from controller.fanout import Fanout
from controller.models import Camera, Endpoint, Job, JobItem, utcnow
from controller.principal import Principal
from controller.provisioning.notes import note
from controller.provisioning.recorder import Recorder
from controller.scope import common_path
from controller.security import SecretBox
from controller.tasks import cancel_and_wait
from endpoints.pool import SessionPool
from endpoints.profiles import Profile

log = logging.getLogger("diemcau.jobs")

FINAL_ITEM = frozenset(
    {
        "planned",
        "unchanged",
        "applied",
        "upgraded",
        "deferred",
        "skipped",
        "error",
        "cancelled",
        "held",
    }
)
OPEN_ITEM = frozenset({"pending", "running", "interrupted", "waiting"})
LIVE_JOB = frozenset({"queued", "running", "waiting"})
HEARTBEAT_S = 15.0


class Work(Protocol):
    """What a job kind does. `run` processes the open items and returns the final job status."""

    async def run(self, ctx: JobContext, job: Job, items: list[JobItem]) -> str: ...


@dataclass
class JobContext:
    job_id: uuid.UUID
    runner: JobRunner
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def box(self) -> SecretBox:
        return self.runner.box

    async def update_item(self, item: JobItem, **values: Any) -> None:
        """Persist (durably, before returning) and publish an item change. A new message
        without a code (a failure's: its error_code says it) drops the earlier note's code."""
        values = _with_message_code(values)
        for key, value in values.items():
            setattr(item, key, value)
        stmt = update(JobItem).where(JobItem.id == item.id).values(**values)

        async def op(session: AsyncSession) -> None:
            await session.execute(stmt)

        await self.runner.recorder.write(op)
        self.runner.events.publish(self.job_id, "item", item_view(item))

    async def each_item(
        self, items: list[JobItem], concurrency: int, work: Callable[[JobItem], Awaitable[None]]
    ) -> None:
        """Run ``work`` for every item, at most ``concurrency`` at once; after a cancel, start no more."""
        limit = asyncio.Semaphore(concurrency)

        async def one(item: JobItem) -> None:
            async with limit:
                if not self.cancelled.is_set():
                    await work(item)

        await asyncio.gather(*(one(i) for i in items))

    async def update_job(self, **values: Any) -> None:
        values = _with_message_code(values)
        stmt = update(Job).where(Job.id == self.job_id).values(**values)

        async def op(session: AsyncSession) -> None:
            await session.execute(stmt)

        await self.runner.recorder.write(op)
        self.runner.events.publish(self.job_id, "job", {"id": str(self.job_id), **_jsonable(values)})


def _with_message_code(values: dict[str, Any]) -> dict[str, Any]:
    if "message" in values and "message_code" not in values:
        return values | {"message_code": None, "message_params": None}
    return values


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}


def item_view(item: JobItem) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "endpoint_id": str(item.endpoint_id) if item.endpoint_id else None,
        "camera_id": str(item.camera_id) if item.camera_id else None,
        "endpoint_name": item.endpoint_name,
        "wave": item.wave,
        "status": item.status,
        "plan": item.plan,
        "written": item.written,
        "message": item.message,
        "message_code": item.message_code,
        "message_params": item.message_params or {},
        "error_code": item.error_code,
        "error_params": item.error_params or {},
    }


class JobRunner:
    def __init__(self, db: Database, box: SecretBox, profiles: dict[str, Profile], pool: SessionPool) -> None:
        self.db = db
        self.box = box
        self.profiles = profiles
        self.pool = pool
        self.recorder = Recorder(db)
        self.events = Fanout()
        self.works: dict[str, Work] = {}
        self._tasks: dict[uuid.UUID, tuple[asyncio.Task[None], JobContext]] = {}
        self._watch: asyncio.Task[None] | None = None

    def register(self, kind: str, work: Work) -> None:
        self.works[kind] = work

    # --- creation -------------------------------------------------------------------
    async def create(
        self,
        session: AsyncSession,
        *,
        kind: str,
        mode: str,
        target: dict[str, Any],
        params: dict[str, Any],
        endpoints: Iterable[Endpoint] = (),
        actor: Principal,
        waves: dict[uuid.UUID, int] | None = None,
        cameras: Iterable[Camera] = (),
    ) -> Job:
        endpoints, cameras = list(endpoints), list(cameras)
        job = Job(
            kind=kind,
            mode=mode,
            status="queued",
            target=target,
            params=params,
            created_by=actor.label,
            unit_path=common_path([e.unit.path for e in endpoints] + [c.unit.path for c in cameras]),
        )
        session.add(job)
        await session.flush()
        for seq, ep in enumerate(endpoints):
            session.add(
                JobItem(
                    job_id=job.id,
                    endpoint_id=ep.id,
                    endpoint_name=ep.name,
                    seq=seq,
                    wave=(waves or {}).get(ep.id, 0),
                    status="pending",
                )
            )
        for seq, cam in enumerate(cameras):  # a camera job: the same items, runner and progress
            session.add(
                JobItem(job_id=job.id, camera_id=cam.id, endpoint_name=cam.name, seq=seq, status="pending")
            )
        await session.flush()
        audit.record(
            session,
            actor,
            f"job.{kind}.create",
            "job",
            str(job.id),
            {"mode": mode, "target": target, "params": params},
        )
        return job

    # --- running --------------------------------------------------------------------
    def start(self, job_id: uuid.UUID) -> asyncio.Task[None]:
        if job_id in self._tasks and not self._tasks[job_id][0].done():
            raise Conflict(f"job {job_id} is already running")
        self.start_watch()
        ctx = JobContext(job_id=job_id, runner=self)
        task = asyncio.get_running_loop().create_task(self._run(ctx), name=f"job-{job_id}")
        self._tasks[job_id] = (task, ctx)
        return task

    async def wait(self, job_id: uuid.UUID) -> None:
        entry = self._tasks.get(job_id)
        if entry is not None:
            await asyncio.shield(entry[0])

    def is_running(self, job_id: uuid.UUID) -> bool:
        entry = self._tasks.get(job_id)
        return entry is not None and not entry[0].done()

    async def _run(self, ctx: JobContext) -> None:
        async with self.db.transaction() as session:
            job = await session.get(Job, ctx.job_id)
            if job is None:
                return
            items = list(
                await session.scalars(
                    select(JobItem)
                    .where(JobItem.job_id == job.id, JobItem.status.in_(OPEN_ITEM))
                    .order_by(JobItem.wave, JobItem.seq)
                )
            )
            session.expunge_all()
        work = self.works[job.kind]
        await ctx.update_job(
            status="running", started_at=job.started_at or utcnow(), message=None, heartbeat_at=utcnow()
        )
        facts = {"job_id": str(job.id), "kind": job.kind, "mode": job.mode, "items": len(items)}
        logs.state_change(log, "job.running", f"{job.kind} job of {len(items)} item(s)", facts)
        try:
            status = await work.run(ctx, job, items)
        except asyncio.CancelledError:
            # The process is stopping: leave the job for recover()/resume.
            raise
        except Exception as exc:  # noqa: BLE001 - a job failure must be recorded, not lost
            log.exception("job %s failed", ctx.job_id)
            await ctx.update_job(
                status="failed", finished_at=utcnow(), **note("job_crashed", error=type(exc).__name__)
            )
            logs.state_change(log, "job.failed", f"{job.kind} job", facts | {"error": type(exc).__name__})
            return
        if ctx.cancelled.is_set():
            status = "cancelled"
            cancel = update(JobItem).where(JobItem.job_id == ctx.job_id, JobItem.status == "pending")

            async def op(session: AsyncSession) -> None:
                await session.execute(cancel.values(status="cancelled", **note("item_cancelled")))

            await self.recorder.write(op)
        final = {"finished_at": utcnow()} if status not in ("halted", "waiting") else {}
        await ctx.update_job(status=status, **final)
        logs.state_change(log, f"job.{status}", f"{job.kind} job", facts)

    async def cancel(self, job_id: uuid.UUID) -> None:
        entry = self._tasks.get(job_id)
        if entry is None or entry[0].done():
            raise Conflict(f"job {job_id} is not running")
        entry[1].cancelled.set()

    async def resume(self, session: AsyncSession, job_id: uuid.UUID, actor: Principal) -> Job:
        job = await session.get(Job, job_id)
        if job is None:
            raise NotFound(f"job {job_id} does not exist")
        if self.is_running(job_id):
            raise Conflict(f"job {job_id} is running")
        if job.status not in ("interrupted", "halted", "failed", "cancelled", "waiting"):
            raise Conflict(f"job {job_id} is {job.status}; only unfinished jobs can be resumed")
        await session.execute(
            update(JobItem)
            .where(
                JobItem.job_id == job_id,
                JobItem.status.in_(("interrupted", "cancelled", "waiting")),
            )
            .values(status="pending")
        )
        job.status = "queued"
        job.finished_at = None
        audit.record(session, actor, f"job.{job.kind}.resume", "job", str(job.id), {})
        await session.flush()  # what the caller reads back next (the job's counts) sees the resume
        return job

    async def recover(self, stale_s: float = 0.0) -> int:
        """Mark live jobs that no process is running any more; returns jobs marked.

        A process running a job beats its heartbeat every `HEARTBEAT_S`; a live job whose
        heartbeat is older than `stale_s` (and that this runner does not run) has lost its
        process: at start-up (`stale_s` 0) that is every job of the previous incarnation,
        later it is a job whose CLI process or server was killed.
        """
        cutoff = utcnow() - timedelta(seconds=stale_s)
        async with self.db.transaction() as session:
            live = [
                j
                for j in await session.scalars(select(Job).where(Job.status.in_(LIVE_JOB)))
                if not self.is_running(j.id)
                and (stale_s == 0 or j.heartbeat_at is None or j.heartbeat_at < cutoff)
            ]
            for job in live:
                job.status = "interrupted"
                for key, value in note("job_interrupted").items():
                    setattr(job, key, value)
            if live:
                await session.execute(
                    update(JobItem)
                    .where(JobItem.job_id.in_([j.id for j in live]), JobItem.status == "running")
                    .values(status="interrupted", **note("item_interrupted"))
                )
        return len(live)

    async def beat(self) -> None:
        """Stamp the heartbeat of every job this process is running."""
        mine = [job_id for job_id, (task, _) in self._tasks.items() if not task.done()]
        if mine:
            stmt = update(Job).where(Job.id.in_(mine)).values(heartbeat_at=utcnow())

            async def op(session: AsyncSession) -> None:
                await session.execute(stmt)

            await self.recorder.write(op)

    def start_watch(self) -> None:
        """Keep heartbeats going (idempotent); any process that runs jobs needs it."""
        if self._watch is None or self._watch.done():
            self._watch = asyncio.get_running_loop().create_task(self.watch(), name="job-upkeep")

    async def watch(self) -> None:
        """Upkeep: beat for our jobs, and mark jobs whose process died."""
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                await self.beat()
                await self.recover(stale_s=3 * HEARTBEAT_S)
            except Exception:  # noqa: BLE001 - upkeep must keep going
                log.exception("job upkeep failed")

    async def close(self) -> None:
        await cancel_and_wait([self._watch, *(task for task, _ in self._tasks.values())])
        await self.recorder.close()

"""`diemcau provision`, `jobs` and `standards`: long work with a Rich progress bar.

The job runs in this process through the same runner the server uses, so it
is recorded, audited and resumable exactly like one started from the API.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypedDict

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from controller.api.deps import AppState
from controller.cli.common import cli_actor, console, controller_state, run
from controller.models import Camera, Endpoint
from controller.provisioning.runner import FINAL_ITEM
from controller.provisioning.schemas import JobItemPublic, JobPublic

jobs_app = typer.Typer(help="Background jobs (provisioning, firmware)", no_args_is_help=True)
standards_app = typer.Typer(help="The province standard configuration", no_args_is_help=True)

STATUS_STYLE = {
    "applied": "green",
    "unchanged": "dim",
    "planned": "cyan",
    "deferred": "yellow",
    "skipped": "yellow",
    "error": "red",
    "cancelled": "yellow",
    "interrupted": "red",
}


class _Targets(TypedDict, total=False):
    """What a job is created over (`JobRunner.create`'s keywords): endpoints or cameras."""

    endpoints: list[Endpoint]
    cameras: list[Camera]


async def _follow(state: AppState, job_id: uuid.UUID, total: int) -> None:
    """Start the job and advance a bar as endpoints finish."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("provisioning", total=total, last="")
        async with state.runner.events.listen(job_id) as queue:
            runner_task = state.runner.start(job_id)
            done: set[str] = set()
            while not (runner_task.done() and queue.empty()):
                try:
                    msg = await asyncio.wait_for(queue.get(), 0.2)
                except TimeoutError:
                    continue
                data = msg["data"]
                if msg["event"] == "item" and data["status"] in FINAL_ITEM and data["id"] not in done:
                    done.add(data["id"])
                    bar.update(task, advance=1, last=f"{data['endpoint_name']}: {data['status']}")
            await runner_task


def _report(job: JobPublic, items: list[JobItemPublic], show_plan: bool) -> None:
    table = Table("device", "status", "to set", "message", title=f"job {job.id} — {job.status}")
    for it in items:
        to_set = [p["key"] for p in it.plan if p["action"] == "set"]
        style = STATUS_STYLE.get(it.status, "")
        table.add_row(
            it.endpoint_name,
            f"[{style}]{it.status}[/{style}]" if style else it.status,
            ", ".join(to_set),
            it.message or "",
        )
    console.print(table)
    if show_plan:
        diff = Table("device", "key", "current", "desired", title="planned changes")
        for it in items:
            for p in it.plan:
                if p["action"] == "set":
                    diff.add_row(it.endpoint_name, p["key"], str(p["current"]), str(p["desired"]))
        console.print(diff)
    console.print("  ".join(f"{k}: {v}" for k, v in sorted(job.counts.items())))


def provision(
    unit: Annotated[str | None, typer.Option(help="Unit code: its whole subtree")] = None,
    profile: Annotated[str | None, typer.Option(help="Only endpoints with this profile")] = None,
    endpoint: Annotated[list[uuid.UUID] | None, typer.Option(help="Endpoint id (repeatable)")] = None,
    plan: Annotated[bool, typer.Option("--plan", help="Read and diff only (the default)")] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Write what differs, then verify")] = False,
    concurrency: Annotated[int, typer.Option(min=1, max=1000)] = 250,
) -> None:
    """Bring endpoints to the province standard: --plan shows the diff, --apply writes it."""
    from controller.provisioning import targets
    from controller.provisioning.schemas import ProvisionCreate

    if plan and apply:
        raise typer.BadParameter("choose --plan or --apply")
    mode = "apply" if apply else "plan"
    target = ProvisionCreate(
        unit=unit, profile=profile, endpoints=endpoint, mode=mode, concurrency=concurrency
    )

    async def select(session: AsyncSession) -> _Targets:
        chosen = await targets.select_endpoints(
            session, unit=target.unit, endpoints=target.endpoints, profile=target.profile
        )
        return {"endpoints": chosen}

    _job_with_bar(
        "provision",
        mode,
        target.model_dump(mode="json", include={"unit", "endpoints", "profile"}),
        concurrency,
        select,
    )


def _job_with_bar(
    kind: str,
    mode: str,
    target: dict[str, Any],
    concurrency: int,
    select: Callable[[AsyncSession], Awaitable[_Targets]],
) -> None:
    """Create a job over what ``select`` picks, run it here under a Rich bar, print the result table;
    exit 2 when any item failed (a script can tell)."""
    from controller.provisioning import jobs_query

    async def go() -> tuple[JobPublic, list[JobItemPublic]]:
        async with controller_state() as state:
            async with state.db.transaction() as session:
                targets = await select(session)
                job = await state.runner.create(
                    session,
                    kind=kind,
                    mode=mode,
                    target=target,
                    params={"concurrency": concurrency},
                    actor=cli_actor(),
                    **targets,
                )
            await _follow(state, job.id, len(targets.get("endpoints", [])) + len(targets.get("cameras", [])))
            async with state.db.transaction() as session:
                return await jobs_query.get_job(session, job.id), await jobs_query.items(session, job.id)

    job, items = run(go())
    _report(job, items, show_plan=(mode == "plan"))
    if job.counts.get("error"):
        raise typer.Exit(2)


@jobs_app.command("list")
def jobs_list(kind: Annotated[str | None, typer.Option()] = None) -> None:
    """Recent jobs with their counts."""
    from controller.provisioning import jobs_query

    async def go() -> list[JobPublic]:
        async with controller_state() as state, state.db.transaction() as session:
            return (await jobs_query.list_jobs(session, kind=kind, limit=50, offset=0))[0]

    table = Table("id", "kind", "mode", "status", "created", "counts")
    for j in run(go()):
        table.add_row(
            str(j.id),
            j.kind,
            j.mode,
            j.status,
            f"{j.created_at:%Y-%m-%d %H:%M}",
            " ".join(f"{k}:{v}" for k, v in sorted(j.counts.items())),
        )
    console.print(table)


@jobs_app.command("show")
def jobs_show(job_id: uuid.UUID) -> None:
    """One job, endpoint by endpoint."""
    from controller.provisioning import jobs_query

    async def go() -> tuple[JobPublic, list[JobItemPublic]]:
        async with controller_state() as state, state.db.transaction() as session:
            return await jobs_query.get_job(session, job_id), await jobs_query.items(session, job_id)

    job, items = run(go())
    _report(job, items, show_plan=job.mode == "plan")


@jobs_app.command("resume")
def jobs_resume(job_id: uuid.UUID) -> None:
    """Finish an interrupted, halted or cancelled job."""
    from controller.provisioning import jobs_query

    async def go() -> tuple[JobPublic, list[JobItemPublic]]:
        async with controller_state() as state:
            async with state.db.transaction() as session:
                await state.runner.resume(session, job_id, cli_actor())
                job = await jobs_query.get_job(session, job_id)
            await _follow(state, job_id, job.counts.get("pending", 0))
            async with state.db.transaction() as session:
                return await jobs_query.get_job(session, job_id), await jobs_query.items(session, job_id)

    job, items = run(go())
    _report(job, items, show_plan=False)


def provision_cameras(
    unit: Annotated[str | None, typer.Option(help="Unit code: its whole subtree")] = None,
    camera: Annotated[list[uuid.UUID] | None, typer.Option(help="Camera id (repeatable)")] = None,
    plan: Annotated[bool, typer.Option("--plan", help="Read over ONVIF and diff only (the default)")] = False,
    apply: Annotated[
        bool, typer.Option("--apply", help="Write what differs, read back, measure the stream")
    ] = False,
    concurrency: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    """Bring cameras to the stream standard over ONVIF: --plan shows the diff, --apply writes and verifies."""
    from controller.provisioning import targets

    if plan and apply:
        raise typer.BadParameter("choose --plan or --apply")
    if not (unit or camera):
        raise typer.BadParameter("name a --unit or a --camera")
    mode = "apply" if apply else "plan"

    async def select(session: AsyncSession) -> _Targets:
        return {"cameras": await targets.select_cameras(session, unit=unit, cameras=camera)}

    target = {"unit": unit, "cameras": [str(c) for c in camera or []]}
    _job_with_bar("camera_provision", mode, target, concurrency, select)


@standards_app.command("set")
def standards_set(
    key: str,
    value: str,
    unit: Annotated[str | None, typer.Option(help="Unit code; omit for the whole province")] = None,
) -> None:
    """Set one key of the standard (placeholders: {name} {slug} {unit_code} {unit_name} {sip_uri} {host})."""
    from controller.provisioning import standards
    from controller.provisioning.camera_standard import check_camera_value, settable_keys
    from controller.units.service import unit_from_body

    async def go() -> None:
        async with controller_state() as state, state.db.transaction() as session:
            target = await unit_from_body(session, unit) if unit else None
            check_camera_value(key, value)  # the API's checks: one way to set a standard
            await standards.set_value(
                session, target, key, value, settable_keys(state.profiles), cli_actor(), state.profiles
            )

    run(go())
    console.print(f"{unit or '*'}: {key} = {value}")


@standards_app.command("list")
def standards_list() -> None:
    """Every key of the standard, province-wide (*) and per unit."""
    from controller.provisioning import standards

    async def go() -> list[tuple[str, str, str]]:
        async with controller_state() as state, state.db.transaction() as session:
            return [(u.code if u else "*", s.key, s.value) for u, s in await standards.list_values(session)]

    table = Table("unit", "key", "value")
    for row in sorted(run(go())):
        table.add_row(*row)
    console.print(table)

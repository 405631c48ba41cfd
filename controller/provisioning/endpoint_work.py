"""Plan / apply / verify the standard configuration on each endpoint.

Per endpoint: skip it if it is in a call (deferred, never touched mid-meeting);
read the keys the standard sets; the plan is the difference. Apply writes only
what differs — after recording the planned writes durably, so a crash can
never leave a write unrecorded — then reads back every written key.
A second run finds nothing to write.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

import endpoints
from controller.fleet.devices import device_target
from controller.models import Endpoint, Job, JobItem, utcnow
from controller.provisioning.camera_standard import CAMERA_KEYS
from controller.provisioning.notes import note
from controller.provisioning.runner import JobContext
from controller.provisioning.standards import StandardResolver

DEFAULT_CONCURRENCY = 250


def make_plan(
    current: dict[str, str | endpoints.CommandFailed],
    desired: dict[str, str],
    unsupported: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One row per key: ``ok``, ``set``, ``refused`` (the device refused to read it: reported
    on its own row, the others still go ahead) or ``unsupported`` (the standard sets a key
    this endpoint's profile cannot: said, not silently dropped)."""
    rows: list[dict[str, Any]] = []
    for key, value in sorted(desired.items()):
        now = current.get(key)
        if isinstance(now, endpoints.CommandFailed):
            message = f"the device refused to read it: {now.device_message or now}"
            rows.append(
                {"key": key, "current": None, "desired": value, "action": "refused", "message": message}
            )
        else:
            rows.append(
                {"key": key, "current": now, "desired": value, "action": "ok" if now == value else "set"}
            )
    for key, value in sorted((unsupported or {}).items()):
        rows.append({"key": key, "current": None, "desired": value, "action": "unsupported"})
    return rows


def error_fields(exc: endpoints.EndpointError) -> dict[str, Any]:
    """Item fields for a failure: the device's own words and the raw exchange; its code and
    stable params (cause, command, device words) for the console's own words."""
    transcript = None
    if isinstance(exc, endpoints.CommandFailed):
        transcript = f"> {exc.command}\n{exc.raw}"
    elif isinstance(exc, endpoints.ParseError):
        transcript = exc.raw
    return {
        "status": "error",
        "error_code": exc.code,
        "error_params": exc.params,
        "message": str(exc),
        "transcript": transcript,
    }


async def defer_if_in_call(
    ctx: JobContext, item: JobItem, driver: endpoints.EndpointDriver, started: datetime
) -> bool:
    """An endpoint in a meeting is never touched: record it as deferred and say so."""
    if not await driver.in_call():
        return False
    await ctx.update_item(
        item, status="deferred", started_at=started, finished_at=utcnow(), **note("in_call")
    )
    return True


class ProvisionWork:
    async def run(self, ctx: JobContext, job: Job, items: list[JobItem]) -> str:
        runner = ctx.runner
        async with runner.db.transaction() as session:
            resolver = await StandardResolver.load(session)
            ids = [i.endpoint_id for i in items if i.endpoint_id]
            eps = {e.id: e for e in await session.scalars(select(Endpoint).where(Endpoint.id.in_(ids)))}
            session.expunge_all()

        async def one(item: JobItem) -> None:
            ep = eps.get(item.endpoint_id) if item.endpoint_id else None
            if ep is None:
                await ctx.update_item(item, status="skipped", finished_at=utcnow(), **note("endpoint_gone"))
                return
            await self._endpoint(ctx, job, item, ep, resolver)

        await ctx.each_item(items, int(job.params.get("concurrency", DEFAULT_CONCURRENCY)), one)
        return "done"

    async def _endpoint(
        self, ctx: JobContext, job: Job, item: JobItem, ep: Endpoint, resolver: StandardResolver
    ) -> None:
        runner = ctx.runner
        profile = runner.profiles.get(ep.profile)
        if profile is None:
            await ctx.update_item(
                item,
                status="skipped",
                finished_at=utcnow(),
                **note("profile_missing", profile=ep.profile),
            )
            return
        everything = resolver.desired(ep, set(resolver.templates_for(ep.unit)))
        desired = {k: v for k, v in everything.items() if k in profile.config}
        unsupported = {
            k: v for k, v in everything.items() if k not in profile.config and k not in CAMERA_KEYS
        }
        started = utcnow()
        try:
            driver = await runner.pool.driver(device_target(ep, ctx.box, runner.profiles), now=True)
            if await defer_if_in_call(ctx, item, driver, started):
                return
            current = await driver.read_config_each(list(desired))
            plan = make_plan(current, desired, unsupported)
            changes = {p["key"]: p["desired"] for p in plan if p["action"] == "set"}
            refused_reads = [p for p in plan if p["action"] == "refused"]
            if job.mode == "plan" or not changes:
                await ctx.update_item(
                    item,
                    status="planned" if job.mode == "plan" else "unchanged",
                    plan=plan,
                    started_at=started,
                    finished_at=utcnow(),
                    **note(
                        "plan",
                        to_set=len(changes),
                        right=sum(p["action"] == "ok" for p in plan),
                        refused=len(refused_reads),
                        unsettable=len(unsupported),
                    ),
                )
                return
            # Durable intent before the first write: nothing written goes unrecorded.
            await ctx.update_item(
                item,
                status="running",
                plan=plan,
                written=sorted(changes),
                started_at=started,
                **note("writing"),
            )
            results = await driver.set_config_many(changes)
            after = await driver.read_config(list(changes))
        except endpoints.EndpointError as exc:
            await ctx.update_item(item, started_at=started, finished_at=utcnow(), **error_fields(exc))
            return
        refused = {k: e for k, e in results.items() if e is not None}
        wrong = [k for k in changes if k not in refused and after.get(k) != changes[k]]
        if refused or wrong or refused_reads:
            parts = [f"{p['key']}: {p['message']}" for p in refused_reads] + [
                f"{k}: device said {e.device_message or e}"
                if isinstance(e, endpoints.CommandFailed)
                else f"{k}: {e.reason}"
                for k, e in refused.items()
            ]
            parts += [f"{k}: reads back {after.get(k)!r}, expected {changes[k]!r}" for k in wrong]
            transcript = (
                "\n".join(
                    f"> {e.command}\n{e.raw}"
                    for e in refused.values()
                    if isinstance(e, endpoints.CommandFailed)
                )
                or None
            )
            await ctx.update_item(
                item,
                status="error",
                error_code=next(
                    (e.code for e in refused.values()), "verify_failed" if wrong else "command_failed"
                ),
                # which keys, by what went wrong: the English message has the device's words
                error_params={
                    "refused": sorted(refused),
                    "unreadable": [p["key"] for p in refused_reads],
                    "wrong": wrong,
                },
                message="; ".join(parts),
                transcript=transcript,
                finished_at=utcnow(),
            )
            return
        await ctx.update_item(
            item,
            status="applied",
            finished_at=utcnow(),
            **note("applied", count=len(changes)),
        )


def target_of(unit: str | None, endpoint_ids: list[uuid.UUID] | None, profile: str | None) -> dict[str, Any]:
    return {"unit": unit, "endpoints": [str(e) for e in endpoint_ids or []], "profile": profile}

"""Firmware upgrade campaigns: a canary wave, then waves, halting on failures.

Each endpoint: skip if in a call or already at the target; take the download
slot of its unit subtree (a commune's thin uplink carries one image at a
time); record the intent; send the profile's upgrade command; wait for the
reboot and reconnect (a new host key is accepted and audited, or held for a
technician, by policy); verify the version. After each wave the failure rate
is checked and the campaign halts itself when it is too high; outside the
maintenance window it waits. Every step is on record, so it resumes after a
restart.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

import endpoints
from controller import audit, templates
from controller.fleet.devices import device_target
from controller.models import Endpoint, Job, JobItem, Unit, utcnow
from controller.principal import SYSTEM
from controller.provisioning.endpoint_work import defer_if_in_call, error_fields
from controller.provisioning.firmware import Window, version_key
from controller.provisioning.notes import note
from controller.provisioning.runner import JobContext
from endpoints.errors import Backoff


def assign_waves(count: int, canary: int, wave_size: int) -> list[int]:
    """Wave number per position: 0 for the canaries, then 1, 2, ... of `wave_size`."""
    return [0 if i < canary else 1 + (i - canary) // wave_size for i in range(count)]


class FirmwareWork:
    async def run(self, ctx: JobContext, job: Job, items: list[JobItem]) -> str:
        p = job.params
        async with ctx.runner.db.transaction() as session:
            ids = [i.endpoint_id for i in items if i.endpoint_id]
            rows = (
                await session.execute(
                    select(Endpoint, Unit).join(Unit, Endpoint.unit_id == Unit.id).where(Endpoint.id.in_(ids))
                )
            ).all()
            levels = dict((await session.execute(select(Unit.id, Unit.level))).all())
            session.expunge_all()
        # looked up by each item's endpoint id, which is None once its endpoint was deleted
        eps: dict[uuid.UUID | None, Endpoint] = {ep.id: ep for ep, _ in rows}
        slot_of: dict[uuid.UUID | None, str] = {
            ep.id: self._slot(unit, p.get("per_unit_level"), levels) for ep, unit in rows
        }
        slots: dict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(int(p.get("per_unit_limit", 1)))
        )
        window = Window(p["window"], p.get("timezone", "Asia/Ho_Chi_Minh")) if p.get("window") else None
        waves: dict[int, list[JobItem]] = defaultdict(list)
        for item in items:
            waves[item.wave].append(item)
        for wave in sorted(waves):
            if ctx.cancelled.is_set():
                return "cancelled"
            if window is not None and not window.is_open(utcnow()):
                await ctx.update_job(status="waiting", **note("waiting_window", window=p["window"]))
                while not window.is_open(utcnow()):
                    if ctx.cancelled.is_set():
                        return "cancelled"
                    await asyncio.sleep(float(p.get("poll_s", 5)))
                await ctx.update_job(status="running", message=None, message_code=None, message_params=None)
            await asyncio.gather(
                *(
                    self._endpoint(
                        ctx,
                        job,
                        item,
                        eps.get(item.endpoint_id),
                        slots[slot_of.get(item.endpoint_id, "")],
                    )
                    for item in waves[wave]
                )
            )
            verdict = await self._verdict(ctx, job, wave)
            if verdict:
                await ctx.update_job(status="halted", **verdict)
                return "halted"
        return "done"

    @staticmethod
    def _slot(unit: Unit, level: str | None, levels: dict[uuid.UUID, str]) -> str:
        """The subtree whose uplink an endpoint shares: its nearest unit of `level`, else its own."""
        parts = unit.path.strip("/").split("/")
        if level:
            for part in reversed(parts):
                if levels.get(uuid.UUID(part)) == level:
                    return part
        return parts[-1]

    async def _verdict(self, ctx: JobContext, job: Job, wave: int) -> dict[str, Any] | None:
        async with ctx.runner.db.transaction() as session:
            statuses = list(
                await session.scalars(
                    select(JobItem.status).where(JobItem.job_id == job.id, JobItem.wave == wave)
                )
            )
        failed = statuses.count("error")
        tried = failed + statuses.count("upgraded")
        if wave == 0:
            limit = int(job.params.get("canary_max_failures", 0))
            if failed > limit:
                return note("halted_canary", failed=failed, tried=tried)
            return None
        rate = failed / tried if tried else 0.0
        if rate > float(job.params.get("max_failure_rate", 0.2)):
            return note("halted_wave", wave=wave, failed=failed, tried=tried, percent=round(rate * 100))
        return None

    async def _endpoint(
        self, ctx: JobContext, job: Job, item: JobItem, ep: Endpoint | None, slot: asyncio.Semaphore
    ) -> None:
        if ctx.cancelled.is_set():
            return
        if ep is None:
            await ctx.update_item(item, status="skipped", **note("endpoint_gone"))
            return
        runner = ctx.runner
        profile = runner.profiles.get(ep.profile)
        target_version: str = job.params["version"]
        if profile is None or profile.firmware.upgrade is None:
            await ctx.update_item(item, status="skipped", **note("no_upgrade"))
            return
        target = device_target(ep, ctx.box, runner.profiles)
        started = utcnow()
        try:
            driver = await runner.pool.driver(target, now=True)
            if await defer_if_in_call(ctx, item, driver, started):
                return
            before = (await driver.identify()).firmware_version
            if version_key(before) >= version_key(target_version):
                await self._store_version(ctx, ep.id, before)
                await ctx.update_item(
                    item,
                    status="skipped",
                    started_at=started,
                    finished_at=utcnow(),
                    **note("already_at", version=before),
                )
                return
            async with slot:
                url = templates.render(job.params["url"], {"profile": ep.profile, "version": target_version})
                await ctx.update_item(
                    item,
                    status="running",
                    written=["firmware"],
                    started_at=started,
                    **note("upgrading", version=before, wanted=target_version),
                )
                await driver.upgrade_firmware(url)
                await runner.pool.drop(target.key)
                await self._await_new_version(ctx, job, item, ep, target, before, target_version)
        except endpoints.EndpointError as exc:
            await ctx.update_item(item, finished_at=utcnow(), **error_fields(exc))

    async def _await_new_version(
        self,
        ctx: JobContext,
        job: Job,
        item: JobItem,
        ep: Endpoint,
        target: Any,
        before: str,
        wanted: str,
    ) -> None:
        runner = ctx.runner
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(job.params["timeout_s"])
        poll = float(job.params.get("poll_s", 5))
        went_away = False
        accept = job.params.get("hostkey_policy", "hold") == "accept"
        while loop.time() < deadline:
            await asyncio.sleep(poll)
            try:
                session = await runner.pool.session(target, accept_new_host_key=accept)
                version = (await endpoints.EndpointDriver(session).identify()).firmware_version
            except Backoff:
                continue
            except endpoints.HostKeyMismatch as exc:
                await self._hold_host_key(ctx, ep, exc.presented)
                await ctx.update_item(
                    item,
                    status="held",
                    error_code=exc.code,
                    error_params=exc.params,
                    finished_at=utcnow(),
                    **note("host_key_held"),
                )
                return
            except (endpoints.ConnectFailed, endpoints.EndpointTimeout):
                went_away = True
                await runner.pool.drop(target.key)
                continue
            if version == wanted or version_key(version) >= version_key(wanted):
                changed_from = getattr(session, "host_key_changed_from", None)
                if changed_from:
                    await self._rotate_host_key(ctx, ep, session.host_key, changed_from)
                await self._store_version(ctx, ep.id, version)
                await ctx.update_item(
                    item,
                    status="upgraded",
                    finished_at=utcnow(),
                    **note("upgraded", before=before, version=version),
                )
                return
            if went_away:
                await self._store_version(ctx, ep.id, version)
                await ctx.update_item(
                    item,
                    status="error",
                    error_code="upgrade_failed",
                    error_params={"version": version, "wanted": wanted},
                    finished_at=utcnow(),
                    message=f"rebooted but still runs {version} (wanted {wanted})",
                )
                return
        await ctx.update_item(
            item,
            status="error",
            error_code="timeout",
            error_params={"wanted": wanted, "timeout_s": job.params["timeout_s"]},
            finished_at=utcnow(),
            message=f"{wanted} not seen within {job.params['timeout_s']}s",
        )

    async def _update_endpoint(
        self,
        ctx: JobContext,
        ep_id: uuid.UUID,
        values: dict[str, Any],
        audit_entry: tuple[str, dict[str, Any]] | None = None,
    ) -> None:
        """Change the endpoint's row (and audit it) through the job's group-commit recorder."""
        stmt = update(Endpoint).where(Endpoint.id == ep_id).values(**values)

        async def op(session: AsyncSession) -> None:
            await session.execute(stmt)
            if audit_entry is not None:
                audit.record(session, SYSTEM, audit_entry[0], "endpoint", str(ep_id), audit_entry[1])

        await ctx.runner.recorder.write(op)

    async def _store_version(self, ctx: JobContext, endpoint_id: uuid.UUID, version: str) -> None:
        await self._update_endpoint(
            ctx, endpoint_id, {"firmware_version": version, "last_contact_at": utcnow()}
        )

    async def _rotate_host_key(self, ctx: JobContext, ep: Endpoint, new: str, old: str) -> None:
        summary = {
            "name": ep.name,
            "reason": "after a firmware upgrade run by the controller",
            "old": old.split()[0],
            "new": new.split()[0],
        }
        await self._update_endpoint(
            ctx,
            ep.id,
            {"host_key": new, "host_key_source": "upgrade", "pending_host_key": None},
            ("endpoint.hostkey_rotated", summary),
        )

    async def _hold_host_key(self, ctx: JobContext, ep: Endpoint, presented: str) -> None:
        summary = {"name": ep.name, "reason": "new key after upgrade awaits approval"}
        await self._update_endpoint(
            ctx, ep.id, {"pending_host_key": presented}, ("endpoint.hostkey_held", summary)
        )

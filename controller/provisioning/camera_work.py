"""Plan / apply / verify the province's stream standard on each camera over ONVIF.

The same job machinery as endpoint provisioning (items, durable intent before
the first write, live progress, cancel/resume, audit); only the device side
differs. Per camera:

* **plan**: read the IOC stream's encoder (the sub stream the profile picks),
  its options, NTP, date-time and host name; the plan is the difference from
  the standard, with values clamped to what the camera says it accepts.
* **apply**: write only what differs (encoder, then time, then name), after
  recording the planned writes.
* **verify**: read everything back, then open the camera's RTSP stream afresh
  and measure resolution, frame rate, keyframe interval and bitrate on the
  stream's own clock. A camera that answers "OK" and changes nothing (some
  firmwares do) fails here, not silently.

A second run finds nothing to write.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from camera.netpolicy import NetPolicy
from camera.onvif.client import MAX_REPLY_BYTES, OnvifClient, OnvifError
from camera.onvif.messages import EncoderConfig, EncoderOptions
from camera.onvif.profiles import CameraProfile, match_profile
from camera.onvif.tz import same_zone, to_posix
from controller.cameras.hub import CameraHub, camera_password
from controller.models import Camera, Job, JobItem, utcnow
from controller.provisioning.camera_standard import CAMERA_KEYS, StreamStandard, camera_facts, stream_standard
from controller.provisioning.notes import note
from controller.provisioning.runner import JobContext
from controller.provisioning.standards import StandardResolver

__all__ = ["CameraProvisionWork"]

DEFAULT_CONCURRENCY = 50
FPS_TOLERANCE = 0.15  # measured frame rate within 15 % of the limit
BITRATE_OVERSHOOT = 1.25  # x264 overshoots for a moment after a rebuild


def onvif_params(exc: OnvifError) -> dict[str, str]:
    """An ONVIF failure's stable facts beside its code: the operation, and for a refused value
    the field and what the camera allows (the camera's own words, not ours)."""
    facts = {
        "operation": exc.operation,
        "field": getattr(exc, "field", None),
        "allowed": getattr(exc, "allowed", None),
    }
    return {k: str(v)[:200] for k, v in facts.items() if v}


@dataclass
class Reading:
    """What the camera has now, for the plan and for verify."""

    profile_token: str
    encoder: EncoderConfig
    options: EncoderOptions | None
    ntp: tuple[str, ...]
    tz: str | None
    name: str | None


class CameraProvisionWork:
    def __init__(
        self,
        hub: CameraHub,
        profiles: dict[str, CameraProfile],
        timeout_s: float,
        *,
        policy: NetPolicy,
        max_reply_bytes: int = MAX_REPLY_BYTES,
    ) -> None:
        self.hub, self.profiles, self.timeout_s = hub, profiles, timeout_s
        self.policy, self.max_reply_bytes = policy, max_reply_bytes  # where cameras may be; reply cap

    async def run(self, ctx: JobContext, job: Job, items: list[JobItem]) -> str:
        async with ctx.runner.db.transaction() as session:
            resolver = await StandardResolver.load(session)
            ids = [i.camera_id for i in items if i.camera_id]
            cams = {c.id: c for c in await session.scalars(select(Camera).where(Camera.id.in_(ids)))}
            session.expunge_all()

        async def one(item: JobItem) -> None:
            cam = cams.get(item.camera_id) if item.camera_id else None
            if cam is None or not cam.onvif_url:
                why = note("camera_gone" if cam is None else "no_onvif")
                await ctx.update_item(item, status="skipped", finished_at=utcnow(), **why)
                return
            want = stream_standard(resolver.rendered(cam.unit, camera_facts(cam), CAMERA_KEYS))
            await self._camera(ctx, job, item, cam, want)

        await ctx.each_item(items, int(job.params.get("concurrency", DEFAULT_CONCURRENCY)), one)
        return "done"

    async def _camera(
        self, ctx: JobContext, job: Job, item: JobItem, cam: Camera, want: StreamStandard
    ) -> None:
        started = utcnow()
        password = camera_password(cam, ctx.box) or ""
        try:
            async with OnvifClient(
                cam.onvif_url or "",
                cam.username or "admin",
                password,
                timeout_s=self.timeout_s,
                policy=self.policy,
                max_reply_bytes=self.max_reply_bytes,
            ) as client:
                profile = match_profile(self.profiles, await client.get_device_information())
                client.use_profile(profile)
                before = await self._read(client, profile)
                plan, encoder_changes = make_plan(before, want, profile)
                changes = [p for p in plan if p["action"] == "set"]
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
                            right=len(plan) - len(changes),
                            profile=profile.id,
                            stream=before.profile_token,
                        ),
                    )
                    return
                written = [p["key"] for p in changes]
                await ctx.update_item(
                    item, status="running", plan=plan, written=written, started_at=started, **note("writing")
                )
                if encoder_changes:
                    await client.set_video_encoder_configuration(
                        before.encoder, encoder_changes, options=before.options
                    )
                if {"ntp_server", "time_zone"} & set(written):
                    zone = _tz(want) if want.time_zone else before.tz or "UTC0"  # keep the camera's zone
                    servers = [want.ntp_server] if want.ntp_server else list(before.ntp)
                    await client.set_time(servers, zone)
                if "name" in written and want.name:
                    await client.set_hostname(want.name)
                after = await self._read(client, profile)
        except OnvifError as exc:
            await ctx.update_item(
                item,
                status="error",
                error_code=exc.code,
                error_params=onvif_params(exc),
                message=str(exc),
                transcript=str(exc.transcript) if exc.transcript else None,
                started_at=started,
                finished_at=utcnow(),
            )
            return
        except ValueError as exc:  # the camera cannot take the standard (no video profile, a DST zone...)
            await ctx.update_item(
                item,
                status="error",
                error_code="unsupported_setting",
                message=str(exc),
                started_at=started,
                finished_at=utcnow(),
            )
            return
        problems = read_back_problems(after, want, plan, profile)
        measured = await self._measure(cam, after, profile) if not problems else {}
        problems += stream_problems(measured, after, profile)
        plan = [
            p | {"after": _value(after, p["key"], profile), "measured": measured.get(p["key"])} for p in plan
        ]
        if problems:
            outcome: dict[str, Any] = {
                "status": "error",
                "error_code": "verify_failed",
                "error_params": {"keys": sorted({p["key"] for p in plan if p["action"] == "set"})},
                "message": "; ".join(problems),
            }
        else:
            facts = ("resolution", "fps", "keyframe_s", "bitrate_kbps")
            outcome = {"status": "applied", **note("camera_applied", **{k: measured.get(k) for k in facts})}
        await ctx.update_item(item, plan=plan, finished_at=utcnow(), **outcome)

    async def _read(self, client: OnvifClient, profile: CameraProfile) -> Reading:
        stream = profile.ioc_stream.pick(await client.get_profiles())
        assert stream.encoder_token is not None  # pick() only returns video profiles
        encoder = await client.get_video_encoder_configuration(stream.encoder_token)
        try:
            options = await client.get_video_encoder_configuration_options(encoder.token, stream.token)
        except OnvifError as exc:
            if exc.code not in ("not_supported", "device_fault"):
                raise
            options = None  # the profile's fallback limits apply
        ntp = await client.get_ntp()
        clock = await client.get_system_date_and_time()
        host = await client.get_hostname()
        return Reading(stream.token, encoder, options, ntp.servers, clock.tz, host.name)

    async def _measure(self, cam: Camera, after: Reading, profile: CameraProfile) -> dict[str, Any]:
        """Open the stream afresh (a rebuilt stream must not be judged on old packets) and time it."""
        await self.hub.forget(cam.id)
        source = self.hub.source(cam)
        enc = after.encoder
        expected_key_s = (
            profile.encoder.keyframe_interval_s(enc.gov_length, enc.fps_limit, enc.encoding_interval or 1)
            if enc.gov_length and enc.fps_limit
            else 1.0
        )
        window = max(3.0, 2.5 * expected_key_s)
        async with source.subscribe(queue_size=8, replay_gop=False):
            key = await source.wait_keyframe(self.timeout_s + window)
            if key is None or source.info is None:
                return {"error": source.stats.last_error or "no picture"}
            await asyncio.sleep(window)
            rates = source.stats.rates(window_s=window)
        return {
            "resolution": f"{source.info.width}x{source.info.height}",
            "fps": rates["fps"],
            "keyframe_s": rates["keyframe_interval_s"],
            "bitrate_kbps": rates["bitrate_kbps"],
            "expected_keyframe_s": round(expected_key_s, 2),
        }


def _tz(want: StreamStandard) -> str:
    return to_posix(want.time_zone) if want.time_zone else "UTC0"


def _clamp(value: int, bounds: tuple[int, int] | None) -> int:
    return value if bounds is None else max(bounds[0], min(bounds[1], value))


def make_plan(
    now: Reading, want: StreamStandard, profile: CameraProfile
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Plan rows (key, current, desired, action) and the encoder changes they need.

    Desired values are clamped to the camera's limits, and a resolution it does not
    offer is the nearest one at or below in area: what a technician would choose by hand.
    """
    enc, limits = now.encoder, profile.encoder.limits(now.options)
    rows: list[dict[str, Any]] = []
    changes: dict[str, Any] = {}

    def row(key: str, current: Any, desired: Any, same: bool, encoder: dict[str, Any] | None = None) -> None:
        rows.append({"key": key, "current": current, "desired": desired, "action": "ok" if same else "set"})
        if not same and encoder:
            changes.update(encoder)

    if want.codec:
        row("codec", enc.encoding, want.codec, enc.encoding == want.codec, {"encoding": want.codec})
    if want.width and want.height:
        size = _nearest(limits.resolutions, want.width, want.height)
        same = (enc.width, enc.height) == size
        row(
            "resolution",
            f"{enc.width}x{enc.height}",
            f"{size[0]}x{size[1]}",
            same,
            {"width": size[0], "height": size[1]},
        )
    fps = _clamp(want.fps, limits.fps) if want.fps else enc.fps_limit
    if want.fps:
        row("fps", enc.fps_limit, fps, enc.fps_limit == fps, {"fps_limit": fps})
    if fps and (want.keyframe_s is not None or want.fps):
        gov = _clamp(
            profile.encoder.gov_length_for(want.keyframe_s or 1.0, fps, enc.encoding_interval or 1),
            limits.gov_length,
        )
        row(
            "keyframe_s",
            _key_s(enc, profile),
            round(profile.encoder.keyframe_interval_s(gov, fps, enc.encoding_interval or 1), 2),
            enc.gov_length == gov,
            {"gov_length": gov},
        )
    if want.bitrate_kbps:
        cap = _clamp(want.bitrate_kbps, limits.bitrate_kbps)
        row("bitrate_kbps", enc.bitrate_cap, cap, enc.bitrate_cap == cap, {"bitrate_limit": cap})
    if want.ntp_server:
        row("ntp_server", ", ".join(now.ntp) or None, want.ntp_server, want.ntp_server in now.ntp)
    if want.time_zone:
        row("time_zone", now.tz, want.time_zone, same_zone(now.tz, _tz(want)))
    if want.name:
        row("name", now.name, want.name, now.name == want.name)
    return rows, changes


def _nearest(offered: tuple[tuple[int, int], ...], width: int, height: int) -> tuple[int, int]:
    if not offered or (width, height) in offered:
        return width, height
    below = [r for r in offered if r[0] * r[1] <= width * height]
    return (
        max(below or offered, key=lambda r: r[0] * r[1]) if below else min(offered, key=lambda r: r[0] * r[1])
    )


def _key_s(enc: EncoderConfig, profile: CameraProfile) -> float | None:
    if not enc.gov_length or not enc.fps_limit:
        return None
    return round(
        profile.encoder.keyframe_interval_s(enc.gov_length, enc.fps_limit, enc.encoding_interval or 1), 2
    )


def _value(r: Reading, key: str, profile: CameraProfile) -> Any:
    enc = r.encoder
    return {
        "codec": enc.encoding,
        "resolution": f"{enc.width}x{enc.height}",
        "fps": enc.fps_limit,
        "keyframe_s": _key_s(enc, profile),  # in the family's GovLength unit, as the plan says it
        "bitrate_kbps": enc.bitrate_cap,
        "ntp_server": ", ".join(r.ntp) or None,
        "time_zone": r.tz,
        "name": r.name,
    }.get(key)


def read_back_problems(
    after: Reading, want: StreamStandard, plan: list[dict[str, Any]], profile: CameraProfile
) -> list[str]:
    """Each written setting the camera does not report back as planned."""
    problems = []
    for p in plan:
        key, desired = p["key"], p["desired"]
        now = _value(after, key, profile)
        if key == "ntp_server":
            ok = desired in after.ntp
        elif key == "time_zone":
            ok = same_zone(after.tz, _tz(want))
        else:
            ok = now == desired
        if not ok:
            problems.append(f"{key}: set {desired}, the camera reports {now}")
    return problems


def stream_problems(measured: dict[str, Any], after: Reading, profile: CameraProfile) -> list[str]:
    """The stream against its own settings: resolution, fps, keyframe interval, bitrate cap."""
    if not measured:
        return []
    if "error" in measured:
        return [f"stream: {measured['error']}"]
    enc, problems = after.encoder, []
    if measured["resolution"] != f"{enc.width}x{enc.height}":
        problems.append(f"stream is {measured['resolution']}, set {enc.width}x{enc.height}")
    fps = measured.get("fps")
    if enc.fps_limit and (fps is None or abs(fps - enc.fps_limit) > FPS_TOLERANCE * enc.fps_limit):
        problems.append(f"stream runs at {fps} fps, set {enc.fps_limit}")
    key, expected = measured.get("keyframe_s"), measured.get("expected_keyframe_s")
    if expected and enc.fps_limit:
        slack = 1.0 / enc.fps_limit + 0.1 * expected  # a frame, and 10 %
        if key is None or abs(key - expected) > slack:
            problems.append(f"a keyframe every {key} s, set {expected} s")
    cap, rate = enc.bitrate_cap, measured.get("bitrate_kbps")
    if cap and rate is not None and rate > BITRATE_OVERSHOOT * cap:
        problems.append(f"stream carries {rate} kbit/s, capped at {cap}")
    return problems

"""Camera health: a sample of each enabled camera every ``camera_sample_interval_s``.

A sample subscribes to the camera's shared source (starting the pull if
nobody watches it, so an idle camera costs a few seconds of stream per
interval instead of a permanent 1-2 Mbit/s on the commune uplink), waits for
a keyframe, measures packet timing for ``camera_measure_s``, decodes that one
keyframe off the event loop and judges the picture (``camera.analytics``).
The verdict goes through the same ``Tracker`` as endpoints (hysteresis:
``camera_fail_after`` failed samples before offline/stalled; two good ones
before it is back), and a change is written with an outbox event in one
transaction; the alarm evaluator turns the states into alarms. Each sample
also leaves a ``camera_samples`` row in that transaction, for the history.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from camera.analytics import History, Measure, Thresholds, assess, measure, stream_problems
from camera.frames import decode_keyframe, to_jpeg
from camera.ingest import MediaPacket, StreamInfo
from camera.playability import CODEC_NAMES, judge
from controller import audit
from controller.cameras.hub import CameraHub
from controller.db import Database
from controller.events import OutboxSignal, emit
from controller.health.catalogue import camera_problem_text
from controller.health.tracker import Observation, Tracker, Verdict
from controller.health.tracker import Thresholds as TrackerThresholds
from controller.models import Camera, CameraHealth, CameraSample, Unit, utcnow
from controller.principal import Principal
from controller.settings import Settings
from controller.tasks import Row, Supervisor

log = logging.getLogger("diemcau.cameras")

__all__ = ["CameraMonitor", "WatchedCamera", "classify"]

# The numbers of ``measures`` that ``camera_samples`` keeps (its columns of the same names).
SAMPLE_MEASURES = (
    "fps",
    "bitrate_kbps",
    "keyframe_interval_s",
    "width",
    "height",
    "luma",
    "sharpness",
    "frame_diff",
    "scene_correlation",
)


def classify(health: dict[str, Any]) -> Verdict:
    """A camera's healthy sample: degraded by its problems (their codes are the reason's params)."""
    problems = health.get("problems") or []
    if problems:
        return "degraded", ", ".join(camera_problem_text(p) for p in problems), {"problems": list(problems)}
    return "online", None, {}


@dataclass
class WatchedCamera:
    id: uuid.UUID
    name: str
    unit_path: str
    version: datetime
    tracker: Tracker
    history: History
    since: datetime | None = None
    problems: list[str] = field(default_factory=list)
    thumbnail: bytes | None = None
    last_key_at: float | None = None  # monotonic receive time of the last sampled keyframe
    thresholds: Thresholds = field(default_factory=Thresholds)


class CameraMonitor:
    entity_type = "camera"

    def __init__(
        self, db: Database, hub: CameraHub, settings: Settings, signal: OutboxSignal | None = None
    ) -> None:
        self.db, self.hub, self.settings, self.signal = db, hub, settings, signal
        self.thresholds = Thresholds()
        self.watched: dict[uuid.UUID, WatchedCamera] = {}
        self.changes = 0
        self.samples = 0
        self.sample_cpu_s = 0.0  # CPU of decode + analytics, for the benchmark
        self._rows: Supervisor[uuid.UUID, tuple[Camera, str, CameraHealth | None]] = Supervisor(
            "cameras",
            self._read,
            self._loop,
            every_s=5.0,
            log=log,
            prepare=self._prepare,
            on_stop=self._forget,
        )

    async def start(self) -> None:
        await self._rows.start()

    async def stop(self) -> None:
        await self._rows.stop()
        self.watched.clear()

    @property
    def version(self) -> int:
        """Changes when the set of watched cameras does (the alarm evaluator's cache key)."""
        return self._rows.passes

    async def reconcile(self) -> None:
        """Follow the registry: a loop per enabled camera, restarted when its row changes."""
        await self._rows.reconcile()

    async def _read(self) -> dict[uuid.UUID, Row[tuple[Camera, str, CameraHealth | None]]]:
        async with self.db.transaction() as session:
            rows = (
                await session.execute(
                    select(Camera, Unit.path)
                    .join(Unit, Camera.unit_id == Unit.id)
                    .where(Camera.enabled.is_(True))
                )
            ).all()
            health = {h.camera_id: h for h in await session.scalars(select(CameraHealth))}
            session.expunge_all()
        return {cam.id: Row(cam.updated_at, cam.name, (cam, path, health.get(cam.id))) for cam, path in rows}

    def _prepare(self, cam_id: uuid.UUID, row: tuple[Camera, str, CameraHealth | None]) -> None:
        """The loop's view of its camera; an edited camera keeps its state machine and what
        was learned of its picture (sharpness baseline, scene reference)."""
        cam, path, health = row
        old = self.watched.get(cam_id)
        tracker = old.tracker if old else self._tracker(cam.state)
        history = old.history if old else _history(health)
        w = WatchedCamera(cam.id, cam.name, path, cam.updated_at, tracker, history, since=cam.state_since)
        w.thresholds = self.thresholds_for(cam)
        self.watched[cam_id] = w

    async def _forget(self, cam_id: uuid.UUID, gone: bool) -> None:
        """The hub's pull of an edited camera is dropped too: its URL or credentials may be new."""
        if gone:
            self.watched.pop(cam_id, None)
        await self.hub.forget(cam_id)

    def thresholds_for(self, cam: Camera) -> Thresholds:
        """The defaults with this camera's overrides (a bare wall needs another blur ratio)."""
        return replace(self.thresholds, **(cam.thresholds or {}))

    def _tracker(self, state: str) -> Tracker:
        th = TrackerThresholds(fail_after=self.settings.camera_fail_after, recover_after=2)
        return Tracker(th, state=state, classify=classify)

    async def _loop(self, cam_id: uuid.UUID, row: tuple[Camera, str, CameraHealth | None]) -> None:
        cam, w = row[0], self.watched[cam_id]
        interval = self.settings.camera_sample_interval_s
        # The first sample at a random point of the interval, as Zabbix spreads its checks: a
        # fleet sampled together opens 50 pulls at once every interval, and that burst of
        # stream opens and probes took the controller's core from its requests (bench api).
        await asyncio.sleep(random.uniform(0, interval))
        while True:
            try:
                await self.sample(w, cam)
            except Exception as exc:  # noqa: BLE001 - one bad sample must not end the watch
                log.exception("camera %s: sample failed: %s", w.name, type(exc).__name__)
            await asyncio.sleep(interval * random.uniform(0.9, 1.1))

    async def sample(self, w: WatchedCamera, cam: Camera) -> None:
        s = self.settings
        source = self.hub.source(cam)
        measures: dict[str, Any] = {}
        async with source.subscribe(queue_size=8, replay_gop=False):
            # a new keyframe each time (comparing a keyframe with itself would look frozen), and
            # never one older than the sample interval (or the keyframe wait, if longer: a sample
            # may wait that long for one): the verdict is about the camera now
            fresh_after = time.monotonic() - max(s.camera_sample_interval_s, s.camera_keyframe_wait_s)
            newer_than = max(w.last_key_at or fresh_after, fresh_after)
            key = await source.wait_keyframe(s.camera_keyframe_wait_s, newer_than=newer_than)
            if key is not None and s.camera_measure_s:
                await asyncio.sleep(s.camera_measure_s)
            rates = source.stats.rates(window_s=max(s.camera_measure_s, 1.0))
        if key is not None:
            w.last_key_at = key.received
        if key is None and source.stats.state == "streaming" and source.stats.pull_pictures > 0:
            # pictures flow but no keyframe came within the wait: a "smart codec" GOP of many
            # seconds, not a dead stream (a viewer joining would wait as long for a picture)
            obs = Observation(health={"problems": ["rare_keyframes"]})
            measures = rates
        elif key is None or source.info is None:
            streaming = source.stats.state == "streaming"
            refused = not streaming and source.stats.last_code == "auth_failed"
            code = "stalled" if streaming else "auth_failed" if refused else "offline"
            message = (
                "the stream opens but sends no picture"
                if streaming
                else (source.stats.last_error or "no stream")
            )
            # the camera's own answer when it gave one (auth_failed, not_found); else the state says it
            answered = source.stats.last_code if not streaming else None
            obs = Observation(
                code=code, message=message[:500], params={"error": answered} if answered else {}
            )
        else:
            m, thumb, cpu = await asyncio.to_thread(_picture, key, source.info)
            cpu0 = time.thread_time()
            verdict = assess(m, w.history, w.thresholds)
            self.samples += 1
            self.sample_cpu_s += cpu + time.thread_time() - cpu0
            w.thumbnail = thumb
            problems = list(verdict.problems) + stream_problems(rates, w.thresholds)
            unplayable = judge(source.info.codec, source.stats.reordered)
            if unplayable is not None:
                problems.append("stream_unplayable")
            measures = rates | {
                "luma": verdict.luma,
                "sharpness": verdict.sharpness,
                "scene_correlation": round(verdict.scene_correlation, 3)
                if verdict.scene_correlation is not None
                else None,
                "frame_diff": round(verdict.frame_diff, 2) if verdict.frame_diff is not None else None,
                "width": source.info.width,
                "height": source.info.height,
                "codec": CODEC_NAMES.get(source.info.codec, source.info.codec.upper()),
                "b_frames": source.stats.reordered > 0,
            }
            obs = Observation(health={"problems": problems})
        transition = w.tracker.observe(obs, asyncio.get_running_loop().time())
        w.problems = list((obs.health or {}).get("problems", [])) if w.tracker.state == "degraded" else []
        await self._record(w, measures, transition)

    async def _record(self, w: WatchedCamera, measures: dict[str, Any], transition: Any) -> None:
        now = utcnow()
        t = w.tracker
        async with self.db.transaction() as session:
            row = await session.get(CameraHealth, w.id)
            if row is None:
                row = CameraHealth(camera_id=w.id)
                session.add(row)
            row.state, row.reason, row.problems, row.last_sample_at = t.state, t.reason, list(w.problems), now
            row.reason_params = dict(t.reason_params)
            if measures:
                row.measures, row.last_ok_at = measures, now
            row.baseline_sharpness = w.history.baseline_sharpness
            if w.history.reference is not None:
                row.reference = w.history.reference.astype(np.float32).tobytes()
            session.add(_sample(w.id, now, t.state, measures))
            if transition is not None:
                self.changes += 1
                w.since = now
                row.since = now
                # updated_at is kept: it marks registry edits (which restart this camera's loop).
                await session.execute(
                    update(Camera)
                    .where(Camera.id == w.id)
                    .values(state=t.state, state_since=now, updated_at=Camera.updated_at)
                )
                emit(
                    session,
                    self.signal,
                    "camera.state",
                    "camera",
                    str(w.id),
                    {
                        "name": w.name,
                        "old": transition.old,
                        "new": transition.new,
                        "reason": transition.reason,
                        "reason_params": transition.params,  # the reason's code is `new` (catalogue.py)
                        "problems": list(w.problems),  # black, frozen...: a wall badge needs no re-read
                    },
                    unit_path=w.unit_path,
                )

    async def reset_reference(self, session: AsyncSession, cam: Camera, actor: Principal) -> None:
        """After re-aiming: the next healthy sample becomes the scene reference (stored and
        in memory alike, so a restart does not bring the old scene back)."""
        await session.execute(
            update(CameraHealth).where(CameraHealth.camera_id == cam.id).values(reference=None)
        )
        w = self.watched.get(cam.id)
        if w is not None:
            w.history.reference = None
        audit.record(session, actor, "camera.reference.reset", "camera", str(cam.id), {"name": cam.name})

    @staticmethod
    async def health_row(session: AsyncSession, camera_id: uuid.UUID) -> CameraHealth | None:
        """What the last sample stored: state, reason and problems written together."""
        return await session.get(CameraHealth, camera_id)


def _picture(key: MediaPacket, info: StreamInfo) -> tuple[Measure, bytes, float]:
    """Decode, measure and thumbnail one keyframe (in a worker thread); with its CPU seconds."""
    cpu0 = time.thread_time()
    image = decode_keyframe(key, info)
    return measure(image), to_jpeg(image, 320), time.thread_time() - cpu0


def _sample(camera_id: uuid.UUID, at: datetime, state: str, measures: dict[str, Any]) -> CameraSample:
    """The history row; a failed sample has no measures, and its state alone says why."""
    return CameraSample(
        camera_id=camera_id,
        at=at,
        state=state,
        **{k: measures.get(k) for k in SAMPLE_MEASURES},
    )


def _history(row: CameraHealth | None) -> History:
    """What earlier runs learned: the sharpness baseline and the scene reference survive restarts."""
    h = History()
    if row is not None:
        h.baseline_sharpness = row.baseline_sharpness
        if row.reference:
            h.reference = np.frombuffer(row.reference, dtype=np.float32).reshape(36, 64).copy()
    return h

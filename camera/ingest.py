"""One upstream RTSP pull per camera, shared by every consumer.

Viewers, health analytics and snapshots all subscribe to the same
``CameraSource``: the camera sees one client however many people watch it
(cameras at one-stop desks are cheap models that fall over at three or four
RTSP sessions, and the commune uplink carries one copy).

PyAV demuxes in a worker thread (FFmpeg's reads block), over TCP (RTP over
UDP does not survive the NAT and loss of commune links), with open and read
timeouts. A failed or ended stream is reopened with exponential backoff and
full jitter. The source runs on demand: it starts with its first subscriber
and stops ``idle_stop_s`` after its last one leaves.

Fan-out: each subscriber has a bounded queue. A subscriber that falls behind
loses packets up to the next keyframe (never a partial GOP, which would
smear its picture) instead of growing memory or slowing the others. The last
GOP (from the last keyframe; SPS/PPS ride in-band before every IDR, and the
stream's extradata is kept too) is replayed to a new subscriber, so a late
viewer has a picture at once.

Long because: one upstream pull per camera: the demux thread, the reopen backoff, the fan-
out to subscribers and the stream statistics share the source's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from fractions import Fraction
from urllib.parse import urlsplit

import av

from camera.access_units import AccessUnits
from camera.stream_open import StreamOpen
from camera.urls import redact

log = logging.getLogger("diemcau.camera")

__all__ = ["CameraSource", "MediaPacket", "SourceStats", "StreamInfo", "Subscription"]

# FFmpeg may only use network protocols for a camera, whatever the URL says.
PROTOCOLS = "rtsp,rtsps,tcp,tls,udp,rtp"


@dataclass(frozen=True)
class StreamInfo:
    codec: str
    width: int
    height: int
    time_base: Fraction
    extradata: bytes | None


@dataclass(frozen=True)
class MediaPacket:
    """An encoded video packet as received; ``received`` is ``time.monotonic()``."""

    data: bytes
    pts: int | None
    dts: int | None
    time_base: Fraction
    keyframe: bool
    received: float

    @functools.cached_property
    def clock90(self) -> int:
        """The presentation time on RTP's 90 kHz video clock (the decode time if there is no
        pts), worked out once per picture for all its viewers."""
        stamp = self.pts if self.pts is not None else self.dts
        return int((stamp or 0) * self.time_base * 90000)


MAX_STAMP_GAP_S = 10.0  # a larger step between two packets' timestamps is a jump, not a rate
MAX_REORDER_S = 1.0  # B-frames move a picture by a few frame intervals, never this far
OPEN_BURST_S = 1.0  # an RTSP open delivers what the camera buffered this long, all at once


@dataclass
class SourceStats:
    state: str = "idle"  # idle | connecting | streaming | retrying
    packets: int = 0
    bytes: int = 0
    keyframes: int = 0
    reconnects: int = 0
    opened_at: float | None = None
    last_packet_at: float | None = None
    last_error: str | None = None
    last_code: str | None = None  # auth_failed | not_found | None (other failures): see `failure_code`
    reordered: int = 0  # packets of this pull shown in another order than sent (B-frames)
    pull_pictures: int = 0  # pictures dispatched since this pull opened
    # (arrival, size, keyframe, media time in seconds or None), newest last
    recent: deque[tuple[float, int, bool, float | None]] = field(default_factory=lambda: deque(maxlen=600))

    def rates(self, window_s: float = 10.0) -> dict[str, float | None]:
        """fps, kbit/s and keyframe interval of this pull over its last ``window_s`` (packet
        timing, no decode); ``window_s`` in the answer is the stream time actually measured.

        Measured on the stream's own clock (decode timestamps): the first packets after an
        RTSP open arrive in a burst, so arrival times overstate the rate of a fresh pull. Only
        when the stream carries no usable timestamps are arrival times used, and then without
        the first ``OPEN_BURST_S`` of the pull. Fewer than two keyframes in the window give no
        interval, but a window longer than the threshold with at most one keyframe is itself
        the finding (``keyframe_interval_over_s``: the interval is at least that long).
        """
        none: dict[str, float | None] = {
            "fps": None,
            "bitrate_kbps": None,
            "keyframe_interval_s": None,
            "keyframe_interval_over_s": None,
            "window_s": None,
        }
        if not self.recent:
            return none
        end = self.recent[-1][0]
        since = max(end - window_s, self.opened_at if self.opened_at is not None else -math.inf)
        inside = [r for r in self.recent if r[0] >= since]
        # Some streams open with a packet that has no timestamp: leave it out rather than
        # falling back to arrival times.
        stamped = [r for r in inside if r[3] is not None]
        clock = [float(r[3]) for r in stamped]  # type: ignore[arg-type]
        media_ok = (
            len(stamped) >= 2
            and all(  # a camera restarting its clock goes back
                0 < b - a <= MAX_STAMP_GAP_S for a, b in zip(clock, clock[1:], strict=False)
            )
        )
        if media_ok:
            inside, times = stamped, clock
        else:  # no timestamps, or they jumped: arrival times, after the open burst
            if self.opened_at is not None:
                inside = [r for r in inside if r[0] >= self.opened_at + OPEN_BURST_S]
            times = [r[0] for r in inside]
        if len(inside) < 2:
            return none
        span = max(times[-1] - times[0], 1e-3)
        keys = [t for t, r in zip(times, inside, strict=True) if r[2]]
        interval = (keys[-1] - keys[0]) / (len(keys) - 1) if len(keys) > 1 else None
        return {
            "fps": round((len(inside) - 1) / span, 2),
            "bitrate_kbps": round(sum(r[1] for r in inside[1:]) * 8 / span / 1000, 1),
            "keyframe_interval_s": round(interval, 2) if interval else None,
            "keyframe_interval_over_s": round(span, 2) if interval is None else None,
            "window_s": round(span, 2),
        }


class Subscription:
    """A consumer's view of a source: ``async for packet in sub``.

    A consumer that serves many subscriptions from one task (the relay's fan-out, one task
    for all viewers of a camera) sets ``listener`` and polls ``queue`` when it is called,
    instead of a task waiting on every queue.
    """

    def __init__(self, source: CameraSource, queue_size: int) -> None:
        self.source = source
        self.queue: asyncio.Queue[MediaPacket] = asyncio.Queue(queue_size)
        self.waiting_for_key = True  # a consumer always starts on a keyframe
        self.dropped = 0
        self.listener: Callable[[], None] | None = None  # called after each packet queued

    def offer(self, packet: MediaPacket) -> None:
        if self.waiting_for_key and not packet.keyframe:
            self.dropped += 1
            return
        if self.queue.full():
            self.waiting_for_key = True  # behind: skip to the next keyframe
            self.dropped += 1
            return
        self.waiting_for_key = False
        self.queue.put_nowait(packet)
        if self.listener is not None:
            self.listener()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> MediaPacket:
        return await self.queue.get()

    async def next(self, timeout: float) -> MediaPacket | None:  # noqa: ASYNC109 - a bounded wait by design
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None


# What the camera's own answer means, for the people who fix it (the text is ours, not FFmpeg's).
_REFUSALS: tuple[tuple[type[BaseException], str, str], ...] = (
    (av.error.HTTPUnauthorizedError, "auth_failed", "the camera refused the username or password (RTSP 401)"),
    (av.error.HTTPForbiddenError, "auth_failed", "the camera refused this user (RTSP 403)"),
    (av.error.HTTPNotFoundError, "not_found", "the camera has no stream at this path (RTSP 404)"),
)


def failure_code(exc: BaseException) -> str | None:
    """A stable code for a failure the camera itself answered, else None (unreachable, timeout ...)."""
    return next((code for kind, code, _ in _REFUSALS if isinstance(exc, kind)), None)


def describe_failure(exc: BaseException, url: str) -> str:
    """What went wrong opening or reading ``url``, fit to show anyone.

    ``str(exc)`` of an FFmpeg or OS error quotes the URL it opened, credentials included, and
    FFmpeg's log tail can repeat it; so the text is built from the error's own words
    (``strerror``) and the host part, and whatever remains passes through `redact`.
    """
    words = getattr(exc, "strerror", None) or (str(exc.args[0]) if exc.args else "")
    where = urlsplit(url).hostname
    port = urlsplit(url).port
    place = f" ({where}:{port})" if where and port else f" ({where})" if where else ""
    refusal = next((text for kind, _, text in _REFUSALS if isinstance(exc, kind)), None)
    if refusal is not None:
        return f"{refusal}{place}"
    text = f"{type(exc).__name__}: {words}{place}" if words else f"{type(exc).__name__}{place}"
    return redact(text, url)[:300]


class CameraSource:
    """The one pull of one camera; ``url`` carries the credentials and never leaves this object."""

    open_options: StreamOpen = StreamOpen()  # the controller's hub sets each camera's own

    def __init__(
        self,
        name: str,
        url: str,
        *,
        open_timeout_s: float = 5.0,
        read_timeout_s: float = 5.0,
        idle_stop_s: float = 30.0,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 30.0,
        gop_max_packets: int = 600,
    ) -> None:
        self.name = name
        self._url = url
        self.open_timeout_s = open_timeout_s
        self.read_timeout_s = read_timeout_s
        self.idle_stop_s = idle_stop_s
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.gop_max_packets = gop_max_packets
        self.stats = SourceStats()
        self.info: StreamInfo | None = None
        self._gop: list[MediaPacket] = []
        self._subs: set[Subscription] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._idle: asyncio.TimerHandle | None = None

    # -- consumers ---------------------------------------------------------------------------

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def gop(self) -> list[MediaPacket]:
        return list(self._gop)

    @contextlib.asynccontextmanager
    async def subscribe(
        self, queue_size: int = 256, *, replay_gop: bool = True
    ) -> AsyncIterator[Subscription]:
        sub = Subscription(self, queue_size)
        if replay_gop:
            for packet in self._gop[: queue_size - 1]:
                sub.offer(packet)
        self._subs.add(sub)
        self._cancel_idle()
        self.start()
        try:
            yield sub
        finally:
            self._subs.discard(sub)
            if not self._subs:
                self._schedule_idle_stop()

    async def wait_keyframe(
        self,
        timeout: float,  # noqa: ASYNC109 - bounded by design
        newer_than: float | None = None,
    ) -> MediaPacket | None:
        """The latest keyframe (received after ``newer_than``, a monotonic time, if given),
        waiting for one if needed; the source is started for it.

        Only a pull that is running holds a cached keyframe (`_drop_cache`): a camera that
        died is never answered with its last picture. Callers that need a fresh picture
        still pass ``newer_than``, since a live pull's keyframe is as old as its GOP."""
        async with self.subscribe(queue_size=64, replay_gop=False) as sub:
            if self._gop and (newer_than is None or self._gop[0].received > newer_than):
                return self._gop[0]
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while (remaining := deadline - loop.time()) > 0:
                packet = await sub.next(remaining)
                if packet is not None and packet.keyframe:
                    return packet
            return None

    async def probe(self, timeout: float, pictures: int = 4) -> StreamInfo | None:  # noqa: ASYNC109
        """What this camera sends now (codec, size), once its running pull has delivered
        ``pictures`` pictures (enough to see B-frames reorder); None if it sends nothing in
        ``timeout`` or its pull is failing (waiting out a retry would tell nothing more). The
        source is started for it, like any subscriber's."""
        async with self.subscribe(queue_size=1, replay_gop=False):
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while self.stats.state != "streaming" or self.stats.pull_pictures < pictures:
                if loop.time() >= deadline or self.stats.state == "retrying":
                    return None
                await asyncio.sleep(0.02)
            return self.info

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        if self.running:
            return
        self._loop = asyncio.get_running_loop()
        self._stop.clear()
        self._thread = threading.Thread(target=self._pull, name=f"rtsp:{self.name}", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Stop pulling (a blocked read ends within ``read_timeout_s``)."""
        self._cancel_idle()
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            await asyncio.to_thread(thread.join, self.open_timeout_s + self.read_timeout_s + 1)
        self._drop_cache()
        self.stats.state = "idle"

    def _schedule_idle_stop(self) -> None:
        if self._loop is None:
            return
        self._cancel_idle()
        self._idle = self._loop.call_later(
            self.idle_stop_s, lambda: asyncio.ensure_future(self._stop_if_idle())
        )

    async def _stop_if_idle(self) -> None:
        if not self._subs:
            await self.stop()

    def _cancel_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    # -- the worker thread -------------------------------------------------------------------

    def _post(self, fn, *args) -> None:  # type: ignore[no-untyped-def]
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(fn, *args)

    def _pull(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self.stats.state = "connecting" if failures == 0 else "retrying"
            try:
                self._demux()
                if not self._stop.is_set():
                    self.stats.last_error = "the stream ended"
                failures = 0  # a stream that ended after playing: reopen at once
            except (av.FFmpegError, OSError, ValueError, StopIteration) as exc:
                self.stats.last_error = describe_failure(exc, self._url)
                self.stats.last_code = failure_code(exc)
                failures += 1
            self._post(self._drop_cache)  # whatever was cached came from the pull that just ended
            if self._stop.is_set():
                break
            self.stats.reconnects += 1
            delay = random.uniform(
                0, min(self.backoff_max_s, self.backoff_base_s * 2 ** max(failures - 1, 0))
            )
            self._stop.wait(delay)
        self.stats.state = "idle"

    def _demux(self) -> None:
        options = {"rtsp_transport": "tcp", "protocol_whitelist": PROTOCOLS, "allowed_media_types": "video"}
        options |= self.open_options(self._url)  # address check and TLS verification (camera.stream_open)
        with av.open(
            self._url, options=options, timeout=(self.open_timeout_s, self.read_timeout_s)
        ) as container:
            video = container.streams.video[0]
            ctx = video.codec_context
            self.info = StreamInfo(
                codec=ctx.name,
                width=ctx.width,
                height=ctx.height,
                time_base=video.time_base or Fraction(1, 90000),
                extradata=bytes(ctx.extradata) if ctx.extradata else None,
            )
            self.stats.reordered = self.stats.pull_pictures = 0
            self.stats.state, self.stats.opened_at = "streaming", time.monotonic()
            self.stats.last_error = self.stats.last_code = None
            pictures = AccessUnits(self.info.codec, self.info.extradata)
            last_pts: int | None = None
            for packet in container.demux(video):
                if self._stop.is_set():
                    return
                if packet.size == 0:
                    continue
                pts, dts = packet.pts, packet.dts
                # B-frames: sent in decode order, shown in another (a later picture comes first).
                # A camera clock that jumps back also makes a pts go back, by far more than the
                # few frames B-frames reorder: that is not counted.
                if (pts is not None and dts is not None and pts != dts) or (
                    pts is not None
                    and last_pts is not None
                    and 0 < (last_pts - pts) * (packet.time_base or self.info.time_base) < MAX_REORDER_S
                ):
                    self.stats.reordered += 1
                last_pts = pts if pts is not None else last_pts
                media = MediaPacket(
                    data=bytes(packet),
                    pts=pts,
                    dts=dts,
                    time_base=packet.time_base or self.info.time_base,
                    keyframe=bool(packet.is_keyframe),
                    received=time.monotonic(),
                )
                for picture in pictures.push(media):
                    self._post(self._dispatch, picture)

    # -- on the event loop -------------------------------------------------------------------

    def _drop_cache(self) -> None:
        """Forget the last GOP: it belongs to a pull that ended, not to what the camera shows."""
        self._gop = []

    def _dispatch(self, packet: MediaPacket) -> None:
        s = self.stats
        s.packets += 1
        s.pull_pictures += 1
        s.bytes += len(packet.data)
        s.last_packet_at = packet.received
        stamp = packet.dts if packet.dts is not None else packet.pts
        media_s = float(stamp * packet.time_base) if stamp is not None else None
        s.recent.append((packet.received, len(packet.data), packet.keyframe, media_s))
        if packet.keyframe:
            s.keyframes += 1
            self._gop = [packet]
        elif self._gop and len(self._gop) < self.gop_max_packets:
            self._gop.append(packet)
        for sub in list(self._subs):
            sub.offer(packet)

"""The shared pull against the real RTSP server: one upstream client, GOP replay, slow viewers,
reconnects, keyframe snapshots."""

from __future__ import annotations

import asyncio

import pytest

from camera.frames import decode_keyframe, to_jpeg
from camera.ingest import CameraSource, SourceStats
from camera.sim.control import camera_control
from camera.sim.process import CameraSimProcess
from tests.support.waiting import PATIENT_S, until


@pytest.fixture(scope="module")
def cams():
    with CameraSimProcess(2, fps=15) as sim:
        yield sim


def source(cams, name: str = "1", **kw) -> CameraSource:
    return CameraSource(name, cams.urls[name], open_timeout_s=3, read_timeout_s=3, backoff_base_s=0.2, **kw)


async def clients(cams, name: str) -> int:
    reply = await camera_control(cams.control_file, {"op": "list"})
    return next(c["clients"] for c in reply["cameras"] if c["name"] == name)


async def test_one_upstream_pull_shared_and_gop_replayed(cams):
    src = source(cams, idle_stop_s=0.2)
    async with src.subscribe() as first:
        got = [await asyncio.wait_for(first.__anext__(), 10) for _ in range(40)]
        assert got[0].keyframe  # a consumer always starts on a keyframe
        assert src.info.codec == "h264" and (src.info.width, src.info.height) == (640, 360)
        async with src.subscribe() as late:
            replay = [late.queue.get_nowait() for _ in range(late.queue.qsize())]
            assert replay and replay[0].keyframe  # the late joiner gets the GOP at once
            assert [p.data for p in replay] == [p.data for p in src.gop()[: len(replay)]]
            assert await clients(cams, "1") == 1  # two consumers, one RTSP session
        await asyncio.sleep(4.5)
        rates = src.stats.rates(window_s=4)
        assert 10 <= rates["fps"] <= 20, rates
        assert 1.5 <= rates["keyframe_interval_s"] <= 2.5, rates
    await until(lambda: not src.running, what="stopped after the idle period")
    await src.stop()


async def test_slow_consumer_skips_to_next_keyframe(cams):
    src = source(cams)
    try:
        async with src.subscribe(queue_size=5) as slow, src.subscribe(queue_size=500) as fast:
            # slow never reads: its queue fills, then it waits for a keyframe
            await until(lambda: slow.dropped > 0 and fast.queue.qsize() > 30, what="slow has dropped")
            assert slow.queue.qsize() == 5
            kept = [slow.queue.get_nowait() for _ in range(5)]
            assert kept[0].keyframe
            nxt = await asyncio.wait_for(slow.__anext__(), 5)
            assert nxt.keyframe  # after the gap, the next packet it sees is a keyframe
            assert fast.dropped == 0 and fast.queue.qsize() > 30  # the other consumer lost nothing
    finally:
        await src.stop()


async def test_snapshot_of_a_keyframe(cams):
    src = source(cams, "2")
    try:
        key = await src.wait_keyframe(10)
        assert key is not None and key.keyframe
        image = await asyncio.to_thread(decode_keyframe, key, src.info)
        assert image.shape == (360, 640, 3)
        jpeg = to_jpeg(image, max_width=320)
        assert jpeg[:2] == b"\xff\xd8" and len(jpeg) > 2000
    finally:
        await src.stop()


async def test_camera_that_stops_is_retried_and_comes_back(cams):
    src = source(cams, "2")
    try:
        assert await src.wait_keyframe(10) is not None
        await camera_control(cams.control_file, {"op": "fault", "camera": "2", "fault": "stop"})
        await until(lambda: src.stats.reconnects > 0, what="a reconnect")
        assert src.stats.last_error
        await camera_control(cams.control_file, {"op": "fault", "camera": "2", "fault": "clear"})
        before = src.stats.packets
        await until(
            lambda: src.stats.state == "streaming" and src.stats.packets > before + 10, what="streaming again"
        )
    finally:
        await camera_control(cams.control_file, {"op": "fault", "camera": "2", "fault": "clear"})
        await src.stop()


async def test_a_pull_that_ended_keeps_no_picture(cams):
    """A dead camera is never answered with its last picture: the GOP cache belongs to the
    pull that filled it and goes when that pull ends."""
    src = source(cams, "2")
    try:
        assert await src.wait_keyframe(10) is not None and src.gop()
        await camera_control(cams.control_file, {"op": "fault", "camera": "2", "fault": "stop"})
        await until(lambda: src.stats.reconnects > 0, what="the pull ended")
        await until(lambda: not src.gop(), what="the cache dropped")
        assert await src.wait_keyframe(0.5) is None
        await camera_control(cams.control_file, {"op": "fault", "camera": "2", "fault": "clear"})
        assert await src.wait_keyframe(PATIENT_S) is not None  # a new pull, a new picture
    finally:
        await camera_control(cams.control_file, {"op": "fault", "camera": "2", "fault": "clear"})
        await src.stop()
    assert not src.gop()


def test_rates_follow_the_stream_clock_not_the_open_burst():
    """An RTSP open delivers its first second of video at once; the rate is still the camera's."""
    stats = SourceStats()
    for i in range(45):  # 3 s of 15 fps video, a keyframe every 15 frames, 2 kB per frame
        arrival = 0.05 * i if i < 15 else 1.0 + (i - 15) / 15  # the first 15 frames in 0.7 s
        stats.recent.append((arrival, 2000, i % 15 == 0, i / 15))
    rates = stats.rates(window_s=10)
    assert rates == {
        "fps": 15.0,
        "bitrate_kbps": 240.0,
        "keyframe_interval_s": 1.0,
        "keyframe_interval_over_s": None,
        "window_s": 2.93,
    }


def test_rates_fall_back_to_arrival_when_the_clock_restarts():
    stats = SourceStats()
    for i in range(20):  # a reconnect restarts the stream clock half way
        stats.recent.append((i / 10, 1000, i % 10 == 0, (i % 10) / 10))
    assert stats.rates(window_s=10)["fps"] == 10.0


def test_rates_of_a_window_that_is_all_open_burst_and_an_unstamped_first_packet():
    stats = SourceStats()
    stats.recent.append((0.0, 5000, True, None))  # the first packet after the open has no timestamp
    for i in range(1, 31):  # 2 s of 15 fps video delivered within 3 ms
        stats.recent.append((0.0001 * i, 1000, i == 15, i / 15))
    assert stats.rates(window_s=2)["fps"] == 15.0


def test_rates_of_the_current_pull_only_and_without_the_open_burst_when_unstamped():
    """Arrival times are the fallback for a stream without timestamps; the open burst is left out."""
    stats = SourceStats()
    for i in range(30):  # an earlier pull: 30 fps by arrival
        stats.recent.append((i / 30, 1000, False, None))
    stats.opened_at = 10.0
    for i in range(20):  # this pull: 20 packets at once, then 5 fps for 4 s
        stats.recent.append((10.0 + 0.001 * i, 1000, i == 0, None))
    for i in range(1, 21):
        stats.recent.append((11.0 + i / 5, 1000, False, None))
    rates = stats.rates(window_s=30)
    assert rates["fps"] == 5.0 and rates["window_s"] == 3.8, rates


def test_one_keyframe_in_a_long_window_is_a_lower_bound_for_the_interval():
    """A camera with a 12 s GOP, measured for 11 s from a keyframe: no interval, but at least 11 s."""
    from camera.analytics import Thresholds, stream_problems

    stats = SourceStats()
    for i in range(11 * 15):
        stats.recent.append((i / 15, 2000, i == 0, i / 15))
    rates = stats.rates(window_s=30)
    assert rates["keyframe_interval_s"] is None and rates["keyframe_interval_over_s"] == 10.93
    assert stream_problems(rates, Thresholds()) == ["rare_keyframes"]
    short = SourceStats()
    for i in range(3 * 15):  # 3 s measured: one keyframe says nothing yet
        short.recent.append((i / 15, 2000, i == 0, i / 15))
    assert stream_problems(short.rates(window_s=30), Thresholds()) == []

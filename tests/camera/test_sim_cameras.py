"""The simulated desk cameras, seen by a real RTSP client (PyAV/FFmpeg over TCP).

Each fault is checked the way analytics will see it: black by mean luma, blur by the
variance of the Laplacian, freeze by frame differences, shift against the picture
before, lowfps and stop by the packets that arrive.  Faults are switched under a
running client, so the stream has to stay decodable across every switch.
"""

from __future__ import annotations

import ast
import asyncio
import threading
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from camera.sim.cli import camera_sim_app
from camera.sim.control import FAULTS, camera_control
from camera.sim.process import SERVER_SCRIPT, CameraSimProcess

FPS = 15
KEY_INT_S = 2.0
LOWFPS = 2
# No probing: FFmpeg would otherwise read ~2 s before returning from open.
RTSP_OPTIONS = {"rtsp_transport": "tcp", "timeout": "3000000", "analyzeduration": "0", "probesize": "32"}


@pytest.fixture(scope="module")
def cams() -> Iterator[CameraSimProcess]:
    with CameraSimProcess(3, fps=FPS, lowfps=LOWFPS, start_timeout=15) as sim:
        yield sim


@pytest.fixture(autouse=True)
def cleared(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "cams" in request.fixturenames:
        sim: CameraSimProcess = request.getfixturevalue("cams")
        assert control(sim, {"op": "fault_all", "fault": "clear"})["ok"]


def control(sim: CameraSimProcess, request: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(camera_control(sim.control_file, request))


def fault(sim: CameraSimProcess, camera: str, name: str) -> None:
    reply = control(sim, {"op": "fault", "camera": camera, "fault": name})
    assert reply["ok"], reply
    assert reply["camera"]["fault"] == name


def camera_state(sim: CameraSimProcess, camera: str) -> dict[str, Any]:
    return next(c for c in control(sim, {"op": "list"})["cameras"] if c["name"] == camera)


def laplacian_var(gray: np.ndarray) -> float:
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def changed_share(a: np.ndarray, b: np.ndarray) -> float:
    """Share of pixels that changed a lot: the moving label, not coding noise."""
    return float((np.abs(a.astype(np.int16) - b.astype(np.int16)) > 40).mean())


class Viewer:
    """One RTSP client reading in a thread: when each packet came, the decoded frames (gray).

    ``keyframes_only`` decodes key frames only (``skip_frame = "NONKEY"``), as a cheap
    analytics sampler would.
    """

    def __init__(self, url: str, *, keyframes_only: bool = False) -> None:
        self.started = time.monotonic()
        self.container = av.open(url, options=RTSP_OPTIONS, timeout=5)
        self.stream = self.container.streams.video[0]
        if keyframes_only:
            self.stream.codec_context.skip_frame = "NONKEY"
        self.packets: list[tuple[float, bool]] = []
        self.frames: deque[tuple[float, np.ndarray]] = deque(maxlen=4 * FPS)
        self.keyframes: list[tuple[float, np.ndarray]] = []
        self.keyframes_only = keyframes_only
        self.ended = threading.Event()
        self.error: str | None = None
        self._stop = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def now(self) -> float:
        return time.monotonic() - self.started

    def _read(self) -> None:
        try:
            for packet in self.container.demux(self.stream):
                if self._stop:
                    return
                if packet.size == 0:  # FFmpeg's flush packet at the end
                    continue
                at = self.now()
                self.packets.append((at, packet.is_keyframe))
                for frame in packet.decode():
                    gray = frame.to_ndarray(format="gray")
                    self.frames.append((at, gray))
                    if packet.is_keyframe:
                        self.keyframes.append((at, gray))
            self.error = "eof"
        except av.FFmpegError as exc:
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.ended.set()

    def frame_after(self, at: float, timeout: float = 3.0) -> np.ndarray:
        """The first decoded frame whose packet arrived after ``at`` (viewer time)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, gray in list(self.frames):
                if t > at:
                    return gray
            time.sleep(0.02)
        raise AssertionError(f"no frame after {at:.2f}s (error: {self.error})")

    def settled_frame(self, settle: float = 0.5) -> np.ndarray:
        """A frame encoded after a fault switch reached the encoder."""
        return self.frame_after(self.now() + settle)

    def keyframe_after(self, at: float, timeout: float = 4.0) -> tuple[float, np.ndarray]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, gray in list(self.keyframes):
                if t > at:
                    return t, gray
            time.sleep(0.02)
        raise AssertionError(f"no key frame after {at:.2f}s (error: {self.error})")

    def rate(self, start: float, end: float) -> float:
        """Packets (= frames) per second that arrived in [start, end)."""
        return sum(1 for t, _ in self.packets if start <= t < end) / (end - start)

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=3)
        if not self._thread.is_alive():
            self.container.close()

    def __enter__(self) -> Viewer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wait_until(viewer: Viewer, at: float) -> None:
    time.sleep(max(0.0, at - viewer.now()))


def test_faults_agree_with_the_server() -> None:
    """The server cannot be imported from the venv (it needs gi): read its tuple from the source."""
    tree = ast.parse(SERVER_SCRIPT.read_text(encoding="utf-8"))
    server_faults = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "FAULTS"
    )
    assert tuple(server_faults) == FAULTS


def test_h264_with_fast_key_frame_and_configured_rate(cams: CameraSimProcess) -> None:
    assert set(cams.urls) == {"1", "2", "3"}
    assert cams.urls["1"] == f"rtsp://127.0.0.1:{cams.rtsp_port}/cam/1"
    with Viewer(cams.urls["1"]) as viewer:
        assert viewer.stream.codec_context.name == "h264"
        wait_until(viewer, 3.4)
        keys = [t for t, key in viewer.packets if key]
        assert keys and keys[0] < 2.0, keys
        assert FPS - 2 <= viewer.rate(0.5, 3.4) <= FPS + 1
        # the IDR that opens the stream, then one every KEY_INT_S (fps * 2 frames)
        natural = [t for t in keys if t > keys[0] + 0.5]
        assert natural and abs(natural[0] - keys[0] - KEY_INT_S) < 0.35, keys
        first = viewer.frames[0][1]
        later = viewer.frame_after(2.5)
    assert first.shape == (360, 640)
    assert first.mean() > 60  # not black
    assert laplacian_var(first) > 500  # textured: blur has something to remove
    assert changed_share(first, later) > 0.002  # alive: the label walks


def test_black_blur_shift_switch_under_a_running_client(cams: CameraSimProcess) -> None:
    with Viewer(cams.urls["2"]) as viewer:
        normal = viewer.frame_after(0.3)
        sharp = laplacian_var(normal)

        fault(cams, "2", "black")
        assert viewer.settled_frame().mean() < 20

        fault(cams, "2", "blur")
        blurred = viewer.settled_frame()
        assert laplacian_var(blurred) * 5 < sharp
        assert blurred.mean() > 60  # blurred, not dark

        fault(cams, "2", "shift")
        assert mean_abs_diff(viewer.settled_frame(), normal) > 30

        fault(cams, "2", "clear")
        back = viewer.settled_frame()
        assert back.mean() > 60
        assert laplacian_var(back) > sharp / 2
        assert mean_abs_diff(back, normal) < 15  # the same scene (the label has moved)
        assert viewer.error is None  # decodable across every switch
        assert FPS - 3 <= viewer.rate(0.5, viewer.now() - 0.2)


def test_freeze_repeats_one_picture_while_frames_keep_flowing(cams: CameraSimProcess) -> None:
    # normal: key frames KEY_INT_S apart differ (the label walked, the clock ran)
    with Viewer(cams.urls["3"], keyframes_only=True) as viewer:
        t0, first = viewer.keyframe_after(0.0, timeout=2.0)
        _, second = viewer.keyframe_after(t0 + 1.0)
    assert changed_share(first, second) > 0.002

    fault(cams, "3", "freeze")
    with Viewer(cams.urls["3"], keyframes_only=True) as viewer:
        t0, first = viewer.keyframe_after(0.0, timeout=2.0)
        t1, second = viewer.keyframe_after(t0 + 1.0)
        assert t1 - t0 > KEY_INT_S - 0.3
        assert mean_abs_diff(first, second) < 1
        assert changed_share(first, second) < 0.0005
        assert viewer.rate(0.3, t1) >= FPS - 3  # frames still flow


def test_lowfps_drops_the_frame_rate_and_clear_restores_it(cams: CameraSimProcess) -> None:
    with Viewer(cams.urls["1"]) as viewer:
        wait_until(viewer, 1.5)
        assert viewer.rate(0.3, 1.5) >= FPS - 3
        fault(cams, "1", "lowfps")
        switched = viewer.now()
        wait_until(viewer, switched + 3.0)
        assert viewer.rate(switched + 0.5, switched + 3.0) <= LOWFPS + 1
        fault(cams, "1", "clear")
        cleared = viewer.now()
        wait_until(viewer, cleared + 1.5)
        assert viewer.rate(cleared + 0.3, cleared + 1.5) >= FPS - 3
        assert viewer.error is None


def test_stop_ends_clients_refuses_new_ones_and_clear_serves_again(cams: CameraSimProcess) -> None:
    with Viewer(cams.urls["3"]) as viewer:
        viewer.frame_after(0.2)
        fault(cams, "3", "stop")
        assert viewer.ended.wait(5), "the client kept reading after stop"
        assert viewer.error is not None
    started = time.monotonic()
    with pytest.raises(av.FFmpegError):
        Viewer(cams.urls["3"]).close()
    assert time.monotonic() - started < 5
    state = camera_state(cams, "3")
    assert state["fault"] == "stop" and not state["streaming"] and state["clients"] == 0

    fault(cams, "3", "clear")
    with Viewer(cams.urls["3"]) as viewer:
        assert viewer.frame_after(0.0).mean() > 60


def test_two_clients_share_one_pipeline(cams: CameraSimProcess) -> None:
    built = camera_state(cams, "2")["pipelines"]
    with Viewer(cams.urls["2"]) as one, Viewer(cams.urls["2"]) as two:
        one.frame_after(0.3)
        two.frame_after(0.3)
        state = camera_state(cams, "2")
        assert state["clients"] == 2
        assert state["streaming"]
        assert state["pipelines"] == built + 1  # one encoder for both
    deadline = time.monotonic() + 3
    while camera_state(cams, "2")["clients"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert camera_state(cams, "2")["clients"] == 0


def test_control_refuses_bad_requests(cams: CameraSimProcess) -> None:
    for request in (
        {"op": "fault", "camera": "9", "fault": "black"},
        {"op": "fault", "camera": "1", "fault": "melt"},
        {"op": "fault_all", "fault": "melt"},
        {"op": "fault_all", "cameras": ["1", "9"], "fault": "black"},
        {"op": "explode"},
    ):
        reply = control(cams, request)
        assert reply["ok"] is False and reply["error"], request
    # nothing changed by the refused fault_all: names are resolved first
    assert camera_state(cams, "1")["fault"] == "clear"
    reply = control(cams, {"op": "fault_all", "cameras": ["1", 2], "fault": "black"})
    assert reply == {"ok": True, "cameras": ["1", "2"]}
    assert [c["fault"] for c in control(cams, {"op": "list"})["cameras"]] == ["black", "black", "clear"]


def test_cli_camera_fault(cams: CameraSimProcess) -> None:
    runner = CliRunner()
    cf = str(cams.control_file)
    result = runner.invoke(
        camera_sim_app, ["camera-fault", "--control-file", cf, "--camera", "1", "--fault", "blur"]
    )
    assert result.exit_code == 0, result.output
    assert camera_state(cams, "1")["fault"] == "blur"
    result = runner.invoke(
        camera_sim_app, ["camera-fault", "--control-file", cf, "--all", "--fault", "freeze"]
    )
    assert result.exit_code == 0, result.output
    assert {c["fault"] for c in control(cams, {"op": "list"})["cameras"]} == {"freeze"}
    result = runner.invoke(camera_sim_app, ["camera-fault", "--control-file", cf, "--all", "--fault", "melt"])
    assert result.exit_code != 0


async def test_launcher_names_prefix_and_clean_stop(tmp_path: Path) -> None:
    """``netns_prefix`` goes in front of the command (``env`` stands in for nsenter here)."""
    control_file = tmp_path / "cams.json"
    sim = CameraSimProcess(
        names=["desk-a", "desk-b"], fps=10, netns_prefix=["env"], control_file=control_file
    )
    assert sim.command[0] == "env"
    async with sim:
        assert sim.running()
        assert sorted(sim.urls) == ["desk-a", "desk-b"]
        assert sim.urls["desk-b"].endswith("/cam/desk-b")
        reply = await sim.fault("desk-a", "black")
        assert reply["camera"]["fault"] == "black"
        viewer = await asyncio.to_thread(Viewer, sim.urls["desk-a"])
        try:
            frame = await asyncio.to_thread(viewer.frame_after, 0.0)
            assert frame.mean() < 20  # a pipeline built under a fault starts with it
        finally:
            await asyncio.to_thread(viewer.close)
    assert not sim.running()
    assert not control_file.exists()  # the server removed it on SIGTERM


def test_launcher_reports_a_server_that_cannot_start(tmp_path: Path) -> None:
    sim = CameraSimProcess(1, width=15, control_file=tmp_path / "c.json", start_timeout=5)
    with pytest.raises(RuntimeError, match="even|width"):
        sim.start()

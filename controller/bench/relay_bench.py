"""`diemcau bench relay`: what a WHEP viewer costs the controller, passthrough vs transcoding.

Runs inside a network namespace of its own (``controller.bench.netns``; ICE
skips loopback): the camera simulator (720p H.264), the controller (its own
process, ``diemcau serve``), light receivers (their own processes; they
record encoded frames, never decode) and a direct RTSP reader (this process)
that gives each frame's arrival without the relay.

- ``cpu_pct_per_viewer``: controller CPU with all viewers minus with one
  viewer (which keeps the pull open), per added viewer, in % of one core;
  each measured ``SETTLE_S`` after its viewers joined.
- ``first_frame_p95_s``: from the WHEP POST to a late joiner's first frame
  (the source is warm; the GOP cache answers).
- ``added_latency_p95_s``: each frame's arrival at a viewer minus its arrival
  at the direct RTSP reader (frames matched by timestamp; same clock).
- ``transcodes``: frames the relay decoded or encoded: 0 by construction (its
  track yields encoded packets only), reported from the controller's relay stats.
- ``aiortc_loop``: the same figures with aiortc's own RTP send loop
  (``DIEMCAU_RELAY_RTP_LOOP=aiortc``: the relay before ``camera.rtp_fanout``),
  and ``cpu_per_viewer_vs_aiortc_loop``, the ratio of the two.
- ``baseline_cpu_pct_per_viewer``: aiortc's ``MediaPlayer(decode=True)`` +
  ``MediaRelay``, a decode and one encode per viewer, for a few viewers.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import av
import httpx
import psutil

from camera.ingest import PROTOCOLS
from camera.sim.process import CameraSimProcess
from controller.bench.harness import ControllerProcess, free_port
from controller.bench.netns import SERVER_IP, run_python_module

WRAP = 1 << 32
SETTLE_S = 2.0  # after viewers join, before their CPU is measured (both figures alike)


def _p95(values: list[float]) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


class DirectReader(threading.Thread):
    """The camera read straight over RTSP: (pts at 90 kHz, arrival, keyframe) per frame."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.records: list[tuple[int, float, bool]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        options = {"rtsp_transport": "tcp", "protocol_whitelist": PROTOCOLS}
        with av.open(self.url, options=options, timeout=(5, 5)) as container:
            stream = container.streams.video[0]
            for packet in container.demux(stream):
                if self.stop.is_set():
                    return
                if packet.pts is not None and packet.size:
                    pts90 = int(packet.pts * packet.time_base * 90000)
                    self.records.append((pts90 % WRAP, time.monotonic(), bool(packet.is_keyframe)))


def added_latency(whep: list[list[Any]], direct: list[tuple[int, float, bool]]) -> list[float]:
    """Per matched frame: arrival at the viewer minus arrival at the direct reader.

    Frames are evenly spaced, so timestamps alone match at any whole number of
    frames; keyframes narrow it to whole GOPs (seconds apart), and of those the
    alignment with the smallest non-negative median delay is the true one.
    """
    by_ts = {ts: t for ts, t, _ in direct}
    keys_d = [ts for ts, _, k in direct if k]
    keys_w = [ts for ts, _, k in whep if k]
    best: list[float] = []
    for kw in keys_w[:1]:
        for kd in keys_d:
            offset = (kw - kd) % WRAP
            delays = [t - by_ts[(ts - offset) % WRAP] for ts, t, _ in whep if (ts - offset) % WRAP in by_ts]
            if len(delays) < 10 or statistics.median(delays) < -0.005:
                continue
            if not best or statistics.median(delays) < statistics.median(best):
                best = delays
    return best


def _cpu(proc: psutil.Process, seconds: float) -> float:
    """% of one core over ``seconds``."""
    t0, c0 = time.monotonic(), sum(proc.cpu_times()[:2])
    time.sleep(seconds)
    pct: float = (sum(proc.cpu_times()[:2]) - c0) / (time.monotonic() - t0) * 100
    return pct


def _receivers(
    url: str, token: str, counts: list[int], seconds: float, tmp: Path
) -> list[subprocess.Popen[str]]:
    procs: list[subprocess.Popen[str]] = []
    for i, n in enumerate(counts):
        out = tmp / f"rx{i}.json"
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "controller.bench.whep_receivers",
                    url,
                    token,
                    str(n),
                    str(seconds),
                    str(out),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
        )
    for p in procs:  # each prints one line once all its viewers joined
        assert p.stdout is not None  # a pipe, asked for above
        p.stdout.readline()
    return procs


def _collect(procs: list[subprocess.Popen[str]], tmp: Path) -> list[dict[str, Any]]:
    out = []
    for i, p in enumerate(procs):
        p.wait(120)
        out.append(json.loads((tmp / f"rx{i}.json").read_text()))
    return out


def _split(total: int, per_process: int) -> list[int]:
    return [min(per_process, total - i) for i in range(0, total, per_process)]


def _relay(rtsp: str, viewers: int, measure_s: float, tmp: Path, rtp_loop: str) -> dict[str, Any]:
    """One controller with ``viewers`` viewers of the camera: CPU, first frames, added latency."""
    settings = {
        "DIEMCAU_MONITOR_ENABLED": "false",
        "DIEMCAU_CAMERA_MONITOR_ENABLED": "false",
        "DIEMCAU_RELAY_MAX_VIEWERS_PER_CAMERA": str(viewers + 10),
        "DIEMCAU_RELAY_MAX_VIEWERS": str(viewers + 10),
        "DIEMCAU_RELAY_MAX_VIEWERS_PER_USER": str(viewers + 10),
        "DIEMCAU_RELAY_RTP_LOOP": rtp_loop,
    }
    with ControllerProcess(host=SERVER_IP, settings=settings) as ctl:
        token = ctl.token()
        r = httpx.post(
            f"{ctl.url}/api/v1/units",
            json={"code": "B", "name": "Bench", "level": "province"},
            headers={"Authorization": f"Bearer {token}"},
        )
        r.raise_for_status()
        r = httpx.post(
            f"{ctl.url}/api/v1/cameras",
            json={"name": "bench", "unit": "B", "url": rtsp},
            headers={"Authorization": f"Bearer {token}"},
        )
        r.raise_for_status()
        whep = f"{ctl.url}/whep/cameras/{r.json()['id']}"
        assert ctl.proc is not None  # started on entering
        proc = psutil.Process(ctl.proc.pid)
        direct = DirectReader(rtsp)
        direct.start()
        first = _receivers(whep, token, [1], 3 * measure_s + 30, tmp)  # keeps the pull warm
        time.sleep(SETTLE_S)
        cpu_one = _cpu(proc, measure_s)
        rest = _receivers(whep, token, _split(viewers - 1, 10), measure_s + SETTLE_S + 5, tmp)
        time.sleep(SETTLE_S)  # as before the one-viewer figure: the last joiners' GOP replays are done
        cpu_all = _cpu(proc, measure_s)
        data = _collect(rest, tmp)
        r = httpx.get(f"{ctl.url}/api/v1/relay/stats", headers={"Authorization": f"Bearer {token}"})
        stats = r.json() if r.status_code == 200 else {}
        first[0].terminate()
        first[0].wait(10)
        direct.stop.set()
    latencies = [x for d in data for x in added_latency(d["records"], direct.records)]
    first_frames = [x for d in data for x in d["first_frame_s"]]
    receiving = sum(1 for d in data for n in d["frames"] if n > 0) + 1
    return {
        "cpu_pct_one_viewer": round(cpu_one, 2),
        "cpu_pct_all_viewers": round(cpu_all, 2),
        "cpu_pct_per_viewer": round((cpu_all - cpu_one) / max(viewers - 1, 1), 3),
        "first_frame_p95_s": round(_p95(first_frames) or -1, 3),
        "first_frame_median_s": round(statistics.median(first_frames), 3) if first_frames else None,
        "added_latency_p95_s": round(_p95(latencies) or -1, 4),
        "added_latency_median_s": round(statistics.median(latencies), 4) if latencies else None,
        "latency_frames_matched": len(latencies),
        "transcodes": stats.get("transcodes"),
        "viewers_receiving": receiving,
    }


def measure(
    viewers: int, measure_s: float, width: int, height: int, fps: int, kbps: int, baseline: int
) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="diemcau-relay-"))
    result: dict[str, Any] = {
        "bench": "relay",
        "viewers": viewers,
        "video": f"{width}x{height}@{fps} ~{kbps} kbps H.264",
    }
    with CameraSimProcess(1, host=SERVER_IP, width=width, height=height, fps=fps, bitrate_kbps=kbps) as cams:
        rtsp = cams.urls["1"]
        result |= _relay(rtsp, viewers, measure_s, tmp, "fanout")
        # the same relay with aiortc's own RTP loop: the relay as it was before camera.rtp_fanout
        before = _relay(rtsp, viewers, measure_s, tmp, "aiortc")
        result["aiortc_loop"] = before
        result["cpu_per_viewer_vs_aiortc_loop"] = round(
            result["cpu_pct_per_viewer"] / max(before["cpu_pct_per_viewer"], 1e-6), 2
        )
        if baseline:
            port = free_port()
            server = subprocess.Popen(
                [sys.executable, "-m", "controller.bench.transcode_baseline", rtsp, SERVER_IP, str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                for _ in range(100):
                    try:
                        if httpx.get(f"http://{SERVER_IP}:{port}/healthz", timeout=1).status_code == 200:
                            break
                    except httpx.HTTPError:
                        time.sleep(0.1)
                rx = _receivers(f"http://{SERVER_IP}:{port}/whep/bench", "-", [baseline], measure_s + 10, tmp)
                time.sleep(3)  # encoders ramp up
                cpu_base = _cpu(psutil.Process(server.pid), measure_s)
                _collect(rx, tmp)
            finally:
                server.terminate()
                server.wait(10)
            result["baseline_viewers"] = baseline
            result["baseline_cpu_pct_per_viewer"] = round(cpu_base / baseline, 2)
    return result


def run(
    viewers: int, measure_s: float, width: int, height: int, fps: int, kbps: int, baseline: int
) -> dict[str, Any]:
    """Run the benchmark in a fresh network namespace and return its JSON."""
    args = [str(v) for v in (viewers, measure_s, width, height, fps, kbps, baseline)]
    return run_python_module("controller.bench.relay_bench", *args, timeout=900)


if __name__ == "__main__":
    v, m, w, h, f, k, b = sys.argv[1:8]
    print(json.dumps(measure(int(v), float(m), int(w), int(h), int(f), int(k), int(b))), flush=True)

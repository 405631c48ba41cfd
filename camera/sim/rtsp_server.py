"""Simulated one-stop-desk IP cameras on a real RTSP server (GStreamer's GstRtspServer).

Run with Debian's interpreter, not the project venv: PyGObject and the GStreamer
typelibs come from apt (``python3-gi``, ``gir1.2-gst-rtsp-server-1.0``) and only
load into ``/usr/bin/python3``.  That is why this file imports nothing but the
standard library and ``gi`` and is started as its own process (see
``camera/sim/process.py``)::

    /usr/bin/python3 camera/sim/rtsp_server.py --count 20 --port 0 --control-file cams.json

Every camera is a mount ``/cam/<name>`` (names ``1..N`` unless ``--names``) with a
*shared* media factory, so any number of clients share one pipeline and one encoder,
as they would share one real camera::

    videotestsrc is-live pattern=<per camera> ! I420 WxH@fps ! textoverlay (name, moving) ! timeoverlay
      ! valve name=freeze ! imagefreeze is-live allow-replace    freeze: valve drops, last frame repeats
      ! videobalance name=balance                               black: brightness -1, contrast 0
      ! videoscale ! capsfilter name=blur ! videoscale ! WxH    blur: the middle caps shrink to 1/16
      ! videorate name=rate drop-only max-rate                 lowfps: max-rate 2
      ! x264enc zerolatency ultrafast ! h264 byte-stream ! rtph264pay config-interval=-1

Faults are element properties flipped on the running pipeline, never a rebuild, so the
encoder and its timestamps carry on and the stream stays decodable across switches;
in the normal state videobalance and both videoscales are in passthrough (no cost).
``shift`` switches the test pattern (the camera was turned away); ``stop`` unmounts the
camera and closes the connections of its clients.  A fault is remembered per camera
and applied again to a pipeline built later (a shared media is torn down when its last
client leaves).  A client that starts playing gets a key frame at once (force-key-unit),
as most IP cameras do, rather than waiting up to a GOP.

Each camera has its own encoder settings (width, height, fps, bitrate_kbps, key_int in
frames, profile), starting from the global options; the simulated ONVIF service
(``camera/sim/onvif_server.py``) changes them through the ``encoder`` op.  The bitrate
changes live (x264enc allows it while playing).  Anything else is in the caps or is a
property x264enc reads once (key-int-max), so the camera's pipeline is dropped: its
clients are closed, as a real camera restarts its stream after an encoder change, and
the next DESCRIBE builds a pipeline with the new settings.

The control API is JSON lines over TCP, one request per line, one reply per line::

    {"op": "list"}            cameras: name, url, fault, pattern, streaming
                                       (a pipeline runs), pipelines (built so far), clients
    {"op": "fault", "camera": "1", "fault": "black"}
    {"op": "fault_all", "fault": "clear", "cameras": ["1", "2"] | null}     null: all
    {"op": "encoder", "camera": "1", "width": 320, "height": 180, "fps": 10,
     "bitrate_kbps": 256, "key_int": 10, "profile": "main"}                any subset
        -> {"ok": true, "camera": {...}, "rebuilt": true | false}
                                       rebuilt: the pipeline was dropped (anything but bitrate)

``list`` also reports each camera's ``encoder`` settings and ``bitrate_live_kbps``, the
bitrate the running encoder has (null without a pipeline).

Replies are ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``.  When ready the
server writes the control file (atomically) ``{"host", "port", "rtsp_host", "rtsp_port",
"cameras": {name: url}, "pid"}`` and removes it on SIGTERM/SIGINT (the ONVIF service,
when it runs, adds its own ``onvif`` section).

Long because: it runs under Debian's interpreter (PyGObject) and imports only the standard
library and gi, so it is one file that starts as a script without the package.
"""

from __future__ import annotations

import argparse
import faulthandler
import functools
import json
import math
import os
import re
import signal
import socketserver
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer, GstVideo  # noqa: E402

# The password reaches the server through the environment, never its command line (ps shows that);
# the same name as camera.sim.control.RTSP_PASSWORD_ENV (this script runs on Debian's python).
RTSP_PASSWORD_ENV = "DIEMCAU_SIM_RTSP_PASSWORD"

# What cameras at one-stop desks really send (docs/devices/ip-camera-streams.md): plain H.264 with in-band
# parameter sets, the same with parameter sets only in the SDP (sprop-parameter-sets), four slices
# per picture, B-frames, H.265, and H.264 with AAC audio.
STREAM_KINDS = ("h264", "sdp-only", "multi-slice", "bframes", "h265", "aac")
FAULTS = ("clear", "stop", "freeze", "black", "blur", "shift", "lowfps")
# Static, textured, mid-bright patterns (Laplacian variance 600-6600, mean luma 90-150) that
# x264 codes the same way twice: a frozen picture gives near-identical IDRs (mean diff < 0.4).
# Measured and rejected: spokes (mean 25, near "black"), pinwheel and circular (fine lines:
# successive IDRs of one frozen picture differ by 2-14, blur drops the variance only 44x).
PATTERNS = ("smpte", "gamut", "colors", "smpte-rp-219", "smpte100")
SHIFT_PATTERN = "checkers-8"  # unlike every normal pattern: a strong scene change
BLUR_DIVISOR = 16
NO_RATE_LIMIT = 2**31 - 1
FRESH_PIPELINE_S = 1.0
LABEL_Y = 0.2
WALK_PERIOD_S = 8.0
WALK_TICK_MS = 100
NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# The encoder op's settings and their bounds; x264enc's bitrate is the only one settable live.
ENCODER_LIMITS = {
    "width": (16, 4096),
    "height": (16, 4096),
    "fps": (1, 120),
    "bitrate_kbps": (1, 100_000),
    "key_int": (1, 10_000),
}
H264_PROFILES = ("baseline", "main")
LIVE_SETTINGS = {"bitrate_kbps"}


def _even(n: int) -> int:
    return max(2, n - n % 2)


def encoder_settings(opts: argparse.Namespace) -> dict[str, Any]:
    """A camera's first encoder settings: the global options (key_int 0 means 2 s worth)."""
    return {
        "width": opts.width,
        "height": opts.height,
        "fps": opts.fps,
        "bitrate_kbps": opts.bitrate_kbps,
        "key_int": opts.key_int or opts.fps * 2,
        "profile": opts.profile,
    }


def checked_encoder(request: dict[str, Any]) -> dict[str, Any]:
    """The encoder settings named in a request, validated (the caller may send any subset)."""
    unknown = set(request) - {"op", "camera", "profile", *ENCODER_LIMITS}
    if unknown:
        raise ValueError(f"unknown encoder settings: {', '.join(sorted(unknown))}")
    changes: dict[str, Any] = {}
    for key, (low, high) in ENCODER_LIMITS.items():
        if key in request:
            value = request[key]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{key} must be an integer in {low}..{high}")
            changes[key] = value
    for key in ("width", "height"):
        if changes.get(key, 0) % 2:
            raise ValueError(f"{key} must be even (I420)")
    if "profile" in request:
        if request["profile"] not in H264_PROFILES:
            raise ValueError(f"profile must be one of {', '.join(H264_PROFILES)}")
        changes["profile"] = request["profile"]
    return changes


def encoder_tail(kind: str, e: dict[str, Any]) -> str:
    """The encoder and payloader of one stream kind (see ``STREAM_KINDS``).

    Every kind keeps the element names ``enc`` (its ``bitrate`` in kbit/s changes live) and
    ``pay0`` (the video payloader; ``pay1`` is audio)."""
    common = f"key-int-max={e['key_int']} bitrate={e['bitrate_kbps']}"
    x264 = f"x264enc name=enc speed-preset=ultrafast threads=1 {common}"
    h264_caps = f"video/x-h264,profile={e['profile']}"
    if kind == "h265":
        return (
            f"x265enc name=enc tune=zerolatency speed-preset=ultrafast {common} "
            "! video/x-h265,stream-format=byte-stream ! rtph265pay name=pay0 pt=96 config-interval=-1"
        )
    if kind == "sdp-only":  # avc: the parameter sets go to codec_data, i.e. the SDP, and nowhere else
        return (
            f"{x264} tune=zerolatency byte-stream=false option-string=repeat-headers=0 "
            f"! {h264_caps},stream-format=avc,alignment=au "
            "! rtph264pay name=pay0 pt=96 config-interval=0"
        )
    if kind == "bframes":  # main profile, 2 B-frames between references: decode order != display order
        return (
            f"{x264} bframes=2 b-adapt=false rc-lookahead=4 byte-stream=true "
            "! video/x-h264,profile=main,stream-format=byte-stream "
            "! rtph264pay name=pay0 pt=96 config-interval=-1"
        )
    slices = ' option-string="slices=4"' if kind == "multi-slice" else ""
    video = (
        f"{x264} tune=zerolatency byte-stream=true{slices} ! {h264_caps},stream-format=byte-stream "
        "! rtph264pay name=pay0 pt=96 config-interval=-1"
    )
    if kind == "aac":
        video += (
            " audiotestsrc is-live=true wave=sine freq=440 volume=0.2 ! audioconvert ! audioresample "
            "! audio/x-raw,rate=16000,channels=1 ! avenc_aac bitrate=32000 ! rtpmp4gpay name=pay1 pt=97"
        )
    return video


class Camera:
    """One mount: its settings, its active fault and the pipeline serving it (if any)."""

    def __init__(self, name: str, index: int, opts: argparse.Namespace) -> None:
        self.name = name
        self.path = f"/cam/{name}"
        self.pattern = PATTERNS[index % len(PATTERNS)]
        self.phase = index * 1.3
        self.opts = opts
        self.encoder = encoder_settings(opts)
        self.stream = stream_kinds(opts).get(name, opts.stream)
        self.fault = "clear"
        self.media: GstRtspServer.RTSPMedia | None = None
        self.configured_at = 0.0
        self.pipelines = 0  # pipelines built so far: one per burst of clients when shared
        self.factory = GstRtspServer.RTSPMediaFactory()
        self.factory.set_launch(self.launch())
        self.factory.set_shared(True)
        self.factory.connect("media-configure", self._configure)

    def launch(self) -> str:
        e = self.encoder
        size = f"width={e['width']},height={e['height']}"
        fps = e["fps"]
        font = max(12, e["height"] // 12)
        return (
            f"( videotestsrc name=src is-live=true pattern={self.pattern} "
            f"! video/x-raw,format=I420,{size},framerate={fps}/1 "
            f'! textoverlay name=label text=" {self.name} " font-desc="Sans Bold {font}" shaded-background=true '
            f"halignment=position valignment=position xpos=0.5 ypos={LABEL_Y} "
            f'! timeoverlay font-desc="Sans {font}" valignment=bottom halignment=right '
            f"! valve name=freeze drop=false ! imagefreeze is-live=true allow-replace=true "
            f"! video/x-raw,framerate={fps}/1 ! videobalance name=balance "
            f"! videoscale ! capsfilter name=blur caps=video/x-raw,{size} "
            f"! videoscale ! video/x-raw,{size},pixel-aspect-ratio=1/1 "
            f"! videorate name=rate drop-only=true max-rate={NO_RATE_LIMIT} "
            f"! {encoder_tail(self.stream, e)} )"
        )

    def _configure(self, _factory: GstRtspServer.RTSPMediaFactory, media: GstRtspServer.RTSPMedia) -> None:
        """A new pipeline for this mount: keep it and give it the camera's current fault.

        A frozen camera still lets its first frame through: imagefreeze needs one frame
        (and its caps) to repeat, and without caps the media would never get prepared.
        """
        self.media = media
        self.configured_at = time.monotonic()
        self.pipelines += 1
        media.connect("unprepared", self._unprepared)
        self.apply(first_frame=True)
        valve = self.element("freeze")
        if valve is None:
            return  # torn down already by a leaving client: nothing to watch
        valve.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self._first_frame, valve)

    def _first_frame(self, _pad: Gst.Pad, _info: Gst.PadProbeInfo, valve: Gst.Element) -> Gst.PadProbeReturn:
        if self.fault == "freeze":
            valve.set_property("drop", True)  # atomic: safe from the streaming thread
        return Gst.PadProbeReturn.REMOVE

    def _unprepared(self, media: GstRtspServer.RTSPMedia) -> None:
        if self.media is media:
            self.media = None

    def element(self, name: str) -> Gst.Element | None:
        media = self.media  # read once: a client thread may clear it meanwhile
        bin_ = None if media is None else media.get_element()
        return None if bin_ is None else bin_.get_by_name(name)

    def apply(self, first_frame: bool = False) -> None:
        """Set every fault-bearing property from ``self.fault`` (normal values for the others)."""
        names = ("src", "freeze", "balance", "blur", "rate")
        src, valve, balance, blur, rate = (self.element(name) for name in names)
        if src is None or valve is None or balance is None or blur is None or rate is None:
            return  # no pipeline, or one being torn down by a leaving client: nothing to set
        o, fault = self.opts, self.fault
        width, height = self.encoder["width"], self.encoder["height"]
        src.set_property("pattern", SHIFT_PATTERN if fault == "shift" else self.pattern)
        valve.set_property("drop", fault == "freeze" and not first_frame)
        balance.set_property("brightness", -1.0 if fault == "black" else 0.0)
        balance.set_property("contrast", 0.0 if fault == "black" else 1.0)
        balance.set_property("saturation", 0.0 if fault == "black" else 1.0)
        # Even sizes: I420 halves the chroma planes.
        w, h = (
            (width, height)
            if fault != "blur"
            else (_even(width // BLUR_DIVISOR), _even(height // BLUR_DIVISOR))
        )
        caps = Gst.Caps.from_string(f"video/x-raw,width={w},height={h}")
        blur.set_property("caps", caps)
        rate.set_property("max-rate", o.lowfps if fault == "lowfps" else NO_RATE_LIMIT)

    def walk(self, now: float) -> None:
        """Move the name label back and forth (a visitor at the desk): normal frames differ
        visibly from one another, so a frozen picture is told apart by plain frame differences."""
        label = self.element("label")
        if label is not None:
            label.set_property("xpos", 0.5 + 0.35 * math.sin(2 * math.pi * now / WALK_PERIOD_S + self.phase))

    def force_key_unit(self) -> None:
        """Ask the encoder for an IDR now (unless the pipeline is new: it starts with one)."""
        pay = self.element("pay0")
        if pay is not None and time.monotonic() - self.configured_at > FRESH_PIPELINE_S:
            pay.send_event(GstVideo.video_event_new_upstream_force_key_unit(Gst.CLOCK_TIME_NONE, True, 0))


class CameraServer:
    """The RTSP server, its cameras and the fault switch; runs on the GLib main loop."""

    def __init__(self, opts: argparse.Namespace, names: list[str]) -> None:
        self.opts = opts
        self.server = GstRtspServer.RTSPServer()
        self.server.set_address(opts.host)
        self.server.set_service(str(opts.port))
        self.server.connect("client-connected", self._client_connected)
        self.mounts = self.server.get_mount_points()
        self.cameras = {name: Camera(name, i, opts) for i, name in enumerate(names)}
        if opts.auth_user:
            self._require_credentials(opts.auth_user, os.environ.get(RTSP_PASSWORD_ENV, ""), opts.auth_method)
        for cam in self.cameras.values():
            self.mounts.add_factory(cam.path, cam.factory)

    def _require_credentials(self, user: str, password: str, method: str) -> None:
        """RTSP authentication as cameras ask for it: a 401 challenge (Digest by default, as
        Hikvision and Dahua ship; Basic when asked), only the one user may DESCRIBE and PLAY."""
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "viewer")
        if method == "digest":
            auth.add_digest(user, password, token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        else:
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
        self.server.set_auth(auth)
        role = "viewer, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
        for cam in self.cameras.values():
            cam.factory.add_role_from_structure(Gst.Structure.new_from_string(role))

    def attach(self) -> int:
        if self.server.attach(None) == 0:
            raise OSError(f"cannot listen on {self.opts.host}:{self.opts.port}")
        GLib.timeout_add(WALK_TICK_MS, self._walk)
        port: int = self.server.get_bound_port()
        return port

    def _walk(self) -> bool:
        now = time.monotonic()
        for cam in self.cameras.values():
            if cam.fault != "freeze":
                cam.walk(now)
        return True

    def url(self, cam: Camera, port: int) -> str:
        host = "127.0.0.1" if self.opts.host in ("0.0.0.0", "") else self.opts.host
        return f"rtsp://{host}:{port}{cam.path}"

    def _client_connected(self, _server: GstRtspServer.RTSPServer, client: GstRtspServer.RTSPClient) -> None:
        client.connect("play-request", self._play_request)

    def _play_request(self, _client: GstRtspServer.RTSPClient, ctx: GstRtspServer.RTSPContext) -> None:
        for cam in self.cameras.values():
            if ctx.media is not None and cam.media is ctx.media:
                cam.force_key_unit()

    def _watchers(self, cam: Camera) -> list[GstRtspServer.RTSPClient]:
        """Connected clients with a session on this camera's pipeline."""
        if cam.media is None:
            return []
        found = []
        for client in self.server.client_filter(None):
            medias = [sm.get_media() for s in client.session_filter(None) for sm in s.filter(None)]
            if any(m is cam.media for m in medias):
                found.append(client)
        return found

    def _drop_media(self, cam: Camera) -> None:
        """Close the camera's clients and tear its pipeline down."""
        media, watchers = cam.media, self._watchers(cam)
        for client in watchers:
            client.close()
        if media is not None:
            media.unprepare()  # also drops it from the shared factory's cache
        cam.media = None

    def set_fault(self, cam: Camera, fault: str) -> None:
        if fault not in FAULTS:
            raise ValueError(f"fault must be one of {', '.join(FAULTS)}")
        was = cam.fault
        cam.fault = fault
        if fault == "stop" and was != "stop":
            self.mounts.remove_factory(cam.path)  # a new DESCRIBE now answers 404
            self._drop_media(cam)
        elif was == "stop" and fault != "stop":
            self.mounts.add_factory(cam.path, cam.factory)
        cam.apply()

    def set_encoder(self, cam: Camera, changes: dict[str, Any]) -> bool:
        """Apply new encoder settings; True when the pipeline had to be dropped (see the module doc)."""
        settings = {**cam.encoder, **changes}
        rebuild = any(settings[k] != cam.encoder[k] for k in settings if k not in LIVE_SETTINGS)
        cam.encoder = settings
        cam.factory.set_launch(cam.launch())  # what the next pipeline is built from
        if rebuild:
            self._drop_media(cam)
            return True
        enc = cam.element("enc")
        if enc is not None:
            enc.set_property("bitrate", settings["bitrate_kbps"])
        return False

    def camera(self, name: Any) -> Camera:
        cam = self.cameras.get(str(name))
        if cam is None:
            raise KeyError(f"no camera {name!r}")
        return cam

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op == "list":
            return {"ok": True, "cameras": [self.describe(cam) for cam in self.cameras.values()]}
        if op == "fault":
            cam = self.camera(request["camera"])
            self.set_fault(cam, request["fault"])
            return {"ok": True, "camera": self.describe(cam)}
        if op == "fault_all":
            names = request.get("cameras")
            cams = [self.camera(n) for n in names] if names is not None else list(self.cameras.values())
            if request["fault"] not in FAULTS:  # checked before anything changes
                raise ValueError(f"fault must be one of {', '.join(FAULTS)}")
            for cam in cams:
                self.set_fault(cam, request["fault"])
            return {"ok": True, "cameras": [cam.name for cam in cams]}
        if op == "encoder":
            cam = self.camera(request["camera"])
            rebuilt = self.set_encoder(cam, checked_encoder(request))
            return {"ok": True, "camera": self.describe(cam), "rebuilt": rebuilt}
        raise ValueError(f"unknown op {op!r}")

    def describe(self, cam: Camera) -> dict[str, Any]:
        enc = cam.element("enc")
        return {
            "name": cam.name,
            "url": self.url(cam, self.server.get_bound_port()),
            "fault": cam.fault,
            "stream": cam.stream,
            "pattern": cam.pattern,
            "streaming": cam.media is not None,
            "pipelines": cam.pipelines,
            "clients": len(self._watchers(cam)),
            "encoder": dict(cam.encoder),
            "bitrate_live_kbps": None if enc is None else enc.get_property("bitrate"),
        }


def on_main_loop(fn: Callable[[], dict[str, Any]], timeout: float = 5.0) -> dict[str, Any]:
    """Run ``fn`` on the GLib main loop and wait for its result: fault switches and the
    RTSP server's mounts and clients are changed from that one thread, while the control
    socket is served by other threads."""
    done = threading.Event()
    box: dict[str, dict[str, Any]] = {}

    def run() -> bool:
        try:
            box["reply"] = fn()
        except Exception as exc:  # noqa: BLE001 - any failure must still answer the client
            box["reply"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        done.set()
        return False

    GLib.idle_add(run)
    if not done.wait(timeout):
        return {"ok": False, "error": "timeout: the main loop did not answer"}
    return box["reply"]


def control_server(cams: CameraServer, host: str, port: int) -> socketserver.ThreadingTCPServer:
    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            for line in self.rfile:
                try:
                    request = json.loads(line)
                    if not isinstance(request, dict):
                        raise TypeError("a request is a JSON object")
                    reply = on_main_loop(functools.partial(cams.handle, request))
                except (ValueError, TypeError) as exc:
                    reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
                self.wfile.write(json.dumps(reply).encode() + b"\n")
                self.wfile.flush()

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer.daemon_threads = True
    return socketserver.ThreadingTCPServer((host, port), Handler)


def write_atomically(path: Path, data: dict[str, Any]) -> None:
    """Readers poll for the file: they must never see it half written."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Simulated one-stop-desk cameras on an RTSP server.")
    p.add_argument("--host", default="127.0.0.1", help="address the RTSP server binds")
    p.add_argument("--port", type=int, default=0, help="RTSP port; 0 picks a free one")
    p.add_argument("--count", type=int, default=1, help="cameras /cam/1 .. /cam/N (unless --names)")
    p.add_argument("--names", default="", help="comma-separated camera names, mounted as /cam/<name>")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--fps", type=int, default=15)
    p.add_argument("--bitrate-kbps", type=int, default=800)
    p.add_argument("--key-int", type=int, default=0, help="frames between key frames; 0: 2 s worth")
    p.add_argument("--profile", choices=("baseline", "main"), default="baseline")
    p.add_argument("--stream", choices=STREAM_KINDS, default="h264", help="every camera's stream kind")
    p.add_argument("--streams", default="", help="per camera: NAME=KIND,... (overrides --stream)")
    p.add_argument("--lowfps", type=int, default=2, help="frame rate under the lowfps fault")
    p.add_argument("--control-file", type=Path, required=True)
    p.add_argument(
        "--control-host",
        default=None,
        help="control socket address; default: --host, or 127.0.0.1 when --host is a wildcard",
    )
    p.add_argument("--control-port", type=int, default=0)
    p.add_argument(
        "--auth-user",
        default="",
        help=f"require this user's credentials (password from ${RTSP_PASSWORD_ENV}); default: none",
    )
    p.add_argument("--auth-method", choices=("digest", "basic"), default="digest")
    opts = p.parse_args(argv)
    if opts.width < 16 or opts.height < 16 or opts.fps < 1 or opts.bitrate_kbps < 1:
        p.error("width/height >= 16, fps >= 1, bitrate-kbps >= 1")
    if opts.width % 2 or opts.height % 2:
        p.error("width and height must be even (I420)")
    return opts


def stream_kinds(opts: argparse.Namespace) -> dict[str, str]:
    """Camera name → stream kind, from ``--streams 1=h265,2=bframes``."""
    kinds: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in opts.streams.split(","))):
        name, _, kind = item.partition("=")
        if kind not in STREAM_KINDS:
            raise SystemExit(f"--streams: {item!r}: the kind must be one of {', '.join(STREAM_KINDS)}")
        kinds[name] = kind
    return kinds


def camera_names(opts: argparse.Namespace) -> list[str]:
    names = [n.strip() for n in opts.names.split(",") if n.strip()] or [
        str(i) for i in range(1, opts.count + 1)
    ]
    bad = [n for n in names if not NAME_RE.match(n)]
    if bad or len(set(names)) != len(names) or not names:
        raise SystemExit(f"camera names must be unique, non-empty and [A-Za-z0-9._-]: {bad or names}")
    return names


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    names = camera_names(opts)
    strangers = set(stream_kinds(opts)) - set(names)
    if strangers:
        raise SystemExit(f"--streams names cameras that do not exist: {', '.join(sorted(strangers))}")
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # kill -USR1: where is it stuck?
    Gst.init(None)
    cams = CameraServer(opts, names)
    rtsp_port = cams.attach()
    control_host = opts.control_host or ("127.0.0.1" if opts.host in ("0.0.0.0", "") else opts.host)
    control = control_server(cams, control_host, opts.control_port)
    threading.Thread(target=control.serve_forever, name="control", daemon=True).start()
    control_file: Path = opts.control_file
    write_atomically(
        control_file,
        {
            "host": control_host,
            "port": control.server_address[1],
            "rtsp_host": opts.host,
            "rtsp_port": rtsp_port,
            "cameras": {cam.name: cams.url(cam, rtsp_port) for cam in cams.cameras.values()},
            "pid": os.getpid(),
        },
    )
    print(
        f"ready: {len(names)} cameras on rtsp://{opts.host}:{rtsp_port}/cam/..., "
        f"control {control_host}:{control.server_address[1]} ({control_file})",
        flush=True,
    )
    loop = GLib.MainLoop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, loop.quit)
    try:
        loop.run()
    finally:
        control.shutdown()
        for cam in cams.cameras.values():
            if cam.media is not None:
                cam.media.unprepare()
        control_file.unlink(missing_ok=True)
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

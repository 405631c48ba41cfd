"""WHEP in a real browser, run inside a network namespace by ``test_chromium_whep.py``.

The camera simulator, the controller (served by uvicorn on 10.77.0.1) and
headless Chromium (Debian's package, driven by Playwright) all live in the
namespace (see controller/bench/netns.py). Chromium opens the console's
``player.html``, which plays the camera with ``whep-player.js``; the result is
printed as one JSON line for the outer test.

Run by hand (as root): ``python -c 'from controller.bench.netns import run_python_module as r;
print(r("tests.camera.chromium_scenario"))'``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import secrets
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import uvicorn
from cryptography.fernet import Fernet
from playwright.async_api import async_playwright

from camera.sim.process import CameraSimProcess
from controller.app import create_app
from controller.bench.netns import SERVER_IP
from controller.cameras import registry
from controller.cameras.schemas import CameraCreate
from controller.models import Grant, User
from controller.principal import SYSTEM
from controller.settings import Settings
from controller.units import service as units
from controller.users.service import user_token

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FIRST_FRAME_TIMEOUT_S = 15.0
COLLECT_S = 3.0
KIND_COLLECT_S = 1.5  # a stream kind plays: 25 fps for this long is ~37 frames


def _h264_fmtp(sdp: str) -> list[str]:
    """The fmtp parameters of every H.264 payload type in an SDP, in order."""
    h264 = re.findall(r"^a=rtpmap:(\d+) H264/90000", sdp, re.M)
    fmtp = dict(re.findall(r"^a=fmtp:(\d+) (.*?)\r?$", sdp, re.M))
    return [fmtp.get(pt, "") for pt in h264]


async def _serve(app, sock: socket.socket) -> tuple[uvicorn.Server, asyncio.Task]:  # type: ignore[no-untyped-def]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    deadline = time.monotonic() + 20
    while not server.started:
        if task.done():
            task.result()  # raises what stopped it
            raise RuntimeError("uvicorn stopped during startup")
        if time.monotonic() > deadline:
            raise TimeoutError("uvicorn did not start in 20 s")
        await asyncio.sleep(0.05)
    return server, task


async def main(profile: str = "baseline") -> dict:
    out: dict = {"camera_profile": profile}
    with (
        CameraSimProcess(1, host=SERVER_IP, fps=15, profile=profile) as cams,
        tempfile.TemporaryDirectory() as tmp,
    ):
        async with _controller(cams, Path(tmp)) as (state, base, ids, token):
            await _browse(out, state, base, ids["1"], token, Path(tmp) / "profile")
        out["viewers_after_shutdown"] = state.relay.count()
    return out


async def _play(page, url: str) -> dict:  # type: ignore[no-untyped-def]
    """Open the player, wait (bounded) for its first decoded frame, then watch COLLECT_S more."""
    res: dict = {}
    await page.goto("about:blank")  # a new document: the same URL again would only be a fragment change
    t0 = time.monotonic()
    await page.goto(url)
    player: dict = {}
    res["time_to_first_frame_s"] = None
    while time.monotonic() - t0 < FIRST_FRAME_TIMEOUT_S:
        player = await page.evaluate("window.__player || {}")
        if player.get("decodedFrames", 0) > 0:
            res["time_to_first_frame_s"] = round(time.monotonic() - t0, 3)
            break
        await asyncio.sleep(0.1)
    first = player
    timeline = []
    for _ in range(int(COLLECT_S / 0.25)):
        p = await page.evaluate("window.__whep.stats()")
        timeline.append(
            (round(time.monotonic() - t0, 2), p["framesReceived"], p["decodedFrames"], p["framesDropped"])
        )
        await asyncio.sleep(0.25)
    res["timeline"] = timeline
    player = await page.evaluate("window.__player || {}")
    res["player"] = player
    res["decodedFrames"] = player.get("decodedFrames", 0)
    res["width"], res["height"] = player.get("width", 0), player.get("height", 0)
    res["state"] = player.get("state")
    res["fps_after_first"] = round((res["decodedFrames"] - first.get("decodedFrames", 0)) / COLLECT_S, 1)
    res["dropped_at_first"] = first.get("framesDropped", 0)
    return res


async def _stop(page, state) -> dict:  # type: ignore[no-untyped-def]
    """WhepPlayer.stop() must DELETE the viewer on the controller."""
    await page.evaluate("window.__whep && window.__whep.stop()")
    for _ in range(60):  # 3 s
        if not state.relay.count():
            break
        await asyncio.sleep(0.05)
    return {
        "viewers_after_stop": state.relay.count(),
        "state_after_stop": await page.evaluate("window.__whep && window.__whep.state"),
    }


async def _browse(out: dict, state, base: str, camera: str, token: str, profile: Path) -> None:  # type: ignore[no-untyped-def]
    console_errors: list[str] = []
    page_errors: list[str] = []
    failed_requests: list[str] = []
    offers: list[str] = []
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            out["browser_version"] = context.browser.version if context.browser else None
            page = context.pages[0] if context.pages else await context.new_page()
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on("requestfailed", lambda r: failed_requests.append(f"{r.method} {r.url} {r.failure}"))
            page.on(
                "response",
                lambda r: failed_requests.append(f"{r.status} {r.url}") if r.status >= 400 else None,
            )
            page.on("request", lambda r: offers.append(r.post_data or "") if r.method == "POST" else None)
            url = f"{base}/console/player.html#camera={camera}&token={token}"

            # cold: the first viewer starts the controller's RTSP pull and waits for a keyframe
            out.update(await _play(page, url))
            out["status_line"] = await page.text_content("#status")
            viewers = list(state.relay.viewers.values())
            out["relay_viewers"] = len(viewers)
            if viewers:
                v = viewers[0]
                out["relay_viewer"] = {
                    "camera_id": str(v.camera_id),
                    "connection_state": v.pc.connectionState,
                    "packets_sent": v.track.sent,
                }
                out["answer_h264_fmtp"] = _h264_fmtp(v.pc.localDescription.sdp)
            if offers:
                out["offer_h264_fmtp"] = _h264_fmtp(offers[0])
                out["offer_candidates"] = re.findall(r"^a=candidate:\S+ \d+ (\S+) \d+ (\S+)", offers[0], re.M)
            out.update(await _stop(page, state))

            # warm: the pull is running, the relay replays its cached GOP to the new viewer
            warm = await _play(page, url)
            warm.update(await _stop(page, state))
            out["warm"] = warm
        finally:
            await context.close()
    out["console_errors"] = console_errors
    out["page_errors"] = page_errors
    out["failed_requests"] = failed_requests


@contextlib.asynccontextmanager
async def _controller(cams: CameraSimProcess, tmp: Path, **settings: object) -> AsyncIterator[tuple]:
    """A controller served on SERVER_IP with one camera per simulated camera and an IOC viewer:
    (state, base URL, camera name -> id, the viewer's token)."""
    app = create_app(
        Settings(
            data_dir=tmp / "data",
            secret_key=Fernet.generate_key().decode(),
            monitor_enabled=False,
            **settings,  # type: ignore[arg-type]
        )
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((SERVER_IP, 0))
    base = f"http://{SERVER_IP}:{sock.getsockname()[1]}"
    server, serving = await _serve(app, sock)
    try:
        state = app.state.diemcau
        async with state.db.transaction() as session:
            await units.upsert_units(session, units.legacy_demo_specs(districts=1, communes=1))
            viewer = User(
                username="viewer",
                role="ioc_viewer",
                password_hash="!unused",
                grants=[Grant(role="ioc_viewer")],
            )
            session.add(viewer)
            ids = {}
            for name, url in cams.urls.items():
                create = CameraCreate(name=name, unit="DEMO", url=url)
                ids[name] = str((await registry.create_camera(session, state.box, create, SYSTEM)).id)
        token, _ = user_token(state.box, viewer, timedelta(minutes=5))
        yield state, base, ids, token
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 15)


@contextlib.asynccontextmanager
async def _browser(tmp: Path) -> AsyncIterator[tuple]:
    """Chromium's page and the errors its scripts raised."""
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            yield page, errors
        finally:
            await context.close()


async def kinds(names: list[str]) -> dict:
    """Each stream kind of the simulator in the player, one camera each (cold: the first viewer
    starts the pull): what the page shows. Then the first camera stops sending: how long the
    player takes to leave "playing", and whether it comes back when the camera does."""
    out: dict = {}
    with (
        CameraSimProcess(names=names, host=SERVER_IP, fps=25, streams={n: n for n in names}) as cams,
        tempfile.TemporaryDirectory() as tmp,
    ):
        async with (
            _controller(cams, Path(tmp)) as (_state, base, ids, token),
            _browser(Path(tmp)) as (page, errors),
        ):
            for name in names:
                out[name] = await _kind(page, f"{base}/console/player.html#camera={ids[name]}&token={token}")
            first = f"{base}/console/player.html#camera={ids[names[0]]}&token={token}"
            out["stop"] = await _camera_stops(page, cams, names[0], first)
            out["page_errors"] = errors
    return out


@contextlib.contextmanager
def _coturn(tmp: Path) -> Iterator[tuple[int, str]]:
    """Debian's coturn on SERVER_IP in this namespace, with time-limited credentials from a
    shared secret (use-auth-secret): (its port, the secret)."""
    port, secret = _free_port(), secrets.token_hex(16)
    log = (tmp / "turnserver.log").open("wb")
    proc = subprocess.Popen(
        [
            "turnserver", "-n", "--no-cli", "--no-tls", "--no-dtls", "--fingerprint",
            f"--listening-ip={SERVER_IP}", f"--relay-ip={SERVER_IP}", f"--listening-port={port}",
            "--min-port=49152", "--max-port=49999", "--realm=diemcau.test",
            "--use-auth-secret", f"--static-auth-secret={secret}", "--log-file=stdout", "--simple-log",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while True:
            with contextlib.suppress(OSError), socket.create_connection((SERVER_IP, port), timeout=0.5):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"turnserver did not start: {(tmp / 'turnserver.log').read_text()[-1500:]}"
                )
            time.sleep(0.1)
        yield port, secret
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((SERVER_IP, 0))
        return s.getsockname()[1]


async def turn() -> dict:
    """Relay-only ICE on both sides through a TURN server (coturn, in this namespace): the
    browser reaches it over TCP, as through a firewall that lets only TCP out; the relay takes
    TURN credentials minted from the shared secret."""
    with tempfile.TemporaryDirectory() as turn_tmp, _coturn(Path(turn_tmp)) as (port, secret):
        out = await _turn(port, secret)
        lines = (Path(turn_tmp) / "turnserver.log").read_text().splitlines()
        out["turnserver_log"] = [line for line in lines if "allocation" in line.lower()][:20]
        return out


async def _turn(port: int, secret: str) -> dict:
    # TCP only, as through a firewall that lets nothing else out (the relay uses it too)
    ice = [{"urls": [f"turn:{SERVER_IP}:{port}?transport=tcp"], "secret": secret}]
    out: dict = {}
    with CameraSimProcess(1, host=SERVER_IP, fps=25) as cams, tempfile.TemporaryDirectory() as tmp:
        async with (
            _controller(cams, Path(tmp), relay_ice_servers=ice, relay_ice_transport_policy="relay") as (
                state,
                base,
                ids,
                token,
            ),
            _browser(Path(tmp)) as (page, errors),
        ):
            answers: list[dict] = []
            page.on("response", lambda r: answers.append(r.headers) if r.request.method == "POST" else None)
            out.update(
                await _kind(page, f"{base}/console/player.html#camera={ids['1']}&token={token}&ice=relay")
            )
            out["pair"] = await page.evaluate(SELECTED_PAIR)
            out["link"] = answers[0].get("link") if answers else None
            viewers = list(state.relay.viewers.values())
            out["relay_pair"] = _relay_pair(viewers[0].pc) if viewers else None
            out["page_errors"] = errors
    return out


# The browser's selected ICE candidate pair: candidate types and the TURN relay protocol.
SELECTED_PAIR = """async () => {
  const report = await window.__whep.pc.getStats();
  let pair = null;
  report.forEach((s) => { if (s.type === "transport" && s.selectedCandidatePairId) pair = report.get(s.selectedCandidatePairId); });
  if (!pair) report.forEach((s) => { if (s.type === "candidate-pair" && s.state === "succeeded" && s.nominated) pair = s; });
  if (!pair) return null;
  const local = report.get(pair.localCandidateId), remote = report.get(pair.remoteCandidateId);
  return { local: local.candidateType, relayProtocol: local.relayProtocol || null, remote: remote.candidateType };
}"""


def _relay_pair(pc) -> dict | None:  # type: ignore[no-untyped-def]
    """The relay's nominated pair: the local and remote candidate types (aioice internals)."""
    for transceiver in pc.getTransceivers():
        ice = transceiver.sender.transport.transport  # DTLS transport -> ICE transport
        pair = ice._connection._nominated.get(1)  # component 1: RTP (aioice keeps it there)
        if pair is not None:
            return {"local": pair.local_candidate.type, "remote": pair.remote_candidate.type}
    return None


async def _player(page, until, limit_s: float) -> tuple[dict, float | None]:  # type: ignore[no-untyped-def]
    """Poll window.__player until ``until(player)`` (bounded): the player and the seconds it took."""
    t0 = time.monotonic()
    player: dict = {}
    while time.monotonic() - t0 < limit_s:
        player = await page.evaluate("window.__player || {}")
        if until(player):
            return player, round(time.monotonic() - t0, 2)
        await asyncio.sleep(0.1)
    return player, None


async def _kind(page, url: str) -> dict:  # type: ignore[no-untyped-def]
    await page.goto("about:blank")
    await page.goto(url)
    player, took = await _player(
        page,
        lambda p: p.get("decodedFrames", 0) > 0 or p.get("state") in ("unplayable", "failed"),
        FIRST_FRAME_TIMEOUT_S,
    )
    if player.get("state") not in ("unplayable", "failed"):
        await asyncio.sleep(KIND_COLLECT_S)
        player = await page.evaluate("window.__player || {}")
    return {
        "state": player.get("state"),
        "first_s": took,
        "decodedFrames": player.get("decodedFrames", 0),
        "size": [player.get("width", 0), player.get("height", 0)],
        "status": await page.text_content("#status"),
    }


async def _camera_stops(page, cams, name: str, url: str) -> dict:  # type: ignore[no-untyped-def]
    await page.goto("about:blank")
    await page.goto(url)
    playing, _ = await _player(page, lambda p: p.get("state") == "playing", FIRST_FRAME_TIMEOUT_S)
    await cams.fault(name, "stop")
    left, left_s = await _player(page, lambda p: p.get("state") != "playing", 15)
    status = await page.text_content("#status")
    await cams.fault(name, "clear")
    back, back_s = await _player(page, lambda p: p.get("state") == "playing", 40)
    return {
        "was": playing.get("state"),
        "left_playing_s": left_s,
        "state_after_stop": left.get("state"),
        "status_after_stop": status,
        "back_playing_s": back_s,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profile", choices=("baseline", "main"), default="baseline", help="the camera's H.264"
    )
    parser.add_argument("--kinds", default="", help="comma-separated stream kinds: play one camera of each")
    parser.add_argument("--turn", action="store_true", help="relay-only ICE through coturn")
    opts = parser.parse_args()
    if opts.turn:
        print(json.dumps(asyncio.run(turn())), flush=True)
    elif opts.kinds:
        print(json.dumps(asyncio.run(kinds(opts.kinds.split(",")))), flush=True)
    else:
        print(json.dumps(asyncio.run(main(opts.profile))), flush=True)

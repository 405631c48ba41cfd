"""The IOC camera wall plays for real: run inside a network namespace by ``test_wall.py``.

WebRTC skips loopback, so the console tests on 127.0.0.1 cannot see a tile
play. Here (see controller/bench/netns.py) the demo province listens on
10.77.0.1 — its simulated RTSP cameras stay on the namespace's own loopback,
which the controller pulls from — and headless Chromium signs in as
ioc_viewer, opens ``#/ioc`` and waits until every tile's <video> has decoded
frames. Then a tile is enlarged and must keep playing. The result is printed
as one JSON line for the outer test.

Run by hand (as root): ``python -c 'from controller.bench.netns import run_python_module as r;
print(r("tests.console.wall_scenario"))'``. DIEMCAU_SCREENSHOTS passes through
(run_python_module keeps the environment): the wall is saved as ioc-wall-playing.png.
"""

from __future__ import annotations

import json
import time
from typing import Any

from playwright.sync_api import Page, sync_playwright

from controller.bench.netns import SERVER_IP
from tests.console.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    WALL,
    open_console,
    screenshot,
    start_demo,
    stop_demo,
)

ARGS = [*CHROMIUM_ARGS, "--disable-quic", "--disable-component-update", "--disable-sync"]
PLAY_TIMEOUT_S = 45.0  # a limit, not a measure: the first viewer also starts the RTSP pull

# Per tile: what the <video> decoded and shows, and what the view says about it.
TILES_JS = """() => [...document.querySelectorAll('#ioc-wall .tile')].map(tile => {
  const v = tile.querySelector('video');
  const q = v.getVideoPlaybackQuality();
  return { id: tile.dataset.cameraId, name: tile.querySelector('.caption .name').textContent,
           state: tile.dataset.state, play: tile.dataset.play, status: tile.querySelector('.play-state').textContent,
           enlarged: tile.classList.contains('enlarged'),
           frames: q.totalVideoFrames, width: v.videoWidth, height: v.videoHeight };
})"""


def tiles(page: Page) -> list[dict[str, Any]]:
    return page.evaluate(TILES_JS)


def wait_until(check, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return False


def main() -> dict[str, Any]:
    out: dict[str, Any] = {}
    proc, province = start_demo(host=SERVER_IP, count=4, cameras=2)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            try:
                page = open_console(browser, province, "ioc_viewer", viewport=WALL)
                page.wait_for_url("**/console/#/ioc")
                page.wait_for_selector("#ioc-wall .tile video")
                cameras = province.api("ioc_viewer").get("/cameras").json()
                out["cameras"] = cameras["total"]
                t0 = time.monotonic()
                out["all_playing"] = wait_until(
                    lambda: len(now := tiles(page)) == cameras["total"] and all(t["frames"] > 0 for t in now),
                    PLAY_TIMEOUT_S,
                )
                out["time_to_all_playing_s"] = round(time.monotonic() - t0, 2)
                # A fresh province: the cameras' first health samples arrive live (camera.state events).
                wait_until(lambda: all(t["state"] != "unknown" for t in tiles(page)), 30)
                out["tiles"] = tiles(page)
                out["api_states"] = {
                    c["id"]: province.api("ioc_viewer").get(f"/cameras/{c['id']}/health").json()["state"]
                    for c in cameras["items"]
                }
                screenshot(page, "ioc-wall-playing")

                # Enlarged, the tile keeps playing: more frames decoded after the click.
                first = page.locator("#ioc-wall .tile").first
                before = tiles(page)[0]["frames"]
                first.click()
                grew = wait_until(lambda: tiles(page)[0]["frames"] > before + 10, 15)
                after = tiles(page)[0]
                out["enlarged"] = {
                    "class": "enlarged" in (first.get_attribute("class") or ""),
                    "frames_before": before,
                    "frames_after": after["frames"],
                    "kept_playing": grew,
                    "play": after["play"],
                    "size": first.evaluate("e => [e.clientWidth, e.clientHeight]"),
                }
                screenshot(page, "ioc-wall-enlarged")
                page.keyboard.press("Escape")
                out["shrunk"] = "enlarged" not in (first.get_attribute("class") or "")

                # Leaving the view runs its cleanup, which must stop every player (WHEP DELETE).
                api = province.api("ioc_viewer")
                viewers = lambda: sum(  # noqa: E731
                    api.get(f"/cameras/{c['id']}/health").json()["viewers"] for c in cameras["items"]
                )
                out["viewers_while_playing"] = viewers()
                page.evaluate("location.hash = '#/host'")  # not for ioc_viewer: the view is unmounted
                page.wait_for_selector("main .error")
                wait_until(lambda: viewers() == 0, 10)
                out["viewers_after_leaving"] = viewers()
                out["errors"] = list(page.errors)  # type: ignore[attr-defined]
                page.context.close()
            finally:
                browser.close()
    finally:
        stop_demo(proc)
    return out


if __name__ == "__main__":
    print(json.dumps(main()), flush=True)

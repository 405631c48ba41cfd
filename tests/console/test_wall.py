"""The IOC camera wall really plays, in real Chromium, over WebRTC.

Runs ``tests.console.wall_scenario`` in a network namespace of its own (see
controller/bench/netns.py): ICE skips loopback, so on 127.0.0.1 the tiles of
test_ioc.py may only ever say "connecting". Needs root (unshare), Debian's
``chromium`` and ``playwright``, like tests/camera/test_chromium_whep.py.
"""

from __future__ import annotations

from controller.bench.netns import run_python_module


def test_every_tile_of_the_camera_wall_plays():
    r = run_python_module("tests.console.wall_scenario", timeout=240)
    assert r["errors"] == [], r["errors"]
    assert r["cameras"] == 2 and len(r["tiles"]) == 2, r
    assert r["all_playing"], r["tiles"]
    for tile in r["tiles"]:
        assert tile["frames"] > 0, tile
        assert (tile["width"], tile["height"]) == (640, 360), tile
        assert tile["play"] == "playing" and tile["status"] == "Đang phát", tile
        # The health badge came live (the province is young: its first samples are camera.state events).
        assert tile["state"] == r["api_states"][tile["id"]] != "unknown", (tile, r["api_states"])
    # One viewer per tile on the relay while the wall is shown.
    assert r["viewers_while_playing"] == 2
    # Click: enlarged, and still decoding new frames; Esc: back in the grid.
    enlarged = r["enlarged"]
    assert enlarged["class"] and enlarged["kept_playing"], enlarged
    assert enlarged["frames_after"] > enlarged["frames_before"] and enlarged["play"] == "playing"
    assert enlarged["size"][0] > 1600, enlarged  # inset 3vw on a 1920 px wide screen
    assert r["shrunk"]
    # Leaving the view stopped every player: the relay has no viewer left.
    assert r["viewers_after_leaving"] == 0

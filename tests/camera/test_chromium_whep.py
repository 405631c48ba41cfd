"""WHEP in a real browser: headless Chromium plays a camera with the console's player.html.

Runs ``tests.camera.chromium_scenario`` in a network namespace of its own (see
controller/bench/netns.py). Needs Debian's ``chromium`` and the ``playwright``
package (``make setup`` installs both; the test fails without them).
"""

from __future__ import annotations

import pytest

from controller.bench.netns import run_python_module


# "main": most real cameras send Main or High profile, yet the relay can only answer the
# Constrained Baseline / Baseline profile-level-ids aiortc knows; Chromium must decode it anyway.
# Baseline also plays in tests/console/test_wall.py (the console's camera wall) on every run.
@pytest.mark.parametrize("profile", [pytest.param("baseline", marks=pytest.mark.slow), "main"])
def test_chromium_plays_a_camera_over_whep(profile):
    r = run_python_module("tests.camera.chromium_scenario", "--profile", profile, timeout=120)
    assert r["page_errors"] == [] and r["console_errors"] == [] and r["failed_requests"] == []
    for run in (r, r["warm"]):  # cold: first viewer starts the pull; warm: the relay replays its GOP
        assert run["time_to_first_frame_s"] is not None, run
        assert run["decodedFrames"] > 10, run
        assert (run["width"], run["height"]) == (640, 360), run
        assert run["state"] == "playing" and run["fps_after_first"] >= 10, run
        assert run["viewers_after_stop"] == 0 and run["state_after_stop"] == "stopped"
    assert r["warm"]["time_to_first_frame_s"] < 2.0  # the cached GOP: a picture at once
    assert r["relay_viewers"] == 1 and r["relay_viewer"]["connection_state"] == "connected"
    assert r["relay_viewer"]["packets_sent"] > 10
    assert "H264" in r["player"]["codec"] and "packetization-mode=1" in r["player"]["codec"]
    assert r["viewers_after_shutdown"] == 0

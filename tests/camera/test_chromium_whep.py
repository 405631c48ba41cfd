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


def test_every_stream_kind_plays_or_says_why_and_a_stopped_camera_leaves_playing():
    """What desk cameras send, judged by Chromium: parameter sets only in the SDP, four slices
    per picture and AAC beside the video play; H.265 and B-frames say why, in Vietnamese first."""
    kinds = ["h264", "sdp-only", "multi-slice", "aac", "h265", "bframes"]
    r = run_python_module("tests.camera.chromium_scenario", "--kinds", ",".join(kinds), timeout=240)
    assert r["page_errors"] == []
    for kind in ("h264", "sdp-only", "multi-slice", "aac"):
        assert r[kind]["state"] == "playing" and r[kind]["decodedFrames"] > 25, (kind, r[kind])
        assert r[kind]["size"] == [640, 360], (kind, r[kind])
    assert r["h265"]["state"] == "unplayable" and r["h265"]["decodedFrames"] == 0
    assert r["h265"]["status"].startswith("Không phát được luồng H.265"), r["h265"]
    assert r["bframes"]["state"] == "unplayable" and "B-frame" in r["bframes"]["status"]
    assert "Hãy tắt B-frame" in r["bframes"]["status"]
    stop = r["stop"]  # the camera stops sending: never "playing" over its last picture
    assert stop["was"] == "playing" and stop["state_after_stop"] == "no_picture", stop
    assert stop["left_playing_s"] is not None and stop["status_after_stop"].startswith(
        "Camera không gửi hình"
    )
    assert stop["back_playing_s"] is not None, stop  # and it plays again when the camera is back


def test_relay_only_ice_through_turn_over_tcp():
    """A network that lets only TCP out: the browser and the relay both take relay candidates
    from Debian's coturn over TCP, with credentials the controller mints from coturn's shared
    secret, and the browser learns the server from GET /relay/ice-servers (the WHEP answer's
    Link headers say the same)."""
    r = run_python_module("tests.camera.chromium_scenario", "--turn", timeout=180)
    assert r["page_errors"] == []
    assert r["state"] == "playing" and r["decodedFrames"] > 25 and r["size"] == [640, 360], r
    assert r["pair"] == {"local": "relay", "relayProtocol": "tcp", "remote": "relay"}, r["pair"]
    assert r["relay_pair"] == {"local": "relay", "remote": "relay"}, r["relay_pair"]
    assert r["link"].startswith("<turn:10.77.0.1:") and 'rel="ice-server"' in r["link"]
    assert ':viewer"; credential="' in r["link"] and 'credential-type="password"' in r["link"]

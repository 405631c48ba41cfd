"""WHEP in a network namespace of its own: aiortc viewers really receive and decode the camera."""

from __future__ import annotations

from controller.bench.netns import run_python_module


def test_whep_viewers_receive_decodable_video():
    r = run_python_module("tests.camera.whep_scenario", timeout=120)
    assert r["no_token_status"] == 401
    assert r["status"] == 201 and r["content_type"].startswith("application/sdp")
    assert r["location"].startswith("/whep/viewers/")
    assert r["answer_has_h264"] and not r["answer_has_vp8"]  # passthrough: H.264 only
    assert r["first_frames"] > 20 and r["first_sizes"] == [[640, 360]]
    assert r["late_frames"] > 10 and r["late_first_frame_s"] < 1.0
    assert r["upstream_clients"] == 1  # two viewers, one RTSP pull
    stats = r["relay_stats"]
    assert stats["viewers"] == 2 and stats["transcodes"] == 0 and stats["packets_sent"] > 50
    assert r["over_limit_status"] == 503 and r["retry_after"]
    assert r["patch_status"] == 405
    assert (r["delete_status"], r["delete_again_status"]) == (204, 404)
    assert r["viewers_after_delete"] == 1
    assert r["options_status"] == 204 and r["accept_post"] == "application/sdp"

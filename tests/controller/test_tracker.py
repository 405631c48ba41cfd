"""The state machine on its own: hysteresis, definitive failures, degraded, flapping."""

from __future__ import annotations

from controller.health.tracker import Observation, Thresholds, Tracker

OK = Observation(health={"in_call": False, "camera_connected": True, "sip_registered": True})
DOWN = Observation(code="unreachable", message="refused")


def run(tracker: Tracker, observations, start: float = 0.0, step: float = 10.0):
    states = []
    for i, obs in enumerate(observations):
        tracker.observe(obs, start + i * step)
        states.append(tracker.state)
    return states


def test_offline_only_after_three_failures_back_after_two_successes():
    t = Tracker(state="online")
    assert run(t, [DOWN, DOWN, DOWN, OK, OK]) == ["online", "online", "unreachable", "unreachable", "online"]


def test_isolated_failures_never_change_state():
    t = Tracker(state="online")
    pattern = [DOWN, OK, DOWN, DOWN, OK, OK, DOWN] * 20
    assert set(run(t, pattern)) == {"online"}


def test_layer_change_while_down_and_definitive_errors():
    t = Tracker(state="online")
    run(t, [DOWN] * 3)
    assert t.observe(Observation(code="offline"), 40).new == "offline"
    t2 = Tracker(state="online")
    assert t2.observe(Observation(code="hostkey_mismatch"), 0).new == "hostkey_mismatch"
    assert t2.observe(OK, 10).new == "online"  # a clean poll with the pinned key: at once


def test_degraded_reasons_and_loss_band():
    t = Tracker(Thresholds(loss_pct=5.0), state="online")
    tr = t.observe(Observation(health={"camera_connected": False}), 0)
    assert tr.new == "degraded" and tr.reason == "camera disconnected"
    call = {"in_call": True, "packet_loss_pct": 6.0}
    assert t.observe(Observation(health=call), 10).reason == "packet loss above 5 %"
    assert t.observe(Observation(health={**call, "packet_loss_pct": 4.0}), 20) is None  # inside the band
    assert t.observe(Observation(health={**call, "packet_loss_pct": 2.0}), 30).new == "in_call"


def test_flapping_is_detected_and_expires():
    t = Tracker(
        Thresholds(fail_after=1, recover_after=1, flap_transitions=4, flap_window_s=100), state="online"
    )
    run(t, [DOWN, OK, DOWN, OK], step=5)
    assert t.flapping
    t.observe(OK, 500)
    assert not t.flapping

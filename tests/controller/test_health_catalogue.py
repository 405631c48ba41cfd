"""The health catalogue names every problem a check can report, and the console words each one.

The codes are read from the checks' own source (every string a check appends to its
``problems`` or passes as a camera state), so a new check that forgets the catalogue or the
console fails here, not as an alarm pass that stops on a missing severity."""

from __future__ import annotations

import ast
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from camera.analytics import History
from controller.cameras.monitor import WatchedCamera
from controller.fleet.poller import Watched
from controller.health.alarms import camera_alarms, wanted_alarms
from controller.health.catalogue import CAMERA_PROBLEMS, CAMERA_STATES, ENDPOINT, _entry, severity
from controller.health.tracker import DOWN, UP, Observation, Tracker
from controller.readiness.not_ready import NotReadyView

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ("camera/analytics.py", "controller/cameras/monitor.py")
CONSOLE = "controller/web/lib/vocabulary.js"


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def reported_problems() -> set[str]:
    """Strings appended to a ``problems`` list, or put in a ``{"problems": [...]}`` literal."""
    found: set[str] = set()
    for path in CHECKS:
        for node in ast.walk(ast.parse((ROOT / path).read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "append"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "problems"
            ):
                found |= _strings(node.args[0])
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "problems"
                        and isinstance(value, ast.List)
                    ):
                        found |= _strings(value)
    return found


def camera_state_codes() -> set[str]:
    """Strings the camera monitor assigns to ``code`` (its failed observations)."""
    tree = ast.parse((ROOT / "controller/cameras/monitor.py").read_text())
    return {
        s
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "code" for t in node.targets)
        for s in _strings(node.value)
    }


def test_every_problem_a_camera_check_reports_is_in_the_catalogue_and_nothing_else():
    reported = reported_problems()
    assert {"black", "frozen", "low_fps", "stream_unplayable", "rare_keyframes"} <= reported  # the scan works
    assert reported == set(CAMERA_PROBLEMS)


def test_every_camera_state_the_monitor_reports_is_in_the_catalogue():
    codes = camera_state_codes()
    assert {"stalled", "offline", "auth_failed"} <= codes
    assert codes | {"flapping"} == set(CAMERA_STATES)


def test_every_alarm_the_evaluator_can_raise_has_its_own_entry():
    now = datetime.now(UTC)
    unit = uuid.uuid4()
    path = f"/{unit}/"
    endpoints = [
        Watched(uuid.uuid4(), state, "X", path, now, Tracker(state=state), since=None)
        for state in sorted(UP | DOWN - {"stalled"})
    ]
    endpoints.append(Watched(uuid.uuid4(), "f", "X", path, now, Tracker(state="online", flapping=True)))
    kinds = {
        w.kind for w in wanted_alarms({w.id: w for w in endpoints}, {unit: ("U", path)}, now, 0.0).values()
    }
    dark_unit = uuid.uuid4()  # every endpoint under it unreachable: one uplink alarm
    dark = [Watched(uuid.uuid4(), n, "X", f"/{dark_unit}/", now, Tracker(state="unreachable")) for n in "ab"]
    kinds |= {
        w.kind
        for w in wanted_alarms(
            {w.id: w for w in dark}, {dark_unit: ("D", f"/{dark_unit}/")}, now, 0.0
        ).values()
    }
    cameras = [
        WatchedCamera(uuid.uuid4(), s, path, now, Tracker(state=s), History())
        for s in ("offline", "stalled", "auth_failed")
    ]
    cameras.append(
        WatchedCamera(uuid.uuid4(), "f", path, now, Tracker(state="online", flapping=True), History())
    )
    cameras.append(
        WatchedCamera(
            uuid.uuid4(),
            "d",
            path,
            now,
            Tracker(state="degraded"),
            History(),
            problems=sorted(CAMERA_PROBLEMS),
        )
    )
    kinds |= {w.kind for w in camera_alarms({c.id: c for c in cameras}).values()}
    # a not-ready verdict before a session (controller/readiness)
    view = NotReadyView()
    view.note(
        uuid.uuid4(),
        uuid.uuid4(),
        None,
        "X",
        path,
        "not_ready",
        [{"code": "sip_unregistered"}],
        None,
        now + timedelta(hours=1),
    )
    kinds |= {w.kind for w in view.wanted_alarms(now).values()}
    assert "uplink" in kinds and "unreachable" in kinds and "camera_black" in kinds
    assert {k for k in kinds if _entry(k) is None} == set()
    endpoint_kinds = {k for k in kinds if not k.startswith("camera_")}
    assert endpoint_kinds == set(ENDPOINT)


def test_a_kind_missing_from_the_catalogue_is_still_raised_as_a_warning():
    assert severity("camera_something_new") == "warning"
    assert severity("camera_black") == "major" and severity("hostkey_mismatch") == "critical"


def console_keys() -> dict[str, int]:
    counts: dict[str, int] = {}
    for key in re.findall(r'"((?:alarm|problem|severity)\.[a-z_]+)"\s*:', (ROOT / CONSOLE).read_text()):
        counts[key] = counts.get(key, 0) + 1
    return counts


def test_the_console_words_every_code_in_vietnamese_and_english():
    keys = console_keys()
    wanted = [f"alarm.{k}" for k in ENDPOINT]
    wanted += [f"alarm.camera_{k}" for k in (*CAMERA_STATES, *CAMERA_PROBLEMS)]
    wanted += [f"problem.{k}" for k in CAMERA_PROBLEMS]
    wanted += [f"severity.{s}" for s in ("critical", "major", "minor", "warning")]
    missing = [k for k in wanted if keys.get(k, 0) < 2]  # one per language
    assert missing == []


def _words(path: str, prefix: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key in re.findall(rf'"({re.escape(prefix)}\.[a-z_]+)"\s*:', (ROOT / path).read_text()):
        counts[key] = counts.get(key, 0) + 1
    return counts


def test_the_console_says_every_alarm_failure_cause_and_endpoint_problem_in_both_languages():
    """Alarms, health reasons and job items come as code + params: each code has its sentence."""
    import endpoints
    from controller.health.catalogue import ENDPOINT_PROBLEMS, FAILURE_CODES
    from endpoints.errors import CONNECT_CAUSES

    says = _words("controller/web/lib/alarm-text.js", "says")
    degraded = _words("controller/web/lib/alarm-text.js", "degraded")
    failures = _words("controller/web/lib/failure-text.js", "failure")
    causes = _words("controller/web/lib/failure-text.js", "cause")
    kinds = [*ENDPOINT, *(f"camera_{k}" for k in (*CAMERA_STATES, *CAMERA_PROBLEMS))]
    missing = [f"says.{k}" for k in kinds if says.get(f"says.{k}", 0) < 2]
    missing += [f"degraded.{p}" for p in ENDPOINT_PROBLEMS if degraded.get(f"degraded.{p}", 0) < 2]
    missing += [f"failure.{c}" for c in FAILURE_CODES if failures.get(f"failure.{c}", 0) < 2]
    missing += [f"cause.{c}" for c in CONNECT_CAUSES if causes.get(f"cause.{c}", 0) < 2]
    assert missing == []
    # every error the endpoint library raises to a caller is a failure the console can word
    raised = {
        cls.code
        for cls in vars(endpoints.errors).values()
        if isinstance(cls, type) and issubclass(cls, endpoints.EndpointError)
    }
    assert raised <= FAILURE_CODES


def test_a_degraded_endpoint_says_which_problems_by_code_with_its_limits():
    t = Tracker()
    change = t.observe(Observation(health={"sip_registered": False, "temperature_c": 90}), 0)
    assert change is not None and change.new == "degraded"
    assert change.reason == "SIP not registered, temperature above 75 °C"
    assert change.params == {
        "problems": ["sip_unregistered", "temperature_high"],
        "temperature_c": 75.0,
        "loss_pct": 5.0,
    }
    now = datetime.now(UTC)
    unit = uuid.uuid4()
    w = Watched(uuid.uuid4(), "d", "X", f"/{unit}/", now, t)
    (alarm,) = wanted_alarms({w.id: w}, {unit: ("U", f"/{unit}/")}, now, 0.0).values()
    assert (alarm.kind, alarm.params["problems"]) == ("degraded", ["sip_unregistered", "temperature_high"])


def test_an_uplink_alarm_names_its_unit_and_count_as_params():
    now = datetime.now(UTC)
    unit = uuid.uuid4()
    dark = [Watched(uuid.uuid4(), n, "X", f"/{unit}/", now, Tracker(state="unreachable")) for n in "abc"]
    (alarm,) = wanted_alarms({w.id: w for w in dark}, {unit: ("Xã A", f"/{unit}/")}, now, 0.0).values()
    assert (alarm.kind, alarm.params) == ("uplink", {"unit": "Xã A", "total": 3})


def test_every_problem_the_endpoint_tracker_reports_is_in_the_catalogue():
    from controller.health.catalogue import ENDPOINT_PROBLEMS

    tree = ast.parse((ROOT / "controller/health/tracker.py").read_text())
    appended = {
        s
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "append"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "problems"
        for s in _strings(node.args[0])
    }
    assert {"camera_disconnected", "packet_loss_high"} <= appended  # the scan works
    assert appended == set(ENDPOINT_PROBLEMS)

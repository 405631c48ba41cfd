"""Recorded transcripts beside expected parses (the ntc-templates habit).

``firmware_profiles/fixtures/<profile>/<kind>.<name>/<case>.raw`` is what the
device printed after the command was sent; ``<case>.yaml`` says which command
and tag it answered and what must be parsed from it (or ``error: ParseError``).
Kinds: ``identity``, ``health``, ``readiness``, ``config`` and ``calls.status`` (queries), and
``calls.ended_feedback``: a recorded feedback stream whose ``expected`` is
``profile.call_ended()`` of every line that ends a call, in order; ``calls.dial_call_id``:
the answer to a dial, whose ``expected`` value is the call id read from it.

Every case names its ``provenance``: ``vendor-doc`` (the vendor's manuals, reference
guides, schemas), ``public-transcript`` (a published capture from a real device, or a
fixture in a client library's tests) or ``simulator`` (our simulator's output, or a case
written by hand). Each profile needs cases that did not come from our simulator: a rule
that only ever met the simulator has only met our own assumptions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from endpoints import ParseError, Profile, ProfileError, default_profiles_dir, load_profile
from endpoints.frames import frame_text, framer_for
from endpoints.parsing import apply_query, apply_rule
from endpoints.profiles import Query

PROFILES_DIR = default_profiles_dir()
FIXTURES = PROFILES_DIR / "fixtures"
CASES = sorted(FIXTURES.glob("*/*/*.raw"))
REQUIRED_CONFIG = {"display_name", "sip_proxy"}
PROVENANCE = {"vendor-doc", "public-transcript", "simulator"}


ENDED = "calls.ended_feedback"


def _query(profile: Profile, name: str) -> Query:
    """The query a fixture folder is named after: ``health.call``, ``calls.status``..."""
    kind, key = name.split(".", 1)
    if kind in ("calls", "readiness"):
        query = getattr(getattr(profile, kind), key)
        assert isinstance(query, Query), name
        return query
    return getattr(profile, kind)[key]


def _parse(profile: Profile, name: str, raw: str, command: str, tag: str | None) -> dict:
    resp, _feedback = frame_text(profile.session, raw, command, tag)
    assert resp is not None, "transcript never reached the end of a response"
    if resp.malformed:
        raise ParseError(f"{name}: {resp.message}", resp.text)
    kind, key = name.split(".", 1)
    esc = profile.escaping
    if kind == "config":
        return {"value": apply_rule(profile.config[key].parse, resp.text, name=name, escaping=esc)}
    if name == "calls.dial_call_id":
        assert profile.calls.dial_call_id is not None
        return {"value": apply_rule(profile.calls.dial_call_id, resp.text, name=name, escaping=esc)}
    query = _query(profile, name)
    if resp.failed:
        assert query.on_error == "none", f"device error in a fixture for {name}: {resp.message}"
        return dict.fromkeys(query.fields)
    return apply_query(query, resp.text, name=name, escaping=esc)


@pytest.mark.parametrize("raw_path", CASES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture(raw_path: Path) -> None:
    profile = load_profile(PROFILES_DIR / f"{raw_path.parent.parent.name}.yaml")
    spec = yaml.safe_load(raw_path.with_suffix(".yaml").read_text(encoding="utf-8"))
    assert spec.get("provenance") in PROVENANCE, f"{raw_path}: provenance must be one of {sorted(PROVENANCE)}"
    raw = raw_path.read_text(encoding="utf-8")
    if raw_path.parent.name == ENDED:  # the feedback the framer sets aside, as a session would
        feedback: list[str] = []
        framer = framer_for(profile.session, feedback.append)
        for line in raw.splitlines():
            framer.feed(line)
        ended = [profile.call_ended(line) for line in feedback]
        assert [e.model_dump() for e in ended if e is not None] == spec["expected"]
        return
    args = (profile, raw_path.parent.name, raw, spec["command"], spec.get("tag"))
    if spec.get("error") == "ParseError":
        with pytest.raises(ParseError) as info:
            _parse(*args)
        # the raw text travels along (a JSON document in its compact spelling)
        assert info.value.raw.strip() and "".join(info.value.raw.split()) in "".join(raw.split())
    else:
        assert _parse(*args) == spec["expected"]


def test_fixture_commands_match_profile() -> None:
    for raw_path in CASES:
        if raw_path.parent.name == ENDED:
            continue  # feedback: no command
        profile = load_profile(PROFILES_DIR / f"{raw_path.parent.parent.name}.yaml")
        kind, key = raw_path.parent.name.split(".", 1)
        spec = yaml.safe_load(raw_path.with_suffix(".yaml").read_text(encoding="utf-8"))
        if raw_path.parent.name == "calls.dial_call_id":
            assert spec["command"].startswith(profile.calls.dial.split("{", 1)[0]), raw_path
            continue
        command = (
            profile.config[key].read if kind == "config" else _query(profile, raw_path.parent.name).command
        )
        assert spec["command"] == command, raw_path


@pytest.mark.parametrize("path", sorted(PROFILES_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_every_profile_has_fixtures_for_every_query(path: Path) -> None:
    profile = load_profile(path)
    wanted = (
        [f"identity.{n}" for n in profile.identity]
        + [f"health.{n}" for n in profile.health]
        + [f"readiness.{n}" for n in ("clock", "ntp", "media") if getattr(profile.readiness, n)]
        + [f"config.{k}" for k in profile.config]
        + (["calls.status"] if profile.calls.status else [])
        + ([ENDED] if profile.calls.ended_feedback else [])
        + (["calls.dial_call_id"] if profile.calls.dial_call_id else [])
    )
    folder = FIXTURES / profile.id
    missing = [w for w in wanted if not list((folder / w).glob("*.raw"))]
    assert not missing, f"{profile.id}: no fixture for {missing}"
    malformed = [p for p in folder.glob("*/*.yaml") if "ParseError" in p.read_text()]
    assert malformed, f"{profile.id}: needs at least one malformed-output case"
    if profile.calls.status:  # an unknown call state word must be a ParseError, not a state
        bad = [p for p in (folder / "calls.status").glob("*.yaml") if "ParseError" in p.read_text()]
        assert bad, f"{profile.id}: calls.status needs a malformed-output case"
        cases = {p.stem for p in (folder / "calls.status").glob("*.raw")}
        assert {f"sim_{s}" for s in ("idle", "dialling", "ringing", "connected")} <= cases
    assert REQUIRED_CONFIG <= set(profile.config)
    sources = {yaml.safe_load(p.read_text(encoding="utf-8")).get("provenance") for p in folder.glob("*/*.yaml")}
    assert sources & {"vendor-doc", "public-transcript"}, f"{profile.id}: every case comes from our simulator"


def test_every_profile_loads() -> None:
    paths = sorted(PROFILES_DIR.glob("*.yaml"))
    assert len(paths) >= 2
    ids = [load_profile(p).id for p in paths]
    assert ids == [p.stem for p in paths]  # file name is the id


BROKEN = {
    "missing_set": (
        ("    set: 'xConfiguration SystemUnit Name: {value}'\n", ""),
        "config.display_name.set: Field required",
    ),
    "typo_key": (("  state_feedback:", "  state_feedbak:"), "session.state_feedbak: Extra inputs"),
    "bad_regex": (
        ("""  error: '"status":"(?:Error""", """  error: '"status":"((?:Error"""),
        "session.error",
    ),
    "path_and_regex": (
        ("      uptime_s: {path: Status/SystemUnit/Uptime, type: int}", "      uptime_s: {path: Status/SystemUnit/Uptime, regex: x, type: int}"),
        "exactly one of 'regex' (text) or 'path' (JSON)",
    ),
    "bad_placeholder": (("{value}'\n", "{name}'\n"), "config.display_name.set"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_profile_names_file_and_field(tmp_path: Path, case: str) -> None:
    (old, new), expected = BROKEN[case]
    text = (PROFILES_DIR / "cisco-roomos.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "x.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_yaml_syntax_error_has_line_number(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("id: x\nsession:\n  ready: [unclosed\n  prompt: 1\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"x\.yaml: YAML syntax error at line \d+"):
        load_profile(path)

"""run_many: many commands in one write, each response in its own slot, both dialects."""

from __future__ import annotations

import asyncio
import re

from endpoints import CommandFailed, EndpointDriver, Profile, UnsafeValue
from endpoints.framing import Framer
from endpoints.parsing import apply_rule
from endpoints.profiles import Session
from endpoints.sim import Fleet, SimEndpoint

from .conftest import PROFILE_IDS, connect, profile_of


def _reads(device: SimEndpoint) -> list[str]:
    return [spec.read for spec in profile_of(device).config.values()]


def _untagged(results: list[str | CommandFailed]) -> list[object]:
    """Responses without the (per-call) tag, for comparing two runs."""
    return [re.sub(r'"ResultId":"[^"]*"', "", r) if isinstance(r, str) else r for r in results]


async def test_run_many_in_order_with_interleaved_feedback(device: SimEndpoint) -> None:
    device.state.faults.noise = True
    commands = _reads(device) + [q.command for q in profile_of(device).identity.values()]
    async with await connect(device) as session:
        one_by_one = [await session.run(c) for c in commands]
        before = device.state.stats.commands
        pipelined = await session.run_many(commands)
        assert device.state.stats.commands == before + len(commands)
        # the noise (RoomOS feedback, the Group Series greeting) was set aside or dropped
    assert _untagged(pipelined) == _untagged(one_by_one)
    assert all(isinstance(r, str) and r for r in pipelined)


async def test_error_in_the_middle_slot_leaves_the_others(device: SimEndpoint) -> None:
    reads = _reads(device)[:4]
    commands = reads[:2] + ["xyzzy frobnicate"] + reads[2:]
    async with await connect(device) as session:
        results = await session.run_many(commands)
        assert isinstance(results[2], CommandFailed)
        assert results[2].command == "xyzzy frobnicate"
        assert results[2].device_message in ("Command not recognized.", "command not found")
        others = [r for i, r in enumerate(results) if i != 2]
        assert _untagged(others) == _untagged([await session.run(c) for c in reads])
        assert await session.run_many([]) == []


async def test_read_config_pipelined_equals_one_by_one(device: SimEndpoint) -> None:
    device.state.faults.noise = True
    profile: Profile = profile_of(device)
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        pipelined = await driver.read_config()
        one_by_one = {}
        for key, spec in profile.config.items():
            raw = await session.run(spec.read)
            value = str(apply_rule(spec.parse, raw, escaping=profile.escaping))
            one_by_one[key] = {v: k for k, v in (spec.choices or {}).items()}.get(value, value)
    assert pipelined == one_by_one
    assert pipelined["display_name"] == device.state.name


async def test_set_config_many_reports_each_key(device: SimEndpoint) -> None:
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        writes = device.state.stats.config_writes
        results = await driver.set_config_many(
            {"sip_proxy": "10.9.8.7", "display_name": "x" * 150, "sip_uri": "sip:ubnd-x@vc.example.gov.vn"}
        )
        assert results["sip_proxy"] is None and results["sip_uri"] is None
        refused = results["display_name"]
        if profile_of(device).config["display_name"].max_length is not None:
            # outside the value space the profile knows: refused before the device, never sent
            assert isinstance(refused, UnsafeValue) and "at most" in refused.reason
            assert device.state.stats.config_writes == writes + 2
        else:
            assert isinstance(refused, CommandFailed)  # the device's own refusal
            assert device.state.stats.config_writes == writes + 3
        back = await driver.read_config(["sip_proxy", "sip_uri", "display_name"])
    assert back == {"sip_proxy": "10.9.8.7", "sip_uri": "sip:ubnd-x@vc.example.gov.vn", "display_name": device.state.name}


async def test_a_value_beyond_the_devices_limit_is_refused_alone(fleet: Fleet) -> None:
    device = fleet.endpoints[0]  # Cisco: SystemUnit Name is 0..50 in the RoomOS schema
    limit = profile_of(device).config["display_name"].max_length
    assert limit == 50
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        writes = device.state.stats.config_writes
        results = await driver.set_config_many({"display_name": "Đ" * (limit + 1), "sip_proxy": "10.1.2.3"})
        assert isinstance(results["display_name"], UnsafeValue)
        assert f"at most {limit}" in results["display_name"].reason
        assert results["sip_proxy"] is None and device.state.stats.config_writes == writes + 1
        assert (await driver.read_config(["sip_proxy"]))["sip_proxy"] == "10.1.2.3"


async def test_in_call_runs_only_the_queries_that_yield_it(device: SimEndpoint) -> None:
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        before = device.state.stats.commands
        assert await driver.in_call() is False
        wanted = [q for q in profile_of(device).health.values() if "in_call" in q.fields]
        assert device.state.stats.commands - before == len(wanted) == 1
        await driver.dial("sip:a@vc.example.gov.vn")
        assert await driver.in_call() is True


async def test_concurrent_callers_share_one_session(device: SimEndpoint) -> None:
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        results = await asyncio.gather(
            driver.read_config(), driver.identify(), driver.health(), driver.read_config()
        )
    assert results[0] == results[3]
    assert results[1].model == device.state.model


async def test_one_round_trip_per_batch() -> None:
    """Pipelined reads reach the device as one batch: one link delay, not one per command."""
    async with Fleet(2, profiles=PROFILE_IDS, latency_ms=60) as fleet:
        for ep in fleet.endpoints:
            async with await connect(ep) as session:
                reads = _reads(ep)
                before = ep.state.stats.batches
                await session.run_many(reads)
                assert len(reads) >= 4
                assert ep.state.stats.batches - before == 1  # one-by-one would be one per read


def _framer(profile: Profile) -> tuple[Framer, list[str]]:
    feedback: list[str] = []
    return Framer(profile.session, feedback.append), feedback


def test_poly_prompt_shares_a_line_with_the_next_echo(profiles: dict[str, Profile]) -> None:
    framer, feedback = _framer(profiles["poly-group"])
    framer.expect("version", None, "a")
    framer.expect("serialnum", None, "b")
    lines = ["version", 'version "6.2.2.5"', "-> serialnum", "notification:x", 'serialnum "S1"']
    out = [r for r in map(framer.feed_line, lines) if r]
    assert [(r.key, r.text) for r in out] == [("a", 'version "6.2.2.5"')]
    last = framer.feed_partial("-> ")
    assert last is not None and (last.key, last.text) == ("b", 'serialnum "S1"')
    assert feedback == ["notification:x"] and not framer.busy


def test_poly_prompt_shares_a_line_with_a_notification(profiles: dict[str, Profile]) -> None:
    """The prompt has no newline: a notification pushed right after it lands on its line."""
    framer, feedback = _framer(profiles["poly-group"])
    framer.expect("dial manual 1920 x sip", None, "a")
    ringing = "notification:callstatus:outgoing:1:x:sip:x@y:ringing:1920:0:videocall"
    out = [framer.feed_line(x) for x in ("dial manual 1920 x sip", "dialing manual", "-> " + ringing)]
    assert out[2] is not None and (out[2].key, out[2].text) == ("a", "dialing manual")
    assert feedback == [ringing] and not framer.busy
    framer.feed_line("-> " + ringing.replace("ringing", "connected"))  # nothing pending: still feedback
    assert feedback[-1].endswith(":connected:1920:0:videocall") and feedback[-1].startswith("notification:")


def test_tagged_blocks_go_to_their_tag_even_out_of_order() -> None:
    """A dialect answering in tagged blocks (RoomOS in terminal output mode) frames by tag."""
    session = Session(
        ready="^OK$",
        command_template='{command} | resultId="{tag}"',
        tag_line='^\\*\\* resultId: "{tag}"$',
        block_end="^\\*\\* end$",
        done="^(OK|ERROR)$",
        feedback=["^\\*e "],
        error="^ERROR$",
    )
    feedback: list[str] = []
    framer = Framer(session, feedback.append)
    framer.expect("xStatus A", "t1", "a")
    framer.expect("xStatus B", "t2", "b")
    lines = [
        "*s B: 2", '** resultId: "t2"', "** end", "", "OK",
        "*s Volume: 5", "** end",
        "*s A: 1", '** resultId: "t1"', "** end", "", "ERROR",
    ]  # fmt: skip
    out = [r for r in map(framer.feed_line, lines) if r]
    assert [(r.key, r.lines[0], r.failed) for r in out] == [("b", "*s B: 2", False), ("a", "*s A: 1", True)]
    assert feedback == ["*s Volume: 5", "** end"] and not framer.busy

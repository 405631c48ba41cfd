"""What the simulated codecs report for readiness checks, over real SSH: the device clock, NTP
state and in-call media statistics, as the vendors document them (``docs/devices/*.md``).

These tests speak to the simulator as a device, with asyncssh and the control API only: no
driver and no profile, so they check the device's behaviour, not our reading of it.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncssh
import pytest

from endpoints.sim import ControlServer, Fleet, SimEndpoint, control_request

PASSWORD = "sim-password"
SLACK_S = 5.0  # whole-second clocks plus the round trip, on a machine busy with other tests
REMOTE = "sip:so-noi-vu@vc.example.gov.vn"


class Session:
    """One SSH shell on a simulated codec: send a line, read up to the end of its reply."""

    def __init__(self, process: asyncssh.SSHClientProcess[str], done: Callable[[str], bool]) -> None:
        self.process = process
        self.done = done

    async def read(self) -> str:
        text = ""
        while not self.done(text):
            chunk = await asyncio.wait_for(self.process.stdout.read(65536), 5)
            assert chunk, f"the session ended; so far {text!r}"
            text += chunk
        return text

    async def ask(self, line: str) -> str:
        self.process.stdin.write(line + "\r\n")
        return await self.read()


def _cisco_done(text: str) -> bool:
    """A terminal reply ends ``OK``/``ERROR``; a JSON one with its closing brace; XML with
    ``</XmlDoc>``."""
    return text.endswith(("\r\nOK\r\n", "\r\nERROR\r\n", "\r\n}\r\n", "</XmlDoc>\r\n"))


def _poly_done(text: str) -> bool:
    return text.endswith("-> ")


class Device:
    def __init__(self, fleet: Fleet, endpoint: SimEndpoint, control_file: Path) -> None:
        self.fleet = fleet
        self.endpoint = endpoint
        self.control_file = control_file

    async def set(self, **fields: object) -> dict[str, object]:
        request = {"op": "set", "endpoint": self.endpoint.state.name, **fields}
        return await control_request(self.control_file, request)

    async def shell(self, conn: asyncssh.SSHClientConnection) -> tuple[Session, str]:
        """A shell and what the device printed at login."""
        process = await conn.create_process(term_type=None, encoding="utf-8")
        if self.endpoint.family == "poly-group":
            session = Session(process, _poly_done)
            return session, await session.read()
        session = Session(process, lambda text: "Last login" in text and text.endswith("\r\n\r\n"))
        banner = await session.read()
        session.done = _cisco_done
        return session, banner


@pytest.fixture
async def fleet(tmp_path: Path) -> AsyncIterator[tuple[Fleet, Path]]:
    async with Fleet(2, profiles=["cisco-roomos", "poly-group"], password=PASSWORD) as f:
        control = ControlServer(f)
        control_file = tmp_path / "control.json"
        await control.start(control_file)
        try:
            yield f, control_file
        finally:
            await control.stop()


@pytest.fixture
def cisco(fleet: tuple[Fleet, Path]) -> Device:
    return Device(fleet[0], fleet[0].endpoints[0], fleet[1])


@pytest.fixture
def poly(fleet: tuple[Fleet, Path]) -> Device:
    return Device(fleet[0], fleet[0].endpoints[1], fleet[1])


@asynccontextmanager
async def login(device: Device) -> AsyncIterator[asyncssh.SSHClientConnection]:
    ep = device.endpoint
    async with asyncssh.connect(
        "127.0.0.1", ep.port, username="admin", password=PASSWORD, known_hosts=None
    ) as conn:
        yield conn


def status_value(reply: str, path: str) -> str:
    """The value of ``*s <path>: <value>`` in a terminal reply, without its quotes."""
    match = re.search(rf"^\*s {re.escape(path)}: (.*?)\r$", reply, re.MULTILINE)
    assert match, f"no {path} in {reply!r}"
    return match.group(1).strip('"')


def system_time(reply: str) -> datetime:
    """``2021-03-02T14:06:31-0500``: local time, numeric offset without a colon, whole seconds."""
    text = status_value(reply, "Time SystemTime")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", text), text
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")


def skew_s(device_time: datetime) -> float:
    return (device_time - datetime.now(UTC)).total_seconds()


# --- Cisco: Time SystemTime ---------------------------------------------------------------


async def test_cisco_system_time_is_local_time_moved_by_the_clock_offset(cisco: Device) -> None:
    async with login(cisco) as conn:
        sh, _ = await cisco.shell(conn)
        reply = await sh.ask("xStatus Time SystemTime")
        assert reply.endswith("** end\r\n\r\nOK\r\n")
        now = system_time(reply)
        assert now.utcoffset() == timedelta(0)  # factory Time Zone: Etc/UTC
        assert abs(skew_s(now)) <= SLACK_S

        assert "OK" in await sh.ask("xConfiguration Time Zone: Asia/Ho_Chi_Minh")
        local = system_time(await sh.ask("xStatus Time"))  # a partial path answers too
        assert local.utcoffset() == ZoneInfo("Asia/Ho_Chi_Minh").utcoffset(datetime.now())
        assert abs(skew_s(local)) <= SLACK_S

        reply = await cisco.set(clock_offset_s=300)
        assert reply["ok"] and reply["endpoint"]["clock_offset_s"] == 300  # type: ignore[index]
        ahead = system_time(await sh.ask("xStatus Time SystemTime"))
        assert abs(skew_s(ahead) - 300) <= SLACK_S

        assert (await cisco.set(clock_offset_s=-90.5))["ok"]
        behind = system_time(await sh.ask("xStatus Time SystemTime"))
        assert abs(skew_s(behind) + 90.5) <= SLACK_S


async def test_cisco_system_time_in_json_and_xml(cisco: Device) -> None:
    assert (await cisco.set(clock_offset_s=-3600))["ok"]
    async with login(cisco) as conn:
        sh, _ = await cisco.shell(conn)
        sh.process.stdin.write("xPreferences OutputMode JSON\r\n")
        await asyncio.sleep(0.2)  # switching to JSON prints no reply
        reply = await sh.ask('xStatus Time SystemTime | resultId="t1"')
        doc = json.loads(reply[reply.index("{") :])
        assert doc["ResultId"] == "t1"
        text = doc["Status"]["Time"]["SystemTime"]["Value"]
        assert abs(skew_s(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")) + 3600) <= SLACK_S

        sh.process.stdin.write("xPreferences OutputMode XML\r\n")
        await asyncio.sleep(0.2)
        reply = await sh.ask("xStatus Time")
        match = re.search(r"<Time>\s*<SystemTime>([^<]+)</SystemTime>\s*</Time>", reply)
        assert match, reply
        assert abs(skew_s(datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S%z")) + 3600) <= SLACK_S


# --- Cisco: NetworkServices NTP -----------------------------------------------------------


async def test_cisco_ntp_status_follows_ntp_synced(cisco: Device) -> None:
    async with login(cisco) as conn:
        sh, _ = await cisco.shell(conn)
        reply = await sh.ask("xStatus NetworkServices NTP")
        assert status_value(reply, "NetworkServices NTP Status") == "Synced"
        # the schema's factory default for every server
        assert status_value(reply, "NetworkServices NTP CurrentAddress") == "0.tandberg.pool.ntp.org"
        assert status_value(reply, "NetworkServices NTP Server 1 Address") == "0.tandberg.pool.ntp.org"

        assert "OK" in await sh.ask('xConfiguration NetworkServices NTP Server 1 Address: "ntp.tinh.gov.vn"')
        assert (await cisco.set(ntp_synced=False))["ok"]
        reply = await sh.ask("xStatus NetworkServices NTP Status")
        assert status_value(reply, "NetworkServices NTP Status") == "NotSynced"
        reply = await sh.ask("xStatus NetworkServices NTP CurrentAddress")
        assert status_value(reply, "NetworkServices NTP CurrentAddress") == "ntp.tinh.gov.vn"

        assert (await cisco.set(ntp_synced=True))["ok"]
        reply = await sh.ask("xStatus NetworkServices NTP Status")
        assert status_value(reply, "NetworkServices NTP Status") == "Synced"
        assert "OK" in await sh.ask("xConfiguration NetworkServices NTP Mode: Off")
        reply = await sh.ask("xStatus NetworkServices NTP Status")
        assert status_value(reply, "NetworkServices NTP Status") == "Off"


# --- Cisco: MediaChannels Netstat -----------------------------------------------------------


def netstat(reply: str) -> dict[int, dict[str, str]]:
    """Channel id -> its leaves (``Direction``, ``Type``, ``Netstat Loss``, ...)."""
    channels: dict[int, dict[str, str]] = {}
    for channel, name, value in re.findall(
        r"^\*s MediaChannels Call \d+ Channel (\d+) (.+?): (.*?)\r$", reply, re.MULTILINE
    ):
        channels.setdefault(int(channel), {})[name] = value.strip('"')
    return channels


def incoming_totals(channels: dict[int, dict[str, str]]) -> tuple[int, int]:
    """(Loss, Packets) summed over incoming channels."""
    incoming = [c for c in channels.values() if c["Direction"] == "Incoming"]
    assert len(incoming) == 2
    return sum(int(c["Netstat Loss"]) for c in incoming), sum(int(c["Netstat Packets"]) for c in incoming)


async def test_cisco_netstat_counters_are_cumulative_since_the_channel_opened(cisco: Device) -> None:
    assert (await cisco.set(packet_loss_pct=2.0, jitter_ms=9, call={"remote": REMOTE, "rate": 1920}))["ok"]
    call = cisco.endpoint.state.call
    assert call is not None
    call.started = time.monotonic() - 60  # a call a minute old: whole intervals behind it
    async with login(cisco) as conn:
        sh, _ = await cisco.shell(conn)
        first = netstat(await sh.ask("xStatus MediaChannels Call"))
        await asyncio.sleep(2.1)
        second = netstat(await sh.ask(f"xStatus MediaChannels Call {call.call_id}"))
    assert sorted(first) == sorted(second) and len(first) == 4
    assert {(c["Direction"], c["Type"]) for c in first.values()} == {
        ("Incoming", "Audio"),
        ("Incoming", "Video"),
        ("Outgoing", "Audio"),
        ("Outgoing", "Video"),
    }
    lost1, packets1 = incoming_totals(first)
    lost2, packets2 = incoming_totals(second)
    # ~60 s at ~50 + ~200 pps: far more than one 5 s interval, so cumulative
    assert packets1 > 50 * 5 * 10
    assert packets2 > packets1 and lost2 > lost1
    # Loss is 2 % of what was sent; Packets counts what arrived
    assert lost2 / packets2 == pytest.approx(0.02, abs=0.002)
    assert lost2 / (lost2 + packets2) == pytest.approx(0.02, abs=0.001)
    delta_lost, delta_packets = lost2 - lost1, packets2 - packets1
    assert delta_lost / (delta_lost + delta_packets) == pytest.approx(0.02, abs=0.005)
    for channel in second.values():
        assert int(channel["Netstat Jitter"]) == 9
        assert int(channel["Netstat MaxJitter"]) >= 9
        received, lost = (
            int(channel["Netstat LastIntervalReceived"]),
            int(channel["Netstat LastIntervalLost"]),
        )
        if channel["Type"] == "Audio":  # 50 pps for one 5 s interval, 2 % of it lost
            assert (received, lost) == (245, 5)
        assert lost / (received + lost) == pytest.approx(0.02, abs=0.002)
        assert received < int(channel["Netstat Packets"])


# --- Poly: Local Time is ----------------------------------------------------------------------


def local_time(block: str) -> datetime:
    match = re.search(r"^Local Time is:(.*?)\r*$", block, re.MULTILINE)
    assert match, block
    value = match.group(1).strip()
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}", value), value
    return parsedate_to_datetime(value)


async def test_poly_whoami_local_time_moves_with_the_clock_offset(poly: Device) -> None:
    async with login(poly) as conn:
        sh, greeting = await poly.shell(conn)
        at_login = local_time(greeting)
        assert at_login.utcoffset() == timedelta(hours=7)  # Asia/Ho_Chi_Minh
        assert abs(skew_s(at_login)) <= SLACK_S

        assert (await poly.set(clock_offset_s=-120))["ok"]
        reply = await sh.ask("whoami")
        assert "Hi, my name is : " in reply
        assert abs(skew_s(local_time(reply)) + 120) <= SLACK_S

        assert (await poly.set(clock_offset_s=7200))["ok"]
        assert abs(skew_s(local_time(await sh.ask("whoami"))) - 7200) <= SLACK_S


# --- Poly: advnetstats, status --------------------------------------------------------------

ADVNETSTATS = re.compile(
    r"call:0 tar:\d+ K rar:\d+ K tvr:\d+ K rvr:\d+ K\r\r\n"
    r"tvru:\d+ K rvru:\d+ K tvfr:\d+ rvfr:\d+ vfe:\d+\r\r\n"
    r"tapl:(?P<tapl>\S+) rapl:(?P<rapl>\S+) taj:(?P<taj>\S+(?: ms)?) raj:(?P<raj>\S+(?: ms)?) "
    r"tvpl:(?P<tvpl>\S+) rvpl:(?P<rvpl>\S+)\r\r\n"
    r"tvj:(?P<tvj>\S+(?: ms)?) rvj:(?P<rvj>\S+(?: ms)?) dc:\w+ rsid:(?P<rsid>\S+) ccaps:\S+\r\r\n"
)


def advnetstats(reply: str) -> dict[str, str]:
    """The fields of one ``advnetstats`` reply (after its echo, before the prompt)."""
    body = reply.split("\r\n", 1)[1].removesuffix("-> ")
    match = ADVNETSTATS.fullmatch(body)
    assert match, body
    return match.groupdict()


async def test_poly_status_and_advnetstats_in_sip_and_h323_calls(poly: Device) -> None:
    assert (await poly.set(packet_loss_pct=1.0, jitter_ms=12))["ok"]
    async with login(poly) as conn:
        sh, _ = await poly.shell(conn)
        assert (await sh.ask("status")).split("\r\n")[1] == "inacall offline\r"
        assert "\r\nsystem is not in a call\r\r\n" in await sh.ask("advnetstats")

        # SIP: loss and jitter are "H.323 calls only"
        assert (await poly.set(call={"remote": REMOTE, "rate": 1024}))["ok"]
        assert (await sh.ask("status")).split("\r\n")[1] == "inacall online\r"
        sip = advnetstats(await sh.ask("advnetstats"))
        assert sip == {
            "tapl": "---",
            "rapl": "---",
            "taj": "---",
            "raj": "---",
            "tvpl": "---",
            "rvpl": "---",
            "tvj": "---",
            "rvj": "---",
            "rsid": REMOTE,
        }
        assert advnetstats(await sh.ask("advnetstats 0")) == sip
        assert "\r\nsystem is not in a call\r\r\n" in await sh.ask("advnetstats 1")
        assert "\r\nerror: command has illegal parameters\r\r\n" in await sh.ask("advnetstats x")
        assert (await poly.set(call=None))["ok"]

        # H.323: cumulative lost-packet counts and jitter in ms
        assert "dialing manual" in await sh.ask("dial manual 1024 10.1.0.84 h323")
        call = poly.endpoint.state.call
        assert call is not None and call.status == "connected" and call.protocol == "h323"
        call.started = time.monotonic() - 100
        h323 = advnetstats(await sh.ask("advnetstats 0"))
        assert h323["rsid"] == "10.1.0.84"
        assert (h323["taj"], h323["raj"], h323["tvj"], h323["rvj"]) == ("12 ms",) * 4
        assert h323["rapl"] == h323["tapl"] == "50"  # 1 % of 100 s at 50 pps
        assert int(h323["rvpl"]) == int(h323["tvpl"]) > 50  # more video packets than audio
        call.started -= 100
        later = advnetstats(await sh.ask("advnetstats"))
        assert int(later["rapl"]) == 100 and int(later["rvpl"]) > int(h323["rvpl"])  # cumulative


# --- the control API refuses bad values --------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"clock_offset_s": "abc"},
        {"clock_offset_s": True},
        {"clock_offset_s": None},
        {"clock_offset_s": float("nan")},
        {"clock_offset_s": float("inf")},
        {"clock_offset_s": 1e300},
        {"ntp_synced": "yes"},
        {"ntp_synced": 1},
        {"jitter_ms": -1},
        {"jitter_ms": "9"},
        {"jitter_ms": 5, "clock_offset_s": "later"},  # nothing changes when one field is bad
        {"clock_skew": 5},
    ],
)
async def test_set_refuses_bad_clock_ntp_and_jitter_values(cisco: Device, fields: dict[str, object]) -> None:
    before = cisco.endpoint.state.summary()
    reply = await cisco.set(**fields)
    assert reply["ok"] is False
    assert isinstance(reply["error"], str) and reply["error"]
    after = cisco.endpoint.state.summary()
    for name in ("clock_offset_s", "ntp_synced", "jitter_ms"):
        assert after[name] == before[name]
    assert (await cisco.set(clock_offset_s=1))["ok"]  # the server is still there


async def test_set_accepts_the_new_fields(poly: Device) -> None:
    reply = await poly.set(clock_offset_s=-30, ntp_synced=False, jitter_ms=40.5)
    assert reply["ok"], reply
    summary = reply["endpoint"]
    assert isinstance(summary, dict)
    assert (summary["clock_offset_s"], summary["ntp_synced"], summary["jitter_ms"]) == (-30, False, 40.5)
    state = poly.endpoint.state
    assert (state.clock_offset_s, state.ntp_synced, state.jitter_ms) == (-30.0, False, 40.5)

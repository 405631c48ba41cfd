"""The Group Series shell on its own: text in, text out, against the sources in its docstring."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from endpoints.sim.group_series import GroupSeriesShell
from endpoints.sim.shell import EVENT_KINDS, DeviceHooks
from endpoints.sim.state import CallState, EndpointState

R = "\r\r\n"  # reply line ending over SSH
E = "\r\n"  # echo line ending
P = "-> "
NOT_FOUND = "error: command not found" + R
NEED_MORE = "error: command needs more parameters to execute successfully" + R
ILLEGAL = "error: command has illegal parameters" + R
EPOCH = 1_700_000_000.0
LOCAL = "Wed, 15 Nov 2023 05:13:20 +0700"  # EPOCH in Asia/Ho_Chi_Minh, RFC 2822 as [CCC] shows it


@dataclass
class Recorder:
    """Device hooks that only write down what the shell asked for."""

    dials: list[CallState] = field(default_factory=list)
    hangups: list[int | None] = field(default_factory=list)
    upgrades: list[str] = field(default_factory=list)
    reboots: int = 0
    hangup_result: bool = True

    def hooks(self) -> DeviceHooks:
        def hangup(call_id: int | None) -> bool:
            self.hangups.append(call_id)
            return self.hangup_result

        def reboot() -> None:
            self.reboots += 1

        return DeviceHooks(dial=self.dials.append, hangup=hangup, upgrade=self.upgrades.append, reboot=reboot)


def make_state(name: str = "Phong hop 1", index: int = 7) -> EndpointState:
    return EndpointState(
        name=name,
        unit="unit-7",
        family="poly-group",
        model="RealPresence Group 500",
        firmware=GroupSeriesShell.firmware,
        serial="8213456789AB",
        config=GroupSeriesShell.initial_config(name, index),
    )


def make_shell(
    state: EndpointState | None = None, *variants: str, recorder: Recorder | None = None
) -> GroupSeriesShell:
    shell = GroupSeriesShell(state or make_state(), (recorder or Recorder()).hooks(), frozenset(variants))
    shell.clock = lambda: EPOCH
    return shell


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def state() -> EndpointState:
    return make_state()


@pytest.fixture
def shell(state: EndpointState, rec: Recorder) -> GroupSeriesShell:
    return make_shell(state, recorder=rec)


def run(shell: GroupSeriesShell, line: str) -> str:
    """The reply lines only, checking the echo before and the prompt after them."""
    pieces, ends = shell.handle(line)
    assert not ends
    assert pieces[0] == line + E
    assert pieces[-1] == P
    return "".join(pieces[1:-1])


def greeting(name: str = "Phong hop 1", calls: int = 0, eol: str = R) -> str:
    lines = [
        f"Hi, my name is : {name}",
        "Here is what I know about myself:",
        "Model: RealPresence Group 500",
        "Serial Number: 8213456789AB",
        "Software Version: 6.2.2.8",
        "Build Information: Release-6.2.2.8",
        "Contact Number: ",
        "Time In Last Call: 0:00:00",
        f"Total Calls: {calls}",
        "Total Time In Calls: 0:00:00",
        "SNTP Time Service: auto insync",
        f"Local Time is: {LOCAL}",
        "IP Video Number: 10.0.0.7",
        "MP Enabled: False",
        "H323 Enabled: True",
        "HTTP Enabled: True",
        "SNMP Enabled: True",
    ]
    return "".join(line + eol for line in lines)


def connect(state: EndpointState, rec: Recorder, shell: GroupSeriesShell, line: str) -> CallState:
    """Dial through the shell and play the device's part: the call comes up."""
    assert run(shell, line) == "dialing manual" + R
    call = rec.dials[-1]
    call.status = "connected"
    return call


# --- class attributes and factory settings ----------------------------------------------


def test_class_attributes() -> None:
    assert GroupSeriesShell.family == "poly-group"
    assert GroupSeriesShell.models == (
        "RealPresence Group 310",
        "RealPresence Group 500",
        "RealPresence Group 700",
    )
    assert GroupSeriesShell.firmware == "6.2.2.8"
    assert GroupSeriesShell.reboot_seconds == 120.0
    assert set(GroupSeriesShell.VARIANTS) == {
        "banner",
        "no_echo",
        "crlf",
        "late_greeting",
        "always_quote",
        "session_registrations",
        "repeat_success",
    }


def test_unknown_variant_is_refused(state: EndpointState, rec: Recorder) -> None:
    with pytest.raises(ValueError, match="unknown poly-group variant"):
        GroupSeriesShell(state, rec.hooks(), frozenset({"telepathy"}))


def test_initial_config() -> None:
    assert GroupSeriesShell.initial_config("Room A", 300) == {
        "systemname": "Room A",
        "h323name": "Room A",
        "e164ext": "1300",
        "gatekeeperip": "",
        "ipaddress": "10.0.1.44",
        "sipenable": "True",
        "sipproxyserver": "",
        "sipregistrarserver": "",
        "sipusername": "",
        "sipaccountname": "",
        "selfview": "Auto",
    }


# --- login, prompt, echo -----------------------------------------------------------------


def test_login_prints_the_whoami_block_then_the_prompt(shell: GroupSeriesShell) -> None:
    assert shell.login() == greeting() + P


def test_login_uses_the_stored_system_name_with_utf8(state: EndpointState, rec: Recorder) -> None:
    state.config["systemname"] = "판교 6층 영상회의실"
    assert make_shell(state, recorder=rec).login().startswith("Hi, my name is : 판교 6층 영상회의실\r\r\n")


def test_banner_variant(state: EndpointState) -> None:
    out = make_shell(state, "banner").login()
    header = (
        "Polycom Command Shell\r\r\n"
        "XCOM host:    localhost port: 4121\r\r\n"
        "TTY name:     /dev/pts/0\r\r\n"
        "Session type: ssh\r\r\n"
    )
    assert out == header + greeting() + P


def test_whoami_repeats_the_block_and_counts_calls(
    state: EndpointState, rec: Recorder, shell: GroupSeriesShell
) -> None:
    connect(state, rec, shell, 'dial manual 384 "10.1.0.84"')
    assert run(shell, "whoami") == greeting(calls=1)


def test_echo_then_reply_then_prompt_and_reply_may_equal_the_command(shell: GroupSeriesShell) -> None:
    assert shell.handle("mute near on") == (["mute near on\r\n", "mute near on\r\r\n", P], False)


def test_empty_line_gets_echo_and_prompt_and_is_not_recorded(
    shell: GroupSeriesShell, state: EndpointState
) -> None:
    assert shell.handle("") == (["\r\n", P], False)
    assert shell.handle("   ") == (["   \r\n", P], False)
    assert state.commands == []


def test_unknown_command_is_echoed_and_refused(shell: GroupSeriesShell, state: EndpointState) -> None:
    assert shell.handle("frobnicate now") == (["frobnicate now\r\n", NOT_FOUND, P], False)
    assert run(shell, "Whoami") == NOT_FOUND  # keywords are case-sensitive
    assert state.commands == ["frobnicate now", "Whoami"]


def test_no_echo_variant(state: EndpointState) -> None:
    shell = make_shell(state, "no_echo")
    assert shell.handle("mute near get") == (["mute near off\r\r\n", P], False)


def test_cmdecho_off_and_on(shell: GroupSeriesShell) -> None:
    assert shell.handle("cmdecho off") == (["cmdecho off\r\n", "cmdecho off\r\r\n", P], False)
    assert shell.handle("mute near get") == (["mute near off\r\r\n", P], False)
    assert shell.handle("cmdecho on") == (["cmdecho on\r\r\n", P], False)
    assert shell.handle("mute near get")[0][0] == "mute near get\r\n"
    assert run(shell, "cmdecho") == NEED_MORE
    assert run(shell, "cmdecho maybe") == ILLEGAL


def test_crlf_variant(state: EndpointState) -> None:
    shell = make_shell(state, "crlf")
    assert shell.login() == greeting(eol="\r\n") + P
    assert shell.handle("mute near get") == (["mute near get\r\n", "mute near off\r\n", P], False)


def test_late_greeting_variant(state: EndpointState) -> None:
    shell = make_shell(state, "late_greeting")
    assert shell.login() == P
    first, _ = shell.handle("callinfo all")
    assert first == [greeting(), "callinfo all\r\n", "system is not in a call\r\r\n", P]
    assert shell.handle("callinfo all")[0] == ["callinfo all\r\n", "system is not in a call\r\r\n", P]


def test_exit_ends_the_session_without_reply(shell: GroupSeriesShell, state: EndpointState) -> None:
    assert shell.handle("exit") == (["exit\r\n"], True)
    assert state.commands == ["exit"]


# --- split -------------------------------------------------------------------------------


@pytest.mark.parametrize("eol", ["\r", "\r\n", "\n"])
def test_split_accepts_every_terminator(shell: GroupSeriesShell, eol: str) -> None:
    assert shell.split(f"whoami{eol}mute near get{eol}call") == (["whoami", "mute near get"], "call")


def test_split_keeps_a_partial_line(shell: GroupSeriesShell) -> None:
    assert shell.split("mute ne") == ([], "mute ne")
    assert shell.split("") == ([], "")


def test_split_crlf_across_two_reads_is_one_terminator(shell: GroupSeriesShell) -> None:
    assert shell.split("whoami\r") == (["whoami"], "")
    assert shell.split("\nstatus\r\n") == (["status"], "")
    assert shell.split("\n") == ([""], "")  # a genuine empty line afterwards


def test_split_lone_cr_then_other_text(shell: GroupSeriesShell) -> None:
    assert shell.split("a\r") == (["a"], "")
    assert shell.split("b\n") == (["b"], "")


# --- identity, version, uptime -----------------------------------------------------------


def test_version_serialnum_ipaddress(shell: GroupSeriesShell) -> None:
    assert run(shell, "version") == "version 6.2.2.8" + R
    assert run(shell, "serialnum") == "serialnum 8213456789AB" + R
    assert run(shell, "ipaddress get") == "ipaddress 10.0.0.7" + R
    assert run(shell, "ipaddress") == NEED_MORE
    assert run(shell, "ipaddress set 1.2.3.4") == ILLEGAL


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 Minutes"),
        (59, "0 Minutes"),
        (60, "1 Minute"),
        (4200, "1 Hour, 10 Minutes"),
        (7200, "2 Hours"),
        (90000, "1 Day, 1 Hour"),
        (2 * 86400 + 3 * 3600 + 5 * 60, "2 Days, 3 Hours, 5 Minutes"),
    ],
)
def test_uptime(state: EndpointState, shell: GroupSeriesShell, seconds: int, text: str) -> None:
    state.booted_at = time.monotonic() - seconds - 0.5
    assert run(shell, "uptime get") == text + R


def test_uptime_arguments(shell: GroupSeriesShell) -> None:
    assert run(shell, "uptime") == NEED_MORE
    assert run(shell, "uptime set 5") == ILLEGAL


def test_echo_command(shell: GroupSeriesShell) -> None:
    assert run(shell, "echo #endcmd#") == "#endcmd#" + R
    assert run(shell, 'echo "two  words" x') == "two  words x" + R
    assert run(shell, "echo") == R


# --- named settings: systemname, h323name, e164ext, gatekeeperip -------------------------


def test_systemname_get_and_set(shell: GroupSeriesShell, state: EndpointState) -> None:
    assert run(shell, "systemname get") == 'systemname "Phong hop 1"' + R
    assert run(shell, 'systemname set "Hall B"') == 'systemname "Hall B"' + R
    assert run(shell, "systemname set HallC") == "systemname HallC" + R
    assert run(shell, "systemname get") == "systemname HallC" + R
    assert state.config["systemname"] == "HallC"
    assert state.name == "Phong hop 1"  # the fleet's name is not the device setting
    assert state.stats.config_writes == 2
    assert run(shell, "whoami").startswith("Hi, my name is : HallC\r\r\n")


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        ("systemname set", NEED_MORE),
        ('systemname set ""', NEED_MORE),
        ('systemname set "$money"', ILLEGAL),
        ('systemname set "_under"', ILLEGAL),
        ("systemname set " + "x" * 65, ILLEGAL),
        ('systemname set "a"b"', ILLEGAL),
        ('systemname set "open', ILLEGAL),
        ("systemname set two words", ILLEGAL),
        ('systemname set "tab\there"', ILLEGAL),
    ],
)
def test_systemname_refusals_count_as_writes(
    shell: GroupSeriesShell, state: EndpointState, line: str, reply: str
) -> None:
    assert run(shell, line) == reply
    assert state.config["systemname"] == "Phong hop 1"
    assert state.stats.config_writes == 1


def test_systemname_limits_accepted(shell: GroupSeriesShell, state: EndpointState) -> None:
    assert run(shell, "systemname set " + "x" * 64) == "systemname " + "x" * 64 + R
    assert run(shell, r'systemname set "9 back\slash"') == r'systemname "9 back\slash"' + R
    assert state.config["systemname"] == r"9 back\slash"


def test_systemname_bad_forms_are_not_writes(shell: GroupSeriesShell, state: EndpointState) -> None:
    assert run(shell, "systemname") == NEED_MORE
    assert run(shell, "systemname rename x") == ILLEGAL
    assert run(shell, "systemname get extra") == ILLEGAL
    assert state.stats.config_writes == 0


def test_h323name_e164ext_gatekeeperip(shell: GroupSeriesShell, state: EndpointState) -> None:
    assert run(shell, "h323name get") == 'h323name "Phong hop 1"' + R
    assert run(shell, 'h323name set "room7"') == "h323name room7" + R
    assert run(shell, "e164ext get") == "e164ext 1007" + R
    assert run(shell, 'e164ext set "2001"') == "e164ext 2001" + R
    assert run(shell, "e164ext set 20a1") == ILLEGAL
    assert run(shell, "gatekeeperip get") == 'gatekeeperip ""' + R
    assert run(shell, "gatekeeperip set 172.31.254.64") == "gatekeeperip 172.31.254.64" + R
    assert run(shell, "h323name set") == 'h323name ""' + R  # omitting the value erases it
    assert state.config["h323name"] == ""
    assert state.config["e164ext"] == "2001"
    assert state.stats.config_writes == 5


def test_always_quote_variant(state: EndpointState) -> None:
    shell = make_shell(state, "always_quote")
    assert run(shell, "e164ext get") == 'e164ext "1007"' + R
    assert run(shell, "systemsetting get sipenable") == 'systemsetting sipenable "True"' + R


# --- systemsetting -----------------------------------------------------------------------


def test_systemsetting_get(shell: GroupSeriesShell) -> None:
    assert run(shell, "systemsetting get model") == 'systemsetting model "RealPresence Group 500"' + R
    assert run(shell, "systemsetting get sipregistrarserver") == 'systemsetting sipregistrarserver ""' + R
    assert run(shell, "systemsetting get selfview") == "systemsetting selfview Auto" + R


def test_systemsetting_write_without_set_keyword(shell: GroupSeriesShell, state: EndpointState) -> None:
    assert run(shell, "systemsetting sipregistrarserver 172.31.254.64") == (
        "systemsetting sipregistrarserver 172.31.254.64" + R
    )
    assert run(shell, "systemsetting get sipregistrarserver") == (
        "systemsetting sipregistrarserver 172.31.254.64" + R
    )
    assert run(shell, 'systemsetting sipproxyserver "sip.example.vn"') == (
        "systemsetting sipproxyserver sip.example.vn" + R
    )
    assert run(shell, 'systemsetting sipusername "Phong Hop"') == 'systemsetting sipusername "Phong Hop"' + R
    assert run(shell, "systemsetting sipaccountname room7") == "systemsetting sipaccountname room7" + R
    assert run(shell, "systemsetting sipenable false") == "systemsetting sipenable False" + R
    assert run(shell, "systemsetting selfview on") == "systemsetting selfview On" + R
    assert run(shell, 'systemsetting sipproxyserver ""') == 'systemsetting sipproxyserver ""' + R
    assert state.config["sipregistrarserver"] == "172.31.254.64"
    assert state.config["sipusername"] == "Phong Hop"
    assert state.config["sipenable"] == "False"
    assert state.config["sipproxyserver"] == ""
    assert state.stats.config_writes == 7


@pytest.mark.parametrize(
    ("line", "reply", "writes"),
    [
        ("systemsetting", NEED_MORE, 0),
        ("systemsetting get", NEED_MORE, 0),
        ("systemsetting get sipdisplayname", NOT_FOUND, 0),
        ("systemsetting get model extra", ILLEGAL, 0),
        ("systemsetting set sipusername x", NOT_FOUND, 1),
        ("systemsetting sipdisplayname x", NOT_FOUND, 1),
        ("systemsetting sipusername", NEED_MORE, 1),
        ("systemsetting sipusername a b", ILLEGAL, 1),
        ('systemsetting sipusername "a"b"', ILLEGAL, 1),
        ('systemsetting model "Group 900"', ILLEGAL, 1),
        ("systemsetting selfview sideways", ILLEGAL, 1),
        ("systemsetting sipenable yes", ILLEGAL, 1),
        ("systemsetting sipproxyserver " + "a" * 256, ILLEGAL, 1),
    ],
)
def test_systemsetting_refusals(
    shell: GroupSeriesShell, state: EndpointState, line: str, reply: str, writes: int
) -> None:
    before = dict(state.config)
    assert run(shell, line) == reply
    assert state.config == before
    assert state.stats.config_writes == writes


@pytest.mark.parametrize(
    "line",
    [
        "ntpmode manual",
        'ntpserver set "pool.ntp.org"',
        "dialingrate 768",
        "defaultcallrate 768",
        "sipproxyserver get",
        "softupdate http://x/y.pup",
    ],
)
def test_undocumented_commands_are_unknown(shell: GroupSeriesShell, line: str) -> None:
    assert run(shell, line) == NOT_FOUND


# --- dial, hangup, call reports ----------------------------------------------------------


def test_dial_manual_sip(shell: GroupSeriesShell, state: EndpointState, rec: Recorder) -> None:
    assert run(shell, 'dial manual 768 "sip:alice@example.vn" sip') == "dialing manual" + R
    (call,) = rec.dials
    assert call is state.call
    assert (call.call_id, call.remote, call.rate, call.protocol) == (1, "sip:alice@example.vn", 768, "sip")
    assert (call.direction, call.status) == ("outgoing", "dialling")
    assert state.stats.dials == 1
    assert state.next_call_id == 2


@pytest.mark.parametrize(
    ("line", "remote", "rate", "protocol"),
    [
        ('dial manual "1920" "10.1.0.84" h323', "10.1.0.84", 1920, "h323"),
        ("dial manual 384 10.1.0.84 ip", "10.1.0.84", 384, "h323"),
        ('dial manual auto "bob@example.vn"', "bob@example.vn", 384, "sip"),
        ("dial manual 512 10.1.0.84", "10.1.0.84", 512, "h323"),
        ('dial manual 512 "10.1.0.84" "10.1.0.85" h323', "10.1.0.84", 512, "h323"),
        ("dial auto 10.1.0.84", "10.1.0.84", 384, "h323"),
        ('dial auto "256" "10.1.0.84"', "10.1.0.84", 256, "h323"),
    ],
)
def test_dial_forms(
    shell: GroupSeriesShell, rec: Recorder, line: str, remote: str, rate: int, protocol: str
) -> None:
    assert run(shell, line) == "dialing manual" + R
    (call,) = rec.dials
    assert (call.remote, call.rate, call.protocol) == (remote, rate, protocol)


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        ("dial", NEED_MORE),
        ("dial manual", NEED_MORE),
        ("dial manual 384", NEED_MORE),
        ("dial manual fast 10.1.0.84", ILLEGAL),
        ("dial manual 10 10.1.0.84", ILLEGAL),
        ("dial manual 9000 10.1.0.84", ILLEGAL),
        ('dial manual 384 ""', ILLEGAL),
        ("dial manual 384 a b c d", ILLEGAL),
        ('dial manual 384 "x"y"', ILLEGAL),
        ("dial addressbook", NEED_MORE),
        ('dial addressbook "Rostov"', "info: no match(s) found" + R),
        ("dial phone sip", NEED_MORE),
        ('dial phone sip "1234@example.vn"', "info: AUDIO call not enabled" + R),
        ("dial sideways 10.1.0.84", ILLEGAL),
    ],
)
def test_dial_refusals_still_count(
    shell: GroupSeriesShell, state: EndpointState, rec: Recorder, line: str, reply: str
) -> None:
    assert run(shell, line) == reply
    assert state.stats.dials == 1
    assert len(rec.dials) == (1 if reply == "dialing manual" + R else 0)


def test_dial_while_in_a_call(shell: GroupSeriesShell, state: EndpointState, rec: Recorder) -> None:
    connect(state, rec, shell, "dial manual 384 10.1.0.84")
    assert run(shell, "dial manual 384 10.1.0.85") == "info: system is in a call" + R
    assert len(rec.dials) == 1
    assert state.stats.dials == 2


def test_hangup_idle(shell: GroupSeriesShell, rec: Recorder) -> None:
    assert run(shell, "hangup all") == "system is not in a call" + R
    assert run(shell, "hangup video") == "system is not in a call" + R
    assert run(shell, "hangup video 3") == "error: connection 3 is not active" + R
    assert run(shell, "hangup") == NEED_MORE
    assert run(shell, "hangup video x") == ILLEGAL
    assert run(shell, "hangup audio") == ILLEGAL
    assert rec.hangups == []


def test_hangup_all(shell: GroupSeriesShell, state: EndpointState, rec: Recorder) -> None:
    connect(state, rec, shell, "dial manual 384 10.1.0.84")
    assert run(shell, "hangup all") == "hanging up all" + R
    assert rec.hangups == [None]


def test_hangup_video_by_id(shell: GroupSeriesShell, state: EndpointState, rec: Recorder) -> None:
    call = connect(state, rec, shell, "dial manual 384 10.1.0.84")
    assert run(shell, "hangup video 9") == "error: connection 9 is not active" + R
    assert run(shell, f'hangup video "{call.call_id}"') == "hanging up video" + R
    assert run(shell, "hangup video") == "hanging up video" + R
    assert rec.hangups == [call.call_id, None]


def test_hangup_when_the_device_finds_no_call(
    shell: GroupSeriesShell, state: EndpointState, rec: Recorder
) -> None:
    call = connect(state, rec, shell, "dial manual 384 10.1.0.84")
    rec.hangup_result = False
    assert run(shell, f"hangup video {call.call_id}") == f"error: connection {call.call_id} is not active" + R
    assert run(shell, "hangup all") == "system is not in a call" + R


def test_callinfo(shell: GroupSeriesShell, state: EndpointState, rec: Recorder) -> None:
    assert run(shell, "callinfo all") == "system is not in a call" + R
    assert run(shell, "callinfo callid 1") == "system is not in a call" + R
    assert run(shell, "dial manual 384 10.1.0.84") == "dialing manual" + R
    line = "callinfo:1::10.1.0.84:384:connecting:notmuted:outgoing:videocall"
    assert run(shell, "callinfo all") == f"callinfo begin{R}{line}{R}callinfo end{R}"
    rec.dials[0].status = "ringing"
    assert run(shell, "callinfo callid 1") == line.replace("connecting", "ringing") + R
    rec.dials[0].status = "connected"
    run(shell, "mute near on")
    assert run(shell, 'callinfo callid "1"') == (
        "callinfo:1::10.1.0.84:384:connected:muted:outgoing:videocall" + R
    )
    assert run(shell, "callinfo callid 2") == "error: connection 2 is not active" + R
    assert run(shell, "callinfo") == NEED_MORE
    assert run(shell, "callinfo callid") == NEED_MORE
    assert run(shell, "callinfo some") == ILLEGAL


def test_callinfo_incoming(shell: GroupSeriesShell, state: EndpointState) -> None:
    state.new_call("bob@example.vn", 1024, "sip", "incoming")
    assert run(shell, "callinfo all") == (
        f"callinfo begin{R}callinfo:1::bob@example.vn:1024:connected:notmuted:incoming:videocall{R}"
        f"callinfo end{R}"
    )


def test_getcallstate(shell: GroupSeriesShell, state: EndpointState, rec: Recorder) -> None:
    idle = f"cs: call[0] inactive{R}cs: call[1] inactive{R}cs: call[2] inactive{R}"
    assert run(shell, "getcallstate") == idle
    connect(state, rec, shell, "dial manual 1024 10.1.0.84")
    assert run(shell, "getcallstate") == (
        f"cs: call[1] speed[1024] dialstr[10.1.0.84] state[connected]{R}"
        f"cs: call[1] inactive{R}cs: call[2] inactive{R}"
    )


def test_netstats(shell: GroupSeriesShell, state: EndpointState, rec: Recorder) -> None:
    assert run(shell, "netstats") == "system is not in a call" + R
    call = connect(state, rec, shell, "dial manual 384 10.1.0.84 h323")
    assert run(shell, "netstats") == (
        f"call:0 txrate:384 K rxrate:384 K pktloss:0 %pktloss:0.0 %{R}"
        f"tvp:H.264 rvp:H.264 tvf:720p rvf:720p tap:G.722.1 rap:G.722.1 tcp:H.323 rcp:H.323{R}"
    )
    state.packet_loss_pct = 2.5
    call.started = time.monotonic() - 10.5
    call.protocol = "sip"
    assert run(shell, "netstats 0") == (
        f"call:0 txrate:384 K rxrate:384 K pktloss:25 %pktloss:2.5 %{R}"
        f"tvp:H.264 rvp:H.264 tvf:720p rvf:720p tap:G.722.1 rap:G.722.1 tcp:SIP rcp:SIP{R}"
    )


def test_netstats_while_dialling(shell: GroupSeriesShell) -> None:
    run(shell, "dial manual 384 10.1.0.84")
    assert run(shell, "netstats") == "system is not in a call" + R


def test_advnetstats(shell: GroupSeriesShell, state: EndpointState, rec: Recorder) -> None:
    """The four lines of the [AVI] sample; loss and jitter only in an H.323 call."""
    assert run(shell, "advnetstats") == "system is not in a call" + R
    state.packet_loss_pct = 2.0
    state.jitter_ms = 7.4
    call = connect(state, rec, shell, "dial manual 384 10.1.0.84 h323")
    call.started = time.monotonic() - 10.5
    h323 = (
        f"call:0 tar:64 K rar:64 K tvr:320 K rvr:320 K{R}"
        f"tvru:288 K rvru:288 K tvfr:30 rvfr:30 vfe:0{R}"
        f"tapl:10 rapl:10 taj:7 ms raj:7 ms tvpl:7 rvpl:7{R}"
        f"tvj:7 ms rvj:7 ms dc:Disabled rsid:10.1.0.84 ccaps:---{R}"
    )
    assert run(shell, "advnetstats") == h323
    assert run(shell, "advnetstats 0") == h323
    assert run(shell, "advnetstats 1") == "system is not in a call" + R
    assert run(shell, "advnetstats all") == ILLEGAL
    assert run(shell, "advnetstats 0 1") == ILLEGAL
    call.protocol = "sip"
    call.rate = 128
    assert run(shell, "advnetstats") == (
        f"call:0 tar:32 K rar:32 K tvr:96 K rvr:96 K{R}"
        f"tvru:86 K rvru:86 K tvfr:30 rvfr:30 vfe:0{R}"
        f"tapl:--- rapl:--- taj:--- raj:--- tvpl:--- rvpl:---{R}"
        f"tvj:--- rvj:--- dc:Disabled rsid:10.1.0.84 ccaps:---{R}"
    )


def test_advnetstats_while_dialling(shell: GroupSeriesShell) -> None:
    run(shell, "dial manual 384 10.1.0.84")
    assert run(shell, "advnetstats") == "system is not in a call" + R


def test_local_time_follows_the_clock_offset(shell: GroupSeriesShell, state: EndpointState) -> None:
    state.clock_offset_s = 300.0
    assert "Local Time is: Wed, 15 Nov 2023 05:18:20 +0700" + R in run(shell, "whoami")
    state.clock_offset_s = -86400.0
    assert "Local Time is: Tue, 14 Nov 2023 05:13:20 +0700" + R in run(shell, "whoami")


# --- mute, status, reboot --------------------------------------------------------------


def test_mute(shell: GroupSeriesShell, state: EndpointState) -> None:
    assert run(shell, "mute near get") == "mute near off" + R
    assert run(shell, "mute near on") == "mute near on" + R
    assert state.muted
    assert run(shell, "mute near toggle") == "mute near off" + R
    assert run(shell, "mute near toggle") == "mute near on" + R
    assert run(shell, "mute near off") == "mute near off" + R
    assert not state.muted
    assert run(shell, "mute far get") == "mute far off" + R
    assert run(shell, "mute near") == NEED_MORE
    assert run(shell, "mute") == NEED_MORE
    assert run(shell, "mute near loud") == ILLEGAL
    assert run(shell, "mute register") == "mute registered" + R
    assert run(shell, "mute register") == "info: event/notification already active:mute" + R
    assert run(shell, "mute unregister") == "mute unregistered" + R


def test_status(shell: GroupSeriesShell, state: EndpointState, rec: Recorder) -> None:
    expected = [
        "inacall offline",
        "autoanswerp2p online",
        "remotecontrol online",
        "microphones online",
        "camera online",
        "visualboard online",
        "globaldirectory offline",
        "ipnetwork online",
        "gatekeeper offline",
        "sipserver online",
        "logthreshold offline",
        "meetingpassword offline",
        "rpms offline",
        "status end",
    ]
    assert run(shell, "status") == "".join(line + R for line in expected)
    connect(state, rec, shell, "dial manual 384 10.1.0.84")
    state.camera_connected = False
    state.microphones_connected = False
    state.sip_registered = False
    state.config["gatekeeperip"] = "172.31.254.64"
    out = run(shell, "status")
    for line in (
        "inacall online",
        "microphones offline",
        "camera offline",
        "gatekeeper online",
        "sipserver offline",
    ):
        assert line + R in out


def test_reboot_now(shell: GroupSeriesShell, state: EndpointState, rec: Recorder) -> None:
    assert shell.handle("reboot now") == (["reboot now\r\n"], True)
    assert rec.reboots == 1
    assert state.commands == ["reboot now"]


def test_reboot_needs_now(shell: GroupSeriesShell, rec: Recorder) -> None:
    assert run(shell, "reboot") == NEED_MORE
    assert run(shell, "reboot later") == ILLEGAL
    assert rec.reboots == 0


def test_every_command_is_recorded(shell: GroupSeriesShell, state: EndpointState) -> None:
    for line in ("whoami", "bogus", 'systemname set "$x"', "  status  "):
        shell.handle(line)
    assert state.commands == ["whoami", "bogus", 'systemname set "$x"', "  status  "]


# --- registrations and notifications ------------------------------------------------------


def test_notify_acknowledgements(shell: GroupSeriesShell) -> None:
    assert run(shell, "notify") == "registered for 0 notifications" + R
    assert run(shell, "notify mutestatus") == "notify mutestatus success" + R
    assert run(shell, "notify callstatus") == "notify callstatus success" + R
    assert run(shell, "notify callstatus") == "info: event/notification already active:callstatus" + R
    assert run(shell, "notify") == "registered for 2 notifications:callstatus:mutestatus" + R
    assert run(shell, "nonotify mutestatus") == "nonotify mutestatus success" + R
    assert run(shell, "nonotify mutestatus") == "info: event/notification not active:mutestatus" + R
    assert run(shell, "notify telepathy") == ILLEGAL
    assert run(shell, "notify callstatus linestatus") == ILLEGAL
    assert run(shell, "nonotify") == NEED_MORE
    assert run(shell, "nonotify telepathy") == ILLEGAL


def test_callstate_register(shell: GroupSeriesShell) -> None:
    assert run(shell, "callstate get") == "callstate unregistered" + R
    assert run(shell, "callstate register") == "callstate registered" + R
    assert run(shell, "callstate register") == "info: event/notification already active:callstate" + R
    assert run(shell, "callstate get") == "callstate registered" + R
    assert run(shell, "callstate unregister") == "callstate unregistered" + R
    assert run(shell, "callstate get") == "callstate unregistered" + R
    assert run(shell, "callstate") == NEED_MORE
    assert run(shell, "callstate maybe") == ILLEGAL


def test_registrations_survive_into_a_new_session(state: EndpointState, rec: Recorder) -> None:
    first = make_shell(state, recorder=rec)
    run(first, "notify callstatus")
    run(first, "callstate register")
    second = make_shell(state, recorder=rec)
    assert run(second, "notify callstatus") == "info: event/notification already active:callstatus" + R
    assert run(second, "callstate get") == "callstate registered" + R
    assert run(second, "notify") == "registered for 1 notifications:callstatus" + R


def test_session_registrations_variant(state: EndpointState, rec: Recorder) -> None:
    first = make_shell(state, "session_registrations", recorder=rec)
    run(first, "notify callstatus")
    second = make_shell(state, "session_registrations", recorder=rec)
    assert run(second, "notify callstatus") == "notify callstatus success" + R
    call = state.new_call("10.1.0.84", 384, "h323", "outgoing")
    third = make_shell(state, "session_registrations", recorder=rec)
    assert third.event("call_connected", {"call": call}) is None
    assert first.event("call_connected", {"call": call}) is not None


def test_repeat_success_variant(state: EndpointState) -> None:
    shell = make_shell(state, "repeat_success")
    assert run(shell, "notify sysstatus") == "notify sysstatus success" + R
    assert run(shell, "notify sysstatus") == "notify sysstatus success" + R
    assert run(shell, "callstate register") == "callstate registered" + R
    assert run(shell, "callstate register") == "callstate registered" + R


def test_no_events_without_registrations(shell: GroupSeriesShell, state: EndpointState) -> None:
    call = state.new_call("10.1.0.84", 384, "h323", "outgoing", "dialling")
    assert shell.event("call_progress", {"call": call}) is None
    assert shell.event("call_connected", {"call": call}) is None
    assert shell.event("call_disconnected", {"call": call, "cause": "RemoteDisconnect"}) is None
    assert shell.event("peripheral", {"device": "camera", "connected": False}) is None
    assert shell.event("sip", {"registered": False}) is None
    assert shell.event("weather", {}) is None


def test_callstatus_notifications(shell: GroupSeriesShell, state: EndpointState) -> None:
    run(shell, "notify callstatus")
    call = state.new_call("192.168.1.101", 384, "h323", "outgoing", "dialling")
    assert shell.event("call_progress", {"call": call}) == (
        "notification:callstatus:outgoing:1::192.168.1.101:connecting:384:0:videocall" + R
    )
    call.status = "ringing"
    assert shell.event("call_progress", {"call": call}) == (
        "notification:callstatus:outgoing:1::192.168.1.101:ringing:384:0:videocall" + R
    )
    call.status = "connected"
    assert shell.event("call_connected", {"call": call}) == (
        "notification:callstatus:outgoing:1::192.168.1.101:connected:384:0:videocall" + R
    )
    assert shell.event("call_disconnected", {"call": call, "cause": "LocalDisconnect"}) == (
        "notification:callstatus:outgoing:1::192.168.1.101:disconnected:384:16:videocall" + R
    )


@pytest.mark.parametrize(
    ("cause", "code"),
    [
        ("LocalDisconnect", 16),
        ("RemoteDisconnect", 16),
        ("NetworkError", 38),
        ("NoResources", 47),
        ("NotFound", 1),
        ("Busy", 17),
    ],
)
def test_disconnect_cause_codes(shell: GroupSeriesShell, state: EndpointState, cause: str, code: int) -> None:
    run(shell, "notify callstatus")
    call = state.new_call("bob@example.vn", 768, "sip", "incoming")
    out = shell.event("call_disconnected", {"call": call, "cause": cause})
    assert out == f"notification:callstatus:incoming:1::bob@example.vn:disconnected:768:{code}:videocall" + R


def test_linestatus_always_says_outgoing(shell: GroupSeriesShell, state: EndpointState) -> None:
    run(shell, "notify linestatus")
    call = state.new_call("bob@example.vn", 768, "sip", "incoming", "ringing")
    assert (
        shell.event("call_progress", {"call": call}) == "notification:linestatus:outgoing:1:0:0:ringing" + R
    )
    assert shell.event("call_disconnected", {"call": call, "cause": "Busy"}) == (
        "notification:linestatus:outgoing:1:0:0:disconnected" + R
    )


def test_callstate_lines(shell: GroupSeriesShell, state: EndpointState) -> None:
    run(shell, "callstate register")
    call = state.new_call("192.168.1.103", 384, "h323", "outgoing", "dialling")
    assert shell.event("call_progress", {"call": call}) == (
        "cs: call[1] chan[0] dialstr[192.168.1.103] state[ALLOCATED]" + R
    )
    call.status = "ringing"
    assert shell.event("call_progress", {"call": call}) == (
        "cs: call[1] chan[0] dialstr[192.168.1.103] state[RINGING]" + R
    )
    call.status = "connected"
    assert shell.event("call_connected", {"call": call}) == (
        f"cs: call[1] chan[0] dialstr[192.168.1.103] state[COMPLETE]{R}active: call[1] speed [384]{R}"
    )
    assert shell.event("call_disconnected", {"call": call, "cause": "RemoteDisconnect"}) == (
        f"cleared: call[1]{R}dialstr[IP:192.168.1.103 NAME:]{R}ended: call[1]{R}"
    )


def test_all_registered_forms_in_one_block(shell: GroupSeriesShell, state: EndpointState) -> None:
    for line in ("notify callstatus", "notify linestatus", "callstate register"):
        run(shell, line)
    call = state.new_call("10.1.0.84", 512, "h323", "outgoing")
    assert shell.event("call_connected", {"call": call}) == (
        f"notification:callstatus:outgoing:1::10.1.0.84:connected:512:0:videocall{R}"
        f"notification:linestatus:outgoing:1:0:0:connected{R}"
        f"cs: call[1] chan[0] dialstr[10.1.0.84] state[COMPLETE]{R}"
        f"active: call[1] speed [512]{R}"
    )


def test_sysstatus_notifications(shell: GroupSeriesShell) -> None:
    run(shell, "notify sysstatus")
    assert shell.event("peripheral", {"device": "camera", "connected": False}) == (
        "notification:sysstatus:camera:offline" + R
    )
    assert shell.event("peripheral", {"device": "microphones", "connected": True}) == (
        "notification:sysstatus:microphones:online" + R
    )
    assert shell.event("sip", {"registered": False}) == "notification:sysstatus:sipserver:offline" + R
    assert shell.event("sip", {"registered": True}) == "notification:sysstatus:sipserver:online" + R


def test_notifications_follow_the_crlf_variant(state: EndpointState) -> None:
    shell = make_shell(state, "crlf")
    run_pieces, _ = shell.handle("notify sysstatus")
    assert run_pieces[1] == "notify sysstatus success\r\n"
    assert shell.event("sip", {"registered": True}) == "notification:sysstatus:sipserver:online\r\n"


def test_every_event_kind_is_understood(shell: GroupSeriesShell, state: EndpointState) -> None:
    for line in ("notify callstatus", "notify sysstatus"):
        run(shell, line)
    call = state.new_call("10.1.0.84", 384, "h323", "outgoing", "dialling")
    data: dict[str, dict[str, object]] = {
        "call_progress": {"call": call},
        "call_connected": {"call": call},
        "call_disconnected": {"call": call, "cause": "Busy"},
        "peripheral": {"device": "camera", "connected": True},
        "sip": {"registered": True},
    }
    assert set(data) == set(EVENT_KINDS)
    for kind in EVENT_KINDS:
        assert shell.event(kind, data[kind])


# --- faults ----------------------------------------------------------------------------


def test_garbage_is_framed_like_a_reply(shell: GroupSeriesShell, state: EndpointState) -> None:
    assert shell.garbage("callinfo all") == ["callinfo all\r\n", "callinfo:??:%$#@!^&*" + R, P]
    assert shell.garbage("") == ["\r\n", ":??:%$#@!^&*" + R, P]
    assert state.commands == []


def test_garbage_without_echo(state: EndpointState) -> None:
    assert make_shell(state, "no_echo").garbage("status") == ["status:??:%$#@!^&*" + R, P]


def test_noise_is_the_greeting_out_of_turn(shell: GroupSeriesShell) -> None:
    assert shell.noise() == greeting()

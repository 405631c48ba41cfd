"""The simulated Cisco RoomOS shell on its own: text in, text out, no SSH.

Each test drives ``RoomOSShell`` the way the SSH server does (``login``, ``split``, ``handle``,
``event``) against an ``EndpointState`` and recording hooks, and checks the exact bytes the
device documents (see the module docstring of ``endpoints.sim.roomos`` for the sources).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field

import pytest

from endpoints.sim import roomos
from endpoints.sim.roomos import RoomOSShell
from endpoints.sim.shell import DeviceHooks
from endpoints.sim.state import CallState, EndpointState, UpgradeState

# sha1("11.14.1.5")[:11]: the build id the shell derives for a release missing from its table
BUILD = "bb93671632d"
OK = "** end\r\n\r\nOK\r\n"


@dataclass
class Device:
    """A state, recording hooks that behave like the device's, and its sessions."""

    state: EndpointState
    log: list[tuple[str, object]] = field(default_factory=list)

    def hooks(self) -> DeviceHooks:
        return DeviceHooks(dial=self.dial, hangup=self.hangup, upgrade=self.upgrade, reboot=self.reboot)

    def dial(self, call: CallState) -> None:
        self.log.append(("dial", call))

    def hangup(self, call_id: int | None) -> bool:
        self.log.append(("hangup", call_id))
        call = self.state.call
        if call is None or call_id not in (None, call.call_id):
            return False
        self.state.call = None
        return True

    def upgrade(self, url: str) -> None:
        self.log.append(("upgrade", url))
        self.state.upgrade = UpgradeState(url, "ce11.14.5.0")

    def reboot(self) -> None:
        self.log.append(("reboot", None))

    def shell(self, *variants: str) -> RoomOSShell:
        return RoomOSShell(self.state, self.hooks(), frozenset(variants))


def make_device(
    model: str = "Cisco Room Kit", firmware: str = "ce11.14.1.5", name: str = "UBND Phong 1"
) -> Device:
    state = EndpointState(
        name=name,
        unit="ubnd",
        family="cisco-roomos",
        model=model,
        firmware=firmware,
        serial="FOC2402N8ZX",
        config=RoomOSShell.initial_config(name, 0),
    )
    return Device(state)


@pytest.fixture
def dev() -> Device:
    return make_device()


@pytest.fixture
def sh(dev: Device) -> RoomOSShell:
    """A session with echo off, as machine clients run it."""
    shell = dev.shell("echo_off_at_login")
    return shell


@pytest.fixture
def js(dev: Device) -> RoomOSShell:
    """A session in JSON mode, echo off."""
    shell = dev.shell("echo_off_at_login")
    run(shell, "xpreferences outputmode json")
    return shell


def run(shell: RoomOSShell, line: str) -> str:
    pieces, closed = shell.handle(line)
    assert not closed
    return "".join(pieces)


def as_json(text: str) -> dict:
    return json.loads(text)


def connect(dev: Device, shell: RoomOSShell, number: str = "sip:so-y-te@vc.example.gov.vn") -> CallState:
    """Dial through the shell and let the simulated far end answer."""
    run(shell, f'xCommand Dial Number: "{number}"')
    call = dev.state.call
    assert call is not None
    call.status = "connected"
    call.started = time.monotonic()
    return call


# ----------------------------------------------------------------------------- class contract


def test_class_attributes_and_factory_config() -> None:
    assert RoomOSShell.family == "cisco-roomos"
    assert RoomOSShell.models == (
        "Cisco Room Kit",
        "Cisco Room Kit Mini",
        "Cisco Room Bar",
        "Cisco Codec Plus",
    )
    assert RoomOSShell.firmware == "ce11.14.1.5"
    assert RoomOSShell.reboot_seconds > 0
    config = RoomOSShell.initial_config("Phong hop A", 3)
    assert config["SystemUnit Name"] == "Phong hop A"
    assert config["Conference DefaultCall Rate"] == "6000"
    assert config["Time Zone"] == "Etc/UTC"
    assert config["SIP Proxy 4 Address"] == "" and "SIP Proxy 5 Address" not in config
    assert config["NetworkServices NTP Server 1 Address"] == "0.tandberg.pool.ntp.org"
    assert RoomOSShell.initial_config("x" * 60, 0)["SystemUnit Name"] == "x" * 50


def test_unknown_variant_is_refused(dev: Device) -> None:
    with pytest.raises(ValueError):
        dev.shell("terse")


# ----------------------------------------------------------------------------- login


@pytest.fixture
def pinned_clock(monkeypatch: pytest.MonkeyPatch, dev: Device) -> None:
    dev.state.booted_at = time.monotonic()
    monkeypatch.setattr(roomos, "_wallclock", lambda: 1741778831.0)  # 2025-03-12 11:27:11 UTC


@pytest.mark.usefixtures("pinned_clock")
def test_login_banner_is_roomos_11_shape(dev: Device) -> None:
    assert dev.shell().login() == (
        "Welcome to UBND Phong 1\r\n"
        f"Cisco Codec Release RoomOS 11.14.1.5 {BUILD}\r\n"
        "SW Release Date: 2024-02-29\r\n"
        "*r Login successful\r\n"
        "OK\r\n"
        "\r\n"
        "Last login from <unknown> at 2025-03-12 11:27:11\r\n"
        "\r\n"
    )


@pytest.mark.usefixtures("pinned_clock")
def test_login_variants(dev: Device) -> None:
    ce9 = dev.shell("login_blank_before_ok").login()
    assert "*r Login successful\r\n\r\nOK\r\n\r\nLast login" in ce9
    lf = dev.shell("lf_line_endings").login()
    assert "\r" not in lf and lf.endswith("\n\n") and "*r Login successful\nOK\n" in lf


def test_login_uses_the_system_name_and_known_builds() -> None:
    dev = make_device(firmware="ce11.14.5.0")
    dev.state.config["SystemUnit Name"] = ""
    banner = dev.shell().login()
    assert banner.startswith("Welcome to \r\nCisco Codec Release RoomOS 11.14.5.0 da3520c7ba8\r\n")
    assert "SW Release Date: 2024-10-16\r\n" in banner


# ----------------------------------------------------------------------------- input and echo


def test_split_takes_lf_lines_and_drops_cr(sh: RoomOSShell) -> None:
    assert sh.split("xStatus Audio\r\nbye\npartial") == (["xStatus Audio", "bye"], "partial")
    assert sh.split("") == ([], "")


def test_echo_is_on_by_default_and_echo_off_is_echoed(dev: Device) -> None:
    shell = dev.shell()
    assert shell.handle("xStatus Audio Microphones Mute") == (
        ["xStatus Audio Microphones Mute\r\n", "*s Audio Microphones Mute: Off\r\n" + OK],
        False,
    )
    assert shell.handle("echo off") == (["echo off\r\n", "\r\nOK\r\n"], False)
    assert shell.handle("xStatus Audio Microphones Mute") == (
        ["*s Audio Microphones Mute: Off\r\n" + OK],
        False,
    )
    assert shell.handle("Echo On") == (["\r\nOK\r\n"], False)
    assert shell.handle("")[0] == ["\r\n"]
    assert shell.handle("echo maybe")[0][1] == "echo usage:\r\n  echo <on/off>\r\nOK\r\n"


def test_echo_off_at_login_variant(dev: Device) -> None:
    shell = dev.shell("echo_off_at_login")
    assert shell.handle("") == ([], False)
    assert shell.handle("echo on") == (["\r\nOK\r\n"], False)
    assert shell.handle("echo off")[0][0] == "echo off\r\n"


def test_every_command_line_is_recorded(dev: Device, sh: RoomOSShell) -> None:
    for line in ("echo off", "", "xStatus Audio Volume", "nonsense"):
        sh.handle(line)
    assert dev.state.commands == ["echo off", "xStatus Audio Volume", "nonsense"]


def test_bye_closes_the_session(dev: Device) -> None:
    assert dev.shell().handle("bye") == (["bye\r\n"], True)
    assert dev.shell("echo_off_at_login").handle("BYE") == ([], True)


def test_unknown_and_abbreviated_top_level_words(sh: RoomOSShell) -> None:
    assert run(sh, 'Not a real command | resultId="1"') == "Command not recognized.\r\n"
    assert run(sh, "xc Dial") == "Command not recognized.\r\n"  # ambiguous: xcommand/xconfiguration
    assert run(sh, "xgetxml /Status") == "Command not recognized.\r\n"  # not simulated
    assert run(sh, "xStat Audio Microphones Mute") == "*s Audio Microphones Mute: Off\r\n" + OK
    assert run(sh, "XSTATUS AUDIO MICROPHONES MUTE") == "*s Audio Microphones Mute: Off\r\n" + OK
    assert run(sh, "xConfig SystemUnit Name").startswith('*c xConfiguration SystemUnit Name: "UBND Phong 1"')
    assert run(sh, "xcom Audio Microphones Mute").startswith("\r\nOK\r\n*r MicrophonesMuteResult")


def test_command_not_recognized_in_json_mode_too(js: RoomOSShell) -> None:
    assert run(js, "frobnicate") == "Command not recognized.\r\n"


def test_help_lists_the_roomos_11_user_commands(sh: RoomOSShell) -> None:
    assert run(sh, "?") == (
        "- User Commands -\r\n"
        "help            xcommand        xconfiguration  xdocument       xevent\r\n"
        "xfeedback       xgetxml         xpreferences    xstatus         xtransaction\r\n"
        "bye             echo            log             systemtools\r\n"
        "OK\r\n"
    )
    assert run(sh, "help") == run(sh, "?")


# ----------------------------------------------------------------------------- output modes


def test_xpreferences_switches_modes(sh: RoomOSShell) -> None:
    assert run(sh, "xpref outputmode json") == ""
    assert (
        run(sh, "xStatus Audio Volume")
        == '{\r\n  "Status": {\r\n    "Audio": {\r\n      "Volume": {\r\n        "Value": "50"\r\n      }\r\n    }\r\n  }\r\n}\r\n'
    )
    assert run(sh, "echo off") == ""  # builtins print no OK outside terminal mode
    assert run(sh, "xPreferences OutputMode XML") == ""
    assert run(sh, "xStatus Audio Volume") == (
        '<XmlDoc resultId="">\r\n<Status>\r\n  <Audio>\r\n    <Volume>50</Volume>\r\n  </Audio>\r\n</Status>\r\n</XmlDoc>\r\n'
    )
    assert run(sh, "xpref outputmode terminal") == "\r\nOK\r\n"
    assert run(sh, "xStatus Audio Volume") == "*s Audio Volume: 50\r\n" + OK


def test_xpreferences_usage(sh: RoomOSShell) -> None:
    usage = "xpreferences usage:\r\n  xpreferences outputmode <terminal/xml/json>\r\nOK\r\n"
    assert run(sh, "xpref ?") == usage
    assert run(sh, "xpreferences outputmode terse") == usage
    assert sh.mode == "terminal"


# ----------------------------------------------------------------------------- xStatus


def test_status_query_and_result_tag_both_spacings(sh: RoomOSShell) -> None:
    expected = '*s Audio Microphones Mute: Off\r\n** resultId: "Custom Value 1"\r\n' + OK
    assert run(sh, 'xStatus Audio Microphones Mute |resultId="Custom Value 1"') == expected
    assert run(sh, 'xStatus Audio Microphones Mute | resultId="Custom Value 1"') == expected


def test_idle_call_status_is_empty(sh: RoomOSShell, js: RoomOSShell) -> None:
    assert run(sh, "xStatus Call") == OK
    assert run(js, "xStatus Call") == "{\r\n}\r\n"
    assert run(js, 'xStatus Call | resultId="r-7"') == '{\r\n  "ResultId": "r-7"\r\n}\r\n'


def test_status_json_with_result_id(js: RoomOSShell) -> None:
    assert as_json(run(js, 'xStatus Audio Microphones Mute | resultId="request-1"')) == {
        "Status": {"Audio": {"Microphones": {"Mute": {"Value": "Off"}}}},
        "ResultId": "request-1",
    }


def test_system_unit_status(dev: Device, sh: RoomOSShell) -> None:
    dev.state.booted_at = time.monotonic() - 3600
    text = run(sh, "xStatus SystemUnit")
    assert '*s SystemUnit ProductId: "Cisco Room Kit"\r\n' in text
    assert '*s SystemUnit ProductPlatform: "Room Kit"\r\n' in text
    assert '*s SystemUnit ProductType: "Cisco Codec"\r\n' in text
    assert '*s SystemUnit Software Name: "s53200"\r\n' in text
    assert f'*s SystemUnit Software Version: "ce11.14.1.5.{BUILD}"\r\n' in text
    assert f'*s SystemUnit Software DisplayName: "RoomOS 11.14.1.5 {BUILD}"\r\n' in text
    assert '*s SystemUnit Software ReleaseDate: "2024-02-29"\r\n' in text
    assert '*s SystemUnit Hardware Module SerialNumber: "FOC2402N8ZX"\r\n' in text
    assert "*s SystemUnit Hardware Monitoring Temperature Status: Normal\r\n" in text
    assert re.search(r"\*s SystemUnit Uptime: 360\d\r\n", text)
    assert "*s SystemUnit State System: Initialized\r\n" in text
    lines = text.split("\r\n")[:-4]
    assert lines == sorted(lines, key=str.lower)  # the device's alphabetical order


@pytest.mark.parametrize(("celsius", "word"), [(41.5, "Normal"), (75.0, "High"), (90.0, "Critical")])
def test_temperature_is_a_status_word(dev: Device, sh: RoomOSShell, celsius: float, word: str) -> None:
    dev.state.temperature_c = celsius
    assert run(sh, "xStatus SystemUnit Hardware Monitoring Temperature") == (
        f"*s SystemUnit Hardware Monitoring Temperature Status: {word}\r\n" + OK
    )


def test_software_follows_state_firmware(dev: Device, sh: RoomOSShell) -> None:
    dev.state.firmware = "ce11_14_5_0"
    assert run(sh, "xStatus SystemUnit Software Version") == (
        '*s SystemUnit Software Version: "ce11.14.5.0.da3520c7ba8"\r\n' + OK
    )
    assert '*s Provisioning Software Current VersionId: "ce11.14.5.0 da3520c7ba8 2024-10-16"' in run(
        sh, "xStatus Provisioning Software Current"
    )


def test_model_table_drives_identity() -> None:
    dev = make_device(model="Cisco Room Bar")
    text = run(dev.shell("echo_off_at_login"), "xStatus SystemUnit")
    assert (
        '*s SystemUnit ProductPlatform: "Room Bar"' in text
        and '*s SystemUnit Software Name: "s53300"' in text
    )
    dev = make_device(model="Cisco Codec Plus")
    assert '*s Cameras Camera 1 Model: "Cisco Quad Camera"' in run(
        dev.shell("echo_off_at_login"), "xStatus Cameras"
    )


def test_sip_registration_status(dev: Device, sh: RoomOSShell) -> None:
    dev.state.config["SIP URI"] = "ubnd.phong1@vc.example.gov.vn"
    assert run(sh, "xStatus SIP Registration") == (
        '*s SIP Registration 1 Reason: ""\r\n'
        "*s SIP Registration 1 Status: Registered\r\n"
        '*s SIP Registration 1 URI: "ubnd.phong1@vc.example.gov.vn"\r\n' + OK
    )
    dev.state.sip_registered = False
    assert "*s SIP Registration 1 Status: Failed\r\n" in run(sh, "xStatus SIP Registration 1 Status")


def test_builtin_camera_and_microphones(dev: Device, sh: RoomOSShell) -> None:
    assert run(sh, "xStatus Cameras Camera Connected") == "*s Cameras Camera 1 Connected: True\r\n" + OK
    assert run(sh, "xStatus Audio Input Connectors Microphone ConnectionStatus") == (
        "*s Audio Input Connectors Microphone 1 ConnectionStatus: Connected\r\n" + OK
    )
    dev.state.camera_connected = False
    dev.state.microphones_connected = False
    assert run(sh, "xStatus Cameras Camera 1 Connected") == "*s Cameras Camera 1 Connected: False\r\n" + OK
    assert run(sh, "xStatus Video Input Connector 1 SignalState") == (
        "*s Video Input Connector 1 SignalState: NotFound\r\n" + OK
    )
    assert "ConnectionStatus: NotConnected" in run(sh, "xStatus Audio Input Connectors")


def test_peripherals_are_external_touch_panels_only(sh: RoomOSShell) -> None:
    text = run(sh, "xStatus Peripherals ConnectedDevice")
    assert "*s Peripherals ConnectedDevice 1001 Type: TouchPanel\r\n" in text
    assert '*s Peripherals ConnectedDevice 1001 Name: "Cisco TelePresence Touch"\r\n' in text
    assert "Camera" not in text


def test_upgrade_status(dev: Device, sh: RoomOSShell) -> None:
    assert "*s Provisioning Software UpgradeStatus Status: None\r\n" in run(sh, "xStatus Provisioning")
    dev.state.upgrade = UpgradeState("http://fw/cmterm-s53200ce11_14_5_0.k4.cop.sha512", "ce11.14.5.0")
    text = run(sh, "xStatus Provisioning Software UpgradeStatus")
    assert "*s Provisioning Software UpgradeStatus Phase: Downloading\r\n" in text
    assert "*s Provisioning Software UpgradeStatus Status: InProgress\r\n" in text
    assert (
        '*s Provisioning Software UpgradeStatus URL: "http://fw/cmterm-s53200ce11_14_5_0.k4.cop.sha512"'
        in text
    )
    dev.state.upgrade.status, dev.state.upgrade.message = "failed", "Download failed"
    text = run(sh, "xStatus Provisioning Software UpgradeStatus")
    assert "Status: Failed\r\n" in text and 'Message: "Download failed"' in text


def test_bad_status_path_terminal_and_json(sh: RoomOSShell, js: RoomOSShell) -> None:
    assert run(sh, "xStatus Audio Volumee") == (
        "*r Status (status=Error): \r\n"
        '*r Status Reason: "No match on address expression"\r\n'
        '*r Status XPath: "Status/Audio/Volumee"\r\n'
        "** end\r\n\r\nERROR\r\n"
    )
    assert run(sh, "xStatus SystemUnit 1 Uptime").startswith("*r Status (status=Error)")
    assert as_json(run(js, 'xStatus Audio Volumee | resultId="2"')) == {
        "CommandResponse": {
            "Status": {
                "status": "Error",
                "Reason": {"Value": "No match on address expression"},
                "XPath": {"Value": "Status/Audio/Volumee"},
            }
        },
        "ResultId": "2",
    }


# ----------------------------------------------------------------------------- calls


def test_dial_terminal(dev: Device, sh: RoomOSShell) -> None:
    first_id = dev.state.next_call_id
    assert first_id > 1  # the device's own call ids, not 1
    out = run(sh, 'xCommand Dial Number: "sip:so-y-te@vc.example.gov.vn" Protocol: Sip CallRate: 1920')
    assert out == (
        "\r\nOK\r\n"
        "*r DialResult (status=OK): \r\n"
        f"*r DialResult CallId: {first_id}\r\n"
        f"*r DialResult ConferenceId: {first_id - 1}\r\n"
        "** end\r\n"
    )
    call = dev.state.call
    assert call is not None and dev.log == [("dial", call)]
    assert (call.call_id, call.remote, call.rate, call.protocol, call.direction, call.status) == (
        first_id,
        "sip:so-y-te@vc.example.gov.vn",
        1920,
        "sip",
        "outgoing",
        "dialling",
    )
    assert dev.state.stats.dials == 1


def test_dial_json_with_result_id(dev: Device, js: RoomOSShell) -> None:
    call_id = dev.state.next_call_id
    assert as_json(run(js, 'xCommand Dial Number: "user@example.com" | resultId="request-1"')) == {
        "CommandResponse": {
            "DialResult": {
                "status": "OK",
                "CallId": {"Value": str(call_id)},
                "ConferenceId": {"Value": str(call_id - 1)},
            }
        },
        "ResultId": "request-1",
    }


def test_dial_defaults_come_from_configuration(dev: Device, sh: RoomOSShell) -> None:
    dev.state.config["Conference DefaultCall Protocol"] = "H323"
    dev.state.config["Conference DefaultCall Rate"] = "768"
    run(sh, "XCOMMAND DIAL NUMBER: 1001@example.org")
    call = dev.state.call
    assert call is not None and (call.protocol, call.rate, call.remote) == ("h323", 768, "1001@example.org")


@pytest.mark.parametrize(
    "params",
    [
        "",
        'Number: ""',
        "Number: 123 CallRate: 63",
        "Number: 123 CallRate: 6001",
        "Number: 123 Protocol: Webex",
        "Number: 123 Colour: Red",
        "Number: 123 Number: 456",
        'Number: "123',
        "Number: my number contains spaces",
    ],
)
def test_dial_parameter_errors(dev: Device, sh: RoomOSShell, js: RoomOSShell, params: str) -> None:
    assert (
        run(sh, f"xCommand Dial {params}")
        == "\r\nERROR\r\n*r DialResult (status=ParameterError): \r\n** end\r\n"
    )
    assert as_json(run(js, f"xCommand Dial {params}")) == {
        "CommandResponse": {"DialResult": {"status": "ParameterError"}}
    }
    assert dev.state.call is None and dev.log == []
    assert dev.state.stats.dials == 2  # refused dials count too


def test_dial_while_busy_is_an_error(dev: Device, sh: RoomOSShell, js: RoomOSShell) -> None:
    connect(dev, sh)
    assert run(sh, "xCommand Dial Number: 42") == (
        "\r\nERROR\r\n"
        "*r DialResult (status=Error): \r\n"
        '*r DialResult Reason: "Max number of calls reached"\r\n'
        "** end\r\n"
    )
    assert as_json(run(js, "xCommand Dial Number: 42"))["CommandResponse"]["DialResult"]["status"] == "Error"
    assert dev.state.stats.dials == 3 and len(dev.log) == 1


def test_unknown_command_terminal_and_json(sh: RoomOSShell, js: RoomOSShell) -> None:
    assert run(sh, "xCommand Dila") == (
        "\r\nERROR\r\n"
        "*r Result (status=Error): \r\n"
        '*r Result Reason: "Unknown command"\r\n'
        '*r Result XPath: "/Dila"\r\n'
        "** end\r\n"
    )
    assert as_json(run(js, 'xCommand Dila | resultId="request-1"')) == {
        "CommandResponse": {
            "Result": {"status": "Error", "Reason": {"Value": "Unknown command"}, "XPath": {"Value": "/Dila"}}
        },
        "ResultId": "request-1",
    }


def test_call_status_while_dialling_and_connected(dev: Device, sh: RoomOSShell) -> None:
    run(sh, 'xCommand Dial Number: "sip:so-y-te@vc.example.gov.vn" CallRate: 1152')
    cid = dev.state.call.call_id
    text = run(sh, "xStatus Call")
    assert text == (
        f"*s Call {cid} AnswerState: Unanswered\r\n"
        f'*s Call {cid} CallbackNumber: "sip:so-y-te@vc.example.gov.vn"\r\n'
        f"*s Call {cid} CallType: Video\r\n"
        f"*s Call {cid} DeviceType: Endpoint\r\n"
        f"*s Call {cid} Direction: Outgoing\r\n"
        f'*s Call {cid} DisplayName: "so-y-te@vc.example.gov.vn"\r\n'
        f"*s Call {cid} Duration: 0\r\n"
        f'*s Call {cid} Encryption Type: "None"\r\n'
        f"*s Call {cid} PlacedOnHold: False\r\n"
        f"*s Call {cid} Protocol: SIP\r\n"
        f"*s Call {cid} ReceiveCallRate: 0\r\n"
        f'*s Call {cid} RemoteNumber: "so-y-te@vc.example.gov.vn"\r\n'
        f"*s Call {cid} Status: Dialling\r\n"
        f"*s Call {cid} TransmitCallRate: 0\r\n" + OK
    )
    assert run(sh, "xStatus MediaChannels") == OK  # no media before the call is up
    dev.state.call.status = "ringing"
    assert run(sh, "xstatus call status") == f"*s Call {cid} Status: Ringing\r\n" + OK
    dev.state.call.status = "connected"
    dev.state.call.started = time.monotonic() - 42
    assert run(sh, f"xStatus Call {cid} Status") == f"*s Call {cid} Status: Connected\r\n" + OK
    assert run(sh, f"xStatus Call[{cid}] Duration") == f"*s Call {cid} Duration: 42\r\n" + OK
    assert f"*s Call {cid} TransmitCallRate: 1152\r\n" in run(sh, "xStatus Call")
    assert run(sh, f"xStatus Call {cid + 1}") == OK
    assert "*s SystemUnit State NumberOfActiveCalls: 1\r\n" in run(sh, "xStatus SystemUnit State")


def test_incoming_call_numbers_get_the_protocol_prefix(dev: Device, sh: RoomOSShell) -> None:
    dev.state.config["Conference AutoAnswer Mode"] = "On"
    call = dev.state.new_call("so-tu-phap@vc.example.gov.vn", 768, "h323", "incoming", "connected")
    text = run(sh, f"xStatus Call {call.call_id}")
    assert f'*s Call {call.call_id} CallbackNumber: "h323:so-tu-phap@vc.example.gov.vn"\r\n' in text
    assert f"*s Call {call.call_id} AnswerState: Autoanswered\r\n" in text
    assert f"*s Call {call.call_id} Direction: Incoming\r\n" in text
    assert f"*s Call {call.call_id} Protocol: H323\r\n" in text


def netstat(text: str) -> dict[tuple[int, str], int]:
    values = {}
    for channel, name, value in re.findall(r"Channel (\d+) Netstat (\w+): (\d+)", text):
        values[(int(channel), name)] = int(value)
    return values


def test_media_channels_report_packet_loss(dev: Device, sh: RoomOSShell, js: RoomOSShell) -> None:
    call = connect(dev, sh)
    call.started = time.monotonic() - 100
    dev.state.packet_loss_pct = 3.5
    text = run(sh, "xStatus MediaChannels Call")
    channels = sorted(
        {int(c) for c in re.findall(rf"MediaChannels Call {call.call_id} Channel (\d+) ", text)}
    )
    assert len(channels) == 4
    assert re.findall(r"Channel \d+ Direction: (\w+)", text) == [
        "Incoming",
        "Incoming",
        "Outgoing",
        "Outgoing",
    ]
    assert re.findall(r"Channel \d+ Type: (\w+)", text) == ["Audio", "Video", "Audio", "Video"]
    stats = netstat(text)
    for channel in channels:
        lost, received = stats[(channel, "Loss")], stats[(channel, "Packets")]
        assert lost / (lost + received) == pytest.approx(0.035, abs=0.001)
    audio = channels[0]
    assert (stats[(audio, "Loss")], stats[(audio, "Packets")]) == (175, 4825)
    doc = as_json(run(js, "xStatus MediaChannels Call Channel Netstat Loss"))
    entries = doc["Status"]["MediaChannels"]["Call"][0]["Channel"]
    assert [e["id"] for e in entries] == [str(c) for c in channels]
    assert entries[0]["Netstat"]["Loss"] == {"Value": "175"}


def test_media_channel_counters_grow_and_report_jitter(dev: Device, sh: RoomOSShell) -> None:
    call = connect(dev, sh)
    dev.state.packet_loss_pct = 2.0
    dev.state.jitter_ms = 4.4
    call.started = time.monotonic() - 3
    stats = netstat(run(sh, "xStatus MediaChannels Call"))
    audio = call.call_id * 4
    assert (stats[(audio, "Packets")], stats[(audio, "Loss")]) == (147, 3)  # cumulative
    assert (stats[(audio, "LastIntervalReceived")], stats[(audio, "LastIntervalLost")]) == (0, 0)
    assert (stats[(audio, "Jitter")], stats[(audio, "MaxJitter")]) == (4, 5)  # 4/5 as on the SX20
    call.started -= 10  # 13 s: two whole intervals closed, the last one from 5 to 10 s
    stats = netstat(run(sh, "xStatus MediaChannels Call"))
    assert (stats[(audio, "Packets")], stats[(audio, "Loss")]) == (637, 13)
    assert (stats[(audio, "LastIntervalReceived")], stats[(audio, "LastIntervalLost")]) == (245, 5)
    video = audio + 1
    assert stats[(video, "Packets")] > stats[(audio, "Packets")]


@pytest.mark.usefixtures("pinned_clock")
def test_system_time_and_ntp(dev: Device, sh: RoomOSShell, js: RoomOSShell) -> None:
    assert run(sh, "xStatus Time") == '*s Time SystemTime: "2025-03-12T11:27:11+0000"\r\n' + OK
    dev.state.config["Time Zone"] = "America/New_York"
    dev.state.clock_offset_s = -61
    assert run(sh, "xStatus Time SystemTime") == '*s Time SystemTime: "2025-03-12T07:26:10-0400"\r\n' + OK
    assert as_json(run(js, "xStatus Time SystemTime")) == {
        "Status": {"Time": {"SystemTime": {"Value": "2025-03-12T07:26:10-0400"}}}
    }
    assert run(sh, "xStatus NetworkServices NTP") == (
        '*s NetworkServices NTP CurrentAddress: "0.tandberg.pool.ntp.org"\r\n'
        '*s NetworkServices NTP Server 1 Address: "0.tandberg.pool.ntp.org"\r\n'
        '*s NetworkServices NTP Server 2 Address: "0.tandberg.pool.ntp.org"\r\n'
        '*s NetworkServices NTP Server 3 Address: "0.tandberg.pool.ntp.org"\r\n'
        "*s NetworkServices NTP Status: Synced\r\n" + OK
    )
    dev.state.ntp_synced = False
    assert (
        run(sh, "xStatus NetworkServices NTP Status") == "*s NetworkServices NTP Status: NotSynced\r\n" + OK
    )
    for n in (1, 2, 3):
        dev.state.config[f"NetworkServices NTP Server {n} Address"] = ""
    dev.state.ntp_synced = True
    assert "*s NetworkServices NTP Status: NotSynced\r\n" in run(sh, "xStatus NetworkServices NTP")
    assert '*s NetworkServices NTP CurrentAddress: ""\r\n' in run(sh, "xStatus NetworkServices NTP")
    dev.state.config["NetworkServices NTP Mode"] = "Off"
    assert run(sh, "xStatus NetworkServices NTP Status") == "*s NetworkServices NTP Status: Off\r\n" + OK


def test_no_ntp_status_variant_has_no_ntp_node(dev: Device) -> None:
    cloud = dev.shell("echo_off_at_login", "no_ntp_status")
    assert run(cloud, "xStatus NetworkServices NTP Status") == OK  # a schema path, no instance
    assert run(cloud, "xStatus Time SystemTime").startswith("*s Time SystemTime: ")


def test_the_ticking_clock_is_not_pushed_as_feedback(dev: Device, sh: RoomOSShell) -> None:
    run(sh, "xFeedback register /Status")
    dev.state.clock_offset_s = 3600
    assert "SystemTime" not in run(sh, "xCommand Audio Microphones Mute")


def test_call_disconnect(dev: Device, sh: RoomOSShell, js: RoomOSShell) -> None:
    assert run(sh, "xCommand Call Disconnect") == (
        '\r\nERROR\r\n*r CallDisconnectResult (status=Error): \r\n*r CallDisconnectResult Reason: "No active call"\r\n** end\r\n'
    )
    call = connect(dev, sh)
    assert run(sh, f"xCommand Call Disconnect CallId: {call.call_id + 5}").startswith(
        "\r\nERROR\r\n*r CallDisconnectResult (status=Error): "
    )
    assert dev.state.call is call
    assert as_json(run(js, f"xCommand Call Disconnect CallId: {call.call_id}")) == {
        "CommandResponse": {"CallDisconnectResult": {"status": "OK"}}
    }
    assert dev.log[-1] == ("hangup", call.call_id) and dev.state.call is None
    connect(dev, sh)
    assert (
        run(sh, "xCommand Call Disconnect CallId: 0")
        == "\r\nOK\r\n*r CallDisconnectResult (status=OK): \r\n** end\r\n"
    )
    assert dev.log[-1] == ("hangup", None)


def test_microphone_mute_commands(dev: Device, sh: RoomOSShell) -> None:
    assert (
        run(sh, "xCommand Audio Microphones Mute")
        == "\r\nOK\r\n*r MicrophonesMuteResult (status=OK): \r\n** end\r\n"
    )
    assert dev.state.muted
    assert run(sh, "xStatus Audio Microphones Mute") == "*s Audio Microphones Mute: On\r\n" + OK
    run(sh, "xCommand Audio Microphones Unmute")
    assert not dev.state.muted
    run(sh, "xCommand Audio Microphones ToggleMute")
    assert dev.state.muted
    assert run(sh, "xCommand Audio Microphones Mute Now: True").startswith("\r\nERROR\r\n")


def test_software_upgrade(dev: Device, sh: RoomOSShell) -> None:
    url = "https://fw.example.gov.vn/cmterm-s53200ce11_14_5_0.k4.cop.sha512"
    assert run(sh, f"xCommand SystemUnit SoftwareUpgrade URL: {url} Forced: False") == (
        "\r\nOK\r\n*r SystemUnitSoftwareUpgradeResult (status=OK): \r\n** end\r\n"
    )
    assert dev.log == [("upgrade", url)]
    assert run(sh, f'xCommand SystemUnit SoftwareUpgrade URL: "{url}"') == (
        "\r\nERROR\r\n*r SystemUnitSoftwareUpgradeResult (status=Error): \r\n"
        '*r SystemUnitSoftwareUpgradeResult Reason: "Software upgrade already in progress"\r\n** end\r\n'
    )
    assert "(status=ParameterError)" in run(sh, "xCommand SystemUnit SoftwareUpgrade")
    assert len(dev.log) == 1


def test_boot_reboots_after_answering(dev: Device, sh: RoomOSShell) -> None:
    pieces, closed = sh.handle("xCommand SystemUnit Boot Action: Restart")
    assert "".join(pieces) == "\r\nOK\r\n*r SystemUnitBootResult (status=OK): \r\n** end\r\n" and not closed
    assert dev.log == [("reboot", None)]
    assert "(status=ParameterError)" in run(sh, "xCommand SystemUnit Boot Action: Later")
    assert dev.log == [("reboot", None)]


def test_standby_commands_are_accepted(sh: RoomOSShell) -> None:
    assert run(sh, 'xCommand Standby Deactivate | resultId="s"') == (
        '\r\nOK\r\n*r StandbyDeactivateResult (status=OK): \r\n** resultId: "s"\r\n** end\r\n'
    )


def test_ok_after_result_variant(dev: Device) -> None:
    shell = dev.shell("echo_off_at_login", "ok_after_result")
    assert (
        run(shell, "xCommand Audio Microphones Mute")
        == "*r MicrophonesMuteResult (status=OK): \r\n** end\r\nOK\r\n"
    )
    assert run(shell, "xCommand Dila").endswith('*r Result XPath: "/Dila"\r\n** end\r\nERROR\r\n')
    assert run(shell, "xStatus Audio Volume") == "*s Audio Volume: 50\r\n" + OK  # only commands change


def test_indented_results_variant(dev: Device) -> None:
    shell = dev.shell("echo_off_at_login", "indented_results")
    cid = dev.state.next_call_id
    assert run(shell, "xCommand Dial Number: 5") == (
        f"\r\nOK\r\n*r DialResult (status=OK): \r\n    CallId: {cid}\r\n    ConferenceId: {cid - 1}\r\n** end\r\n"
    )


def test_json_resultid_comma_first_variant(dev: Device) -> None:
    shell = dev.shell("echo_off_at_login", "json_resultid_comma_first")
    run(shell, "xpreferences outputmode json")
    text = run(shell, 'xCommand Standby Deactivate | resultId="request-1"')
    assert text == (
        '{\r\n  "CommandResponse": {\r\n    "StandbyDeactivateResult": {\r\n      "status": "OK"\r\n    }\r\n  }\r\n'
        '  ,"ResultId": "request-1"\r\n}\r\n'
    )
    assert as_json(text)["ResultId"] == "request-1"
    assert (
        run(shell, 'xConfiguration Audio DefaultVolume: 40 | resultId="r2"')
        == '{\r\n  "ResultId": "r2"\r\n}\r\n'
    )


def test_xml_command_result(dev: Device) -> None:
    shell = dev.shell("echo_off_at_login")
    run(shell, "xpref outputmode xml")
    cid = dev.state.next_call_id
    assert run(shell, 'xCommand Dial Number: 7 | resultId="x1"') == (
        '<XmlDoc resultId="x1">\r\n<DialResult status="OK">\r\n'
        f"  <CallId>{cid}</CallId>\r\n  <ConferenceId>{cid - 1}</ConferenceId>\r\n"
        "</DialResult>\r\n</XmlDoc>\r\n"
    )


# ----------------------------------------------------------------------------- xConfiguration


def test_configuration_get_and_set(dev: Device, sh: RoomOSShell) -> None:
    assert run(sh, "xConfiguration Conference DefaultCall Rate") == (
        "*c xConfiguration Conference DefaultCall Rate: 6000\r\n" + OK
    )
    assert run(sh, "xConfiguration Conference DefaultCall Rate: 1920") == OK
    assert dev.state.config["Conference DefaultCall Rate"] == "1920"
    assert (
        run(sh, 'xConfiguration SystemUnit Name: "Phong hop 2" | resultId="c3"')
        == '** resultId: "c3"\r\n' + OK
    )
    assert (
        run(sh, "xConfiguration SystemUnit Name")
        == '*c xConfiguration SystemUnit Name: "Phong hop 2"\r\n' + OK
    )
    assert run(sh, "xconfiguration conference autoanswer mode: on") == OK
    assert dev.state.config["Conference AutoAnswer Mode"] == "On"  # stored in Cisco's spelling
    assert run(sh, 'xConfiguration Time Zone: "Asia/Ho_Chi_Minh"') == OK
    assert run(sh, "xConfiguration NetworkServices NTP Mode:Manual") == OK
    assert dev.state.config["NetworkServices NTP Mode"] == "Manual"
    assert dev.state.stats.config_writes == 5


def test_indexed_configuration(dev: Device, sh: RoomOSShell) -> None:
    assert run(sh, "xConfiguration SIP Proxy 2 Address: proxy2.example.gov.vn") == OK
    assert run(sh, "xConfiguration SIP Proxy[3] Address: proxy3.example.gov.vn") == OK
    assert dev.state.config["SIP Proxy 2 Address"] == "proxy2.example.gov.vn"
    assert run(sh, "xConfiguration SIP Proxy Address") == (
        '*c xConfiguration SIP Proxy 1 Address: ""\r\n'
        '*c xConfiguration SIP Proxy 2 Address: "proxy2.example.gov.vn"\r\n'
        '*c xConfiguration SIP Proxy 3 Address: "proxy3.example.gov.vn"\r\n'
        '*c xConfiguration SIP Proxy 4 Address: ""\r\n' + OK
    )
    assert run(sh, "xConfiguration SIP Proxy Address: x").startswith("*r Configuration (status=Error)")
    assert run(sh, "xConfiguration SIP Proxy 5 Address: x").startswith("*r Configuration (status=Error)")


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("xConfiguration Conference DefaultCall Rate: 6001", "Conference DefaultCall Rate"),
        ("xConfiguration Conference DefaultCall Rate: fast", "Conference DefaultCall Rate"),
        ("xConfiguration Conference DefaultCall Rate: 63", "Conference DefaultCall Rate"),
        (f'xConfiguration SystemUnit Name: "{"x" * 51}"', "SystemUnit Name"),
        ("xConfiguration SystemUnit Name: Two words", "SystemUnit Name"),
        ('xConfiguration SystemUnit Name: "tab\there"', "SystemUnit Name"),
        ('xConfiguration SystemUnit Name: "unterminated', "SystemUnit Name"),
        ("xConfiguration Conference AutoAnswer Mode: Maybe", "Conference AutoAnswer Mode"),
        ("xConfiguration Time Zone: Mars/Olympus_Mons", "Time Zone"),
        ("xConfiguration H323 H323Alias ID: " + "a" * 50, "H323 H323Alias ID"),
    ],
)
def test_illegal_values_are_refused_and_not_stored(dev: Device, sh: RoomOSShell, line: str, key: str) -> None:
    before = dev.state.config[key]
    path = key
    assert (
        run(sh, line) == f'*c xConfiguration {path} (error=True): "Illegal value"\r\n** end\r\n\r\nERROR\r\n'
    )
    assert dev.state.config[key] == before
    assert dev.state.stats.config_writes == 1


def test_illegal_value_json(js: RoomOSShell) -> None:
    assert as_json(run(js, 'xConfiguration Audio DefaultVolume: 101 | resultId="request-1"')) == {
        "Configuration": {"Audio": {"DefaultVolume": {"error": "True", "Value": "Illegal value"}}},
        "ResultId": "request-1",
    }


def test_bad_configuration_paths(dev: Device, sh: RoomOSShell, js: RoomOSShell) -> None:
    assert run(sh, "xConfiguration Audio Foo") == (
        "*r Configuration (status=Error): \r\n"
        '*r Configuration Reason: "No match on address expression"\r\n'
        '*r Configuration XPath: "Configuration/Audio/Foo"\r\n'
        "** end\r\n\r\nERROR\r\n"
    )
    assert as_json(run(js, 'xConfiguration Video Input Connector 1 Foo: "Bar" | resultId="1"')) == {
        "CommandResponse": {
            "Configuration": {
                "status": "Error",
                "Reason": {"Value": "No match on address expression."},
                "XPath": {"Value": "Configuration/Video/Input/Connector[1]/Foo"},
            }
        },
        "ResultId": "1",
    }
    assert dev.state.stats.config_writes == 1


def test_configuration_json_and_xml(dev: Device, js: RoomOSShell) -> None:
    assert as_json(run(js, "xConfiguration Audio DefaultVolume")) == {
        "Configuration": {
            "Audio": {"DefaultVolume": {"valueSpaceRef": "/Valuespace/INT_0_100", "Value": "50"}}
        }
    }
    assert run(js, "xConfiguration SystemUnit Name: x") == "{\r\n}\r\n"
    assert (
        run(js, 'xConfiguration SystemUnit Name: y | resultId="request-1"')
        == '{\r\n  "ResultId": "request-1"\r\n}\r\n'
    )
    doc = as_json(run(js, "xConfiguration SIP Proxy Address"))
    assert [p["id"] for p in doc["Configuration"]["SIP"]["Proxy"]] == ["1", "2", "3", "4"]
    run(js, "xpref outputmode xml")
    assert run(js, "xConfiguration SystemUnit Name") == (
        '<XmlDoc resultId="">\r\n<Configuration>\r\n  <SystemUnit>\r\n'
        '    <Name valueSpaceRef="/Valuespace/STR_0_50_NoFilt">y</Name>\r\n'
        "  </SystemUnit>\r\n</Configuration>\r\n</XmlDoc>\r\n"
    )


def test_quotes_and_backslashes_in_values(dev: Device, sh: RoomOSShell, js: RoomOSShell) -> None:
    assert run(sh, r'xConfiguration SystemUnit Name: "Phong \"A\" C:\\x"') == OK
    assert dev.state.config["SystemUnit Name"] == r'Phong "A" C:\x'
    assert (
        run(sh, "xConfiguration SystemUnit Name")
        == r'*c xConfiguration SystemUnit Name: "Phong \"A\" C:\\x"' + "\r\n" + OK
    )
    assert as_json(run(js, "xConfiguration SystemUnit Name"))["Configuration"]["SystemUnit"]["Name"][
        "Value"
    ] == (r'Phong "A" C:\x')
    assert run(sh, r'xConfiguration SystemUnit Name: "a\nb"') == OK  # other backslashes are kept
    assert dev.state.config["SystemUnit Name"] == r"a\nb"
    assert run(sh, 'xConfiguration SIP URI: "x|y" | resultId="t|1"') == '** resultId: "t|1"\r\n' + OK
    assert dev.state.config["SIP URI"] == "x|y"


def test_whole_configuration_listing(sh: RoomOSShell) -> None:
    text = run(sh, "xConfiguration")
    lines = text.split("\r\n")[:-4]
    assert all(line.startswith("*c xConfiguration ") for line in lines)
    assert "*c xConfiguration Time Zone: Etc/UTC" in lines and len(lines) == 32


# ----------------------------------------------------------------------------- feedback


def test_feedback_register_list_deregister(sh: RoomOSShell) -> None:
    assert run(sh, "xFeedback register /Status/Audio") == OK
    assert run(sh, "xFeedback register /Event/CallDisconnect") == OK
    assert run(sh, "xfeedback register configuration/video/MainVideoSource") == OK
    assert run(sh, "xFeedback register /Status/Audio") == OK  # no duplicate
    assert run(sh, "xFeedback list") == (
        "/configuration/video/MainVideoSource\r\n/Event/CallDisconnect\r\n/Status/Audio\r\n" + OK
    )
    assert run(sh, "xFeedback deregister /Event/CallDisconnect") == OK
    assert run(sh, "xFeedback Deregister Status/Audio") == OK
    assert run(sh, "xFeedback list") == "/configuration/video/MainVideoSource\r\n" + OK
    assert run(sh, 'xFeedback DeregisterAll | resultId="d"') == '** resultId: "d"\r\n' + OK
    assert run(sh, "xFeedback list") == OK


def test_feedback_register_json_and_errors(sh: RoomOSShell, js: RoomOSShell) -> None:
    assert (
        run(js, 'xFeedback register /Status/Call | resultId="request-1"')
        == '{\r\n  "ResultId": "request-1"\r\n}\r\n'
    )
    assert run(js, "xFeedback register /Status/Audio") == "{\r\n}\r\n"
    assert run(sh, "xFeedback register /Foo/Bar").startswith("*r Feedback (status=Error): \r\n")
    assert run(sh, "xFeedback frobnicate").endswith("** end\r\n\r\nERROR\r\n")
    for n in range(49):
        assert run(sh, f"xFeedback register /Status/Video/Input/Connector[{n + 1}]") == OK
    assert run(sh, "xFeedback register /Status/Call") == OK
    assert "(status=Error)" in run(sh, "xFeedback register /Status/Standby")


def test_no_feedback_without_registration(dev: Device, sh: RoomOSShell) -> None:
    run(sh, "xCommand Dial Number: 1")
    call = dev.state.call
    assert sh.event("call_progress", {"call": call}) is None
    assert (
        run(sh, "xCommand Audio Microphones Mute")
        == "\r\nOK\r\n*r MicrophonesMuteResult (status=OK): \r\n** end\r\n"
    )


def test_call_feedback_through_a_whole_call(dev: Device) -> None:
    a = dev.shell("echo_off_at_login")
    b = dev.shell("echo_off_at_login")  # another session that registered nothing
    run(a, "xFeedback register /Status/Call")
    run(a, "xFeedback register /Event/CallDisconnect")
    run(a, "xFeedback register /Event/CallSuccessful")
    run(a, "xFeedback register Event/OutgoingCallIndication")
    pieces, _ = b.handle('xCommand Dial Number: "sip:so-y-te@vc.example.gov.vn" CallRate: 768')
    assert len(pieces) == 1  # b registered nothing: no feedback after its reply
    call = dev.state.call
    cid = call.call_id
    text = a.event("call_progress", {"call": call})
    assert text is not None
    assert text.startswith(f"*s Call {cid} AnswerState: Unanswered\r\n")
    assert text.endswith(
        f"*s Call {cid} Status: Dialling\r\n*s Call {cid} TransmitCallRate: 0\r\n** end\r\n"
        f"*e OutgoingCallIndication CallId: {cid}\r\n** end\r\n"
    )
    call.status = "ringing"
    assert a.event("call_progress", {"call": call}) == f"*s Call {cid} Status: Ringing\r\n** end\r\n"
    call.status = "connected"
    call.started = time.monotonic()
    assert a.event("call_connected", {"call": call}) == (
        f"*s Call {cid} AnswerState: Answered\r\n"
        f"*s Call {cid} ReceiveCallRate: 768\r\n"
        f"*s Call {cid} Status: Connected\r\n"
        f"*s Call {cid} TransmitCallRate: 768\r\n"
        "** end\r\n"
        '*e CallSuccessful Protocol: "Sip"\r\n'
        '*e CallSuccessful Direction: "outgoing"\r\n'
        '*e CallSuccessful RemoteURI: "sip:so-y-te@vc.example.gov.vn"\r\n'
        '*e CallSuccessful EncryptionIn: "Off"\r\n'
        '*e CallSuccessful EncryptionOut: "Off"\r\n'
        "*e CallSuccessful CallRate: 768\r\n"
        f"*e CallSuccessful CallId: {cid}\r\n"
        "** end\r\n"
    )
    assert b.event("call_connected", {"call": call}) is None
    dev.state.call = None
    assert a.event("call_disconnected", {"call": call, "cause": "RemoteDisconnect"}) == (
        f"*s Call {cid} (ghost=True):\r\n"
        "** end\r\n"
        "*e CallDisconnect CauseValue: 1\r\n"
        '*e CallDisconnect CauseType: "RemoteDisconnect"\r\n'
        '*e CallDisconnect CauseString: ""\r\n'
        '*e CallDisconnect OrigCallDirection: "outgoing"\r\n'
        '*e CallDisconnect RemoteURI: "sip:so-y-te@vc.example.gov.vn"\r\n'
        '*e CallDisconnect DisplayName: "so-y-te@vc.example.gov.vn"\r\n'
        f"*e CallDisconnect CallId: {cid}\r\n"
        "*e CallDisconnect CauseCode: 0\r\n"
        "*e CallDisconnect CauseOrigin: SIP\r\n"
        "*e CallDisconnect Protocol: Sip\r\n"
        "*e CallDisconnect Duration: 0\r\n"
        "*e CallDisconnect CallType: Video\r\n"
        "*e CallDisconnect CallRate: 768\r\n"
        '*e CallDisconnect Encryption: "None"\r\n'
        '*e CallDisconnect RequestedURI: "sip:so-y-te@vc.example.gov.vn"\r\n'
        "*e CallDisconnect PeopleCountAverage: 0\r\n"
        "** end\r\n"
    )


def test_ghost_even_if_the_state_still_holds_the_call(dev: Device, sh: RoomOSShell) -> None:
    run(sh, "xFeedback register /Status/Call/Status")  # a registration below the removed node
    run(sh, "xFeedback register /Status/MediaChannels")
    call = connect(dev, sh)
    sh.event("call_connected", {"call": call})
    text = sh.event("call_disconnected", {"call": call, "cause": "Busy"})
    assert text == (
        f"*s Call {call.call_id} (ghost=True):\r\n** end\r\n*s MediaChannels Call {call.call_id} (ghost=True):\r\n** end\r\n"
    )
    assert run(sh, "xStatus Call") == OK  # the session no longer shows the ended call


@pytest.mark.parametrize(
    ("cause", "protocol", "fields"),
    [
        ("Busy", "sip", ('"RemoteBusy"', '"Busy Here"', "486", "SIP")),
        ("NotFound", "sip", ('"UnknownRemoteSite"', '"Not Found"', "404", "SIP")),
        ("NetworkError", "h323", ('"NetworkRejected"', '""', "38", "Q850")),
        ("LocalDisconnect", "spark", ('"LocalDisconnect"', '""', "0", "SIP")),
    ],
)
def test_disconnect_causes(
    dev: Device, sh: RoomOSShell, cause: str, protocol: str, fields: tuple[str, ...]
) -> None:
    run(sh, "xFeedback register /Event/CallDisconnect")
    call = CallState(77, "1234@example.org", 768, protocol, "outgoing", "dialling")
    text = sh.event("call_disconnected", {"call": call, "cause": cause})
    assert text is not None
    ctype, cstring, code, origin = fields
    assert f"*e CallDisconnect CauseType: {ctype}\r\n" in text
    assert f"*e CallDisconnect CauseString: {cstring}\r\n" in text
    assert f"*e CallDisconnect CauseCode: {code}\r\n" in text
    assert f"*e CallDisconnect CauseOrigin: {origin}\r\n" in text


def test_json_feedback(dev: Device, js: RoomOSShell) -> None:
    run(js, "xFeedback register /Status/Call")
    run(js, "xFeedback register /Event/CallDisconnect/CauseType")
    call = connect(dev, js)
    cid = str(call.call_id)
    doc = as_json(js.event("call_connected", {"call": call}))
    assert doc["Status"]["Call"][0]["id"] == cid and doc["Status"]["Call"][0]["Status"] == {
        "Value": "Connected"
    }
    text = js.event("call_disconnected", {"call": call, "cause": "LocalDisconnect"})
    first, second = text.split("}\r\n{")
    assert json.loads(first + "}") == {"Status": {"Call": [{"id": cid, "ghost": "True"}]}}
    assert json.loads("{" + second) == {
        "Event": {"CallDisconnect": {"CauseType": {"Value": "LocalDisconnect"}}}
    }
    assert text.startswith("{\r\n") and text.endswith("\r\n}\r\n")


def test_incoming_call_indication(dev: Device, sh: RoomOSShell) -> None:
    run(sh, "xFeedback register /Event/IncomingCallIndication")
    call = dev.state.new_call("sip:so-gd@vc.example.gov.vn", 768, "sip", "incoming", "ringing")
    assert sh.event("call_progress", {"call": call}) == (
        f"*e IncomingCallIndication CallId: {call.call_id}\r\n"
        '*e IncomingCallIndication DisplayNameValue: "so-gd@vc.example.gov.vn"\r\n'
        '*e IncomingCallIndication RemoteURI: "sip:so-gd@vc.example.gov.vn"\r\n'
        "** end\r\n"
    )


def test_peripheral_and_sip_feedback(dev: Device, sh: RoomOSShell, js: RoomOSShell) -> None:
    run(sh, "xFeedback register /Status/Cameras/Camera/Connected")
    run(sh, "xFeedback register /Status/Audio/Input/Connectors/Microphone")
    run(sh, "xFeedback register /Status/SIP/Registration")
    run(js, "xFeedback register /Status/Cameras")
    dev.state.camera_connected = False
    assert sh.event("peripheral", {"device": "camera", "connected": False}) == (
        "*s Cameras Camera 1 Connected: False\r\n** end\r\n"
    )
    assert as_json(js.event("peripheral", {"device": "camera", "connected": False})) == {
        "Status": {"Cameras": {"Camera": [{"id": "1", "Connected": {"Value": "False"}}]}}
    }
    dev.state.microphones_connected = False
    assert sh.event("peripheral", {"device": "microphones", "connected": False}) == (
        "*s Audio Input Connectors Microphone 1 ConnectionStatus: NotConnected\r\n** end\r\n"
    )
    dev.state.sip_registered = False
    assert sh.event("sip", {"registered": False}) == (
        '*s SIP Registration 1 Reason: "Request Timeout"\r\n*s SIP Registration 1 Status: Failed\r\n** end\r\n'
    )
    assert sh.event("sip", {"registered": False}) is None  # nothing changed since


def test_own_changes_are_fed_back_after_the_reply(dev: Device, sh: RoomOSShell) -> None:
    run(sh, "xFeedback register /Status/Audio/Microphones/Mute")
    run(sh, "xFeedback register /Configuration/SystemUnit")
    pieces, _ = sh.handle("xCommand Audio Microphones Mute")
    assert pieces == [
        "\r\nOK\r\n*r MicrophonesMuteResult (status=OK): \r\n** end\r\n",
        "*s Audio Microphones Mute: On\r\n** end\r\n",
    ]
    pieces, _ = sh.handle("xConfiguration SystemUnit Name: Phong3")
    assert pieces == [OK, '*c xConfiguration SystemUnit Name: "Phong3"\r\n** end\r\n']
    other = dev.shell("echo_off_at_login")
    run(other, "xFeedback register /Status/Audio")
    dev.state.muted = False  # changed behind the session's back: it shows at the next event
    assert other.event("sip", {"registered": True}) == "*s Audio Microphones Mute: Off\r\n** end\r\n"


def test_ticking_counters_are_not_pushed(dev: Device, sh: RoomOSShell) -> None:
    run(sh, "xFeedback register /Status/SystemUnit")
    run(sh, "xFeedback register /Status/Call")
    call = connect(dev, sh)
    sh.event("call_connected", {"call": call})
    dev.state.booted_at -= 50
    call.started -= 50
    assert sh.event("sip", {"registered": True}) is None


# ----------------------------------------------------------------------------- faults


def test_garbage_is_framed_but_unparseable(dev: Device) -> None:
    shell = dev.shell()
    pieces = shell.garbage("xStatus SystemUnit Uptime")
    assert pieces[0] == "xStatus SystemUnit Uptime\r\n"
    assert pieces[1].endswith("** end\r\n\r\nOK\r\n") and pieces[1].count('"') % 2 == 1
    command = "".join(shell.garbage("xCommand Dial Number: 1"))
    assert "\r\nOK\r\n*r Result (status=OK): \r\n" in command and command.endswith("** end\r\n")
    run(shell, "echo off")
    run(shell, "xpref outputmode json")
    text = "".join(shell.garbage("xStatus Call"))
    assert text.startswith("{\r\n") and text.endswith("\r\n}\r\n")
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    run(shell, "xpref outputmode xml")
    assert "".join(shell.garbage("xStatus Call")).startswith('<XmlDoc resultId="">')


def test_noise_is_a_harmless_feedback_block(dev: Device, sh: RoomOSShell, js: RoomOSShell) -> None:
    assert sh.noise() == "*s RoomAnalytics Sound Level A: 39\r\n** end\r\n"
    assert as_json(js.noise()) == {"Status": {"RoomAnalytics": {"Sound": {"Level": {"A": {"Value": "39"}}}}}}
    assert dev.state.commands == ["xpreferences outputmode json"]


# ----------------------------------------------------------------------------- odds and ends


def test_every_status_leaf_is_a_schema_path(dev: Device, sh: RoomOSShell) -> None:
    connect(dev, sh)
    dev.state.upgrade = UpgradeState("http://fw/x.k4.cop.sha512", None)
    text = run(sh, "xStatus")
    templates = set(roomos._STATUS_SCHEMA)
    paths = [line[3:].split(": ", 1)[0] for line in text.split("\r\n") if line.startswith("*s ")]
    assert paths and all(re.sub(r" (\d+)", "[n]", p) in templates for p in paths)
    assert {re.sub(r" (\d+)", "[n]", p) for p in paths} == templates  # every path is simulated


def test_protocol_words_are_canonical(dev: Device, sh: RoomOSShell) -> None:
    run(sh, 'xCommand Dial Number: "room@example.webex.com" Protocol: "spark"')
    call = dev.state.call
    assert call is not None and call.protocol == "spark"
    text = run(sh, "xStatus Call")
    assert f"*s Call {call.call_id} Protocol: Spark\r\n" in text
    assert f'*s Call {call.call_id} CallbackNumber: "spark:room@example.webex.com"\r\n' in text


def test_result_tag_after_an_escaped_backslash(dev: Device, sh: RoomOSShell) -> None:
    assert run(sh, r'xConfiguration SystemUnit Name: "C:\\" | resultId="t"') == '** resultId: "t"\r\n' + OK
    assert dev.state.config["SystemUnit Name"] == "C:\\"


def test_lf_line_endings_variant_applies_to_replies(dev: Device) -> None:
    shell = dev.shell("lf_line_endings")
    assert shell.handle("xStatus Audio Volume") == (
        ["xStatus Audio Volume\n", "*s Audio Volume: 50\n** end\n\nOK\n"],
        False,
    )


def test_xml_feedback_ghost(dev: Device) -> None:
    shell = dev.shell("echo_off_at_login")
    run(shell, "xpreferences outputmode xml")
    run(shell, "xFeedback register /Status/Call")
    call = connect(dev, shell)
    dev.state.call = None
    text = shell.event("call_disconnected", {"call": call, "cause": "LocalDisconnect"})
    assert text == (
        f'<XmlDoc resultId="">\r\n<Status>\r\n  <Call item="{call.call_id}" maxOccurrence="n" ghost="True"/>\r\n'
        "</Status>\r\n</XmlDoc>\r\n"
    )

"""The JSON framer and path rules on transcripts from Cisco's documents and Cisco's own client.

Each transcript below is copied from a public source named beside it (not from our
simulator): what a RoomOS codec prints is the truth the framer must cope with.
"""

from __future__ import annotations

import json

import pytest

from endpoints.commands import json_unescape
from endpoints.errors import ParseError
from endpoints.framing import Response
from endpoints.json_framing import JsonFramer
from endpoints.parsing import apply_rule, select
from endpoints.profiles import Rule, Session

SESSION = Session(
    format="json",
    ready="^OK$",
    command_template='{command} | resultId="{tag}"',
    error='"status":"(?:Error|ParameterError)"|"error":"True"',
    error_message='"(?:Reason|Error)":\\{"Value":"(?P<message>(?:[^"\\\\]|\\\\.)*)"\\}|"error":"True","Value":"(?P<illegal>[^"]*)"',
    text_error=["^Command not recognized\\.?$", '^\\*\\* resultId: "(?P<tag>[^"]*)"$'],
)

# Login on RoomOS 11.23, a PuTTY log (public-transcript: PepperDash/epi-videoCodec-ciscoExtended,
# docs/Cisoc Codec MTR Call Feedbacks Record.txt, lines 5-12): "Last login" comes after OK.
LOGIN = (
    "Welcome to NYC Cisco\r\n"
    "Cisco Codec Release RoomOS 11.23.1.8 3963b07b5c5\r\n"
    "SW Release Date: 2024-12-12\r\n"
    "*r Login successful\r\n"
    "OK\r\n"
    "\r\n"
    "Last login from <unknown> at 2025-03-12 11:27:11\r\n"
    "\r\n"
)
# `echo off` answered with a readline escape first (public-transcript: ACA/PlaceOS
# room_os_spec.rb), then the echo of the next command while echo was still on.
ECHO_OFF = "\x1b[?1034h\r\nOK\r\n"
# jsxapi test/backend/tsh.spec.ts "xCommand, it extracts nested command result" (vendor client fixture)
DIAL_OK = """
          {
            "CommandResponse": {
              "DialResult": {
                "status": "OK",
                "CallId": {
                  "Value": "2"
                },
                "ConferenceId": {
                  "Value": "1"
                }
              }
            }
            ,"ResultId": "request-1"
          }
"""
# jsxapi tsh.spec.ts "xCommand, it handles XPath error"
UNKNOWN_COMMAND = """
          {
            "CommandResponse": {
              "Result": {
                "status": "Error",
                "Reason": { "Value": "Unknown command" },
                "XPath": { "Value": "/Dila" }
              }
            }
            ,"ResultId": "request-1"
          }
"""
# jsxapi tsh.spec.ts: an illegal configuration value
ILLEGAL_VALUE = (
    '{"Configuration":{"Audio":{"DefaultVolume":{"error":"True","Value":"Illegal value"}}},'
    '"ResultId":"request-1"}\n'
)
# Cisco LAB-1451 (WebexCC-SA/LAB-1451 rxp_xapi_ssh.md): `xStatus Audio Volume` in JSON mode,
# braces on lines of their own
VOLUME = (
    '{\n  "Status": {\n    "Audio": {\n      "Volume": {\n        "Value": "50"\n      }\n    }\n  }\n}\n'
)
# roomos.cisco.com doc/TechDocs/xAPI.md: a call that ends is a ghost in JSON feedback
GHOST = '{"Status":{"Call":[{"ghost":"True","id":"3"}]}}\n'


def run(framer: JsonFramer, text: str) -> list[Response]:
    out: list[Response] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        out += framer.feed(line)
    return out


def framer() -> tuple[JsonFramer, list[str]]:
    feedback: list[str] = []
    return JsonFramer(SESSION, feedback.append), feedback


def test_login_banner_last_login_and_echo_are_skipped() -> None:
    f, feedback = framer()
    f.expect(None, None, "ready")
    (ready,) = run(f, LOGIN)
    assert ready.key == "ready" and ready.end == "OK"
    assert f.expect("echo off", None, "echo") == Response("echo off", [], "", False, None, "echo")
    f.expect("xStatus Audio Volume", "request-1", "vol")
    tagged_volume = VOLUME.replace("}\n}\n", '},"ResultId":"request-1"\n}\n')
    out = run(f, "echo off\r\n" + ECHO_OFF + "xpreferences outputmode json\r\n" + tagged_volume)
    assert [r.key for r in out] == ["vol"] and feedback == []
    assert select(json.loads(out[0].text), "Status/Audio/Volume") == ["50"]


def test_dial_result_carries_the_call_id() -> None:
    f, _ = framer()
    f.expect("xCommand Dial", "request-1", "dial")
    (resp,) = run(f, DIAL_OK)
    assert not resp.failed
    rule = Rule(path="CommandResponse/DialResult/CallId", type="int")
    assert apply_rule(rule, resp.text) == 2


def test_errors_are_failures_with_the_device_words() -> None:
    f, _ = framer()
    f.expect("xCommand Dila", "request-1", "a")
    (resp,) = run(f, UNKNOWN_COMMAND)
    assert resp.failed and resp.message == "Unknown command"
    f.expect("xConfiguration Audio DefaultVolume: 101", "request-1", "b")
    (resp,) = run(f, ILLEGAL_VALUE)
    assert resp.failed and resp.message == "Illegal value"


def test_command_not_recognized_answers_the_oldest_waiting_command() -> None:
    f, _ = framer()
    f.expect("Not a real command", "t1", "a")
    f.expect("xStatus Audio Volume", "t2", "b")
    (resp,) = run(f, "Command not recognized.\r\n")
    assert resp.key == "a" and resp.failed and resp.message == "Command not recognized."
    assert f.busy


def test_a_terminal_mode_answer_fails_its_own_command() -> None:
    f, _ = framer()
    f.expect("xStatus Audio Volume", "t1", "a")
    (resp,) = run(f, '*s Audio Volume: 50\r\n** resultId: "t1"\r\n** end\r\n\r\nOK\r\n')
    assert resp.key == "a" and resp.failed and "resultId" in (resp.message or "")


def test_untagged_documents_are_feedback_even_between_a_request_and_its_answer() -> None:
    f, feedback = framer()
    f.expect("xStatus Audio Volume", "request-1", "vol")
    out = run(f, GHOST + VOLUME.replace("}\n}\n", '},"ResultId":"request-1"\n}\n'))
    assert [r.key for r in out] == ["vol"]
    assert feedback == ['{"Status":{"Call":[{"ghost":"True","id":"3"}]}}']


def test_braces_inside_strings_and_two_documents_on_one_line() -> None:
    f, feedback = framer()
    f.expect("xConfiguration SystemUnit Name", "a", "a")
    text = (
        '{"Configuration":{"SystemUnit":{"Name":{"Value":"UBND {xã} \\"Tân\\" \\\\"}}},"ResultId":"a"}'
        '{"Event":{"x":{"Value":"}"}}}\n'
    )
    (resp,) = run(f, text)
    assert select(json.loads(resp.text), "Configuration/SystemUnit/Name") == ['UBND {xã} "Tân" \\']
    assert feedback == ['{"Event":{"x":{"Value":"}"}}}']


def test_a_broken_document_is_malformed_for_the_command_it_names() -> None:
    f, _ = framer()
    f.expect("xStatus Call", "t9", "a")
    (resp,) = run(f, '{"Status": {"Call": [ , ]}, "ResultId": "t9"}\n')
    assert resp.malformed and resp.key == "a" and "not JSON" in (resp.message or "")


def test_paths_visit_every_instance_and_ids() -> None:
    doc = {
        "Status": {
            "Call": [
                {"id": "27", "Status": {"Value": "Connected"}},
                {"id": "28", "Status": {"Value": "Ringing"}},
            ],
            "SystemUnit": {"Uptime": {"Value": "3600"}},
        }
    }
    assert select(doc, "Status/Call/*/Status") == ["Connected", "Ringing"]
    assert select(doc, "Status/Call/Status") == ["Connected", "Ringing"]  # instances are implied
    assert select(doc, "Status/Call/*/@id") == ["27", "28"]
    assert select(doc, "Status/SystemUnit/Uptime") == ["3600"]
    assert select({}, "Status/Call/*/Status") == []  # idle: jsxapi returns {} for an empty status
    media = {"Status": {"MediaChannels": {"Call": [{"id": "27", "Channel": [
        {"id": "1", "Direction": {"Value": "Incoming"}, "Netstat": {"Loss": {"Value": "5"}}},
        {"id": "2", "Direction": {"Value": "Outgoing"}, "Netstat": {"Loss": {"Value": "9"}}},
    ]}]}}}  # fmt: skip
    assert select(media, "Status/MediaChannels/Call/Channel[Direction=Incoming]/Netstat/Loss") == ["5"]
    raw = json.dumps(doc)
    assert apply_rule(Rule(path="Status/Call/*/Status", match="Connected", aggregate="any"), raw) is True
    assert apply_rule(Rule(path="Status/Call/*/@id", match="(?P<value>\\d+)", type="int"), raw) == 27
    version = Rule(path="Status/SystemUnit/Software/Version", match=r"ce(?P<value>\d+(?:\.\d+)+)\.[0-9a-f]+")
    sw = json.dumps(
        {"Status": {"SystemUnit": {"Software": {"Version": {"Value": "ce11.14.2.3.2a1b9c8d7e6"}}}}}
    )
    assert apply_rule(version, sw) == "11.14.2.3"
    with pytest.raises(ParseError):
        apply_rule(Rule(path="Status/SystemUnit/Uptime"), "*s SystemUnit Uptime: 5")  # not JSON


def test_rule_takes_exactly_one_reader() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Rule(regex="(?P<value>x)", path="A/B")
    with pytest.raises(ValueError, match="exactly one"):
        Rule()
    with pytest.raises(ValueError, match="total_path"):
        Rule(path="A", aggregate="percent")


def test_json_unescape() -> None:
    assert json_unescape('a\\"b\\\\c\\u00e0') == 'a"b\\cà'
    assert json_unescape("broken\\") == "broken\\"


def test_an_escaped_ordinary_character_does_not_hide_the_closing_quote() -> None:
    f, feedback = framer()
    f.expect("xStatus X", "t", "x")
    out = run(f, '{"A":{"Value":"a\\nb \\" } { \\\\"}, "B": "x\\\\", "C":"}"\n,"ResultId":"t"}\n')
    assert [r.key for r in out] == ["x"] and json.loads(out[0].text)["A"]["Value"] == 'a\nb " } { \\'
    assert feedback == []

"""ONVIF requests and replies against recorded fixtures, without a device.

``firmware_profiles/cameras/fixtures/<profile>/<Op>/<case>.xml`` is a reply as
the device sent it and ``<case>.yaml`` what must be read from it: ``expected``
(the parse, as plain data), ``error: ValueError`` with ``match``, or ``fault``
(code, subcodes, reason) with the technician's ``error`` code (and ``field``).
``<profile>/Request/<Op>[.<case>].xml`` are golden requests, written by hand
from the ONVIF WSDLs; the builders must produce the same element tree (``op``
and ``args``, or ``read`` + ``changes`` for SetVideoEncoderConfiguration, in the
YAML beside). A golden file, not the simulator, checks the builders, so the
client and the simulated camera cannot share a bug that cancels out.
"""

from __future__ import annotations

import base64
import dataclasses
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from camera.onvif import messages as m
from camera.onvif import soap
from camera.onvif.client import device_service_url, error_for_fault, rewrite_xaddr
from camera.onvif.messages import OPERATIONS, EncoderConfig, parse_reply, to_plain
from camera.onvif.profiles import CameraProfile, default_camera_profiles_dir, load_camera_profile

PROFILES_DIR = default_camera_profiles_dir()
FIXTURES = PROFILES_DIR / "fixtures"
REPLIES = sorted(p for p in FIXTURES.glob("*/*/*.xml") if p.parent.name != "Request")
REQUESTS = sorted(FIXTURES.glob("*/Request/*.xml"))


def _spec(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.with_suffix(".yaml").read_text(encoding="utf-8"))


def _profile(fixture: Path) -> CameraProfile:
    folder = fixture.parent.parent
    return load_camera_profile(PROFILES_DIR / f"{folder.name}.yaml")


def _read(path: Path) -> Any:
    return parse_reply(path.parent.name, soap.parse(path.read_bytes()))


def _tree(el: ET.Element) -> tuple:
    """Tag (with namespace URI), attributes, stripped text, children in order: what a device sees."""
    return (el.tag, dict(el.attrib), (el.text or "").strip(), [_tree(child) for child in el])


def _operation(body: str) -> ET.Element:
    return soap.read_token(soap.envelope(body))[0]


# ---------------------------------------------------------------- replies


@pytest.mark.parametrize("path", REPLIES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_reply_fixture(path: Path) -> None:
    spec = _spec(path)
    if "fault" in spec:
        with pytest.raises(soap.SoapFault) as info:
            soap.parse(path.read_bytes())
        assert to_plain(info.value) == spec["fault"]
        error = error_for_fault(info.value, path.parent.name)
        assert error.code == spec["error"], error.message
        if "field" in spec:
            assert error.field == spec["field"]  # type: ignore[attr-defined]
        return
    if spec.get("error") == "ValueError":
        with pytest.raises(ValueError, match=spec["match"]):
            _read(path)
        return
    assert to_plain(_read(path)) == spec["expected"]


def test_every_profile_has_the_required_fixtures() -> None:
    required = {
        "GetDeviceInformation",
        "GetProfiles",
        "GetVideoEncoderConfiguration",
        "GetVideoEncoderConfigurations",
        "GetVideoEncoderConfigurationOptions",
        "GetNTP",
        "GetSystemDateAndTime",
    }
    for profile_file in sorted(PROFILES_DIR.glob("*.yaml")):
        folder = FIXTURES / profile_file.stem
        ops = {p.name for p in folder.iterdir() if list(p.glob("*.xml"))}
        assert required <= ops, f"{folder.name}: no fixture for {sorted(required - ops)}"
        specs = [p.read_text(encoding="utf-8") for p in folder.glob("*/*.yaml") if p.parent.name != "Request"]
        assert any("NotAuthorized" in s for s in specs), f"{folder.name}: needs a NotAuthorized fault"
        assert any("ConfigModify" in s for s in specs), f"{folder.name}: needs a ConfigModify fault"
        assert any("error: ValueError" in s for s in specs), f"{folder.name}: needs a malformed reply"
        golden = {p.stem.split(".")[0] for p in (folder / "Request").glob("*.xml")}
        assert {"SetVideoEncoderConfiguration", "SetNTP", "SetSystemDateAndTime"} <= golden


def test_fixture_folders_are_operations() -> None:
    folders = {p.parent.name for p in REPLIES} | {p.stem.split(".")[0] for p in REQUESTS}
    assert folders <= set(OPERATIONS)


def test_soap11_fault_is_read() -> None:
    fault = FIXTURES / "onvif-generic" / "GetNTP" / "fault_soap11.xml"
    with pytest.raises(soap.SoapFault) as info:
        soap.parse(fault.read_bytes())
    assert (info.value.code, info.value.subcodes) == ("Client", [])
    assert info.value.reason == "Method 'GetNTP' not implemented"


def test_wrong_reply_element_is_named() -> None:
    reply = soap.parse((FIXTURES / "onvif-generic" / "GetNTP" / "manual.xml").read_bytes())
    with pytest.raises(ValueError, match="expected tds:GetDeviceInformationResponse"):
        parse_reply("GetDeviceInformation", reply)


def test_lenient_numbers_and_booleans() -> None:
    config = _read(FIXTURES / "onvif-generic" / "GetVideoEncoderConfiguration" / "h265_in_media1.xml")
    assert (config.quality, config.fps_limit) == (4.0, 15)  # "4.000000", "15.000000"
    assert config.bitrate_cap is None  # 2147483647 is "no cap"
    for bad in ("yes", "NaN", "inf"):
        text = (
            (FIXTURES / "onvif-generic" / "GetNTP" / "manual.xml").read_text().replace(">false<", f">{bad}<")
        )
        with pytest.raises(ValueError, match="NTPInformation/FromDHCP"):
            parse_reply("GetNTP", soap.parse(text.encode()))


# ---------------------------------------------------------------- requests


def _build(path: Path, spec: dict[str, Any]) -> str:
    profile = _profile(path)
    op, args = spec["op"], dict(spec.get("args") or {})
    if op == "SetVideoEncoderConfiguration":
        read = _read(path.parent.parent / spec["read"])
        return profile.encoder.request(read, spec["changes"])[1]
    if op == "SetSystemDateAndTime":
        utc = datetime.fromisoformat(args["utc"]) if "utc" in args else None
        return profile.time.request(args["mode"], args["tz"], utc=utc)
    return OPERATIONS[op].build(**args)


@pytest.mark.parametrize("path", REQUESTS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_builder_matches_golden_request(path: Path) -> None:
    spec = _spec(path)
    assert path.stem.split(".")[0] == spec["op"]
    golden = soap.read_token(path.read_bytes())[0]
    assert _tree(_operation(_build(path, spec))) == _tree(golden)


def test_set_encoder_echoes_every_untouched_field() -> None:
    hik = load_camera_profile(PROFILES_DIR / "hikvision.yaml")
    read = _read(FIXTURES / "hikvision" / "GetVideoEncoderConfiguration" / "sub.xml")
    changes = {"fps_limit": 12, "gov_length": 12, "bitrate_limit": 384, "width": 704, "height": 576}
    sent, body = hik.encoder.request(read, changes)
    request = _operation(body)
    assert request.findtext("trt:ForcePersistence", namespaces=soap.NS) == "true"
    # The request's Configuration is a tt:VideoEncoderConfiguration: read it back with the reply parser.
    reply = ET.Element(f"{{{soap.NS['trt']}}}GetVideoEncoderConfigurationResponse")
    reply.append(request.find("trt:Configuration", soap.NS))  # type: ignore[arg-type]
    echoed = parse_reply("GetVideoEncoderConfiguration", reply)
    assert echoed == sent == dataclasses.replace(read, **changes)
    for field in dataclasses.fields(EncoderConfig):
        if field.name not in changes:
            assert getattr(echoed, field.name) == getattr(read, field.name), field.name
    assert read.multicast_xml and "8606" in read.multicast_xml and read.session_timeout == "PT5S"


def test_plan_may_not_change_echo_fields() -> None:
    rules = load_camera_profile(PROFILES_DIR / "hikvision.yaml").encoder
    read = _read(FIXTURES / "hikvision" / "GetVideoEncoderConfiguration" / "sub.xml")
    with pytest.raises(ValueError, match=r"\['Quality'\]"):
        rules.request(read, {"quality": 5.0})
    with pytest.raises(ValueError, match="not encoder settings"):
        rules.request(read, {"keyframe_s": 1})


def test_absent_fields_stay_absent() -> None:
    config = _read(FIXTURES / "onvif-generic" / "GetVideoEncoderConfigurations" / "main_sub.xml")[0]
    request = _operation(m.set_video_encoder_configuration(config))
    sent = request.find("trt:Configuration", soap.NS)
    assert sent is not None
    assert sent.find("tt:Multicast", soap.NS) is None  # never invented
    assert [child.tag.split("}")[1] for child in sent] == [
        "Name",
        "UseCount",
        "Encoding",
        "Resolution",
        "Quality",
        "RateControl",
        "H264",
        "SessionTimeout",
    ]


def test_incomplete_blocks_are_refused_before_sending() -> None:
    config = EncoderConfig(
        token="t", name="n", use_count=1, encoding="H264", width=640, height=360, fps_limit=15
    )
    with pytest.raises(ValueError, match="RateControl needs EncodingInterval, BitrateLimit"):
        m.set_video_encoder_configuration(config)
    with pytest.raises(ValueError, match="H264Profile"):
        m.set_video_encoder_configuration(dataclasses.replace(config, fps_limit=None, gov_length=15))
    with pytest.raises(ValueError, match="Manual time needs"):
        m.set_system_date_and_time("Manual", "ICT-7")


HOSTILE = "<&\"'>]]>"


def test_escaping_cannot_break_the_xml() -> None:
    hostname = _operation(m.set_hostname(HOSTILE))
    assert hostname.findtext("tds:Name", namespaces=soap.NS) == HOSTILE
    config = EncoderConfig(token=HOSTILE, name=HOSTILE, use_count=1, encoding="H264", width=640, height=360)
    sent = _operation(m.set_video_encoder_configuration(config)).find("trt:Configuration", soap.NS)
    assert sent is not None and sent.get("token") == HOSTILE
    assert sent.findtext("tt:Name", namespaces=soap.NS) == HOSTILE
    assert [c.tag.split("}")[1] for c in sent] == ["Name", "UseCount", "Encoding", "Resolution"]
    ntp = _operation(m.set_ntp([HOSTILE]))
    assert ntp.findtext("tds:NTPManual/tt:DNSname", namespaces=soap.NS) == HOSTILE
    header = soap.security_header(HOSTILE, "pw", "2026-11-24T07:05:28Z")
    _, token = soap.read_token(soap.envelope("<tds:GetNTP/>", header))
    assert token is not None and token.username == HOSTILE


def test_control_characters_are_refused() -> None:
    with pytest.raises(ValueError, match="control characters"):
        m.set_hostname("cam\x00one")


def test_manual_time_is_sent_in_utc() -> None:
    body = m.set_system_date_and_time("Manual", "ICT-7", utc=datetime(2026, 1, 1, 0, 30, tzinfo=UTC))
    request = _operation(body)
    date = [
        request.findtext(f"tds:UTCDateTime/tt:{p}", namespaces=soap.NS)
        for p in ("Date/tt:Day", "Time/tt:Hour")
    ]
    assert date == ["1", "0"]


def test_digest_vector() -> None:
    nonce = base64.b64decode("LBWtMqrGKGK3Gf3nAc3ITg==")
    assert soap.password_digest(nonce, "2026-11-24T07:05:28Z", "secret") == "E+qU8iIyCy78aJzQAg+M+j6Ar/E="


# ---------------------------------------------------------------- client helpers (no network)


def _config_modify() -> soap.SoapFault:
    path = FIXTURES / "hikvision" / "SetVideoEncoderConfiguration" / "fault_config_modify.xml"
    with pytest.raises(soap.SoapFault) as info:
        soap.parse(path.read_bytes())
    return info.value


def test_config_modify_names_the_setting_and_the_range() -> None:
    hik = load_camera_profile(PROFILES_DIR / "hikvision.yaml")
    read = _read(FIXTURES / "hikvision" / "GetVideoEncoderConfiguration" / "sub.xml")
    options = _read(
        FIXTURES / "hikvision" / "GetVideoEncoderConfigurationOptions" / "sub_no_bitrate_range.xml"
    )
    sent, _ = hik.encoder.request(read, {"bitrate_limit": 4096})
    limits = hik.encoder.limits(options)
    error = error_for_fault(_config_modify(), "SetVideoEncoderConfiguration", limits=limits, config=sent)
    assert (error.code, error.field) == ("unsupported_setting", "BitrateLimit")  # type: ignore[attr-defined]
    assert "BitrateLimit 4096 outside 32..2048" in error.message  # the profile's fallback: no BitrateRange
    assert "Parameters can not be set" in error.message


def test_config_modify_within_limits_lists_what_is_allowed() -> None:
    hik = load_camera_profile(PROFILES_DIR / "hikvision.yaml")
    read = _read(FIXTURES / "hikvision" / "GetVideoEncoderConfiguration" / "sub.xml")
    options = _read(
        FIXTURES / "hikvision" / "GetVideoEncoderConfigurationOptions" / "sub_no_bitrate_range.xml"
    )
    limits = hik.encoder.limits(options)
    error = error_for_fault(_config_modify(), "SetVideoEncoderConfiguration", limits=limits, config=read)
    assert error.field == "VideoEncoderConfiguration"  # type: ignore[attr-defined]
    assert error.allowed == (  # type: ignore[attr-defined]
        "Resolution 640x360, 640x480, 704x576, FrameRateLimit 1..25, GovLength 1..400, BitrateLimit 32..2048"
    )
    assert error.message.endswith(f"allowed: {error.allowed}")  # type: ignore[attr-defined]


def test_unknown_fault_keeps_the_device_words() -> None:
    error = error_for_fault(soap.SoapFault("Receiver", ["Action", "ActionFailed"], "disk full"), "SetNTP")
    assert error.code == "device_fault"
    assert error.message == "SetNTP: device fault Receiver/Action/ActionFailed: disk full"
    assert error.fault is not None and error.fault.reason == "disk full"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("192.168.1.64", "http://192.168.1.64/onvif/device_service"),
        ("127.0.0.1:8080", "http://127.0.0.1:8080/onvif/device_service"),
        ("http://cam.example.vn/", "http://cam.example.vn/onvif/device_service"),
        ("https://admin:pw@10.0.0.5:8443/onvif/device_service", "https://10.0.0.5:8443/onvif/device_service"),
        ("http://[fd00::5]:80", "http://[fd00::5]:80/onvif/device_service"),
    ],
)
def test_device_service_url(given: str, expected: str) -> None:
    assert device_service_url(given) == expected


def test_xaddr_rewritten_to_the_configured_host() -> None:
    configured = "http://203.0.113.7:18080/onvif/device_service"
    assert (
        rewrite_xaddr("http://192.168.1.64/onvif/Media", configured) == "http://203.0.113.7:18080/onvif/Media"
    )
    assert rewrite_xaddr("http://192.168.1.64:80/onvif/media?x=1", configured).endswith(
        ":18080/onvif/media?x=1"
    )

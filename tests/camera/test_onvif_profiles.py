"""Camera profiles (firmware_profiles/cameras/*.yaml) and time zones: loading, matching, rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from camera.onvif import soap
from camera.onvif.messages import DeviceInfo, EncoderConfig, Profile, parse_reply
from camera.onvif.profiles import (
    CameraProfileError,
    default_camera_profiles_dir,
    load_camera_profile,
    load_camera_profiles,
    match_profile,
)
from camera.onvif.tz import TZ_STYLES, format_tz, parse_tz, same_zone
from endpoints import default_profiles_dir, load_profiles

PROFILES_DIR = default_camera_profiles_dir()
FIXTURES = PROFILES_DIR / "fixtures"


def _read(profile: str, op: str, case: str):
    return parse_reply(op, soap.parse((FIXTURES / profile / op / f"{case}.xml").read_bytes()))


# ---------------------------------------------------------------- loading


def test_both_profiles_load() -> None:
    profiles = load_camera_profiles()
    assert sorted(profiles) == ["hikvision", "onvif-generic"]
    assert profiles["onvif-generic"].generic and not profiles["hikvision"].generic
    assert profiles["hikvision"].time.tz_write == "hikvision"
    assert profiles["hikvision"].encoder.fallback_limits.bitrate_kbps == (32, 2048)


def test_endpoint_loader_does_not_see_camera_profiles() -> None:
    assert PROFILES_DIR.parent == default_profiles_dir()
    endpoint_ids = set(load_profiles(default_profiles_dir()))
    assert endpoint_ids and not endpoint_ids & set(load_camera_profiles())


BROKEN = {
    "typo_key": (("  name_regex:", "  nam_regex:"), "ioc_stream.nam_regex: Extra inputs are not permitted"),
    "bad_regex": (
        ("'(?i)^hikvision'", "'(?i)^hik(vision'"),
        "match.manufacturer: Value error, invalid regex",
    ),
    "bad_style": (("tz_write: hikvision", "tz_write: windows"), "time.tz_write: Input should be"),
    "set_order": (
        ("[SetNTP, SetSystemDateAndTime]", "[SetNTP, SetNTP]"),
        "time.set_order: Value error, must list",
    ),
    "echo_field": (
        ("SessionTimeout, H264Profile", "SessionTimeout, Profile"),
        "encoder.echo_fields.5: Input should be",
    ),
    "range": (
        ("bitrate_kbps: [32, 2048]", "bitrate_kbps: [2048, 32]"),
        "fallback_limits.bitrate_kbps: Value error",
    ),
    "id": (("id: hikvision", "id: hik"), "id: 'hik' must equal the file name 'hikvision'"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_profile_names_file_and_field(tmp_path: Path, case: str) -> None:
    (old, new), expected = BROKEN[case]
    text = (PROFILES_DIR / "hikvision.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "hikvision.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(CameraProfileError) as info:
        load_camera_profile(path)
    assert str(info.value).startswith(f"{path}: ")
    assert expected in str(info.value)


def test_yaml_syntax_error_has_line_number(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("id: x\nvendor: [unclosed\nmatch: {}\n", encoding="utf-8")
    with pytest.raises(CameraProfileError, match=r"x\.yaml: YAML syntax error at line \d+"):
        load_camera_profile(path)


def test_a_folder_without_a_generic_profile_is_refused(tmp_path: Path) -> None:
    (tmp_path / "hikvision.yaml").write_text((PROFILES_DIR / "hikvision.yaml").read_text(), encoding="utf-8")
    with pytest.raises(CameraProfileError, match="no generic profile"):
        load_camera_profiles(tmp_path)


# ---------------------------------------------------------------- matching and rules


def test_match_by_device_information() -> None:
    profiles = load_camera_profiles()
    hik = _read("hikvision", "GetDeviceInformation", "ds2cd2043")
    assert match_profile(profiles, hik).id == "hikvision"
    assert match_profile(profiles, DeviceInfo("Hikvision", "IPC-B140H")).id == "hikvision"
    assert (
        match_profile(profiles, _read("onvif-generic", "GetDeviceInformation", "typical")).id
        == "onvif-generic"
    )
    assert match_profile(profiles.values(), DeviceInfo("AXIS", "P3245-V")).id == "onvif-generic"
    with pytest.raises(LookupError):
        match_profile([profiles["hikvision"]], DeviceInfo("AXIS", "P3245-V"))


def test_ioc_stream_choice() -> None:
    profiles = load_camera_profiles()
    hik, generic = profiles["hikvision"].ioc_stream, profiles["onvif-generic"].ioc_stream
    assert hik.pick(_read("hikvision", "GetProfiles", "main_sub")).token == "Profile_2"  # by token
    # by name ("SubStream"); the audio-only profile is never a candidate
    assert generic.pick(_read("onvif-generic", "GetProfiles", "main_sub_audio")).token == "Profile_2"
    unnamed = [Profile(f"p{i}", f"stream {i}", encoder_token=f"e{i}") for i in range(3)]
    assert generic.pick(unnamed).token == "p1"  # by index
    assert generic.pick(unnamed[:1]).token == "p0"  # index out of range: the first
    with pytest.raises(ValueError, match="no media profile with a video encoder"):
        generic.pick([Profile("audio", "AudioOnly")])


def test_limits_prefer_options_then_fallbacks() -> None:
    profiles = load_camera_profiles()
    hik = profiles["hikvision"].encoder
    no_range = hik.limits(_read("hikvision", "GetVideoEncoderConfigurationOptions", "sub_no_bitrate_range"))
    assert (no_range.bitrate_kbps, no_range.gov_length, no_range.fps) == ((32, 2048), (1, 400), (1, 25))
    with_range = hik.limits(_read("hikvision", "GetVideoEncoderConfigurationOptions", "main_extension"))
    assert with_range.bitrate_kbps == (32, 16384)
    generic = profiles["onvif-generic"].encoder.limits(None)
    assert (generic.resolutions, generic.bitrate_kbps) == ((), (32, 4096))
    config = EncoderConfig(
        "t", "n", 1, "H264", 1280, 720, fps_limit=30, encoding_interval=1, bitrate_limit=9000
    )
    assert no_range.violations(config) == [
        "Resolution 1280x720 not in 640x360, 640x480, 704x576",
        "FrameRateLimit 30 outside 1..25",
        "BitrateLimit 9000 outside 32..2048",
    ]


def test_gov_length_and_keyframe_interval() -> None:
    rules = load_camera_profile(PROFILES_DIR / "onvif-generic.yaml").encoder
    assert rules.gov_length_for(1.0, 15) == 15
    assert rules.gov_length_for(2.0, 25) == 50
    assert rules.gov_length_for(1.0, 10, encoding_interval=2) == 5
    assert rules.keyframe_interval_s(50, 25) == 2.0
    seconds = rules.model_copy(update={"gov_length_unit": "seconds"})
    assert (seconds.gov_length_for(1.0, 25), seconds.keyframe_interval_s(2, 25)) == (1, 2.0)


def test_time_rules_write_the_family_form() -> None:
    profiles = load_camera_profiles()
    assert profiles["hikvision"].time.write_tz("ICT-7") == "CST-7:00:00"
    assert profiles["onvif-generic"].time.write_tz("ICT-7") == "ICT-7"
    with pytest.raises(ValueError, match="DST rule"):
        profiles["hikvision"].time.write_tz("CET-1CEST,M3.5.0,M10.5.0/3")


# ---------------------------------------------------------------- time zones


@pytest.mark.parametrize(
    ("text", "offset_min", "dst"),
    [
        ("ICT-7", 420, False),
        ("<+07>-7", 420, False),
        ("UTC-7", 420, False),  # POSIX: the sign is inverted
        ("CST-7:00:00", 420, False),  # Hikvision
        ("CST+3:00:00", -180, False),
        ("<+0530>-5:30", 330, False),
        ("UTC", 0, False),
        ("GMT0", 0, False),
        ("CET-1CEST,M3.5.0,M10.5.0/3", 60, True),
        ("CST-1:00:00DST01:00:00,M3.5.0/02:00:00,M10.5.0/03:00:00", 60, True),
        ("EST5EDT", -300, True),
    ],
)
def test_parse_tz(text: str, offset_min: int, dst: bool) -> None:
    zone = parse_tz(text)
    assert (zone.offset_min, zone.dst, zone.text) == (offset_min, dst, text)


@pytest.mark.parametrize("text", ["", "Asia/Ho_Chi_Minh", "ICT", "ICT-25", "7", "GMT+07:99"])
def test_parse_tz_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_tz(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ICT-7", {"posix": "ICT-7", "posix_numeric": "<+07>-7", "hikvision": "CST-7:00:00"}),
        (
            "<+0530>-5:30",
            {"posix": "<+0530>-5:30", "posix_numeric": "<+0530>-5:30", "hikvision": "CST-5:30:00"},
        ),
        ("<-03>3", {"posix": "<-03>3", "posix_numeric": "<-03>3", "hikvision": "CST+3:00:00"}),
        ("UTC", {"posix": "UTC", "posix_numeric": "<+00>0", "hikvision": "CST+0:00:00"}),
    ],
)
def test_format_tz(text: str, expected: dict[str, str]) -> None:
    assert {style: format_tz(text, style) for style in TZ_STYLES} == expected
    for written in expected.values():
        assert same_zone(written, text)  # every form reads back as the same zone


def test_format_tz_cannot_drop_a_dst_rule() -> None:
    with pytest.raises(ValueError, match="DST rule"):
        format_tz("CET-1CEST,M3.5.0,M10.5.0/3", "hikvision")


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("ICT-7", "CST-7:00:00", True),
        ("ICT-7", "<+07>-7", True),
        ("ICT-7", "UTC-7", True),
        ("ICT-7", "ICT-8", False),
        ("ICT-7", "ICT7", False),
        ("CET-1", "CET-1CEST,M3.5.0,M10.5.0/3", False),
        ("ICT-7", "garbage", False),
        ("ICT-7", None, False),
    ],
)
def test_same_zone(a: str, b: str | None, same: bool) -> None:
    assert same_zone(a, b) is same

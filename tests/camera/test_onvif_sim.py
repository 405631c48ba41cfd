"""The simulated ONVIF cameras, spoken to in raw SOAP (httpx + camera.onvif.soap) over loopback.

The encoder test checks the served RTSP stream itself, measured the way verify will
(camera.ingest.CameraSource, packet timing): an ONVIF Set must change what the camera sends.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from camera.ingest import CameraSource
from camera.onvif import soap
from camera.onvif.soap import NS, SoapFault
from camera.sim.cli import camera_sim_app
from camera.sim.control import camera_control, read_camera_control_file
from camera.sim.process import CameraSimProcess

PASSWORD = "desk-Pass-7"
SUB, MAIN = "VideoEncoderToken_2", "VideoEncoderToken_1"
SOAP_HEADERS = {"Content-Type": "application/soap+xml; charset=utf-8"}


@pytest.fixture(scope="module")
def cams() -> Iterator[CameraSimProcess]:
    with CameraSimProcess(3, fps=15, onvif=True, onvif_password=PASSWORD) as sim:
        yield sim


@pytest.fixture(autouse=True)
def cleared(cams: CameraSimProcess) -> Iterator[None]:
    yield
    reply = asyncio.run(camera_control(cams.control_file, {"op": "onvif_fault_all", "fault": "clear"}))
    assert reply["ok"], reply


def media(device_url: str) -> str:
    return device_url.replace("/onvif/device_service", "/onvif/media_service")


def request(body: str, password: str | None = PASSWORD, offset: timedelta = timedelta(0)) -> bytes:
    header = "" if password is None else soap.security_header("admin", password, soap.created_now(offset))
    return soap.envelope(body, header)


async def post(url: str, data: bytes, timeout: float = 3.0) -> httpx.Response:  # noqa: ASYNC109
    async with httpx.AsyncClient(timeout=timeout) as client:
        return await client.post(url, content=data, headers=SOAP_HEADERS)


async def ok(url: str, body: str, **kw: Any) -> ET.Element:
    reply = await post(url, request(body, **kw))
    assert reply.status_code == 200, reply.text
    return soap.parse(reply.content)


async def fault(url: str, body: str | bytes, status: int = 400, **kw: Any) -> SoapFault:
    reply = await post(url, body if isinstance(body, bytes) else request(body, **kw))
    assert reply.status_code == status, reply.text
    with pytest.raises(SoapFault) as caught:
        soap.parse(reply.content)
    return caught.value


def text(el: ET.Element, path: str) -> str:
    found = el.findtext(path, None, NS)
    assert found is not None, f"no {path} in {ET.tostring(el)[:300]!r}"
    return found


def encoder(config: ET.Element) -> dict[str, Any]:
    return {
        "token": config.get("token"),
        "size": (int(text(config, "tt:Resolution/tt:Width")), int(text(config, "tt:Resolution/tt:Height"))),
        "fps": int(text(config, "tt:RateControl/tt:FrameRateLimit")),
        "bitrate": int(text(config, "tt:RateControl/tt:BitrateLimit")),
        "gov": int(text(config, "tt:H264/tt:GovLength")),
    }


async def read_encoder(cams: CameraSimProcess, cam: str, token: str = SUB) -> dict[str, Any]:
    body = f"<trt:GetVideoEncoderConfiguration><trt:ConfigurationToken>{token}</trt:ConfigurationToken></trt:GetVideoEncoderConfiguration>"
    return encoder(text_el(await ok(media(cams.onvif[cam]), body), "trt:Configuration"))


def text_el(el: ET.Element, path: str) -> ET.Element:
    found = el.find(path, NS)
    assert found is not None, path
    return found


def set_encoder(
    token: str = SUB,
    size: tuple[int, int] = (640, 360),
    fps: int = 15,
    bitrate: int = 800,
    gov: int = 30,
    omit: tuple[str, ...] = (),
) -> str:
    """A complete SetVideoEncoderConfiguration, as a careful client echoes it (``omit`` drops parts)."""
    parts = {
        "Name": "<tt:Name>VideoEncoder_2</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>",
        "Resolution": f"<tt:Resolution><tt:Width>{size[0]}</tt:Width><tt:Height>{size[1]}</tt:Height></tt:Resolution>",
        "Quality": "<tt:Quality>4</tt:Quality>",
        "RateControl": f"<tt:RateControl><tt:FrameRateLimit>{fps}</tt:FrameRateLimit><tt:EncodingInterval>1"
        f"</tt:EncodingInterval><tt:BitrateLimit>{bitrate}</tt:BitrateLimit></tt:RateControl>",
        "H264": f"<tt:H264><tt:GovLength>{gov}</tt:GovLength><tt:H264Profile>Baseline</tt:H264Profile></tt:H264>",
        "Multicast": "<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address>"
        "</tt:Address><tt:Port>0</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>",
        "SessionTimeout": "<tt:SessionTimeout>PT60S</tt:SessionTimeout>",
    }
    inner = "".join(xml for name, xml in parts.items() if name not in omit)
    return (
        f'<trt:SetVideoEncoderConfiguration><trt:Configuration token="{token}">{inner}</trt:Configuration>'
        "<trt:ForcePersistence>true</trt:ForcePersistence></trt:SetVideoEncoderConfiguration>"
    )


async def rtsp_state(cams: CameraSimProcess, cam: str) -> dict[str, Any]:
    reply = await camera_control(cams.control_file, {"op": "list"})
    return next(c for c in reply["cameras"] if c["name"] == cam)


async def onvif_fault(cams: CameraSimProcess, cam: str, name: str, **params: Any) -> None:
    reply = await cams.onvif_fault(cam, name, **params)
    assert reply["camera"]["fault"] == name


async def onvif_state(cams: CameraSimProcess, cam: str) -> dict[str, Any]:
    reply = await camera_control(cams.control_file, {"op": "onvif_list"})
    return next(c for c in reply["cameras"] if c["name"] == cam)


def camera_utc(response: ET.Element) -> datetime:
    base = "tds:SystemDateAndTime/tt:UTCDateTime/"
    date = [int(text(response, base + f"tt:Date/tt:{p}")) for p in ("Year", "Month", "Day")]
    clock = [int(text(response, base + f"tt:Time/tt:{p}")) for p in ("Hour", "Minute", "Second")]
    return datetime(*date, *clock, tzinfo=UTC)


async def test_time_services_and_capabilities_answer_without_auth(cams: CameraSimProcess) -> None:
    info = read_camera_control_file(cams.control_file).onvif
    assert info is not None and info.cameras == cams.onvif and len(cams.onvif) == 3
    assert (info.username, info.password) == ("admin", PASSWORD)
    assert len({url.split("/")[2] for url in cams.onvif.values()}) == 3  # one port per camera

    device = cams.onvif["1"]
    now = await ok(device, "<tds:GetSystemDateAndTime/>", password=None)
    assert abs((camera_utc(now) - datetime.now(UTC)).total_seconds()) < 3
    assert text(now, "tds:SystemDateAndTime/tt:DateTimeType") == "Manual"

    services = await ok(
        device,
        "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>",
        password=None,
    )
    xaddrs = {text(s, "tds:Namespace"): text(s, "tds:XAddr") for s in services.findall("tds:Service", NS)}
    assert xaddrs == {NS["tds"]: device, NS["trt"]: media(device)}
    caps = await ok(
        device, "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>", password=None
    )
    assert text(caps, "tds:Capabilities/tt:Media/tt:XAddr") == media(device)


async def test_digest_credentials_clock_window_and_nonce_replay(cams: CameraSimProcess) -> None:
    url = media(cams.onvif["1"])
    for kw in ({"password": "wrong"}, {"password": None}, {"offset": timedelta(seconds=-120)}):
        refused = await fault(url, "<trt:GetProfiles/>", **kw)
        assert (refused.code, refused.subcodes) == ("Sender", ["NotAuthorized"]), kw

    profiles = (await ok(url, "<trt:GetProfiles/>")).findall("trt:Profiles", NS)
    assert [p.get("token") for p in profiles] == ["Profile_1", "Profile_2"]
    main, sub = (encoder(text_el(p, "tt:VideoEncoderConfiguration")) for p in profiles)
    assert (main["token"], main["size"]) == (MAIN, (1280, 720))
    assert sub == {"token": SUB, "size": (640, 360), "fps": 15, "bitrate": 800, "gov": 30}  # the RTSP stream

    once = request("<trt:GetProfiles/>")
    assert (await post(url, once)).status_code == 200
    replayed = await fault(url, once)
    assert replayed.subcodes == ["NotAuthorized"] and "nonce" in replayed.reason

    info = await ok(cams.onvif["1"], "<tds:GetDeviceInformation/>")
    assert text(info, "tds:Manufacturer") == "diemcau-sim" and text(info, "tds:SerialNumber")
    stream = "<trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>"
    for profile, uri in (("Profile_2", cams.urls["1"]), ("Profile_1", cams.urls["1"] + "/main")):
        got = await ok(
            url,
            f"<trt:GetStreamUri>{stream}<trt:ProfileToken>{profile}</trt:ProfileToken></trt:GetStreamUri>",
        )
        assert text(got, "trt:MediaUri/tt:Uri") == uri

    unknown = await fault(cams.onvif["1"], "<tds:SystemReboot/>", status=500)
    assert (unknown.code, unknown.subcodes) == ("Receiver", ["ActionNotSupported"])
    misplaced = await fault(
        cams.onvif["1"], "<trt:GetProfiles/>", status=500
    )  # a media op on the device service
    assert misplaced.subcodes == ["ActionNotSupported"]


def challenge_params(reply: httpx.Response) -> dict[str, str]:
    """The WWW-Authenticate: Digest challenge of a 401, as name -> value (quotes removed)."""
    scheme, _, rest = reply.headers["www-authenticate"].partition(" ")
    assert scheme == "Digest", reply.headers
    return {k.strip(): v.strip().strip('"') for k, v in (p.split("=", 1) for p in rest.split(","))}


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def digest_answer(
    challenge: dict[str, str], password: str, uri: str, nc: str, cnonce: str = "0a4f113b"
) -> str:
    """An Authorization value computed by hand, RFC 2617 3.2.2.1 / RFC 7616 3.4.1 (MD5, qop=auth)."""
    ha1 = md5(f"admin:{challenge['realm']}:{password}")
    ha2 = md5(f"POST:{uri}")
    response = md5(f"{ha1}:{challenge['nonce']}:{nc}:{cnonce}:auth:{ha2}")
    return (
        f'Digest username="admin", realm="{challenge["realm"]}", nonce="{challenge["nonce"]}", uri="{uri}", '
        f'algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}", response="{response}"'
    )


async def test_digest_only_answers_401_with_a_challenge_and_takes_http_digest(cams: CameraSimProcess) -> None:
    await onvif_fault(cams, "1", "digest_only")
    device, info_body = cams.onvif["1"], "<tds:GetDeviceInformation/>"
    device_uri = "/onvif/device_service"
    before = (await onvif_state(cams, "1"))["credentials"]
    await ok(device, "<tds:GetSystemDateAndTime/>", password=None)  # still unauthenticated
    nonces = []
    for kw in ({}, {"password": None}):  # a right WS-Security token, or nothing: both refused the same way
        refused = await post(device, request(info_body, **kw))
        assert refused.status_code == 401 and refused.headers["content-type"] == "text/html", kw
        assert b"<soap" not in refused.content.lower() and b"401" in refused.content
        challenge = challenge_params(refused)
        assert challenge["qop"] == "auth" and challenge["algorithm"] == "MD5" and challenge["realm"]
        nonces.append(challenge["nonce"])
    assert len(set(nonces)) == 2  # a fresh nonce with every 401

    async def send(body: bytes, authorization: str) -> httpx.Response:
        async with httpx.AsyncClient(timeout=3) as client:
            headers = {**SOAP_HEADERS, "Authorization": authorization}
            return await client.post(device, content=body, headers=headers)

    plain = request(info_body, password=None)  # no WS-Security: Digest alone must do
    first = digest_answer(challenge, PASSWORD, device_uri, "00000001")
    answered = await send(plain, first)
    assert answered.status_code == 200, answered.text
    assert text(soap.parse(answered.content), "tds:Manufacturer") == "diemcau-sim"
    assert (await send(plain, first)).status_code == 401  # the same nonce count again: a replay
    assert (await send(plain, digest_answer(challenge, PASSWORD, device_uri, "00000002"))).status_code == 200
    not_ours = {**challenge, "nonce": "f" * 32}
    for bad in (
        digest_answer(challenge, "wrong", device_uri, "00000003"),
        digest_answer(challenge, PASSWORD, "/onvif/media_service", "00000004"),  # not the request's uri
        digest_answer(not_ours, "wrong", device_uri, "00000001"),
        "Basic YWRtaW46eHh4eHh4eHg=",
    ):
        again = await send(plain, bad)
        assert again.status_code == 401 and "stale" not in challenge_params(again), bad
    # the right password on a nonce the camera did not issue (or forgot): stale, RFC 7616 3.3
    stale = await send(plain, digest_answer(not_ours, PASSWORD, device_uri, "00000001"))
    assert stale.status_code == 401 and challenge_params(stale)["stale"] == "true"

    # httpx's own DigestAuth does the round trip, on the media service too
    async with httpx.AsyncClient(timeout=3, auth=httpx.DigestAuth("admin", PASSWORD)) as client:
        body = request("<trt:GetProfiles/>", password=None)
        profiles = await client.post(media(device), content=body, headers=SOAP_HEADERS)
    assert profiles.status_code == 200 and len(soap.parse(profiles.content).findall("trt:Profiles", NS)) == 2

    await onvif_fault(cams, "1", "clear")  # WS-Security again, and no challenge
    await ok(device, info_body)
    assert "www-authenticate" not in (await post(device, request(info_body, password=None))).headers
    after = (await onvif_state(cams, "1"))["credentials"]
    # what each request carried, as the camera counted it (Basic counts as none)
    assert {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)} == {
        "none": 5,
        "ws-security": 2,
        "digest": 8,
    }


async def test_set_encoder_changes_the_served_stream(cams: CameraSimProcess) -> None:
    url = media(cams.onvif["2"])
    await ok(url, set_encoder(size=(320, 180), fps=10, bitrate=256, gov=10))
    assert await read_encoder(cams, "2") == {
        "token": SUB,
        "size": (320, 180),
        "fps": 10,
        "bitrate": 256,
        "gov": 10,
    }
    state = await rtsp_state(cams, "2")
    assert state["encoder"] | {"profile": None} == {
        "width": 320,
        "height": 180,
        "fps": 10,
        "bitrate_kbps": 256,
        "key_int": 10,
        "profile": None,
    }

    src = CameraSource("2", cams.urls["2"], open_timeout_s=3, read_timeout_s=3, backoff_base_s=0.2)
    try:
        assert await src.wait_keyframe(5) is not None
        assert src.info is not None and (src.info.width, src.info.height) == (320, 180)
        await asyncio.sleep(3.6)
        rates = src.stats.rates(window_s=3.5)
    finally:
        await src.stop()
    assert rates["fps"] is not None and 9 <= rates["fps"] <= 11, rates
    assert rates["keyframe_interval_s"] is not None and 0.85 <= rates["keyframe_interval_s"] <= 1.15, rates
    assert rates["bitrate_kbps"] is not None and rates["bitrate_kbps"] <= 256 * 1.5, rates


async def test_bitrate_changes_live_without_dropping_the_viewer(cams: CameraSimProcess) -> None:
    src = CameraSource("3", cams.urls["3"], open_timeout_s=3, read_timeout_s=3, backoff_base_s=0.2)
    try:
        assert await src.wait_keyframe(5) is not None
        before = await rtsp_state(cams, "3")
        await ok(media(cams.onvif["3"]), set_encoder(bitrate=400))
        after = await rtsp_state(cams, "3")
        await asyncio.sleep(0.5)
        assert src.stats.reconnects == 0 and src.stats.state == "streaming"
    finally:
        await src.stop()
    assert after["bitrate_live_kbps"] == 400 and after["encoder"]["bitrate_kbps"] == 400
    assert after["pipelines"] == before["pipelines"] and after["clients"] == 1  # the same encoder, live
    assert (await read_encoder(cams, "3"))["bitrate"] == 400


async def test_values_outside_the_options_are_refused_naming_the_field(cams: CameraSimProcess) -> None:
    url = media(cams.onvif["1"])
    for body, named in (
        (set_encoder(bitrate=5000), "BitrateLimit"),
        (set_encoder(size=(800, 600)), "Resolution"),
        (set_encoder(gov=0), "GovLength"),
        (set_encoder(fps=60), "FrameRateLimit"),
        (set_encoder(omit=("Multicast",)), "Multicast"),
        (set_encoder(omit=("SessionTimeout",)), "SessionTimeout"),
    ):
        refused = await fault(url, body)
        assert refused.subcodes == ["InvalidArgVal", "ConfigModify"] and named in refused.reason, refused
    assert (await fault(url, set_encoder(token="nope"))).subcodes == ["InvalidArgVal", "NoConfig"]
    assert (await fault(url, set_encoder(token=MAIN, bitrate=4096 + 1))).subcodes[-1] == "ConfigModify"
    await ok(url, set_encoder(token=MAIN, size=(1920, 1080), bitrate=4096))  # the main stream allows more
    assert (await read_encoder(cams, "1", MAIN))["size"] == (1920, 1080)
    assert await read_encoder(cams, "1") == {
        "token": SUB,
        "size": (640, 360),
        "fps": 15,
        "bitrate": 800,
        "gov": 30,
    }
    assert (await rtsp_state(cams, "1"))["encoder"]["width"] == 640


async def test_ntp_time_zone_clock_and_hostname_persist(cams: CameraSimProcess) -> None:
    device = cams.onvif["1"]
    ntp_mode = (
        "<tds:SetSystemDateAndTime><tds:DateTimeType>NTP</tds:DateTimeType><tds:DaylightSavings>false"
        "</tds:DaylightSavings><tds:TimeZone><tt:TZ>{tz}</tt:TZ></tds:TimeZone></tds:SetSystemDateAndTime>"
    )
    assert (await fault(device, ntp_mode.format(tz="ICT-7"))).subcodes[-1] == "NtpServerUndefined"
    bad_ip = "<tds:SetNTP><tds:FromDHCP>false</tds:FromDHCP><tds:NTPManual><tt:Type>IPv4</tt:Type><tt:IPv4Address>10.0.0.300</tt:IPv4Address></tds:NTPManual></tds:SetNTP>"
    assert (await fault(device, bad_ip)).subcodes[-1] == "InvalidIPv4Address"
    await ok(
        device,
        "<tds:SetNTP><tds:FromDHCP>false</tds:FromDHCP>"
        "<tds:NTPManual><tt:Type>DNS</tt:Type><tt:DNSname>ntp.example.vn</tt:DNSname></tds:NTPManual>"
        "<tds:NTPManual><tt:Type>IPv4</tt:Type><tt:IPv4Address>10.0.0.1</tt:IPv4Address></tds:NTPManual></tds:SetNTP>",
    )
    ntp = await ok(device, "<tds:GetNTP/>")
    assert [text(h, "tt:Type") for h in ntp.findall("tds:NTPInformation/tt:NTPManual", NS)] == ["DNS", "IPv4"]
    assert text(ntp, "tds:NTPInformation/tt:NTPManual/tt:DNSname") == "ntp.example.vn"
    assert (await fault(device, ntp_mode.format(tz="not a zone"))).subcodes[-1] == "InvalidTimeZone"

    # A manual clock an hour ahead: the camera now only takes tokens signed with its time.
    ahead = datetime.now(UTC) + timedelta(hours=1)
    await ok(
        device,
        "<tds:SetSystemDateAndTime><tds:DateTimeType>Manual</tds:DateTimeType><tds:DaylightSavings>false"
        "</tds:DaylightSavings><tds:UTCDateTime><tt:Time>"
        f"<tt:Hour>{ahead.hour}</tt:Hour><tt:Minute>{ahead.minute}</tt:Minute><tt:Second>{ahead.second}</tt:Second>"
        f"</tt:Time><tt:Date><tt:Year>{ahead.year}</tt:Year><tt:Month>{ahead.month}</tt:Month><tt:Day>{ahead.day}"
        "</tt:Day></tt:Date></tds:UTCDateTime></tds:SetSystemDateAndTime>",
    )
    assert (await fault(device, "<tds:GetNTP/>")).subcodes == ["NotAuthorized"]
    await ok(device, ntp_mode.format(tz="ICT-7"), offset=timedelta(hours=1))  # NTP: back in sync at once
    now = await ok(device, "<tds:GetSystemDateAndTime/>")
    assert text(now, "tds:SystemDateAndTime/tt:DateTimeType") == "NTP"
    assert text(now, "tds:SystemDateAndTime/tt:TimeZone/tt:TZ") == "ICT-7"
    assert abs((camera_utc(now) - datetime.now(UTC)).total_seconds()) < 3
    local_hour = int(text(now, "tds:SystemDateAndTime/tt:LocalDateTime/tt:Time/tt:Hour"))
    assert local_hour == (camera_utc(now) + timedelta(hours=7)).hour

    await ok(device, "<tds:SetHostname><tds:Name>mc-xa-an-phu-01</tds:Name></tds:SetHostname>")
    assert (
        text(await ok(device, "<tds:GetHostname/>"), "tds:HostnameInformation/tt:Name") == "mc-xa-an-phu-01"
    )
    bad_name = "<tds:SetHostname><tds:Name>bad name!</tds:Name></tds:SetHostname>"
    assert (await fault(device, bad_name)).subcodes[-1] == "InvalidHostname"


async def test_fault_auth_soap_fault_and_unsupported(cams: CameraSimProcess) -> None:
    url = media(cams.onvif["1"])
    await onvif_fault(cams, "1", "auth", password="rotated-by-someone")
    assert (await fault(url, "<trt:GetProfiles/>")).subcodes == ["NotAuthorized"]
    await ok(url, "<trt:GetProfiles/>", password="rotated-by-someone")

    await onvif_fault(cams, "1", "soap_fault")
    failed = await fault(url, "<trt:GetProfiles/>", status=500)
    assert (failed.code, failed.subcodes) == ("Receiver", ["Action", "ActionFailed"])
    await ok(cams.onvif["1"], "<tds:GetSystemDateAndTime/>", password=None)  # no auth, no fault

    await onvif_fault(cams, "1", "unsupported")
    options_body = f"<trt:GetVideoEncoderConfigurationOptions><trt:ConfigurationToken>{SUB}</trt:ConfigurationToken></trt:GetVideoEncoderConfigurationOptions>"
    options = await ok(url, options_body)
    assert text(options, "trt:Options/tt:Extension/tt:H264/tt:BitrateRange/tt:Max") == "512"
    sizes = [
        int(w.text or 0) for w in options.findall("trt:Options/tt:H264/tt:ResolutionsAvailable/tt:Width", NS)
    ]
    assert 1280 not in sizes
    assert "BitrateLimit" in (await fault(url, set_encoder(bitrate=1024))).reason
    assert "Resolution" in (await fault(url, set_encoder(size=(1280, 720), bitrate=512))).reason

    await onvif_fault(cams, "1", "clear")
    options = await ok(url, options_body)
    assert text(options, "trt:Options/tt:Extension/tt:H264/tt:BitrateRange/tt:Max") == "2048"
    await ok(url, "<trt:GetProfiles/>")  # the original password again


async def test_fault_timeout_is_never_answered(cams: CameraSimProcess) -> None:
    await onvif_fault(cams, "2", "timeout", operations=["GetProfiles"])
    await ok(cams.onvif["2"], "<tds:GetSystemDateAndTime/>", password=None)  # other operations answer
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        await post(media(cams.onvif["2"]), request("<trt:GetProfiles/>"), timeout=1.0)
    assert 0.9 <= time.monotonic() - started < 2.5


async def test_fault_skew_moves_the_camera_clock(cams: CameraSimProcess) -> None:
    await onvif_fault(cams, "3", "skew", seconds=300)
    now = await ok(cams.onvif["3"], "<tds:GetSystemDateAndTime/>", password=None)
    assert abs((camera_utc(now) - datetime.now(UTC)).total_seconds() - 300) < 3
    assert (await fault(media(cams.onvif["3"]), "<trt:GetProfiles/>")).subcodes == ["NotAuthorized"]
    await ok(media(cams.onvif["3"]), "<trt:GetProfiles/>", offset=timedelta(seconds=300))


async def test_fault_ignore_set_answers_ok_and_changes_nothing(cams: CameraSimProcess) -> None:
    hostname = "<tds:GetHostname/>", "tds:HostnameInformation/tt:Name"
    before = await read_encoder(cams, "1"), text(await ok(cams.onvif["1"], hostname[0]), hostname[1])
    assert before[0]["size"] == (640, 360)
    await onvif_fault(cams, "1", "ignore_set")
    await ok(media(cams.onvif["1"]), set_encoder(size=(320, 180), fps=10, bitrate=256, gov=10))
    await ok(cams.onvif["1"], "<tds:SetHostname><tds:Name>ignored</tds:Name></tds:SetHostname>")
    after = await read_encoder(cams, "1"), text(await ok(cams.onvif["1"], hostname[0]), hostname[1])
    assert after == before
    assert (await rtsp_state(cams, "1"))["encoder"]["width"] == 640
    src = CameraSource("1", cams.urls["1"], open_timeout_s=3, read_timeout_s=3)
    try:
        assert await src.wait_keyframe(5) is not None
        assert src.info is not None and (src.info.width, src.info.height) == (640, 360)
    finally:
        await src.stop()


async def test_control_refuses_bad_requests_and_cli_injects_onvif_faults(cams: CameraSimProcess) -> None:
    for bad in (
        {"op": "onvif_fault", "camera": "9", "fault": "auth"},
        {"op": "onvif_fault", "camera": "1", "fault": "melt"},
        {"op": "onvif_fault", "camera": "1", "fault": "skew"},  # how far?
        {"op": "onvif_fault_all", "cameras": ["1", "9"], "fault": "timeout"},
        {"op": "onvif_explode"},
        {"op": "encoder", "camera": "1", "width": 641},
        {"op": "encoder", "camera": "1", "fps": 0},
        {"op": "encoder", "camera": "1", "shutter": 5},
    ):
        reply = await camera_control(cams.control_file, bad)
        assert reply["ok"] is False and reply["error"], bad
    listing = await camera_control(cams.control_file, {"op": "onvif_list"})
    assert [c["fault"] for c in listing["cameras"]] == ["clear"] * 3

    args = ["camera-fault", "--control-file", str(cams.control_file), "--onvif", "--camera", "2"]
    result = await asyncio.to_thread(
        CliRunner().invoke, camera_sim_app, [*args, "--fault", "skew", "--seconds", "45"]
    )
    assert result.exit_code == 0, result.output
    state = next(
        c
        for c in (await camera_control(cams.control_file, {"op": "onvif_list"}))["cameras"]
        if c["name"] == "2"
    )
    assert (state["fault"], state["clock_offset_s"]) == ("skew", 45.0)


def test_cli_serves_onvif_by_default_and_prints_the_urls(tmp_path: Path) -> None:
    control_file = tmp_path / "cams.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "camera.sim.cli", "cameras", "--count", "2", "--port", "0"]
        + ["--control-file", str(control_file), "--onvif-password", "cli-pass"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        info = read_camera_control_file(control_file)
        assert info.onvif is not None and info.onvif.password == "cli-pass"
        assert "'cli-pass'" in lines[1]
        assert f"ONVIF {info.onvif.cameras['2']}" in lines[3], lines
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0, output
    assert not control_file.exists()

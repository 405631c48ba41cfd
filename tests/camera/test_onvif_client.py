"""The ONVIF client (camera.onvif.client) against the simulated ONVIF camera, over loopback.

One simulator serves the whole module; each test injects its fault, and the
``cleared`` fixture ends it (password, options and clock back to normal). What
the camera did is read from the simulator's own state (``onvif_list``: stored
settings and per-operation call counts), never from the client's say-so. The
client's HTTP traffic is observed, not replaced, through an httpx request hook
(``wire``) where a test must see the WS-Security token that was sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from camera.netpolicy import NetPolicy
from camera.onvif.client import OnvifClient, OnvifError
from camera.onvif.messages import EncoderConfig, Profile
from camera.onvif.profiles import CameraProfile, load_camera_profiles, match_profile
from camera.onvif.soap import NS, UsernameToken, read_token
from camera.onvif.tz import same_zone
from camera.sim.control import camera_control
from camera.sim.process import CameraSimProcess
from controller.bench.harness import free_port

PASSWORD = "tinh-Onvif-9"
LOOPBACK = NetPolicy(allow_loopback=True)  # the simulated cameras listen on loopback
PROFILES = load_camera_profiles()
GENERIC = PROFILES["onvif-generic"]


@pytest.fixture(scope="module")
def cams() -> Iterator[CameraSimProcess]:
    with CameraSimProcess(2, fps=15, onvif=True, onvif_password=PASSWORD) as sim:
        yield sim


@pytest.fixture(autouse=True)
def cleared(cams: CameraSimProcess) -> Iterator[None]:
    yield
    reply = asyncio.run(camera_control(cams.control_file, {"op": "onvif_fault_all", "fault": "clear"}))
    assert reply["ok"], reply


@pytest.fixture
async def cam1(cams: CameraSimProcess) -> AsyncIterator[OnvifClient]:
    async with client(cams, "1") as c:
        yield c


def client(
    cams: CameraSimProcess,
    name: str,
    *,
    password: str | None = None,
    timeout_s: float = 2.0,
    profile: CameraProfile | None = GENERIC,
) -> OnvifClient:
    return OnvifClient(
        cams.onvif[name],
        cams.onvif_username,
        PASSWORD if password is None else password,
        timeout_s=timeout_s,
        profile=profile,
        policy=LOOPBACK,
    )


def wire(c: OnvifClient) -> list[bytes]:
    """Every request body the client sends from now on (an httpx event hook: the real request goes out)."""
    sent: list[bytes] = []

    async def keep(request: httpx.Request) -> None:
        sent.append(request.content)

    c._http.event_hooks = {"request": [keep], "response": []}
    return sent


def tokens(sent: list[bytes]) -> list[UsernameToken]:
    return [token for _, token in map(read_token, sent) if token is not None]


def wire_with_authorization(c: OnvifClient) -> list[tuple[bytes, str | None]]:
    """Like ``wire``, with each request's HTTP Authorization header (None when it had none)."""
    sent: list[tuple[bytes, str | None]] = []

    async def keep(request: httpx.Request) -> None:
        sent.append((request.content, request.headers.get("authorization")))

    c._http.event_hooks = {"request": [keep], "response": []}
    return sent


async def sim_state(cams: CameraSimProcess, name: str) -> dict[str, Any]:
    reply = await camera_control(cams.control_file, {"op": "onvif_list"})
    return next(c for c in reply["cameras"] if c["name"] == name)


async def calls(cams: CameraSimProcess, name: str) -> dict[str, int]:
    return (await sim_state(cams, name))["calls"]


async def credentials(cams: CameraSimProcess, name: str) -> dict[str, int]:
    """Requests the camera received, by what they carried: none, ws-security, digest, both."""
    return (await sim_state(cams, name))["credentials"]


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {op: n - before.get(op, 0) for op, n in after.items() if n != before.get(op, 0)}


async def fault(cams: CameraSimProcess, name: str, kind: str, **params: Any) -> None:
    reply = await cams.onvif_fault(name, kind, **params)
    assert reply["camera"]["fault"] == kind


def seconds(offset: timedelta | None) -> float:
    assert offset is not None, "the client has not read the camera clock"
    return offset.total_seconds()


def created(token: UsernameToken) -> datetime:
    return datetime.strptime(token.created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


async def ioc_encoder(c: OnvifClient) -> tuple[Profile, EncoderConfig]:
    assert c.profile is not None
    stream = c.profile.ioc_stream.pick(await c.get_profiles())
    assert stream.encoder_token is not None
    return stream, await c.get_video_encoder_configuration(stream.encoder_token)


def without_credentials(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[-1], parts.path, parts.query, ""))


# ---------------------------------------------------------------- clock and authentication


async def test_clock_skew_is_read_and_tokens_are_signed_in_camera_time(cams: CameraSimProcess) -> None:
    skew = -3 * 3600
    await fault(cams, "1", "skew", seconds=skew)
    async with client(cams, "1") as c:
        sent = wire(c)
        profiles = await c.get_profiles()
        assert [p.token for p in profiles] == ["Profile_1", "Profile_2"]
        assert abs(seconds(c.clock_offset) - skew) < 2
        signed = tokens(sent)
        assert signed, "no authenticated request went out"
        for token in signed:  # the camera's clock, 3 h behind ours, not ours
            assert abs((created(token) - datetime.now(UTC)).total_seconds() - skew) < 5, token.created


async def test_a_clock_jump_under_a_connected_client_costs_one_retry(cams: CameraSimProcess) -> None:
    async with client(cams, "1") as c:
        await c.connect()
        assert abs(seconds(c.clock_offset)) < 2
        await fault(cams, "1", "skew", seconds=-3 * 3600)
        before = await calls(cams, "1")
        info = await c.get_device_information()
        assert info.manufacturer == "diemcau-sim"
        assert delta(before, await calls(cams, "1")) == {"GetDeviceInformation": 2, "GetSystemDateAndTime": 1}
        assert abs(seconds(c.clock_offset) + 3 * 3600) < 2


async def test_wrong_password_is_auth_failed_after_one_retry_without_leaking(cams: CameraSimProcess) -> None:
    wrong = "not-the-Password-42"
    async with client(cams, "1", password=wrong) as c:
        await c.connect()  # GetSystemDateAndTime and GetServices need no token
        sent = wire(c)
        before = await calls(cams, "1")
        with pytest.raises(OnvifError) as caught:
            await c.get_device_information()
        after = await calls(cams, "1")
    error = caught.value
    assert error.code == "auth_failed" and error.operation == "GetDeviceInformation"
    assert "'admin'" in error.message  # the user the technician should check
    # One refusal, the clock read again, one retry: nothing more.
    assert delta(before, after) == {"GetDeviceInformation": 2, "GetSystemDateAndTime": 1}
    digests = [t.digest for t in tokens(sent)]
    assert len(digests) == 2 and all(digests)
    assert error.transcript is not None and error.transcript.status == 400
    assert "NotAuthorized" in error.transcript.reply
    for where in (repr(error.transcript), str(error), repr(c.last_exchange)):
        for secret in (wrong, PASSWORD, *digests, "UsernameToken", "PasswordDigest"):
            assert secret not in where, (secret, where)


async def test_clock_offset_is_read_again_after_set_ntp_and_set_time(cams: CameraSimProcess) -> None:
    await fault(cams, "1", "skew", seconds=-3 * 3600)
    async with client(cams, "1") as c:
        await c.connect()
        assert abs(seconds(c.clock_offset) + 3 * 3600) < 2

        before = await calls(cams, "1")
        await c.set_ntp(["ntp.tinh.example"])
        assert delta(before, await calls(cams, "1")) == {"SetNTP": 1, "GetSystemDateAndTime": 1}

        before = await calls(cams, "1")
        await c.set_system_date_and_time("NTP", "ICT-7")  # the simulated camera syncs at once
        assert delta(before, await calls(cams, "1")) == {"SetSystemDateAndTime": 1, "GetSystemDateAndTime": 1}
        assert abs(seconds(c.clock_offset)) < 2

        ahead = datetime.now(UTC) + timedelta(hours=1)
        await c.set_system_date_and_time("Manual", "ICT-7", utc=ahead)
        assert abs(seconds(c.clock_offset) - 3600) < 2
        before = await calls(cams, "1")
        ntp = await c.get_ntp()  # signed with the new offset at the first try
        assert delta(before, await calls(cams, "1")) == {"GetNTP": 1}
        assert ntp.servers == ("ntp.tinh.example",)


async def test_a_dozen_calls_each_carry_a_fresh_nonce(cams: CameraSimProcess, cam1: OnvifClient) -> None:
    await cam1.connect()
    sent = wire(cam1)
    before = await calls(cams, "1")
    for _ in range(6):
        assert (await cam1.get_hostname()).name
        assert len(await cam1.get_video_encoder_configurations()) == 2
    # Exactly one request each: a replayed nonce would have been refused and retried.
    assert delta(before, await calls(cams, "1")) == {"GetHostname": 6, "GetVideoEncoderConfigurations": 6}
    nonces = [t.nonce for t in tokens(sent)]
    assert len(nonces) == 12 and len(set(nonces)) == 12 and all(len(n) == 16 for n in nonces)


async def test_concurrent_first_calls_read_the_clock_and_services_once(cams: CameraSimProcess) -> None:
    async with client(cams, "2") as c:
        sent = wire(c)
        before = await calls(cams, "2")
        profiles = await asyncio.gather(*(c.get_profiles() for _ in range(12)))
        assert {len(p) for p in profiles} == {2}
        after = await calls(cams, "2")
    assert delta(before, after) == {"GetSystemDateAndTime": 1, "GetServices": 1, "GetProfiles": 12}
    assert len({t.nonce for t in tokens(sent)}) == 13  # GetServices is signed too


# ---------------------------------------------------------------- HTTP Digest


async def test_a_digest_only_camera_is_read_through_the_digest_fallback(cams: CameraSimProcess) -> None:
    await fault(cams, "1", "digest_only")  # answers 401 + a Digest challenge to WS-Security
    async with client(cams, "1") as c:
        before = await calls(cams, "1")
        info = await c.get_device_information()
        assert info.manufacturer == "diemcau-sim" and info.serial_number == "DCSIM00001"
        assert c.auth_method == "digest"
        # WS-Security refused, the clock read again, refused again; then Digest: challenge, answer.
        assert delta(before, await calls(cams, "1")) == {"GetSystemDateAndTime": 2, "GetDeviceInformation": 4}

        sent = wire_with_authorization(c)
        before, carried = await calls(cams, "1"), await credentials(cams, "1")
        profiles = await c.get_profiles()  # discovery included: straight to Digest, one request each
        assert [p.token for p in profiles] == ["Profile_1", "Profile_2"]
        assert (await c.get_device_information()) == info
        assert delta(before, await calls(cams, "1")) == {
            "GetServices": 1,
            "GetProfiles": 1,
            "GetDeviceInformation": 1,
        }
        assert delta(carried, await credentials(cams, "1")) == {"digest": 3}
        assert not tokens([body for body, _ in sent])  # no WS-Security header any more
        assert all(auth is not None and auth.startswith("Digest ") for _, auth in sent)
        assert c.auth_method == "digest"


async def test_a_digest_only_camera_with_a_wrong_password_is_auth_failed_without_leaking(
    cams: CameraSimProcess,
) -> None:
    wrong = "not-the-Password-42"
    await fault(cams, "2", "digest_only")
    async with client(cams, "2", password=wrong) as c:
        await c.get_system_date_and_time()
        sent = wire_with_authorization(c)
        before = await calls(cams, "2")
        with pytest.raises(OnvifError) as caught:
            await c.get_device_information()
        after = await calls(cams, "2")
        last = c.last_exchange
        assert c.auth_method == "ws-security"  # nothing worked, nothing to remember
    error = caught.value
    assert error.code == "auth_failed" and error.operation == "GetDeviceInformation"
    assert "'admin' by WS-Security and by HTTP Digest" in error.message, error.message
    assert delta(before, after) == {"GetDeviceInformation": 4, "GetSystemDateAndTime": 1}  # and not one more
    answered = [auth for _, auth in sent if auth is not None]
    assert len(answered) == 1 and answered[0].startswith("Digest ")  # one challenge answered, once
    response = answered[0].split('response="', 1)[1].split('"', 1)[0]
    assert error.transcript is not None and error.transcript.status == 401
    assert error.transcript.reply == ""  # the camera's HTML page is not kept
    for where in (repr(error.transcript), str(error), repr(last)):
        for secret in (wrong, PASSWORD, response, answered[0], "username=", "Authorization"):
            assert secret not in where, (secret, where)


async def test_a_camera_that_takes_ws_security_is_never_sent_digest(cams: CameraSimProcess) -> None:
    carried = await credentials(cams, "2")
    async with client(cams, "2") as c:
        assert len(await c.get_profiles()) == 2
        assert c.auth_method == "ws-security"
    async with client(cams, "2", password="not-the-Password-42") as c:
        with pytest.raises(OnvifError) as caught:  # 400 NotAuthorized, no challenge: Digest is not on offer
            await c.get_hostname()
        assert caught.value.code == "auth_failed" and "Digest" not in caught.value.message
    counted = delta(carried, await credentials(cams, "2"))
    assert "digest" not in counted and "both" not in counted, counted
    assert counted == {"none": 3, "ws-security": 4}, counted  # clock x3; services, profiles, hostname x2


# ---------------------------------------------------------------- encoder


async def test_encoder_write_reads_back_as_sent_and_drives_the_stream(cams: CameraSimProcess) -> None:
    async with client(cams, "2") as c:
        stream, read = await ioc_encoder(c)
        assert (stream.token, read.token, read.width, read.height) == (
            "Profile_2",
            "VideoEncoderToken_2",
            640,
            360,
        )
        options = await c.get_video_encoder_configuration_options(read.token, stream.token)
        assert options.bitrate_range == (64, 2048) and (320, 180) in options.resolutions
        changes = {"width": 320, "height": 180, "fps_limit": 10, "gov_length": 10, "bitrate_limit": 256}
        try:
            sent = await c.set_video_encoder_configuration(read, changes, options=options)
            assert sent == EncoderConfig(**{**read.__dict__, **changes})
            assert await c.get_video_encoder_configuration(read.token) == sent
            stored = (await sim_state(cams, "2"))["encoders"]["VideoEncoderToken_2"]
            assert (stored["width"], stored["height"], stored["fps"]) == (320, 180, 10)
            assert (stored["gov_length"], stored["bitrate_kbps"]) == (10, 256)
            rtsp = await camera_control(cams.control_file, {"op": "list"})
            served = next(cam for cam in rtsp["cameras"] if cam["name"] == "2")["encoder"]
            assert (served["width"], served["height"], served["fps"], served["key_int"]) == (320, 180, 10, 10)
            assert served["bitrate_kbps"] == 256
        finally:
            now = await c.get_video_encoder_configuration(read.token)
            await c.set_video_encoder_configuration(now, {k: getattr(read, k) for k in changes})
        assert await c.get_video_encoder_configuration(read.token) == read


async def test_an_over_range_bitrate_names_bitrate_limit_and_the_range(cams: CameraSimProcess) -> None:
    async with client(cams, "2") as c:
        stream, read = await ioc_encoder(c)
        options = await c.get_video_encoder_configuration_options(read.token, stream.token)
        with pytest.raises(OnvifError) as caught:
            await c.set_video_encoder_configuration(read, {"bitrate_limit": 5000}, options=options)
        error = caught.value
        assert error.code == "unsupported_setting"
        assert getattr(error, "field", None) == "BitrateLimit"
        assert "BitrateLimit 5000 outside 64..2048" in error.message, error.message
        assert await c.get_video_encoder_configuration(read.token) == read  # nothing half-applied


async def test_unsupported_fault_shrinks_the_options_and_720p_is_refused(cams: CameraSimProcess) -> None:
    await fault(cams, "2", "unsupported")
    async with client(cams, "2") as c:
        stream, read = await ioc_encoder(c)
        options = await c.get_video_encoder_configuration_options(read.token, stream.token)
        assert options.resolutions == ((640, 360), (320, 180)) and options.bitrate_range == (64, 512)
        with pytest.raises(OnvifError) as caught:
            changes = {"width": 1280, "height": 720, "bitrate_limit": 512}
            await c.set_video_encoder_configuration(read, changes, options=options)
        error = caught.value
        assert error.code == "unsupported_setting" and getattr(error, "field", None) == "Resolution"
        assert "1280x720 not in 640x360, 320x180" in error.message, error.message
        assert await c.get_video_encoder_configuration(read.token) == read


# ---------------------------------------------------------------- transport failures and faults


async def test_timeout_fault_is_timeout_after_the_clients_timeout(cams: CameraSimProcess) -> None:
    await fault(cams, "2", "timeout", operations=["GetProfiles"])
    async with client(cams, "2", timeout_s=1.0) as c:
        await c.connect()  # other operations still answer
        started = time.monotonic()
        with pytest.raises(OnvifError) as caught:
            await c.get_profiles()
        elapsed = time.monotonic() - started
        assert caught.value.code == "timeout" and caught.value.operation == "GetProfiles"
        assert 0.9 <= elapsed < 2.0, elapsed
        assert (await calls(cams, "2"))["GetProfiles"] >= 1  # the camera read it and kept quiet
        await fault(cams, "2", "clear")
        assert len(await c.get_profiles()) == 2  # the same client goes on once the camera answers


async def test_a_closed_port_is_unreachable(cams: CameraSimProcess) -> None:
    async with OnvifClient(
        f"127.0.0.1:{free_port()}", "admin", PASSWORD, timeout_s=1.0, policy=LOOPBACK
    ) as c:
        started = time.monotonic()
        with pytest.raises(OnvifError) as caught:
            await c.get_device_information()
    assert caught.value.code == "unreachable" and caught.value.operation == "GetSystemDateAndTime"
    assert time.monotonic() - started < 1.0  # refused at once, not waited out


async def test_soap_fault_is_device_fault(cams: CameraSimProcess, cam1: OnvifClient) -> None:
    await fault(cams, "1", "soap_fault")
    with pytest.raises(OnvifError) as caught:
        await cam1.get_profiles()
    error = caught.value
    assert error.code == "device_fault" and error.operation == "GetProfiles"
    assert error.fault is not None and error.fault.subcodes == ["Action", "ActionFailed"]
    assert "ActionFailed" in error.message
    assert error.transcript is not None and error.transcript.status == 500


# ---------------------------------------------------------------- time, stream, identity


async def test_set_time_to_ntp_and_ict_is_idempotent(cams: CameraSimProcess, cam1: OnvifClient) -> None:
    assert await cam1.set_time(["ntp.tinh.example"], "ICT-7") == "NTP"
    ntp = await cam1.get_ntp()
    now = await cam1.get_system_date_and_time()
    assert ntp.servers == ("ntp.tinh.example",) and not ntp.from_dhcp
    assert now.type == "NTP" and not now.dst and same_zone(now.tz, "ICT-7")
    assert now.utc is not None and abs((now.utc - datetime.now(UTC)).total_seconds()) < 2
    state = await sim_state(cams, "1")

    assert await cam1.set_time(["ntp.tinh.example"], "ICT-7") == "NTP"
    assert (await cam1.get_ntp()) == ntp
    again = await cam1.get_system_date_and_time()
    assert (again.type, again.dst, again.tz) == (now.type, now.dst, now.tz)
    after = await sim_state(cams, "1")
    keys = ("ntp", "date_time", "clock_offset_s", "hostname", "encoders")
    assert {k: after[k] for k in keys} == {k: state[k] for k in keys}


async def test_stream_uri_of_the_ioc_profile_is_the_cameras_rtsp_url(
    cams: CameraSimProcess, cam1: OnvifClient
) -> None:
    stream, _ = await ioc_encoder(cam1)
    uri = await cam1.get_stream_uri(stream.token)
    assert without_credentials(uri.uri) == without_credentials(cams.urls["1"])
    assert not uri.invalid_after_connect


async def test_device_information_matches_the_generic_profile(cams: CameraSimProcess) -> None:
    async with client(cams, "1", profile=None) as c:
        info = await c.get_device_information()
        assert (info.manufacturer, info.model, info.serial_number) == (
            "diemcau-sim",
            "SIM-IPC-2",
            "DCSIM00001",
        )
        assert info.firmware_version and info.hardware_id == "sim-ipc-r1"
        profile = match_profile(PROFILES, info)
        assert profile.id == "onvif-generic" and profile.generic
        c.use_profile(profile)
        stream, encoder = await ioc_encoder(c)
        assert (stream.name, encoder.width, encoder.height) == ("subStream", 640, 360)
        assert c.xaddrs == {
            NS["tds"]: cams.onvif["1"],
            NS["trt"]: cams.onvif["1"].replace("/device_service", "/media_service"),
        }

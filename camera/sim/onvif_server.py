"""Simulated ONVIF cameras (device and media services, SOAP 1.2) in front of the RTSP simulator.

Runs in the project venv beside ``rtsp_server.py`` (started by ``CameraSimProcess(onvif=True)``)::

    python -m camera.sim.onvif_server --control-file cams.json      # password: $DIEMCAU_SIM_ONVIF_PASSWORD

It reads the RTSP server's control file, gives every camera its own HTTP port on the
same host, as real cameras have (``/onvif/device_service``, ``/onvif/media_service``),
and adds an ``onvif`` section to the control file: its control socket, each camera's
device service URL and the credentials.

Each camera has two fixed profiles: ``Profile_1`` (main stream, 1280x720, *not* served:
its stream URI ``rtsp://<host>:<port>/cam/<name>/main`` answers 404) and ``Profile_2``
(sub stream: the RTSP simulator's ``/cam/<name>``, at that camera's current settings).
SetVideoEncoderConfiguration on the sub stream drives the RTSP server's ``encoder`` op,
so the served stream really changes (bitrate live, the rest by a pipeline rebuild).

Like a strict device: WS-Security PasswordDigest on everything except
GetSystemDateAndTime, GetServices and GetCapabilities, ``Created`` within
``TOKEN_WINDOW_S`` of the camera's own clock (skew included), a nonce is accepted once
(without a token: HTTP 400 NotAuthorized, what ONVIF Core 5.9.1 asks of a device that
only does the username token); under the ``digest_only`` fault HTTP Digest instead (below);
device operations only on the device service and media operations only on the media
service; a SetVideoEncoderConfiguration missing a required element or asking for a value
outside the options is refused with ``Sender/InvalidArgVal/ConfigModify`` naming the field.
Sender faults answer HTTP 400, Receiver faults 500.

Faults (one at a time per camera; a new one replaces the last, ``clear`` ends it), over
the control socket (JSON lines, see ``camera.sim.control.camera_control``)::

    {"op": "onvif_list"}      cameras: name, device_url, fault, clock_offset_s, hostname, ntp,
                              date_time, encoders (by token), calls (by operation),
                              credentials (requests by what they carried: none, ws-security,
                              digest, both)
    {"op": "onvif_fault", "camera": "1", "fault": "auth", "password": "other"}   -> {"ok", "camera"}
    {"op": "onvif_fault", "camera": "1", "fault": "skew", "seconds": 120}
    {"op": "onvif_fault", "camera": "1", "fault": "soap_fault" | "timeout", "operations": ["GetProfiles"]}
    {"op": "onvif_fault", "camera": "1", "fault": "digest_only"}
    {"op": "onvif_fault_all", "fault": "clear", "cameras": ["1", "2"] | null} -> {"ok", "cameras"}

``auth``: the device expects another password (``password``, default a new random one),
so every authenticated call gets NotAuthorized.  ``soap_fault``: ``Receiver/Action/
ActionFailed`` on every authenticated call (or only the listed ``operations``).
``unsupported``: the sub stream's options shrink (no 1280x720, bitrate at most 512).
``timeout``: requests (all, or the listed ``operations``) are read and never answered.
``ignore_set``: every Set answers OK and changes nothing.  ``skew``: the camera's clock is
off by ``seconds``.  ``digest_only``: the camera is set to take HTTP Digest only (Hikvision's
"Digest" ONVIF authentication setting): every request but GetSystemDateAndTime (stricter than
the spec's PRE_AUTH class, so discovery needs Digest too) that carries no valid
``Authorization: Digest`` (RFC 7616 with MD5 and qop=auth: HA1=MD5(user:realm:password),
HA2=MD5(method:uri), response=MD5(HA1:nonce:nc:cnonce:qop:HA2); the uri must be the request's,
the nonce one this camera issued in the last ``NONCE_MEMORY_S``, each nc used once) gets HTTP
401, a Hikvision-like HTML page and a fresh ``WWW-Authenticate: Digest`` challenge; a
WS-Security token is ignored, so a request carrying only one is refused the same way.
``clear``: the password, options, clock and authentication are back to normal.

Not simulated: the main stream (never served), snapshots (the snapshot URI answers 404),
Quality, Name, Multicast and SessionTimeout (stored and read back, no effect), DHCP,
a device taking both WS-Security and HTTP Digest, Digest with SHA-256 or qop=auth-int,
events, PTZ, imaging, Media2, WS-Discovery.

Long because: a camera's device and media services with the simulator's own SOAP handling,
kept together as a camera ships them: the services share each camera's settings, clock and
credentials.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import hashlib
import hmac
import ipaddress
import json
import os
import re
import secrets
import signal
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from camera.sim.control import ONVIF_FAULTS, ONVIF_PASSWORD_ENV, camera_control, read_camera_control_file
from camera.sim.soap import (
    NS,
    SoapFault,
    UsernameToken,
    envelope,
    fault_envelope,
    password_digest,
    read_token,
)

__all__ = ["main"]

TOKEN_WINDOW_S = 60.0  # |Created - camera clock| allowed; real devices range from 5 s to 300 s
NONCE_MEMORY_S = 600.0  # a nonce is refused again for this long (the window, with room for skew)
MAX_BODY = 1 << 20
PRE_AUTH = {"GetSystemDateAndTime", "GetServices", "GetCapabilities"}
# Schema-required in tt:VideoEncoderConfiguration (Axis refuses a Set without them, so do we).
REQUIRED_ENCODER_FIELDS = (
    *("tt:Name", "tt:UseCount", "tt:Encoding", "tt:Resolution/tt:Width", "tt:Resolution/tt:Height"),
    *("tt:Quality", "tt:Multicast/tt:Address/tt:Type", "tt:Multicast/tt:Port", "tt:Multicast/tt:TTL"),
    *("tt:Multicast/tt:AutoStart", "tt:SessionTimeout"),
)
SET_OPERATIONS = {"SetNTP", "SetSystemDateAndTime", "SetHostname", "SetVideoEncoderConfiguration"}
DIGEST_REALM = "IP Camera(diemcau-sim)"  # Hikvision's realms read "IP Camera(<serial tail>)"
DIGEST_NONCES_MAX = 1024  # challenges remembered per camera (oldest forgotten first)
DIGEST_PARAM = re.compile(r'([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)')
# What a Hikvision answers with a 401 (its web server's page), not SOAP.
UNAUTHORIZED_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Document Error: Unauthorized</title></head>\n"
    b"<body><h2>Access Error: 401 -- Unauthorized</h2>\n<p>Authentication Error</p>\n</body>\n</html>\n"
)
SOAP_TYPE = "application/soap+xml; charset=utf-8"
DEVICE_PATH, MEDIA_PATH = "/onvif/device_service", "/onvif/media_service"
HOSTNAME_RE = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
DNS_RE = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9-]{1,63}$")
# POSIX TZ: std offset [dst [offset] [,start[/time],end[/time]]]; the offset is west-positive.
_NAME = r"(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]{3,}>)"
_OFFSET = r"[+-]?\d{1,2}(?::\d{1,2}(?::\d{1,2})?)?"
_RULE = r"(?:J\d{1,3}|\d{1,3}|M\d{1,2}\.\d\.\d)(?:/[+-]?\d{1,3}(?::\d{1,2}(?::\d{1,2})?)?)?"
TZ_RE = re.compile(rf"^{_NAME}(?P<std>{_OFFSET})(?:{_NAME}(?:{_OFFSET})?(?:,{_RULE},{_RULE})?)?$")


# -- state ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EncoderOptions:
    resolutions: tuple[tuple[int, int], ...]
    gov_length: tuple[int, int] = (1, 300)
    fps: tuple[int, int] = (1, 30)
    encoding_interval: tuple[int, int] = (1, 1)
    bitrate_kbps: tuple[int, int] = (64, 4096)
    quality: tuple[float, float] = (1.0, 6.0)
    profiles: tuple[str, ...] = ("Baseline", "Main", "High")


MAIN_OPTIONS = EncoderOptions(resolutions=((1920, 1080), (1280, 720), (640, 360), (320, 180)))
# The sub stream is what the RTSP simulator serves: the profiles its encoder op takes.
SUB_OPTIONS = EncoderOptions(
    resolutions=((1280, 720), (640, 360), (320, 180)), bitrate_kbps=(64, 2048), profiles=("Baseline", "Main")
)
# Under the "unsupported" fault: a cheaper model's sub stream.
SUB_OPTIONS_SHRUNK = replace(SUB_OPTIONS, resolutions=((640, 360), (320, 180)), bitrate_kbps=(64, 512))


@dataclass
class EncoderConfig:
    token: str
    name: str
    width: int
    height: int
    fps: int
    bitrate_kbps: int
    gov_length: int
    h264_profile: str
    quality: float = 4.0
    encoding_interval: int = 1
    multicast: dict[str, str] = field(
        default_factory=lambda: {
            "type": "IPv4",
            "address": "0.0.0.0",
            "port": "0",
            "ttl": "1",
            "auto_start": "false",
        }
    )
    session_timeout: str = "PT60S"


@dataclass(frozen=True)
class Profile:
    token: str
    name: str
    encoder: str  # the token of its encoder configuration
    streamed: bool


PROFILES = (
    Profile("Profile_1", "mainStream", "VideoEncoderToken_1", streamed=False),
    Profile("Profile_2", "subStream", "VideoEncoderToken_2", streamed=True),
)


@dataclass
class SimCamera:
    """One simulated camera: what GetX returns and SetX changes, its fault and its nonces."""

    name: str
    index: int
    rtsp_url: str
    username: str
    password: str
    encoders: dict[str, EncoderConfig]
    host: str = "127.0.0.1"
    port: int = 0
    hostname: str = ""
    ntp_from_dhcp: bool = False
    ntp_servers: list[tuple[str, str]] = field(default_factory=list)  # (IPv4|IPv6|DNS, address)
    date_time_type: str = "Manual"
    daylight_savings: bool = False
    tz: str = "UTC0"
    clock_offset_s: float = 0.0
    fault: str = "clear"
    fault_operations: frozenset[str] | None = None  # None: every operation the fault concerns
    expected_password: str = ""
    nonces: dict[bytes, float] = field(default_factory=dict)
    digest_nonces: dict[str, tuple[float, set[int]]] = field(default_factory=dict)  # issued at, nc used
    calls: dict[str, int] = field(default_factory=dict)
    credentials: dict[str, int] = field(default_factory=dict)  # requests by what they carried
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.hostname = self.hostname or f"cam-{self.name}"
        self.expected_password = self.expected_password or self.password

    def now(self) -> datetime:
        """The camera's clock: real UTC plus the offset (an injected skew or a manual set)."""
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset_s)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def options(self, encoder_token: str) -> EncoderOptions:
        if encoder_token == PROFILES[1].encoder:
            return SUB_OPTIONS_SHRUNK if self.fault == "unsupported" else SUB_OPTIONS
        return MAIN_OPTIONS

    def stream_uri(self, profile: Profile) -> str:
        if profile.streamed:
            return self.rtsp_url
        return f"{self.rtsp_url}/main"  # not mounted: the RTSP server answers 404

    def faulted(self, fault: str, operation: str) -> bool:
        return self.fault == fault and (self.fault_operations is None or operation in self.fault_operations)

    def set_fault(self, fault: str, request: dict[str, Any]) -> None:
        """Replace the current fault (undoing it first: password, options and clock back to normal)."""
        if fault not in ONVIF_FAULTS:
            raise ValueError(f"fault must be one of {', '.join(ONVIF_FAULTS)}")
        operations = request.get("operations")
        if operations is not None and (
            not isinstance(operations, list) or not all(isinstance(op, str) for op in operations)
        ):
            raise TypeError("operations is a list of operation names")
        seconds = request.get("seconds")
        if fault == "skew" and (isinstance(seconds, bool) or not isinstance(seconds, int | float)):
            raise ValueError("skew needs seconds (a number)")
        self.fault, self.fault_operations = "clear", None
        self.expected_password, self.clock_offset_s = self.password, 0.0
        if fault == "auth":
            self.expected_password = str(request.get("password") or secrets.token_urlsafe(9))
        elif fault == "skew":
            self.clock_offset_s = float(seconds)  # type: ignore[arg-type]
        self.fault = fault
        self.fault_operations = frozenset(operations) if operations is not None else None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "device_url": self.base_url + DEVICE_PATH,
            "fault": self.fault,
            "fault_operations": None if self.fault_operations is None else sorted(self.fault_operations),
            "clock_offset_s": self.clock_offset_s,
            "hostname": self.hostname,
            "ntp": {"from_dhcp": self.ntp_from_dhcp, "servers": [list(s) for s in self.ntp_servers]},
            "date_time": {"type": self.date_time_type, "tz": self.tz, "dst": self.daylight_savings},
            "encoders": {token: asdict(cfg) for token, cfg in self.encoders.items()},
            "calls": dict(self.calls),
            "credentials": dict(self.credentials),
        }

    def challenge(self, *, stale: bool = False) -> str:
        """A fresh ``WWW-Authenticate: Digest`` value; its nonce is remembered for NONCE_MEMORY_S."""
        now = time.monotonic()
        for nonce, (issued, _) in list(self.digest_nonces.items()):  # oldest first
            if now - issued < NONCE_MEMORY_S and len(self.digest_nonces) < DIGEST_NONCES_MAX:
                break
            del self.digest_nonces[nonce]
        nonce = secrets.token_hex(16)
        self.digest_nonces[nonce] = (now, set())
        return f'Digest realm="{DIGEST_REALM}", qop="auth", nonce="{nonce}", algorithm=MD5' + (
            ', stale="true"' if stale else ""
        )

    def check_digest(self, method: str, target: str, authorization: str | None) -> None:
        """Accept a valid ``Authorization: Digest`` for this request, or raise ``DigestRefused``.

        RFC 7616 section 3.4 with MD5 and qop=auth; the uri must be the request line's (Hikvision
        refuses "The url does not match the nonce url"), the nonce one we issued and still
        remember, and each nonce count is taken once (a replay is refused).
        """
        params = digest_params(authorization or "")
        if params is None:
            raise DigestRefused("no HTTP Digest credentials")
        missing = [
            k
            for k in ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")
            if k not in params
        ]
        if missing:
            raise DigestRefused(f"Digest without {', '.join(missing)}")
        if params.get("algorithm", "MD5").upper() != "MD5" or params["qop"] != "auth":
            raise DigestRefused("only algorithm MD5 with qop auth")
        if params["realm"] != DIGEST_REALM or params["uri"] != target:
            raise DigestRefused("the realm or uri does not match the request")
        try:
            nc = int(params["nc"], 16)
        except ValueError:
            raise DigestRefused("nc is not hexadecimal") from None
        expected = digest_response(
            self.username,
            DIGEST_REALM,
            self.expected_password,
            method,
            params["uri"],
            params["nonce"],
            params["nc"],
            params["cnonce"],
            params["qop"],
        )
        right = params["username"] == self.username and hmac.compare_digest(
            expected, params["response"].lower()
        )
        issued = self.digest_nonces.get(params["nonce"])
        if issued is None or time.monotonic() - issued[0] >= NONCE_MEMORY_S:
            # RFC 7616 3.3: stale when only the nonce is out of date, so the client need not ask the user
            raise DigestRefused("unknown or expired nonce", stale=right)
        if not right:
            raise DigestRefused("wrong username or password")
        if nc in issued[1]:
            raise DigestRefused("nonce count used before")
        issued[1].add(nc)


# -- faults and small parsers ----------------------------------------------------------------


def not_authorized(why: str) -> SoapFault:
    return SoapFault("Sender", ["NotAuthorized"], f"Sender not Authorized: {why}")


def config_modify(why: str) -> SoapFault:
    return SoapFault("Sender", ["InvalidArgVal", "ConfigModify"], why)


def invalid_arg(subcode: str | None, why: str) -> SoapFault:
    """Sender/InvalidArgVal[/subcode]: a value the device does not take."""
    return SoapFault("Sender", ["InvalidArgVal", *([subcode] if subcode else [])], why)


def invalid_args(why: str) -> SoapFault:
    """Sender/InvalidArgs: a required argument is missing."""
    return SoapFault("Sender", ["InvalidArgs"], why)


def _text(el: ET.Element, path: str) -> str | None:
    found = el.find(path, NS)
    return None if found is None or found.text is None else found.text.strip()


def _required(el: ET.Element, path: str) -> str:
    """The element's text, or ConfigModify naming it ("Multicast/Address/Type is required")."""
    value = _text(el, path)
    if value is None or value == "":
        raise config_modify(f"{path.replace('tt:', '')} is required")
    return value


def _int(value: str, field_name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise config_modify(f"{field_name} {value!r} is not an integer") from None


def _bool(value: str | None, field_name: str) -> bool:
    if value is None:
        raise invalid_args(f"{field_name} is required")
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise invalid_arg(None, f"{field_name} must be a boolean")


def _in_range(value: float, bounds: tuple[float, float], field_name: str) -> None:
    low, high = bounds
    if not low <= value <= high:
        raise config_modify(f"{field_name} {value:g} is outside {low:g}..{high:g}")


def tz_utc_offset(tz: str) -> timedelta | None:
    """UTC offset of a POSIX TZ's standard time ("ICT-7" -> +7 h); None if it is not a POSIX TZ."""
    match = TZ_RE.match(tz)
    if match is None:
        return None
    sign = -1 if match["std"].startswith("-") else 1
    parts = [int(p) for p in match["std"].lstrip("+-").split(":")] + [0, 0]
    if parts[0] > 24:
        return None
    return -sign * timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2])


def parse_created(created: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class DigestRefused(Exception):
    """A request without acceptable HTTP Digest credentials: answered 401 with a new challenge."""

    def __init__(self, why: str, *, stale: bool = False) -> None:
        super().__init__(why)
        self.stale = stale


def digest_params(authorization: str) -> dict[str, str] | None:
    """The parameters of an ``Authorization: Digest`` value (names lower-cased), or None for another scheme."""
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    params: dict[str, str] = {}
    for key, value in DIGEST_PARAM.findall(rest):
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params[key.lower()] = value
    return params


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()  # the protocol's hash, not ours


def digest_response(
    username: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    nc: str,
    cnonce: str,
    qop: str,
) -> str:
    """RFC 7616 3.4.1 (RFC 2617 3.2.2.1) with MD5: MD5(HA1:nonce:nc:cnonce:qop:HA2)."""
    ha1 = md5_hex(f"{username}:{realm}:{password}")
    ha2 = md5_hex(f"{method}:{uri}")
    return md5_hex(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")


def date_time_xml(moment: datetime) -> str:
    """tt:DateTime: Time first, then Date (the schema's order)."""
    return (
        f"<tt:Time><tt:Hour>{moment.hour}</tt:Hour><tt:Minute>{moment.minute}</tt:Minute>"
        f"<tt:Second>{moment.second}</tt:Second></tt:Time><tt:Date><tt:Year>{moment.year}</tt:Year>"
        f"<tt:Month>{moment.month}</tt:Month><tt:Day>{moment.day}</tt:Day></tt:Date>"
    )


def encoder_xml(tag: str, c: EncoderConfig) -> str:
    m = c.multicast
    address = f"<tt:{'IPv6' if m['type'] == 'IPv6' else 'IPv4'}Address>{escape(m['address'])}"
    address += f"</tt:{'IPv6' if m['type'] == 'IPv6' else 'IPv4'}Address>"
    return (
        f'<{tag} token="{escape(c.token)}"><tt:Name>{escape(c.name)}</tt:Name><tt:UseCount>1</tt:UseCount>'
        f"<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>{c.width}</tt:Width>"
        f"<tt:Height>{c.height}</tt:Height></tt:Resolution><tt:Quality>{c.quality:g}</tt:Quality>"
        f"<tt:RateControl><tt:FrameRateLimit>{c.fps}</tt:FrameRateLimit>"
        f"<tt:EncodingInterval>{c.encoding_interval}</tt:EncodingInterval>"
        f"<tt:BitrateLimit>{c.bitrate_kbps}</tt:BitrateLimit></tt:RateControl>"
        f"<tt:H264><tt:GovLength>{c.gov_length}</tt:GovLength>"
        f"<tt:H264Profile>{escape(c.h264_profile)}</tt:H264Profile></tt:H264>"
        f"<tt:Multicast><tt:Address><tt:Type>{escape(m['type'])}</tt:Type>{address}</tt:Address>"
        f"<tt:Port>{escape(m['port'])}</tt:Port><tt:TTL>{escape(m['ttl'])}</tt:TTL>"
        f"<tt:AutoStart>{escape(m['auto_start'])}</tt:AutoStart></tt:Multicast>"
        f"<tt:SessionTimeout>{escape(c.session_timeout)}</tt:SessionTimeout></{tag}>"
    )


def options_xml(o: EncoderOptions) -> str:
    def span(tag: str, bounds: tuple[float, float]) -> str:
        return f"<tt:{tag}><tt:Min>{bounds[0]:g}</tt:Min><tt:Max>{bounds[1]:g}</tt:Max></tt:{tag}>"

    h264 = (
        "".join(
            f"<tt:ResolutionsAvailable><tt:Width>{w}</tt:Width><tt:Height>{h}</tt:Height></tt:ResolutionsAvailable>"
            for w, h in o.resolutions
        )
        + span("GovLengthRange", o.gov_length)
        + span("FrameRateRange", o.fps)
        + span("EncodingIntervalRange", o.encoding_interval)
        + "".join(f"<tt:H264ProfilesSupported>{p}</tt:H264ProfilesSupported>" for p in o.profiles)
    )
    return (
        f"<trt:Options>{span('QualityRange', o.quality)}<tt:H264>{h264}</tt:H264>"
        f"<tt:Extension><tt:H264>{h264}{span('BitrateRange', o.bitrate_kbps)}</tt:H264></tt:Extension></trt:Options>"
    )


# -- the services ------------------------------------------------------------------------------

Handler = Callable[["OnvifService", SimCamera, ET.Element], Awaitable[str]]
DEVICE_OPS: dict[str, Handler] = {}
MEDIA_OPS: dict[str, Handler] = {}


def operation(table: dict[str, Handler]) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        table[fn.__name__.removeprefix("op_")] = fn
        return fn

    return register


class OnvifService:
    """The SOAP dispatcher shared by every camera's HTTP listener, and the control socket."""

    def __init__(self, cameras: dict[str, SimCamera], control_file: Path) -> None:
        self.cameras = cameras
        self.control_file = control_file

    # -- one SOAP request ---------------------------------------------------------------------

    async def respond(self, cam: SimCamera, request: HttpRequest) -> HttpReply | None:
        """The reply to one POST (a SOAP envelope, or the 401 of HTTP Digest), or None for a request
        the camera never answers."""
        path = request.path
        namespace, table = {DEVICE_PATH: ("tds", DEVICE_OPS), MEDIA_PATH: ("trt", MEDIA_OPS)}[path]
        try:
            try:
                op_el, token = read_token(request.body)
            except (ET.ParseError, ValueError) as exc:
                raise SoapFault("Sender", ["WellFormed"], f"not a SOAP envelope: {exc}") from None
            tag = op_el.tag
            name = tag.rsplit("}", 1)[-1]
            cam.calls[name] = cam.calls.get(name, 0) + 1
            authorization = request.headers.get("authorization")
            digest = (authorization or "").strip().lower().startswith("digest ")
            if token is not None:
                carried = "both" if digest else "ws-security"
            else:
                carried = "digest" if digest else "none"
            cam.credentials[carried] = cam.credentials.get(carried, 0) + 1
            if cam.faulted("timeout", name):
                return None
            if cam.faulted("digest_only", name) and name != "GetSystemDateAndTime":
                try:
                    cam.check_digest(request.method, request.target, authorization)
                except DigestRefused as refused:
                    challenge = cam.challenge(stale=refused.stale)
                    return HttpReply(401, UNAUTHORIZED_PAGE, "text/html", (("WWW-Authenticate", challenge),))
            elif name not in PRE_AUTH:
                self.authenticate(cam, token)
                if cam.faulted("soap_fault", name):
                    raise SoapFault("Receiver", ["Action", "ActionFailed"], f"{name} failed (injected)")
            handler = table.get(name) if tag == f"{{{NS[namespace]}}}{name}" else None
            if handler is None:
                raise SoapFault("Receiver", ["ActionNotSupported"], f"{name} is not supported on {path}")
            if name in SET_OPERATIONS and cam.faulted("ignore_set", name):
                return HttpReply(200, envelope(f"<{namespace}:{name}Response/>"))
            return HttpReply(200, envelope(await handler(self, cam, op_el)))
        except SoapFault as fault:
            return HttpReply(400 if fault.code == "Sender" else 500, fault_envelope(fault))

    def authenticate(self, cam: SimCamera, token: UsernameToken | None) -> None:
        if token is None:
            raise not_authorized("no WS-Security UsernameToken")
        created = parse_created(token.created)
        if created is None:
            raise not_authorized("Created is not a date-time")
        if abs((created - cam.now()).total_seconds()) > TOKEN_WINDOW_S:
            raise not_authorized("Created is too far from the device clock")
        expected = password_digest(token.nonce, token.created, cam.expected_password)
        if token.username != cam.username or not hmac.compare_digest(token.digest, expected):
            raise not_authorized("wrong username or password")
        if not token.nonce:
            raise not_authorized("no nonce")
        now = time.monotonic()
        for nonce, seen in list(cam.nonces.items()):  # oldest first: dicts keep insertion order
            if now - seen < NONCE_MEMORY_S:
                break
            del cam.nonces[nonce]
        if token.nonce in cam.nonces:
            raise not_authorized("the nonce was used before")
        cam.nonces[token.nonce] = now

    # -- device service -------------------------------------------------------------------

    @operation(DEVICE_OPS)
    async def op_GetSystemDateAndTime(self, cam: SimCamera, _el: ET.Element) -> str:  # noqa: N802
        now = cam.now()
        local = now + (tz_utc_offset(cam.tz) or timedelta(0))  # DST rules are not applied
        return (
            "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
            f"<tt:DateTimeType>{cam.date_time_type}</tt:DateTimeType>"
            f"<tt:DaylightSavings>{str(cam.daylight_savings).lower()}</tt:DaylightSavings>"
            f"<tt:TimeZone><tt:TZ>{escape(cam.tz)}</tt:TZ></tt:TimeZone>"
            f"<tt:UTCDateTime>{date_time_xml(now)}</tt:UTCDateTime>"
            f"<tt:LocalDateTime>{date_time_xml(local)}</tt:LocalDateTime>"
            "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
        )

    @operation(DEVICE_OPS)
    async def op_GetServices(self, cam: SimCamera, _el: ET.Element) -> str:  # noqa: N802
        services = ((NS["tds"], DEVICE_PATH), (NS["trt"], MEDIA_PATH))
        return (
            "<tds:GetServicesResponse>"
            + "".join(
                f"<tds:Service><tds:Namespace>{ns}</tds:Namespace><tds:XAddr>{cam.base_url}{path}</tds:XAddr>"
                "<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>"
                for ns, path in services
            )
            + "</tds:GetServicesResponse>"
        )

    @operation(DEVICE_OPS)
    async def op_GetCapabilities(self, cam: SimCamera, el: ET.Element) -> str:  # noqa: N802
        categories = {c.text.strip() for c in el.findall("tds:Category", NS) if c.text} or {"All"}
        unknown = categories - {"All", "Device", "Media"}
        if unknown:
            raise invalid_arg("NoSuchService", f"no {', '.join(sorted(unknown))} capabilities")
        device = f"<tt:Device><tt:XAddr>{cam.base_url}{DEVICE_PATH}</tt:XAddr></tt:Device>"
        media = (
            f"<tt:Media><tt:XAddr>{cam.base_url}{MEDIA_PATH}</tt:XAddr><tt:StreamingCapabilities>"
            "<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP>"
            "<tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>"
        )
        every = "All" in categories
        return (
            "<tds:GetCapabilitiesResponse><tds:Capabilities>"
            + (device if every or "Device" in categories else "")
            + (media if every or "Media" in categories else "")
            + "</tds:Capabilities></tds:GetCapabilitiesResponse>"
        )

    @operation(DEVICE_OPS)
    async def op_GetDeviceInformation(self, cam: SimCamera, _el: ET.Element) -> str:  # noqa: N802
        return (
            "<tds:GetDeviceInformationResponse><tds:Manufacturer>diemcau-sim</tds:Manufacturer>"
            "<tds:Model>SIM-IPC-2</tds:Model><tds:FirmwareVersion>V1.2.0 build 260101</tds:FirmwareVersion>"
            f"<tds:SerialNumber>DCSIM{cam.index + 1:05d}</tds:SerialNumber>"
            "<tds:HardwareId>sim-ipc-r1</tds:HardwareId></tds:GetDeviceInformationResponse>"
        )

    @operation(DEVICE_OPS)
    async def op_GetNTP(self, cam: SimCamera, _el: ET.Element) -> str:  # noqa: N802
        tags = {"IPv4": "IPv4Address", "IPv6": "IPv6Address", "DNS": "DNSname"}
        servers = "".join(
            f"<tt:NTPManual><tt:Type>{kind}</tt:Type><tt:{tags[kind]}>{escape(address)}</tt:{tags[kind]}>"
            "</tt:NTPManual>"
            for kind, address in cam.ntp_servers
        )
        return (
            "<tds:GetNTPResponse><tds:NTPInformation>"
            f"<tt:FromDHCP>{str(cam.ntp_from_dhcp).lower()}</tt:FromDHCP>{servers}"
            "</tds:NTPInformation></tds:GetNTPResponse>"
        )

    @operation(DEVICE_OPS)
    async def op_SetNTP(self, cam: SimCamera, el: ET.Element) -> str:  # noqa: N802
        from_dhcp = _bool(_text(el, "tds:FromDHCP"), "FromDHCP")
        servers: list[tuple[str, str]] = []
        for host in el.findall("tds:NTPManual", NS):
            kind = _text(host, "tt:Type")
            if kind == "IPv4":
                address = _text(host, "tt:IPv4Address") or ""
                try:
                    ipaddress.IPv4Address(address)
                except ValueError:
                    raise invalid_arg("InvalidIPv4Address", f"{address!r} is not an IPv4 address") from None
            elif kind == "IPv6":
                address = _text(host, "tt:IPv6Address") or ""
                try:
                    ipaddress.IPv6Address(address)
                except ValueError:
                    raise invalid_arg("InvalidIPv6Address", f"{address!r} is not an IPv6 address") from None
            elif kind == "DNS":
                address = _text(host, "tt:DNSname") or ""
                if not DNS_RE.match(address):
                    raise invalid_arg("InvalidDnsName", f"{address!r} is not a DNS name")
            else:
                raise invalid_arg(None, f"NTPManual Type {kind!r} is not IPv4, IPv6 or DNS")
            servers.append((kind, address))
        cam.ntp_from_dhcp, cam.ntp_servers = from_dhcp, servers
        return "<tds:SetNTPResponse/>"

    @operation(DEVICE_OPS)
    async def op_SetSystemDateAndTime(self, cam: SimCamera, el: ET.Element) -> str:  # noqa: N802
        kind = _text(el, "tds:DateTimeType")
        if kind not in ("Manual", "NTP"):
            raise invalid_arg(None, f"DateTimeType {kind!r} is not Manual or NTP")
        dst = _bool(_text(el, "tds:DaylightSavings"), "DaylightSavings")
        tz = _text(el, "tds:TimeZone/tt:TZ")
        if tz is not None and tz_utc_offset(tz) is None:
            raise invalid_arg("InvalidTimeZone", f"{tz!r} is not a POSIX time zone")
        offset = cam.clock_offset_s
        if kind == "NTP":
            if not cam.ntp_servers and not cam.ntp_from_dhcp:
                raise invalid_arg(
                    "NtpServerUndefined", "Cannot switch DateTimeType to NTP because no NTP server is defined"
                )
            offset = 0.0  # the simulated camera syncs at once
        else:
            utc = el.find("tds:UTCDateTime", NS)
            if utc is None:
                raise invalid_arg("InvalidDateTime", "UTCDateTime is required for Manual")
            paths = (
                "Date/tt:Year",
                "Date/tt:Month",
                "Date/tt:Day",
                "Time/tt:Hour",
                "Time/tt:Minute",
                "Time/tt:Second",
            )
            try:
                year, month, day, hour, minute, second = (int(_text(utc, f"tt:{p}") or "") for p in paths)
                moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
            except ValueError:
                raise invalid_arg("InvalidDateTime", "UTCDateTime is not a valid date and time") from None
            offset = (moment - datetime.now(UTC)).total_seconds()
        cam.date_time_type, cam.daylight_savings, cam.clock_offset_s = kind, dst, offset
        if tz is not None:
            cam.tz = tz
        return "<tds:SetSystemDateAndTimeResponse/>"

    @operation(DEVICE_OPS)
    async def op_GetHostname(self, cam: SimCamera, _el: ET.Element) -> str:  # noqa: N802
        return (
            "<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP>"
            f"<tt:Name>{escape(cam.hostname)}</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>"
        )

    @operation(DEVICE_OPS)
    async def op_SetHostname(self, cam: SimCamera, el: ET.Element) -> str:  # noqa: N802
        name = _text(el, "tds:Name") or ""
        if not HOSTNAME_RE.match(name):
            raise invalid_arg("InvalidHostname", f"{name!r} is not a host name (letters, digits, hyphens)")
        cam.hostname = name
        return "<tds:SetHostnameResponse/>"

    # -- media service --------------------------------------------------------------------

    @operation(MEDIA_OPS)
    async def op_GetProfiles(self, cam: SimCamera, _el: ET.Element) -> str:  # noqa: N802
        source = (
            '<tt:VideoSourceConfiguration token="VideoSourceConfig_1"><tt:Name>VideoSourceConfig_1</tt:Name>'
            "<tt:UseCount>2</tt:UseCount><tt:SourceToken>VideoSource_1</tt:SourceToken>"
            '<tt:Bounds x="0" y="0" width="1920" height="1080"/></tt:VideoSourceConfiguration>'
        )
        return (
            "<trt:GetProfilesResponse>"
            + "".join(
                f'<trt:Profiles token="{p.token}" fixed="true"><tt:Name>{p.name}</tt:Name>{source}'
                f"{encoder_xml('tt:VideoEncoderConfiguration', cam.encoders[p.encoder])}</trt:Profiles>"
                for p in PROFILES
            )
            + "</trt:GetProfilesResponse>"
        )

    @operation(MEDIA_OPS)
    async def op_GetVideoEncoderConfigurations(self, cam: SimCamera, _el: ET.Element) -> str:  # noqa: N802
        configs = "".join(encoder_xml("trt:Configurations", c) for c in cam.encoders.values())
        return f"<trt:GetVideoEncoderConfigurationsResponse>{configs}</trt:GetVideoEncoderConfigurationsResponse>"

    @operation(MEDIA_OPS)
    async def op_GetVideoEncoderConfiguration(self, cam: SimCamera, el: ET.Element) -> str:  # noqa: N802
        config = self.encoder(cam, _text(el, "trt:ConfigurationToken"))
        return (
            "<trt:GetVideoEncoderConfigurationResponse>"
            f"{encoder_xml('trt:Configuration', config)}</trt:GetVideoEncoderConfigurationResponse>"
        )

    @operation(MEDIA_OPS)
    async def op_GetVideoEncoderConfigurationOptions(self, cam: SimCamera, el: ET.Element) -> str:  # noqa: N802
        token = _text(el, "trt:ConfigurationToken")
        profile_token = _text(el, "trt:ProfileToken")
        if token is not None:
            token = self.encoder(cam, token).token
        elif profile_token is not None:
            token = self.profile(profile_token).encoder
        options = cam.options(token or PROFILES[0].encoder)
        return (
            "<trt:GetVideoEncoderConfigurationOptionsResponse>"
            f"{options_xml(options)}</trt:GetVideoEncoderConfigurationOptionsResponse>"
        )

    @operation(MEDIA_OPS)
    async def op_SetVideoEncoderConfiguration(self, cam: SimCamera, el: ET.Element) -> str:  # noqa: N802
        config_el = el.find("trt:Configuration", NS)
        if config_el is None:
            raise config_modify("Configuration is required")
        current = self.encoder(cam, config_el.get("token"))
        if _text(el, "trt:ForcePersistence") is None:  # required, though obsolete (always true)
            raise config_modify("ForcePersistence is required")
        new = self.checked_config(config_el, current, cam.options(current.token))
        async with cam.lock:
            if current.token == PROFILES[1].encoder:  # the sub stream: the RTSP simulator serves it
                reply = await camera_control(
                    self.control_file,
                    {
                        "op": "encoder",
                        "camera": cam.name,
                        "width": new.width,
                        "height": new.height,
                        "fps": new.fps,
                        "bitrate_kbps": new.bitrate_kbps,
                        "key_int": new.gov_length,
                        "profile": new.h264_profile.lower(),
                    },
                )
                if not reply.get("ok"):
                    raise SoapFault("Receiver", ["Action", "ActionFailed"], f"encoder: {reply.get('error')}")
            cam.encoders[current.token] = new
        return "<trt:SetVideoEncoderConfigurationResponse/>"

    @staticmethod
    def checked_config(el: ET.Element, current: EncoderConfig, options: EncoderOptions) -> EncoderConfig:
        """The configuration a strict device would store, or ConfigModify naming the first bad field."""
        for path in REQUIRED_ENCODER_FIELDS:
            _required(el, path)
        session_timeout = _required(el, "tt:SessionTimeout")
        encoding = _required(el, "tt:Encoding")
        if encoding != "H264":
            raise config_modify(f"Encoding {encoding} is not supported (H264 only)")
        width = _int(_required(el, "tt:Resolution/tt:Width"), "Width")
        height = _int(_required(el, "tt:Resolution/tt:Height"), "Height")
        if (width, height) not in options.resolutions:
            available = ", ".join(f"{w}x{h}" for w, h in options.resolutions)
            raise config_modify(f"Resolution {width}x{height} is not available ({available})")
        try:
            quality = float(_required(el, "tt:Quality"))
        except ValueError:
            raise config_modify("Quality is not a number") from None
        _in_range(quality, options.quality, "Quality")
        fps, interval, bitrate = current.fps, current.encoding_interval, current.bitrate_kbps
        if el.find("tt:RateControl", NS) is not None:
            fps = _int(_required(el, "tt:RateControl/tt:FrameRateLimit"), "FrameRateLimit")
            interval = _int(_required(el, "tt:RateControl/tt:EncodingInterval"), "EncodingInterval")
            bitrate = _int(_required(el, "tt:RateControl/tt:BitrateLimit"), "BitrateLimit")
        _in_range(fps, options.fps, "FrameRateLimit")
        _in_range(interval, options.encoding_interval, "EncodingInterval")
        _in_range(bitrate, options.bitrate_kbps, "BitrateLimit")
        if el.find("tt:H264", NS) is None:
            raise config_modify("H264 is required for H264 encoding")
        gov_length = _int(_required(el, "tt:H264/tt:GovLength"), "GovLength")
        _in_range(gov_length, options.gov_length, "GovLength")
        profile = _required(el, "tt:H264/tt:H264Profile")
        if profile not in options.profiles:
            raise config_modify(f"H264Profile {profile} is not supported ({', '.join(options.profiles)})")
        kind = _required(el, "tt:Multicast/tt:Address/tt:Type")
        if kind not in ("IPv4", "IPv6"):
            raise config_modify(f"Multicast Address Type {kind} is not IPv4 or IPv6")
        multicast = {
            "type": kind,
            "address": _text(el, f"tt:Multicast/tt:Address/tt:{kind}Address") or "",
            "port": _required(el, "tt:Multicast/tt:Port"),
            "ttl": _required(el, "tt:Multicast/tt:TTL"),
            "auto_start": _required(el, "tt:Multicast/tt:AutoStart"),
        }
        if not session_timeout.startswith("P"):
            raise config_modify(f"SessionTimeout {session_timeout} is not a duration")
        return replace(
            current,
            name=_required(el, "tt:Name")[:64],
            width=width,
            height=height,
            quality=quality,
            fps=fps,
            encoding_interval=interval,
            bitrate_kbps=bitrate,
            gov_length=gov_length,
            h264_profile=profile,
            multicast=multicast,
            session_timeout=session_timeout,
        )

    @operation(MEDIA_OPS)
    async def op_GetStreamUri(self, cam: SimCamera, el: ET.Element) -> str:  # noqa: N802
        profile = self.profile(_text(el, "trt:ProfileToken"))
        stream = _text(el, "trt:StreamSetup/tt:Stream")
        protocol = _text(el, "trt:StreamSetup/tt:Transport/tt:Protocol")
        if stream != "RTP-Unicast" or protocol not in ("RTSP", "TCP", "UDP"):
            raise invalid_arg(
                "InvalidStreamSetup", f"StreamSetup {stream}/{protocol} is not supported (RTP-Unicast)"
            )
        return (
            f"<trt:GetStreamUriResponse>{self.media_uri(cam.stream_uri(profile))}</trt:GetStreamUriResponse>"
        )

    @operation(MEDIA_OPS)
    async def op_GetSnapshotUri(self, cam: SimCamera, el: ET.Element) -> str:  # noqa: N802
        profile = self.profile(_text(el, "trt:ProfileToken"))
        uri = f"{cam.base_url}/onvif/snapshot/{profile.token}"  # answers 404: no snapshots simulated
        return f"<trt:GetSnapshotUriResponse>{self.media_uri(uri)}</trt:GetSnapshotUriResponse>"

    @staticmethod
    def media_uri(uri: str) -> str:
        return (
            f"<trt:MediaUri><tt:Uri>{escape(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>"
            "<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>"
        )

    @staticmethod
    def encoder(cam: SimCamera, token: str | None) -> EncoderConfig:
        if token is None or token not in cam.encoders:
            raise invalid_arg("NoConfig", f"no video encoder configuration {token!r}")
        return cam.encoders[token]

    @staticmethod
    def profile(token: str | None) -> Profile:
        for profile in PROFILES:
            if profile.token == token:
                return profile
        raise invalid_arg("NoProfile", f"no media profile {token!r}")

    # -- HTTP ---------------------------------------------------------------------------------

    async def serve_http(
        self, cam: SimCamera, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """HTTP/1.1 with keep-alive, just enough for SOAP clients: POST with a Content-Length."""
        try:
            while True:
                request = await read_http_request(reader)
                if request is None:
                    return
                if request.path not in (DEVICE_PATH, MEDIA_PATH):
                    reply: HttpReply | None = HttpReply(404, b"not found\n", "text/plain")
                elif request.method != "POST":
                    reply = HttpReply(405, b"SOAP wants POST\n", "text/plain")
                else:
                    reply = await self.respond(cam, request)
                    if reply is None:  # the timeout fault: hold the connection until the client leaves
                        await reader.read()
                        return
                assert reply is not None
                writer.write(
                    http_response(
                        reply.status, reply.content_type, reply.payload, request.keep_alive, reply.headers
                    )
                )
                await writer.drain()
                if not request.keep_alive:
                    return
        except HttpError as exc:
            writer.write(http_response(exc.status, "text/plain", f"{exc}\n".encode(), False))
            with contextlib.suppress(ConnectionError):
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    # -- control socket -------------------------------------------------------------------------

    def camera(self, name: Any) -> SimCamera:
        cam = self.cameras.get(str(name))
        if cam is None:
            raise KeyError(f"no camera {name!r}")
        return cam

    def handle_control(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op == "onvif_list":
            return {"ok": True, "cameras": [cam.describe() for cam in self.cameras.values()]}
        if op == "onvif_fault":
            cam = self.camera(request["camera"])
            cam.set_fault(request["fault"], request)
            return {"ok": True, "camera": cam.describe()}
        if op == "onvif_fault_all":
            names = request.get("cameras")
            cams = [self.camera(n) for n in names] if names is not None else list(self.cameras.values())
            if request["fault"] not in ONVIF_FAULTS:  # checked before anything changes
                raise ValueError(f"fault must be one of {', '.join(ONVIF_FAULTS)}")
            for cam in cams:
                cam.set_fault(request["fault"], request)
            return {"ok": True, "cameras": [cam.name for cam in cams]}
        raise ValueError(f"unknown op {op!r}")

    async def serve_control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                try:
                    request = json.loads(line)
                    if not isinstance(request, dict):
                        raise TypeError("a request is a JSON object")
                    reply = self.handle_control(request)
                except (ValueError, TypeError, KeyError) as exc:
                    reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, ValueError):
            pass
        finally:
            writer.close()


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str  # as on the request line: what a Digest ``uri`` must equal
    path: str  # the target without its query
    body: bytes
    keep_alive: bool
    headers: dict[str, str]  # names lower-cased


@dataclass(frozen=True)
class HttpReply:
    status: int
    payload: bytes
    content_type: str = SOAP_TYPE
    headers: tuple[tuple[str, str], ...] = ()  # besides Content-Type, Content-Length, Connection, Server


REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    500: "Internal Server Error",
}


async def read_http_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """One request, or None when the client closed between requests."""
    line = await reader.readline()
    if not line.strip():
        return None
    try:
        method, target, version = line.decode("latin-1").split()
    except ValueError:
        raise HttpError(400, "bad request line") from None
    headers: dict[str, str] = {}
    while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
        key, _, value = header.decode("latin-1").partition(":")
        headers[key.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raise HttpError(411, "send a Content-Length")
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError:
        raise HttpError(400, "bad Content-Length") from None
    if not 0 <= length <= MAX_BODY:
        raise HttpError(413, "body too large")
    body = await reader.readexactly(length)
    connection = headers.get("connection", "").lower()
    keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
    return HttpRequest(method, target, target.split("?", 1)[0], body, keep_alive, headers)


def http_response(
    status: int, ctype: str, payload: bytes, keep_alive: bool, extra: tuple[tuple[str, str], ...] = ()
) -> bytes:
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\nContent-Type: {ctype}\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: {'keep-alive' if keep_alive else 'close'}\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in extra)
        + "Server: diemcau-sim-onvif\r\n\r\n"
    )
    return head.encode("latin-1") + payload


# -- the process ----------------------------------------------------------------------------------


def cameras_from_listing(listing: list[dict[str, Any]], username: str, password: str) -> dict[str, SimCamera]:
    """One SimCamera per RTSP camera: the sub stream as the RTSP server encodes it, a 720p main."""
    cams: dict[str, SimCamera] = {}
    for index, entry in enumerate(listing):
        e = entry["encoder"]
        main = EncoderConfig(PROFILES[0].encoder, "VideoEncoder_1", 1280, 720, 25, 2048, 50, "Main")
        sub = EncoderConfig(
            PROFILES[1].encoder,
            "VideoEncoder_2",
            e["width"],
            e["height"],
            e["fps"],
            e["bitrate_kbps"],
            e["key_int"],
            str(e["profile"]).capitalize(),
        )
        cams[entry["name"]] = SimCamera(
            entry["name"], index, entry["url"], username, password, {main.token: main, sub.token: sub}
        )
    return cams


def publish(control_file: Path, section: dict[str, Any]) -> None:
    """Add the ``onvif`` section to the control file, atomically: readers poll for the file
    and must never see it half written."""
    data = json.loads(control_file.read_text(encoding="utf-8"))
    data["onvif"] = section
    tmp = control_file.with_name(control_file.name + ".onvif.tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, control_file)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def run(opts: argparse.Namespace, password: str) -> None:
    control_file: Path = opts.control_file
    rtsp = read_camera_control_file(control_file)
    listing = await camera_control(control_file, {"op": "list"})
    if not listing.get("ok"):
        raise SystemExit(f"the RTSP simulator did not list its cameras: {listing}")
    cams = cameras_from_listing(listing["cameras"], opts.username, password)
    service = OnvifService(cams, control_file)
    host = opts.host or rtsp.rtsp_host
    url_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    servers = []
    for cam in cams.values():
        server = await asyncio.start_server(functools.partial(service.serve_http, cam), host, 0)
        cam.host, cam.port = url_host, server.sockets[0].getsockname()[1]
        servers.append(server)
    control = await asyncio.start_server(service.serve_control, rtsp.host, 0)
    servers.append(control)
    control_port = control.sockets[0].getsockname()[1]
    section = {
        "host": rtsp.host,
        "port": control_port,
        "pid": os.getpid(),
        "cameras": {cam.name: cam.base_url + DEVICE_PATH for cam in cams.values()},
        "username": opts.username,
        "password": password,
    }
    publish(control_file, section)
    print(f"ready: {len(cams)} ONVIF cameras, control {rtsp.host}:{control_port}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    while not stop.is_set() and pid_alive(rtsp.pid):  # same lifetime as the RTSP server
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)
    for server in servers:
        server.close()  # the control file is left alone: the RTSP server removes it when it stops
    print("stopped", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Simulated ONVIF services in front of the RTSP camera simulator.")
    p.add_argument("--control-file", type=Path, required=True, help="the RTSP simulator's control file")
    p.add_argument("--host", default="", help="address the ONVIF ports bind; default: the RTSP server's")
    p.add_argument("--username", default="admin")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    password = os.environ.get(ONVIF_PASSWORD_ENV, "")
    if not password:
        print(f"set {ONVIF_PASSWORD_ENV}: the cameras' ONVIF password", file=sys.stderr)
        return 2
    asyncio.run(run(opts, password))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""An async ONVIF client for one camera: device and media services over SOAP 1.2, WS-Security or HTTP Digest.

What the spec leaves to vendors is handled here, once:

* the camera's clock, not ours, signs each request: the offset comes from an
  unauthenticated GetSystemDateAndTime, is re-read after we change the
  camera's time, and once more before retrying a NotAuthorized;
* WS-Security UsernameToken first; when the camera still refuses it and its
  refusal carries an HTTP Digest challenge (``401`` with ``WWW-Authenticate:
  Digest``), the same request once more with HTTP Digest (RFC 7616/2617) and
  no WS-Security header. ONVIF Core 5.9.1 makes Digest the method devices
  shall use and keeps the username token for legacy devices (a Hikvision set
  to "Digest" refuses it; docs/devices/onvif-camera.md); a server that only
  does the username token answers 400 NotAuthorized with no challenge, so
  Digest is not tried there. Once Digest has worked, every later call goes
  straight to it (``auth_method``);
* service addresses come from GetServices (GetCapabilities on old devices),
  with host and port replaced by the configured ones, because a camera behind
  NAT reports its LAN address;
* every failure is an ``OnvifError`` with a stable ``code`` for the
  technician and the last exchange as ``transcript`` (operation, body, reply
  snippet; never the WS-Security header nor any HTTP header, so never the
  password, a digest or an ``Authorization`` value).

One ``httpx.AsyncClient`` per camera client, closed by ``aclose()`` or
``async with``. Proxies from the environment are ignored: cameras are reached
directly, and only at addresses the network policy allows (``camera.netpolicy``:
the name is resolved and checked on every new connection, so a camera's name
cannot be pointed at the controller's own host after it was saved).

Long because: what the specification leaves to vendors (the camera's clock, WS-Security then
HTTP Digest, faults) is handled once for every operation; the operations share one
connection and one clock offset.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal, NamedTuple
from urllib.parse import urlsplit, urlunsplit

import httpx

from camera.guarded_http import guarded_transport
from camera.netpolicy import AddressRefused, NetPolicy
from camera.onvif import messages as m
from camera.onvif.messages import (
    OPERATIONS,
    DateTime,
    DeviceInfo,
    EncoderConfig,
    EncoderOptions,
    Hostname,
    MediaUri,
    NtpInfo,
    Operation,
    Profile,
    Service,
)
from camera.onvif.profiles import CameraProfile, EncoderLimits, EncoderRules, TimeRules
from camera.onvif.soap import NS, SoapFault, created_now, envelope, parse, security_header
from camera.onvif.tz import parse_tz

__all__ = [
    "MAX_REPLY_BYTES",
    "AddressNotAllowed",
    "AuthFailed",
    "AuthMethod",
    "BadReply",
    "DeviceFault",
    "NotSupported",
    "OnvifClient",
    "OnvifError",
    "OnvifTimeout",
    "Transcript",
    "Unreachable",
    "UnsupportedSetting",
    "device_service_url",
    "error_for_fault",
    "rewrite_xaddr",
]

SNIPPET = 500  # characters of a SOAP reply kept in a transcript (of any other reply: none)
REQUEST_SNIPPET = 1500
MAX_REPLY_BYTES = 1024 * 1024  # a larger reply is bad_reply, and is not read past this

# How requests are authenticated: the SOAP header (WS-Security UsernameToken) or the HTTP one (Digest).
AuthMethod = Literal["ws-security", "digest"]


# ---------------------------------------------------------------- errors


@dataclass(frozen=True)
class Transcript:
    """The last exchange, for the technician: no header is kept, so no credentials."""

    operation: str
    url: str
    status: int | None
    request: str  # the operation element only
    reply: str  # the first SNIPPET characters of a SOAP reply; empty for anything else


class OnvifError(Exception):
    """Anything this client raises on purpose; ``code`` is stable for APIs, job results and alarms."""

    code: ClassVar[str] = "onvif_error"

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        transcript: Transcript | None = None,
        fault: SoapFault | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.transcript = transcript
        self.fault = fault  # the device's SOAP fault, when there was one


class Unreachable(OnvifError):
    """No TCP connection (refused, no route, DNS), or the connection dropped mid-exchange."""

    code = "unreachable"


class AddressNotAllowed(OnvifError):
    """The camera's address, or an address its name resolves to, is one the controller may not reach."""

    code = "address_refused"


class OnvifTimeout(OnvifError):
    """Connected, but no reply within the per-request timeout."""

    code = "timeout"


class AuthFailed(OnvifError):
    """HTTP 401 or a NotAuthorized fault, still after re-reading the camera clock once (and after
    HTTP Digest, when the camera offered it)."""

    code = "auth_failed"


class UnsupportedSetting(OnvifError):
    """The camera refused a value (InvalidArgVal, ConfigModify, InvalidTimeZone, NoConfig, ...)."""

    code = "unsupported_setting"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        allowed: str | None = None,
        operation: str | None = None,
        transcript: Transcript | None = None,
        fault: SoapFault | None = None,
    ):
        super().__init__(message, operation=operation, transcript=transcript, fault=fault)
        self.field = field
        self.allowed = allowed


class NotSupported(OnvifError):
    """The camera does not implement the operation or service (ActionNotSupported, no media XAddr)."""

    code = "not_supported"


class DeviceFault(OnvifError):
    """Any other SOAP fault: the device's code, subcodes and reason are in the message."""

    code = "device_fault"


class BadReply(OnvifError):
    """Not SOAP, not the expected reply, or a required element missing or unreadable."""

    code = "bad_reply"


# Subcode -> the setting a technician should look at.
_FIELD_BY_SUBCODE = {
    "ConfigModify": "VideoEncoderConfiguration",
    "NoConfig": "ConfigurationToken",
    "NoProfile": "ProfileToken",
    "InvalidTimeZone": "TimeZone",
    "InvalidDateTime": "UTCDateTime",
    "NtpServerUndefined": "NTPManual",
    "InvalidDnsName": "NTPManual",
    "InvalidIPv4Address": "NTPManual",
    "InvalidIPv6Address": "NTPManual",
    "InvalidHostname": "Hostname",
}
_FIELD_BY_OPERATION = {
    "SetVideoEncoderConfiguration": "VideoEncoderConfiguration",
    "SetNTP": "NTPManual",
    "SetHostname": "Hostname",
    "SetSystemDateAndTime": "DateTime",
}
_INVALID_ARGUMENT = frozenset({"InvalidArgVal", "InvalidArgs", "InvalidArgument"})


def _auth_message(operation: str, username: str, offset: timedelta | None, how: str | None = None) -> str:
    """The technician's words for a refusal: the user and what to check; never the password."""
    clock = f"; camera clock is {round(offset.total_seconds()):+d} s from ours" if offset is not None else ""
    by = f" by {how}" if how else ""
    return (
        f"{operation}: the camera refused ONVIF user {username!r}{by}: check the password, that it is an "
        f"ONVIF user (not only a web user) and that ONVIF is enabled{clock}"
    )


def error_for_fault(
    fault: SoapFault,
    operation: str,
    *,
    transcript: Transcript | None = None,
    limits: EncoderLimits | None = None,
    config: EncoderConfig | None = None,
    username: str = "",
) -> OnvifError:
    """The technician's error for a SOAP fault (by subcode), naming the field and the allowed range.

    For SetVideoEncoderConfiguration, ``limits`` (the camera's Options plus the
    profile's fallbacks) and the ``config`` sent find which setting is out of
    range even when the device's reason does not say.
    """
    names = {fault.code, *fault.subcodes}
    where: dict[str, Any] = {"operation": operation, "transcript": transcript, "fault": fault}
    if "NotAuthorized" in names:
        return AuthFailed(_auth_message(operation, username, None), **where)
    if "ActionNotSupported" in names:
        return NotSupported(f"{operation}: the camera does not support this operation ({fault})", **where)
    subcode_field = next((_FIELD_BY_SUBCODE[s] for s in fault.subcodes if s in _FIELD_BY_SUBCODE), None)
    if subcode_field is None and not names & _INVALID_ARGUMENT:
        return DeviceFault(f"{operation}: device fault {fault}", **where)
    field = subcode_field or _FIELD_BY_OPERATION.get(operation, "argument")
    allowed = limits.describe() if limits is not None else None
    problems = limits.violations(config) if limits is not None and config is not None else []
    if problems:
        field = problems[0].split(" ", 1)[0]
        detail = "; ".join(problems)
    else:
        detail = f"{field} refused"
    said = f" (camera says: {fault.reason})" if fault.reason else ""
    hint = f"; allowed: {allowed}" if allowed and not problems else ""
    return UnsupportedSetting(f"{operation}: {detail}{said}{hint}", field=field, allowed=allowed, **where)


# ---------------------------------------------------------------- addresses


def device_service_url(host_url: str) -> str:
    """``host``, ``host:port`` or a full URL -> the device service URL (credentials in it dropped)."""
    url = host_url.strip()
    if "://" not in url:
        url = f"http://{url}"
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"no host in ONVIF address {host_url!r}")
    netloc = parts.netloc.rsplit("@", 1)[-1]
    path = parts.path if parts.path not in ("", "/") else "/onvif/device_service"
    return urlunsplit((parts.scheme, netloc, path, parts.query, ""))


def rewrite_xaddr(xaddr: str, configured: str) -> str:
    """The service path the camera reported, on the scheme, host and port we reach it by (NAT)."""
    reported, base = urlsplit(xaddr.strip()), urlsplit(configured)
    return urlunsplit((base.scheme, base.netloc, reported.path or base.path, reported.query, ""))


# ---------------------------------------------------------------- client


class _Refused(Exception):
    """Internal: HTTP 401 or NotAuthorized, before the retry decides it is auth_failed.

    ``digest_offered``: the refusal carried a ``WWW-Authenticate: Digest`` challenge, the
    sign (ONVIF Core 5.9.1) that the camera takes HTTP Digest.
    """

    def __init__(self, transcript: Transcript, *, digest_offered: bool = False):
        self.transcript = transcript
        self.digest_offered = digest_offered


class _BadChallenge(Exception):
    """Internal: a Digest challenge httpx cannot answer (malformed, only qop=auth-int, unknown algorithm)."""


class _Reply(NamedTuple):
    """One HTTP reply as ``_post`` read it: ``content`` None past ``max_reply_bytes``."""

    status: int
    content_type: str
    content: bytes | None
    digest_offered: bool


def _offers_digest(response: httpx.Response) -> bool:
    """A ``WWW-Authenticate: Digest`` challenge among the reply's headers (the header httpx answers)."""
    return any(v.strip().lower().startswith("digest ") for v in response.headers.get_list("www-authenticate"))


class OnvifClient:
    """One camera's device and media services; see the module docstring for the rules it follows."""

    def __init__(
        self,
        host_url: str,
        username: str,
        password: str,
        *,
        timeout_s: float = 8.0,
        profile: CameraProfile | None = None,
        policy: NetPolicy = NetPolicy(),
        max_reply_bytes: int = MAX_REPLY_BYTES,
    ) -> None:
        self.device_url = device_service_url(host_url)
        self.profile = profile
        self.timeout_s = timeout_s
        self.max_reply_bytes = max_reply_bytes
        self.last_exchange: Transcript | None = None
        self._username = username
        self._password = password
        self._auth_method: AuthMethod = "ws-security"
        # One DigestAuth per client: it keeps the camera's last challenge, so once Digest works each
        # later request carries its Authorization at once (nc counting up) instead of being refused first.
        self._digest = httpx.DigestAuth(username, password)
        self._encoder: EncoderRules = profile.encoder if profile else EncoderRules()
        self._time: TimeRules = profile.time if profile else TimeRules()
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s),
            trust_env=False,
            follow_redirects=False,
            transport=guarded_transport(policy),
        )
        self._offset: timedelta | None = None
        self._xaddrs: dict[str, str] | None = None
        self._clock_lock = asyncio.Lock()  # taken inside _xaddr_lock, never the other way round
        self._xaddr_lock = asyncio.Lock()

    def use_profile(self, profile: CameraProfile) -> None:
        """The camera's family, once GetDeviceInformation has told it: its encoder and time rules apply."""
        self.profile, self._encoder, self._time = profile, profile.encoder, profile.time

    async def __aenter__(self) -> OnvifClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def __repr__(self) -> str:
        return f"OnvifClient({self.device_url!r}, user={self._username!r})"

    @property
    def clock_offset(self) -> timedelta | None:
        """Camera UTC minus our UTC, as last read (None before the first read)."""
        return self._offset

    @property
    def auth_method(self) -> AuthMethod:
        """How this client authenticates now: "ws-security" until the camera refused it and took HTTP
        Digest, "digest" from then on (for the job's record of what worked)."""
        return self._auth_method

    @property
    def xaddrs(self) -> dict[str, str] | None:
        """Service namespace -> URL (already rewritten to the configured host), once discovered."""
        return dict(self._xaddrs) if self._xaddrs is not None else None

    # ------------------------------------------------------------ plumbing

    async def _exchange(
        self, op: Operation, url: str, body: str, *, auth: AuthMethod | None
    ) -> tuple[Any, Transcript]:
        """One POST: the reply's operation element and the exchange, or an OnvifError (``_Refused`` for auth).

        ``auth``: None sends no credentials, "ws-security" a UsernameToken in the SOAP header,
        "digest" no SOAP security header and HTTP Digest instead (ONVIF Core 5.9.1: a client
        should not send both).
        """
        header = (
            security_header(self._username, self._password, created_now(self._offset or timedelta(0)))
            if auth == "ws-security"
            else ""
        )
        headers = {"Content-Type": f'application/soap+xml; charset=utf-8; action="{op.action}"'}
        request = body[:REQUEST_SNIPPET]
        where = urlsplit(url).netloc
        try:
            status, content_type, content, digest_offered = await self._post(
                url, envelope(body, header), headers, digest=auth == "digest"
            )
        except _BadChallenge as exc:
            self.last_exchange = transcript = Transcript(op.name, url, 401, request, "")
            raise BadReply(
                f"{op.name}: the camera's HTTP Digest challenge cannot be answered: {exc}",
                operation=op.name,
                transcript=transcript,
            ) from None
        except AddressRefused as exc:
            transcript = Transcript(op.name, url, None, request, "")
            raise AddressNotAllowed(f"{op.name}: {exc}", operation=op.name, transcript=transcript) from None
        except httpx.ConnectTimeout:
            transcript = Transcript(op.name, url, None, request, "")
            raise Unreachable(
                f"{op.name}: no connection to {where} within {self.timeout_s:g} s",
                operation=op.name,
                transcript=transcript,
            ) from None
        except httpx.TimeoutException:
            transcript = Transcript(op.name, url, None, request, "")
            raise OnvifTimeout(
                f"{op.name}: {where} did not answer within {self.timeout_s:g} s",
                operation=op.name,
                transcript=transcript,
            ) from None
        except httpx.HTTPError as exc:  # refused, no route, DNS; or the connection dropped mid-exchange
            transcript = Transcript(op.name, url, None, request, "")
            verb = "cannot connect to" if isinstance(exc, httpx.ConnectError) else "lost the connection to"
            raise Unreachable(
                f"{op.name}: {verb} {where}: {exc or type(exc).__name__}",
                operation=op.name,
                transcript=transcript,
            ) from None
        if content is None:
            self.last_exchange = transcript = Transcript(op.name, url, status, request, "")
            raise BadReply(
                f"{op.name}: HTTP {status}, reply larger than {self.max_reply_bytes} bytes",
                operation=op.name,
                transcript=transcript,
            )
        try:
            element, fault = parse(content), None
        except SoapFault as exc:
            element, fault = None, exc
        except ValueError:
            # Not SOAP: whatever answered is no camera's ONVIF service, and its page is not ours
            # to keep or show. Its status, type and length say enough to fix the address.
            self.last_exchange = transcript = Transcript(op.name, url, status, request, "")
            if status == 401:
                raise _Refused(transcript, digest_offered=digest_offered) from None
            raise BadReply(
                f"{op.name}: HTTP {status}, not a SOAP reply "
                f"({content_type or 'no content type'}, {len(content)} bytes)",
                operation=op.name,
                transcript=transcript,
            ) from None
        reply = content[:SNIPPET].decode("utf-8", "replace")
        self.last_exchange = transcript = Transcript(op.name, url, status, request, reply)
        if status == 401 or (fault is not None and "NotAuthorized" in {fault.code, *fault.subcodes}):
            raise _Refused(transcript, digest_offered=status == 401 and digest_offered)
        if fault is not None:
            raise error_for_fault(fault, op.name, transcript=transcript, username=self._username)
        if not 200 <= status < 300:
            raise BadReply(
                f"{op.name}: HTTP {status} without a SOAP fault", operation=op.name, transcript=transcript
            )
        return element, transcript

    async def _post(
        self, url: str, content: bytes, headers: dict[str, str], *, digest: bool = False
    ) -> _Reply:
        """One POST, read with the cap; with ``digest``, HTTP Digest's round trip (challenge, answer).

        ``httpx.DigestAuth`` writes the Authorization header, but its exchange is driven here
        rather than by ``auth=``: httpx would read a challenge's 401 body to its end, and every
        reply, the challenge included, must stay within ``max_reply_bytes``. The last reply is
        returned; the DigestAuth flow sends at most two requests.
        """
        request = self._http.build_request("POST", url, content=content, headers=headers)
        flow = self._digest.auth_flow(request) if digest else None
        if flow is not None:
            request = next(flow)  # with an Authorization already, once a challenge was answered
        while True:
            response = await self._http.send(request, stream=True)
            try:
                reply = await self._read_capped(response)
            finally:
                await response.aclose()
            if flow is None or reply.content is None:
                return reply
            try:
                request = flow.send(response)  # reads only the status and headers
            except StopIteration:
                return reply
            except (httpx.ProtocolError, NotImplementedError, KeyError) as exc:
                # malformed challenge / qop=auth-int only / an algorithm httpx does not know
                raise _BadChallenge(str(exc) or type(exc).__name__) from None

    async def _read_capped(self, resp: httpx.Response) -> _Reply:
        """The reply's body up to ``max_reply_bytes`` (None past it, unread beyond).

        Decoded bytes are counted, so a compressed reply cannot expand past the cap either.
        """
        content_type = resp.headers.get("content-type", "").split(";", 1)[0].strip()[:80]
        offered = _offers_digest(resp)
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_reply_bytes:
            return _Reply(resp.status_code, content_type, None, offered)
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.aiter_bytes():
            size += len(chunk)
            if size > self.max_reply_bytes:
                return _Reply(resp.status_code, content_type, None, offered)
            chunks.append(chunk)
        return _Reply(resp.status_code, content_type, b"".join(chunks), offered)

    @staticmethod
    def _parse(op: Operation, reply: tuple[Any, Transcript]) -> Any:
        element, transcript = reply
        try:
            return op.parse(element)
        except ValueError as exc:
            raise BadReply(f"{op.name}: {exc}", operation=op.name, transcript=transcript) from None

    async def _service_url(self, service: str) -> str:
        if service == "tds":
            return self.device_url
        await self._ensure_xaddrs()
        assert self._xaddrs is not None
        url = self._xaddrs.get(NS[service])
        if url is None:
            raise NotSupported(f"the camera reports no service {NS[service]}")
        return url

    async def _call(self, name: str, body: str) -> Any:
        """An authenticated call: retried once, after re-reading the camera clock, if refused; then
        once with HTTP Digest if the camera offered it (see ``_authenticated``)."""
        op = OPERATIONS[name]
        await self._ensure_clock()
        url = await self._service_url(op.service)
        return self._parse(op, await self._authenticated(op, url, body, reread_clock=True))

    async def _authenticated(
        self, op: Operation, url: str, body: str, *, reread_clock: bool
    ) -> tuple[Any, Transcript]:
        """One exchange, authenticated the way this camera takes it, or ``AuthFailed``.

        WS-Security first (and once more after re-reading the camera clock, with
        ``reread_clock``: a clock that jumped is the usual cause of a refusal). If it is still
        refused and a refusal offered a Digest challenge, the request goes once more with HTTP
        Digest; when that works the client stays on Digest, so later calls cost one request, not
        three refusals first. On Digest, a refusal is final: the camera took Digest before, so
        WS-Security would not help.
        """
        if self._auth_method == "digest":
            try:
                return await self._exchange(op, url, body, auth="digest")
            except _Refused as refused:
                raise AuthFailed(
                    _auth_message(op.name, self._username, None, "HTTP Digest"),
                    operation=op.name,
                    transcript=refused.transcript,
                ) from None
        try:
            return await self._exchange(op, url, body, auth="ws-security")
        except _Refused as first:
            last, offered = first, first.digest_offered
        if reread_clock:
            await self._reread_clock()
            try:
                return await self._exchange(op, url, body, auth="ws-security")
            except _Refused as again:
                last, offered = again, offered or again.digest_offered
        offset = self._offset if reread_clock else None
        if not offered:
            raise AuthFailed(
                _auth_message(op.name, self._username, offset), operation=op.name, transcript=last.transcript
            )
        try:
            reply = await self._exchange(op, url, body, auth="digest")
        except _Refused as refused:
            raise AuthFailed(
                _auth_message(op.name, self._username, offset, "WS-Security and by HTTP Digest"),
                operation=op.name,
                transcript=refused.transcript,
            ) from None
        self._auth_method = "digest"
        return reply

    async def _ensure_clock(self) -> None:
        if self._offset is None:
            async with self._clock_lock:
                if self._offset is None:
                    await self.get_system_date_and_time()

    async def _reread_clock(self) -> None:
        """Before the single retry: a camera clock that jumped is the usual cause of a refusal."""
        try:
            await self.get_system_date_and_time()
        except AuthFailed:
            pass  # the retry will report it with its own transcript

    async def _ensure_xaddrs(self) -> None:
        if self._xaddrs is None:
            async with self._xaddr_lock:
                if self._xaddrs is None:
                    await self.discover()

    async def _after_clock_change(self) -> None:
        """The camera clock may have jumped: read the offset again (lazily, if it cannot be read now)."""
        try:
            await self.get_system_date_and_time()
        except OnvifError:
            self._offset = None

    # ------------------------------------------------------------ device service

    async def connect(self) -> None:
        """Read the camera clock and discover its services now instead of on first use."""
        await self._ensure_clock()
        await self._ensure_xaddrs()

    async def get_system_date_and_time(self) -> DateTime:
        """The camera's time, unauthenticated (with auth if the device insists); updates the clock offset."""
        op = OPERATIONS["GetSystemDateAndTime"]
        before = datetime.now(UTC)
        body = m.get_system_date_and_time()
        try:
            reply = await self._exchange(op, self.device_url, body, auth=None)
        except (_Refused, DeviceFault):  # some devices want credentials even here
            # No clock re-read: this is the read. WS-Security signed with the offset we have (or none).
            reply = await self._authenticated(op, self.device_url, body, reread_clock=False)
        after = datetime.now(UTC)
        read: DateTime = self._parse(op, reply)
        self._offset = read.utc - (before + (after - before) / 2) if read.utc else timedelta(0)
        return read

    async def discover(self) -> dict[str, str]:
        """Service XAddrs by namespace from GetServices, or GetCapabilities where that is missing."""
        services: tuple[Service, ...]
        try:
            services = await self.get_services()
        except (NotSupported, DeviceFault, BadReply):
            services = await self.get_capabilities()
        self._xaddrs = {
            ns: rewrite_xaddr(xaddr, self.device_url) for ns, xaddr in m.xaddrs_by_namespace(services).items()
        }
        return dict(self._xaddrs)

    async def get_services(self) -> tuple[Service, ...]:
        reply: tuple[Service, ...] = await self._call("GetServices", m.get_services())
        return reply

    async def get_capabilities(self) -> tuple[Service, ...]:
        reply: tuple[Service, ...] = await self._call("GetCapabilities", m.get_capabilities())
        return reply

    async def get_device_information(self) -> DeviceInfo:
        reply: DeviceInfo = await self._call("GetDeviceInformation", m.get_device_information())
        return reply

    async def get_hostname(self) -> Hostname:
        reply: Hostname = await self._call("GetHostname", m.get_hostname())
        return reply

    async def set_hostname(self, name: str) -> None:
        await self._call("SetHostname", m.set_hostname(name))

    async def get_ntp(self) -> NtpInfo:
        reply: NtpInfo = await self._call("GetNTP", m.get_ntp())
        return reply

    async def set_ntp(self, servers: Sequence[str], *, from_dhcp: bool = False) -> None:
        await self._call("SetNTP", m.set_ntp(servers, from_dhcp=from_dhcp))
        await self._after_clock_change()

    async def set_system_date_and_time(
        self, mode: Literal["Manual", "NTP"], tz: str, *, utc: datetime | None = None
    ) -> None:
        """Set time mode and zone; ``tz`` is the standard's POSIX zone, written in the profile's style.

        Manual mode sets the camera to ``utc`` (default: our UTC now). A zone
        with a DST rule is refused before sending when the profile says the
        family rejects them.
        """
        self._check_zone(tz)
        if mode == "Manual" and utc is None:
            utc = datetime.now(UTC)
        body = self._time.request(mode, tz, utc=utc)
        await self._call("SetSystemDateAndTime", body)
        await self._after_clock_change()

    def _check_zone(self, tz: str) -> None:
        """A zone this family cannot take is refused before anything is sent (no half-applied time)."""
        parse_tz(tz)  # the standard's own zone unreadable: a ValueError for whoever configured it
        try:
            self._time.write_tz(tz)
        except ValueError as exc:  # a DST zone for a family that refuses them
            raise UnsupportedSetting(
                f"SetSystemDateAndTime: {exc}",
                field="TimeZone",
                allowed="a zone without DST",
                operation="SetSystemDateAndTime",
            ) from None

    async def set_time(self, ntp_servers: Sequence[str], tz: str) -> Literal["NTP", "Manual"]:
        """NTP servers, NTP mode and the zone in the profile's order; Manual (our UTC) if NTP is refused.

        Returns the mode the camera was left in, for the job's record.
        """
        self._check_zone(tz)
        if not ntp_servers:
            await self.set_system_date_and_time("Manual", tz)
            return "Manual"
        mode: Literal["NTP", "Manual"] = "NTP"
        for step in self._time.set_order:
            if step == "SetNTP":
                await self.set_ntp(ntp_servers)
                continue
            try:
                await self.set_system_date_and_time("NTP", tz)
            except (UnsupportedSetting, DeviceFault) as exc:
                if self._time.ntp_mode_fallback == "none" or getattr(exc, "field", None) == "TimeZone":
                    raise
                await self.set_system_date_and_time("Manual", tz)
                mode = "Manual"
        return mode

    # ------------------------------------------------------------ media service

    async def get_profiles(self) -> tuple[Profile, ...]:
        reply: tuple[Profile, ...] = await self._call("GetProfiles", m.get_profiles())
        return reply

    async def get_video_encoder_configurations(self) -> tuple[EncoderConfig, ...]:
        reply: tuple[EncoderConfig, ...] = await self._call(
            "GetVideoEncoderConfigurations", m.get_video_encoder_configurations()
        )
        return reply

    async def get_video_encoder_configuration(self, token: str) -> EncoderConfig:
        reply: EncoderConfig = await self._call(
            "GetVideoEncoderConfiguration", m.get_video_encoder_configuration(token)
        )
        return reply

    async def get_video_encoder_configuration_options(
        self, config_token: str | None = None, profile_token: str | None = None
    ) -> EncoderOptions:
        body = m.get_video_encoder_configuration_options(config_token, profile_token)
        reply: EncoderOptions = await self._call("GetVideoEncoderConfigurationOptions", body)
        return reply

    async def set_video_encoder_configuration(
        self, read: EncoderConfig, changes: Mapping[str, Any], *, options: EncoderOptions | None = None
    ) -> EncoderConfig:
        """Write ``read`` with only ``changes`` applied (EncoderConfig attribute names); returns what was sent.

        Everything else is echoed as read. ``options`` (from
        GetVideoEncoderConfigurationOptions) lets a refusal name the setting
        and the camera's allowed range.
        """
        config, body = self._encoder.request(read, changes)
        try:
            await self._call("SetVideoEncoderConfiguration", body)
        except UnsupportedSetting as exc:
            if exc.fault is None:
                raise
            raise error_for_fault(
                exc.fault,
                "SetVideoEncoderConfiguration",
                transcript=exc.transcript,
                limits=self._encoder.limits(options),
                config=config,
            ) from None
        return config

    async def get_stream_uri(self, profile_token: str) -> MediaUri:
        reply: MediaUri = await self._call("GetStreamUri", m.get_stream_uri(profile_token))
        return reply

    async def get_snapshot_uri(self, profile_token: str) -> MediaUri:
        reply: MediaUri = await self._call("GetSnapshotUri", m.get_snapshot_uri(profile_token))
        return reply

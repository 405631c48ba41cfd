"""ONVIF request bodies and typed replies for the operations camera provisioning uses.

Builders return the operation element as text, written with the ``tds``/``trt``/
``tt`` prefixes that ``soap.envelope`` declares; every value is XML-escaped.
Parsers take the operation element ``soap.parse`` returns and give frozen
dataclasses. They read by namespace URI (Hikvision writes default namespaces
and no prefixes), parse numbers leniently (``3.000000``), take ``true``/``1``
for booleans and treat every optional element as optional; anything missing
or unreadable that the schema requires is a ValueError naming the element.

``SetVideoEncoderConfiguration`` is built from a whole ``EncoderConfig``,
normally ``dataclasses.replace(read, ...)`` of the one just read: every field
the plan does not change, including the raw Multicast block, goes back to the
device as it came (strict devices refuse a partial configuration, and
inventing Multicast values breaks others).

Long because: one small builder and one parser per ONVIF operation provisioning uses; they
share the namespace table and the lenient readers, and each is short.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from xml.sax.saxutils import escape

from camera.onvif.soap import NS

__all__ = [
    "BITRATE_UNLIMITED",
    "ENCODER_FIELDS",
    "OPERATIONS",
    "DateTime",
    "DeviceInfo",
    "EncoderConfig",
    "EncoderOptions",
    "Hostname",
    "MediaUri",
    "NtpInfo",
    "Operation",
    "Profile",
    "Service",
    "get_capabilities",
    "get_device_information",
    "get_hostname",
    "get_ntp",
    "get_profiles",
    "get_services",
    "get_snapshot_uri",
    "get_stream_uri",
    "get_system_date_and_time",
    "get_video_encoder_configuration",
    "get_video_encoder_configuration_options",
    "get_video_encoder_configurations",
    "parse_reply",
    "set_hostname",
    "set_ntp",
    "set_system_date_and_time",
    "set_video_encoder_configuration",
    "to_plain",
    "xaddrs_by_namespace",
]

BITRATE_UNLIMITED = 2147483647  # Axis reports this for "no cap"; treat it as no cap set
Range = tuple[int, int]


# ---------------------------------------------------------------- typed replies


@dataclass(frozen=True)
class DeviceInfo:
    manufacturer: str
    model: str
    firmware_version: str = ""
    serial_number: str = ""
    hardware_id: str = ""


@dataclass(frozen=True)
class Service:
    """One service of GetServices (or a GetCapabilities category): namespace URI -> XAddr."""

    namespace: str
    xaddr: str
    version: str | None = None  # "2.60"


@dataclass(frozen=True)
class DateTime:
    """GetSystemDateAndTime: ``utc`` is what the camera thinks UTC is (its clock, not ours)."""

    type: Literal["Manual", "NTP"]
    dst: bool
    tz: str | None
    utc: datetime | None
    local: datetime | None = None  # naive: the camera's wall clock


@dataclass(frozen=True)
class NtpInfo:
    from_dhcp: bool
    servers: tuple[str, ...]  # NTPManual, in order
    dhcp_servers: tuple[str, ...] = ()  # NTPFromDHCP


@dataclass(frozen=True)
class Hostname:
    from_dhcp: bool
    name: str | None


@dataclass(frozen=True)
class Profile:
    """A media profile; ``encoder_token`` is None for a profile without a video encoder."""

    token: str
    name: str
    fixed: bool = False
    encoder_token: str | None = None
    resolution: tuple[int, int] | None = None


@dataclass(frozen=True)
class EncoderConfig:
    """tt:VideoEncoderConfiguration. ``multicast_xml`` is the device's Multicast block, verbatim.

    BitrateLimit is in kbit/s and GovLength in frames (keyframe interval in
    seconds = GovLength x EncodingInterval / FrameRateLimit).
    """

    token: str
    name: str | None
    use_count: int | None
    encoding: str
    width: int
    height: int
    quality: float | None = None
    fps_limit: int | None = None
    encoding_interval: int | None = None
    bitrate_limit: int | None = None
    gov_length: int | None = None
    h264_profile: str | None = None
    multicast_xml: str | None = None
    session_timeout: str | None = None

    @property
    def bitrate_cap(self) -> int | None:
        """The bitrate cap in kbit/s, None when the device reports none (or "unlimited")."""
        if self.bitrate_limit is None or self.bitrate_limit >= BITRATE_UNLIMITED:
            return None
        return self.bitrate_limit


# ONVIF element name (as a camera profile's ``encoder.echo_fields`` says it) -> EncoderConfig attribute.
ENCODER_FIELDS = {
    "Name": "name",
    "UseCount": "use_count",
    "Encoding": "encoding",
    "Width": "width",
    "Height": "height",
    "Quality": "quality",
    "FrameRateLimit": "fps_limit",
    "EncodingInterval": "encoding_interval",
    "BitrateLimit": "bitrate_limit",
    "GovLength": "gov_length",
    "H264Profile": "h264_profile",
    "Multicast": "multicast_xml",
    "SessionTimeout": "session_timeout",
}


@dataclass(frozen=True)
class EncoderOptions:
    """GetVideoEncoderConfigurationOptions for H.264; ``bitrate_range`` only when the device gives one."""

    resolutions: tuple[tuple[int, int], ...]
    gov_length_range: Range | None = None
    fps_range: Range | None = None
    encoding_interval_range: Range | None = None
    bitrate_range: Range | None = None
    quality_range: tuple[float, float] | None = None
    h264_profiles: tuple[str, ...] = ()


@dataclass(frozen=True)
class MediaUri:
    uri: str
    invalid_after_connect: bool = False
    invalid_after_reboot: bool = False
    timeout: str = ""


# ---------------------------------------------------------------- reading helpers


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _plain_path(path: str) -> str:
    return re.sub(r"\b\w+:", "", path)


def _find(el: ET.Element, path: str, where: str) -> ET.Element:
    found = el.find(path, NS)
    if found is None:
        raise ValueError(f"{where}/{_plain_path(path)}: missing")
    return found


def _text(el: ET.Element, path: str, where: str, *, required: bool = False) -> str | None:
    found = el.find(path, NS)
    if found is None or found.text is None or not found.text.strip():
        if required:
            raise ValueError(f"{where}/{_plain_path(path)}: missing")
        return None
    return found.text.strip()


def _number(value: str, what: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(f"{what}: {value!r} is not a number")
    return number


def _int(el: ET.Element, path: str, where: str, *, required: bool = False) -> int | None:
    value = _text(el, path, where, required=required)
    return None if value is None else round(_number(value, f"{where}/{_plain_path(path)}"))


def _float(el: ET.Element, path: str, where: str, *, required: bool = False) -> float | None:
    value = _text(el, path, where, required=required)
    return None if value is None else _number(value, f"{where}/{_plain_path(path)}")


def _bool(el: ET.Element, path: str, where: str, *, default: bool | None = None) -> bool:
    value = _text(el, path, where, required=default is None)
    if value is None:
        assert default is not None
        return default
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError(f"{where}/{_plain_path(path)}: {value!r} is not a boolean")


def _attr(el: ET.Element, name: str, where: str) -> str:
    value = el.get(name)
    if value is None or not value.strip():
        raise ValueError(f"{where}: attribute {name} missing")
    return value


def _range(el: ET.Element, path: str, where: str) -> Range | None:
    found = el.find(path, NS)
    if found is None:
        return None
    here = f"{where}/{_plain_path(path)}"
    lo, hi = _int(found, "tt:Min", here, required=True), _int(found, "tt:Max", here, required=True)
    assert lo is not None and hi is not None
    return (lo, hi)


def _expect(el: ET.Element, prefix: str, name: str) -> str:
    if el.tag != _q(prefix, name):
        raise ValueError(f"expected {prefix}:{name}, got {el.tag}")
    return name


def _serialize(el: ET.Element) -> str:
    """An element back to text with stable prefixes, self-contained (declares what it uses).

    ElementTree writes ``ns0:`` prefixes otherwise; this keeps ``tt:`` so the
    echoed block reads like the rest of the request. Whitespace-only text
    (pretty printing) is dropped.
    """
    by_uri = {uri: prefix for prefix, uri in NS.items() if prefix != "s11"}
    used: dict[str, str] = {}

    def name(qname: str) -> str:
        if not qname.startswith("{"):
            return qname
        uri, local = qname[1:].split("}", 1)
        prefix = used.get(uri) or by_uri.get(uri) or f"ns{len(used)}"
        used[uri] = prefix
        return f"{prefix}:{local}"

    def write(node: ET.Element) -> str:
        attrs = "".join(f' {name(k)}="{escape(v, {chr(34): "&quot;"})}"' for k, v in node.attrib.items())
        text = node.text if node.text and node.text.strip() else ""
        inner = escape(text.strip()) + "".join(write(child) for child in node)
        tail = node.tail if node.tail and node.tail.strip() else ""
        return f"<{name(node.tag)}{attrs}>{inner}</{name(node.tag)}>" + escape(tail.strip())

    body = write(el)
    head, rest = body.split(">", 1)  # the root's start tag: ">" inside values is escaped
    declarations = "".join(f' xmlns:{prefix}="{uri}"' for uri, prefix in used.items())
    return f"{head}{declarations}>{rest}"


# ---------------------------------------------------------------- parsers


def parse_device_information(el: ET.Element) -> DeviceInfo:
    where = _expect(el, "tds", "GetDeviceInformationResponse")
    return DeviceInfo(
        manufacturer=_text(el, "tds:Manufacturer", where, required=True) or "",
        model=_text(el, "tds:Model", where, required=True) or "",
        firmware_version=_text(el, "tds:FirmwareVersion", where) or "",
        serial_number=_text(el, "tds:SerialNumber", where) or "",
        hardware_id=_text(el, "tds:HardwareId", where) or "",
    )


def parse_services(el: ET.Element) -> tuple[Service, ...]:
    where = _expect(el, "tds", "GetServicesResponse")
    services = []
    for i, node in enumerate(el.findall("tds:Service", NS)):
        here = f"{where}/Service[{i}]"
        major, minor = _int(node, "tds:Version/tt:Major", here), _int(node, "tds:Version/tt:Minor", here)
        services.append(
            Service(
                namespace=_text(node, "tds:Namespace", here, required=True) or "",
                xaddr=_text(node, "tds:XAddr", here, required=True) or "",
                version=f"{major}.{minor:02d}" if major is not None and minor is not None else None,
            )
        )
    if not services:
        raise ValueError(f"{where}/Service: missing")
    return tuple(services)


_CAPABILITY_NAMESPACES = {
    "Device": NS["tds"],
    "Media": NS["trt"],
    "Events": "http://www.onvif.org/ver10/events/wsdl",
    "Imaging": "http://www.onvif.org/ver20/imaging/wsdl",
    "PTZ": "http://www.onvif.org/ver20/ptz/wsdl",
    "Analytics": "http://www.onvif.org/ver20/analytics/wsdl",
}


def parse_capabilities(el: ET.Element) -> tuple[Service, ...]:
    """GetCapabilities (old devices): each category's XAddr, keyed like GetServices by namespace."""
    where = _expect(el, "tds", "GetCapabilitiesResponse")
    caps = _find(el, "tds:Capabilities", where)
    services = []
    for category, namespace in _CAPABILITY_NAMESPACES.items():
        node = caps.find(f"tt:{category}", NS)
        if node is not None:
            xaddr = _text(node, "tt:XAddr", f"{where}/Capabilities/{category}", required=True) or ""
            services.append(Service(namespace=namespace, xaddr=xaddr))
    if not services:
        raise ValueError(f"{where}/Capabilities: no service with an XAddr")
    return tuple(services)


def xaddrs_by_namespace(services: Iterable[Service]) -> dict[str, str]:
    return {s.namespace: s.xaddr for s in services}


def _datetime(node: ET.Element, where: str, *, utc: bool) -> datetime:
    parts = [
        _int(node, path, where, required=True)
        for path in ("tt:Date/tt:Year", "tt:Date/tt:Month", "tt:Date/tt:Day")
        + ("tt:Time/tt:Hour", "tt:Time/tt:Minute", "tt:Time/tt:Second")
    ]
    try:
        return datetime(*parts, tzinfo=UTC if utc else None)  # type: ignore[arg-type, misc]
    except ValueError as exc:
        raise ValueError(f"{where}: not a valid date and time: {exc}") from None


def parse_system_date_and_time(el: ET.Element) -> DateTime:
    where = _expect(el, "tds", "GetSystemDateAndTimeResponse")
    node = _find(el, "tds:SystemDateAndTime", where)
    where += "/SystemDateAndTime"
    kind = _text(node, "tt:DateTimeType", where, required=True)
    if kind not in ("Manual", "NTP"):
        raise ValueError(f"{where}/DateTimeType: {kind!r} is neither Manual nor NTP")
    utc_node, local_node = node.find("tt:UTCDateTime", NS), node.find("tt:LocalDateTime", NS)
    return DateTime(
        type=kind,  # type: ignore[arg-type]
        dst=_bool(node, "tt:DaylightSavings", where, default=False),
        tz=_text(node, "tt:TimeZone/tt:TZ", where),
        utc=_datetime(utc_node, f"{where}/UTCDateTime", utc=True) if utc_node is not None else None,
        local=_datetime(local_node, f"{where}/LocalDateTime", utc=False) if local_node is not None else None,
    )


def _host(node: ET.Element, where: str) -> str:
    for path in ("tt:DNSname", "tt:IPv4Address", "tt:IPv6Address"):
        if value := _text(node, path, where):
            return value
    raise ValueError(f"{where}: no DNSname, IPv4Address or IPv6Address")


def parse_ntp(el: ET.Element) -> NtpInfo:
    where = _expect(el, "tds", "GetNTPResponse")
    node = _find(el, "tds:NTPInformation", where)
    where += "/NTPInformation"
    return NtpInfo(
        from_dhcp=_bool(node, "tt:FromDHCP", where),
        servers=tuple(
            _host(n, f"{where}/NTPManual[{i}]") for i, n in enumerate(node.findall("tt:NTPManual", NS))
        ),
        dhcp_servers=tuple(
            _host(n, f"{where}/NTPFromDHCP[{i}]") for i, n in enumerate(node.findall("tt:NTPFromDHCP", NS))
        ),
    )


def parse_hostname(el: ET.Element) -> Hostname:
    where = _expect(el, "tds", "GetHostnameResponse")
    node = _find(el, "tds:HostnameInformation", where)
    where += "/HostnameInformation"
    return Hostname(from_dhcp=_bool(node, "tt:FromDHCP", where), name=_text(node, "tt:Name", where))


def parse_profiles(el: ET.Element) -> tuple[Profile, ...]:
    where = _expect(el, "trt", "GetProfilesResponse")
    profiles = []
    for i, node in enumerate(el.findall("trt:Profiles", NS)):
        here = f"{where}/Profiles[{i}]"
        encoder = node.find("tt:VideoEncoderConfiguration", NS)
        resolution = None
        if encoder is not None:
            enc_where = f"{here}/VideoEncoderConfiguration"
            width = _int(encoder, "tt:Resolution/tt:Width", enc_where)
            height = _int(encoder, "tt:Resolution/tt:Height", enc_where)
            resolution = (width, height) if width is not None and height is not None else None
        profiles.append(
            Profile(
                token=_attr(node, "token", here),
                name=_text(node, "tt:Name", here, required=True) or "",
                fixed=(node.get("fixed") or "").strip().lower() in ("true", "1"),
                encoder_token=_attr(encoder, "token", f"{here}/VideoEncoderConfiguration")
                if encoder is not None
                else None,
                resolution=resolution,
            )
        )
    if not profiles:
        raise ValueError(f"{where}/Profiles: missing")
    return tuple(profiles)


def _encoder_config(node: ET.Element, where: str) -> EncoderConfig:
    multicast = node.find("tt:Multicast", NS)
    gov_length = _int(node, "tt:H264/tt:GovLength", where)
    if gov_length is None:  # Dahua answers H.265 inside Media1 with its own block
        gov_length = _int(node, "tt:H265/tt:GovLength", where)
    width = _int(node, "tt:Resolution/tt:Width", where, required=True)
    height = _int(node, "tt:Resolution/tt:Height", where, required=True)
    assert width is not None and height is not None
    return EncoderConfig(
        token=_attr(node, "token", where),
        name=_text(node, "tt:Name", where),
        use_count=_int(node, "tt:UseCount", where),
        encoding=_text(node, "tt:Encoding", where, required=True) or "",
        width=width,
        height=height,
        quality=_float(node, "tt:Quality", where),
        fps_limit=_int(node, "tt:RateControl/tt:FrameRateLimit", where),
        encoding_interval=_int(node, "tt:RateControl/tt:EncodingInterval", where),
        bitrate_limit=_int(node, "tt:RateControl/tt:BitrateLimit", where),
        gov_length=gov_length,
        h264_profile=_text(node, "tt:H264/tt:H264Profile", where),
        multicast_xml=_serialize(multicast) if multicast is not None else None,
        session_timeout=_text(node, "tt:SessionTimeout", where),
    )


def parse_video_encoder_configurations(el: ET.Element) -> tuple[EncoderConfig, ...]:
    where = _expect(el, "trt", "GetVideoEncoderConfigurationsResponse")
    return tuple(
        _encoder_config(node, f"{where}/Configurations[{i}]")
        for i, node in enumerate(el.findall("trt:Configurations", NS))
    )


def parse_video_encoder_configuration(el: ET.Element) -> EncoderConfig:
    where = _expect(el, "trt", "GetVideoEncoderConfigurationResponse")
    return _encoder_config(_find(el, "trt:Configuration", where), f"{where}/Configuration")


def parse_video_encoder_configuration_options(el: ET.Element) -> EncoderOptions:
    """H.264 options; the base block first, ``Extension/H264`` (the only home of BitrateRange) second."""
    where = _expect(el, "trt", "GetVideoEncoderConfigurationOptionsResponse")
    options = _find(el, "trt:Options", where)
    where += "/Options"
    blocks = [
        (b, f"{where}/{p}")
        for p, b in (
            ("H264", options.find("tt:H264", NS)),
            ("Extension/H264", options.find("tt:Extension/tt:H264", NS)),
        )
        if b is not None
    ]

    def first(read: Callable[[ET.Element, str], Any]) -> Any:
        for block, here in blocks:
            if (value := read(block, here)) not in (None, ()):
                return value
        return None

    def resolutions(block: ET.Element, here: str) -> tuple[tuple[int, int], ...]:
        found = []
        for i, r in enumerate(block.findall("tt:ResolutionsAvailable", NS)):
            at = f"{here}/ResolutionsAvailable[{i}]"
            found.append((_int(r, "tt:Width", at, required=True), _int(r, "tt:Height", at, required=True)))
        return tuple(found)  # type: ignore[arg-type]

    def profiles(block: ET.Element, here: str) -> tuple[str, ...]:
        return tuple((p.text or "").strip() for p in block.findall("tt:H264ProfilesSupported", NS) if p.text)

    quality = options.find("tt:QualityRange", NS)
    quality_range = None
    if quality is not None:
        lo = _float(quality, "tt:Min", f"{where}/QualityRange", required=True)
        hi = _float(quality, "tt:Max", f"{where}/QualityRange", required=True)
        quality_range = (lo, hi)
    return EncoderOptions(
        resolutions=first(resolutions) or (),
        gov_length_range=first(lambda b, h: _range(b, "tt:GovLengthRange", h)),
        fps_range=first(lambda b, h: _range(b, "tt:FrameRateRange", h)),
        encoding_interval_range=first(lambda b, h: _range(b, "tt:EncodingIntervalRange", h)),
        bitrate_range=first(lambda b, h: _range(b, "tt:BitrateRange", h)),
        quality_range=quality_range,  # type: ignore[arg-type]
        h264_profiles=first(profiles) or (),
    )


def parse_media_uri(el: ET.Element) -> MediaUri:
    if el.tag not in (_q("trt", "GetStreamUriResponse"), _q("trt", "GetSnapshotUriResponse")):
        raise ValueError(f"expected trt:GetStreamUriResponse or trt:GetSnapshotUriResponse, got {el.tag}")
    where = el.tag.split("}", 1)[1]
    node = _find(el, "trt:MediaUri", where)
    where += "/MediaUri"
    return MediaUri(
        uri=_text(node, "tt:Uri", where, required=True) or "",
        invalid_after_connect=_bool(node, "tt:InvalidAfterConnect", where, default=False),
        invalid_after_reboot=_bool(node, "tt:InvalidAfterReboot", where, default=False),
        timeout=_text(node, "tt:Timeout", where) or "",
    )


def _empty(prefix: str, op: str) -> Callable[[ET.Element], None]:
    def parse(el: ET.Element) -> None:
        _expect(el, prefix, f"{op}Response")

    return parse


# ---------------------------------------------------------------- builders

_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(value: object) -> str:
    """Escape text for an element; characters XML 1.0 cannot carry at all are refused."""
    text = value if isinstance(value, str) else _scalar(value)
    if _XML_INVALID.search(text):
        raise ValueError(f"{text!r}: control characters cannot be sent in XML")
    return escape(text)


def _xa(value: str) -> str:
    return _x(value).replace('"', "&quot;")


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _el(qname: str, value: object) -> str:
    return f"<{qname}>{_x(value)}</{qname}>"


def get_system_date_and_time() -> str:
    return "<tds:GetSystemDateAndTime/>"


def get_services(include_capability: bool = False) -> str:
    return f"<tds:GetServices>{_el('tds:IncludeCapability', include_capability)}</tds:GetServices>"


def get_capabilities(category: str = "All") -> str:
    return f"<tds:GetCapabilities>{_el('tds:Category', category)}</tds:GetCapabilities>"


def get_device_information() -> str:
    return "<tds:GetDeviceInformation/>"


def get_ntp() -> str:
    return "<tds:GetNTP/>"


def _network_host(wrapper: str, host: str) -> str:
    try:
        kind = f"IPv{ipaddress.ip_address(host).version}"
    except ValueError:
        kind = "DNS"
    address = {"IPv4": "tt:IPv4Address", "IPv6": "tt:IPv6Address", "DNS": "tt:DNSname"}[kind]
    return f"<{wrapper}>{_el('tt:Type', kind)}{_el(address, host)}</{wrapper}>"


def set_ntp(servers: Sequence[str], *, from_dhcp: bool = False) -> str:
    """SetNTP with manual servers; each is typed IPv4, IPv6 or DNS from its form."""
    hosts = "".join(_network_host("tds:NTPManual", s) for s in servers)
    return f"<tds:SetNTP>{_el('tds:FromDHCP', from_dhcp)}{hosts}</tds:SetNTP>"


def set_system_date_and_time(
    mode: Literal["Manual", "NTP"], tz: str | None, *, dst: bool = False, utc: datetime | None = None
) -> str:
    """SetSystemDateAndTime. NTP mode carries no UTCDateTime; Manual needs one (UTC, Time then Date)."""
    if mode not in ("Manual", "NTP"):
        raise ValueError(f"DateTimeType must be Manual or NTP, not {mode!r}")
    if mode == "Manual" and utc is None:
        raise ValueError("Manual time needs the UTC date and time")
    parts = [_el("tds:DateTimeType", mode), _el("tds:DaylightSavings", dst)]
    if tz is not None:
        parts.append(f"<tds:TimeZone>{_el('tt:TZ', tz)}</tds:TimeZone>")
    if utc is not None:
        utc = utc.astimezone(UTC)
        parts.append(
            "<tds:UTCDateTime><tt:Time>"
            f"{_el('tt:Hour', utc.hour)}{_el('tt:Minute', utc.minute)}{_el('tt:Second', utc.second)}"
            f"</tt:Time><tt:Date>{_el('tt:Year', utc.year)}{_el('tt:Month', utc.month)}"
            f"{_el('tt:Day', utc.day)}</tt:Date></tds:UTCDateTime>"
        )
    return f"<tds:SetSystemDateAndTime>{''.join(parts)}</tds:SetSystemDateAndTime>"


def get_hostname() -> str:
    return "<tds:GetHostname/>"


def set_hostname(name: str) -> str:
    return f"<tds:SetHostname>{_el('tds:Name', name)}</tds:SetHostname>"


def get_profiles() -> str:
    return "<trt:GetProfiles/>"


def get_video_encoder_configurations() -> str:
    return "<trt:GetVideoEncoderConfigurations/>"


def get_video_encoder_configuration(token: str) -> str:
    return (
        f"<trt:GetVideoEncoderConfiguration>{_el('trt:ConfigurationToken', token)}"
        "</trt:GetVideoEncoderConfiguration>"
    )


def get_video_encoder_configuration_options(
    config_token: str | None = None, profile_token: str | None = None
) -> str:
    parts = ""
    if config_token is not None:
        parts += _el("trt:ConfigurationToken", config_token)
    if profile_token is not None:
        parts += _el("trt:ProfileToken", profile_token)
    return f"<trt:GetVideoEncoderConfigurationOptions>{parts}</trt:GetVideoEncoderConfigurationOptions>"


def _number_text(value: float) -> str:
    return str(int(value)) if isinstance(value, int) else repr(float(value))


def set_video_encoder_configuration(config: EncoderConfig, *, force_persistence: bool = True) -> str:
    """The whole configuration in schema order; a field read as absent stays absent (never invented).

    RateControl and H264 each need all their children, so a half-known block is
    a ValueError here rather than a ConfigModify fault from the device.
    """
    parts = []
    if config.name is not None:
        parts.append(_el("tt:Name", config.name))
    if config.use_count is not None:
        parts.append(_el("tt:UseCount", config.use_count))
    parts.append(_el("tt:Encoding", config.encoding))
    parts.append(
        f"<tt:Resolution>{_el('tt:Width', config.width)}{_el('tt:Height', config.height)}</tt:Resolution>"
    )
    if config.quality is not None:
        parts.append(_el("tt:Quality", _number_text(config.quality)))
    rate = {
        "FrameRateLimit": config.fps_limit,
        "EncodingInterval": config.encoding_interval,
        "BitrateLimit": config.bitrate_limit,
    }
    if any(v is not None for v in rate.values()):
        if missing := [k for k, v in rate.items() if v is None]:
            raise ValueError(f"RateControl needs {', '.join(missing)} too")
        parts.append(
            f"<tt:RateControl>{''.join(_el(f'tt:{k}', v) for k, v in rate.items())}</tt:RateControl>"
        )
    if config.encoding == "H264" and config.gov_length is not None:
        if config.h264_profile is None:
            raise ValueError("H264 needs H264Profile with GovLength")
        parts.append(
            f"<tt:H264>{_el('tt:GovLength', config.gov_length)}"
            f"{_el('tt:H264Profile', config.h264_profile)}</tt:H264>"
        )
    if config.multicast_xml is not None:
        parts.append(config.multicast_xml)  # the device's own block, re-serialized by _serialize
    if config.session_timeout is not None:
        parts.append(_el("tt:SessionTimeout", config.session_timeout))
    return (
        f'<trt:SetVideoEncoderConfiguration><trt:Configuration token="{_xa(config.token)}">'
        f"{''.join(parts)}</trt:Configuration>{_el('trt:ForcePersistence', force_persistence)}"
        "</trt:SetVideoEncoderConfiguration>"
    )


def get_stream_uri(profile_token: str, *, stream: str = "RTP-Unicast", protocol: str = "RTSP") -> str:
    return (
        "<trt:GetStreamUri><trt:StreamSetup>"
        f"{_el('tt:Stream', stream)}<tt:Transport>{_el('tt:Protocol', protocol)}</tt:Transport>"
        f"</trt:StreamSetup>{_el('trt:ProfileToken', profile_token)}</trt:GetStreamUri>"
    )


def get_snapshot_uri(profile_token: str) -> str:
    return f"<trt:GetSnapshotUri>{_el('trt:ProfileToken', profile_token)}</trt:GetSnapshotUri>"


# ---------------------------------------------------------------- operations


@dataclass(frozen=True)
class Operation:
    """An operation: the service that answers it, its request builder and its reply parser."""

    name: str
    service: Literal["tds", "trt"]
    build: Callable[..., str]
    parse: Callable[[ET.Element], Any]

    @property
    def action(self) -> str:
        return f"{NS[self.service]}/{self.name}"


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation("GetSystemDateAndTime", "tds", get_system_date_and_time, parse_system_date_and_time),
        Operation("GetServices", "tds", get_services, parse_services),
        Operation("GetCapabilities", "tds", get_capabilities, parse_capabilities),
        Operation("GetDeviceInformation", "tds", get_device_information, parse_device_information),
        Operation("GetNTP", "tds", get_ntp, parse_ntp),
        Operation("SetNTP", "tds", set_ntp, _empty("tds", "SetNTP")),
        Operation(
            "SetSystemDateAndTime", "tds", set_system_date_and_time, _empty("tds", "SetSystemDateAndTime")
        ),
        Operation("GetHostname", "tds", get_hostname, parse_hostname),
        Operation("SetHostname", "tds", set_hostname, _empty("tds", "SetHostname")),
        Operation("GetProfiles", "trt", get_profiles, parse_profiles),
        Operation(
            "GetVideoEncoderConfigurations",
            "trt",
            get_video_encoder_configurations,
            parse_video_encoder_configurations,
        ),
        Operation(
            "GetVideoEncoderConfiguration",
            "trt",
            get_video_encoder_configuration,
            parse_video_encoder_configuration,
        ),
        Operation(
            "GetVideoEncoderConfigurationOptions",
            "trt",
            get_video_encoder_configuration_options,
            parse_video_encoder_configuration_options,
        ),
        Operation(
            "SetVideoEncoderConfiguration",
            "trt",
            set_video_encoder_configuration,
            _empty("trt", "SetVideoEncoderConfiguration"),
        ),
        Operation("GetStreamUri", "trt", get_stream_uri, parse_media_uri),
        Operation("GetSnapshotUri", "trt", get_snapshot_uri, parse_media_uri),
    )
}


def parse_reply(operation: str, el: ET.Element) -> Any:
    """The typed reply of ``operation`` from the element ``soap.parse`` returned."""
    return OPERATIONS[operation].parse(el)


# ---------------------------------------------------------------- plain values


def to_plain(value: Any) -> Any:
    """Dataclasses as dicts, tuples as lists, datetimes as ISO text: for fixtures, plans and audit."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value

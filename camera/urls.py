"""Camera stream URLs: only network RTSP, credentials kept apart from the address.

FFmpeg (under PyAV) opens anything it has a protocol for — ``file:``,
``concat:``, ``/dev/video0``, ``http:`` playlists that chain to local files —
so a URL that reaches it must be checked first. Only ``rtsp``/``rtsps`` with a
host pass. Credentials are split out so the stored and returned URL never
holds a password; they are put back only when the stream is opened.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit, urlunsplit

__all__ = ["SCHEMES", "CameraUrl", "check_onvif_url", "redact", "split_url", "with_credentials"]

SCHEMES = ("rtsp", "rtsps")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$")
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")
# scheme://userinfo@ in any text: the userinfo runs to the last "@" before the host's "/".
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,15}://)[^\s/?#'\"<>]*@")
_ZONE_ID = re.compile(r"[A-Za-z0-9._~-]{1,64}")  # RFC 6874 unreserved; %25 in a URL is "25..."


@dataclass(frozen=True)
class CameraUrl:
    url: str  # without credentials
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def _host_ok(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return bool(_HOSTNAME.fullmatch(host)) and not host.replace(".", "").isdigit()
    zone = getattr(address, "scope_id", None)  # free text to ipaddress: an interface name only
    return zone is None or bool(_ZONE_ID.fullmatch(zone))


def split_url(raw: str, schemes: tuple[str, ...] = SCHEMES) -> CameraUrl:
    """Check a camera URL and take its credentials out; ValueError says what is wrong."""
    if _UNSAFE.search(raw):
        raise ValueError("must not contain spaces or control characters")
    parts = urlsplit(raw)
    if parts.scheme.lower() not in schemes:
        example = "rtsp://host:554/path" if schemes == SCHEMES else f"{schemes[0]}://host/path"
        raise ValueError(f"must be an {' or '.join(schemes)} URL ({example})")
    if parts.fragment:
        raise ValueError("must not have a #fragment")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ValueError("the port must be a number from 1 to 65535") from None
    if not host or not _host_ok(host):
        raise ValueError("must name a host: an IP address or a DNS name")
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("the port must be a number from 1 to 65535")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    clean = urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, ""))
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return CameraUrl(clean, username, password)


def with_credentials(url: str, username: str | None, password: str | None) -> str:
    """The URL to open: credentials percent-encoded back in (never stored or logged)."""
    if not username:
        return url
    parts = urlsplit(url)
    userinfo = quote(username, safe="")
    if password:
        userinfo += ":" + quote(password, safe="")
    return urlunsplit((parts.scheme, f"{userinfo}@{parts.netloc}", parts.path, parts.query, ""))


def check_onvif_url(raw: str) -> str:
    """A camera's ONVIF device service: http(s) to a host, credentials apart (they are the camera's)."""
    parts = split_url(raw, ("http", "https"))
    if parts.username or parts.password:
        raise ValueError("must not hold credentials: ONVIF uses the camera's username and password")
    return parts.url


def redact(text: str, url: str | None = None) -> str:
    """``text`` with the credentials of every URL in it replaced by ``***``.

    The one way a text that may name a camera URL is made safe to store or show: FFmpeg's error
    messages, and any library's, quote the URL they failed to open, userinfo and all. With ``url``
    (the credentialed URL that was opened), its password is also removed wherever else it
    appears, raw or percent-encoded, since a library may print it apart from the URL.
    """
    clean = _USERINFO.sub(r"\1***@", text)
    if url:
        secret = urlsplit(url).password
        if secret:
            for form in {secret, unquote(secret), quote(unquote(secret), safe="")}:
                if len(form) >= 3:
                    clean = clean.replace(form, "***")
    return clean

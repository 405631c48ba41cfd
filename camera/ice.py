"""STUN/TURN servers for the relay and its viewers, and the TURN credentials each viewer gets.

An IOC browser and the controller rarely reach each other directly across a province's
networks: government firewalls commonly let out only TCP 443, so a viewer needs a TURN
server it can reach over TCP or TLS (``turn:host:3478?transport=tcp``, ``turns:host:443``)
that relays to the controller. The same list is used by the relay's own ICE agent (aiortc
uses the first STUN and the first TURN URL of it) and advertised to every WHEP client as
``Link: <url>; rel="ice-server"`` headers (WHEP draft, section "STUN/TURN server
configuration"; the same as WHIP, RFC 9725 section 4.6).

Credentials are either fixed (``username``/``credential``) or minted per viewer from a
secret shared with the TURN server (coturn's ``use-auth-secret``/``static-auth-secret``, the
"TURN REST API" of draft-uberti-behave-turn-rest): ``username = "<expiry>:<who>"`` and
``credential = base64(HMAC-SHA1(secret, username))``, valid for ``ttl_s``. A browser that
keeps a page open gets fresh ones with each connection; a leaked pair stops working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

__all__ = ["IceServer", "check_url", "link_header"]

# stun:host[:port] | turn:host[:port][?transport=udp|tcp] | turns:host[:port][?transport=tcp]
_URL = re.compile(
    r"^(?P<scheme>stun|turn|turns):(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})"
    r"(?::(?P<port>\d{1,5}))?(?:\?transport=(?P<transport>udp|tcp))?$"
)


def check_url(url: str) -> str:
    """``url`` if it is a STUN/TURN URL a browser and aiortc both accept (RFC 7064/7065); else
    ValueError saying what is wrong."""
    m = _URL.fullmatch(url)
    if m is None:
        raise ValueError(
            f"{url!r} is not a STUN/TURN URL: stun:HOST[:PORT], turn:HOST[:PORT][?transport=udp|tcp] "
            "or turns:HOST[:PORT][?transport=tcp]"
        )
    if m["port"] is not None and not 1 <= int(m["port"]) <= 65535:
        raise ValueError(f"{url!r}: the port must be 1-65535")
    if m["scheme"] == "stun" and m["transport"]:
        raise ValueError(f"{url!r}: a stun: URL takes no transport")
    if m["scheme"] == "turns" and m["transport"] == "udp":
        raise ValueError(f"{url!r}: turns: runs over TLS, i.e. TCP")
    return url


@dataclass(frozen=True)
class IceServer:
    """One server entry: its URLs, and fixed credentials or a shared secret to mint them."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None
    secret: str | None = None
    ttl_s: int = 24 * 3600

    @property
    def turn(self) -> bool:
        return any(u.startswith("turn") for u in self.urls)

    def credentials(self, who: str, now: float) -> tuple[str | None, str | None]:
        """(username, credential) for ``who`` (a viewer's label) at unix time ``now``."""
        if self.secret is None:
            return self.username, self.credential
        # coturn reads the part before the first ':' as the expiry: no ':' in the label
        username = f"{int(now) + self.ttl_s}:{who.replace(':', '_')[:64]}"
        digest = hmac.new(self.secret.encode(), username.encode(), hashlib.sha1).digest()
        return username, base64.b64encode(digest).decode()


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def link_header(url: str, username: str | None, credential: str | None) -> str:
    """One ``Link`` header value advertising ``url`` to a WHEP client."""
    value = f'<{url}>; rel="ice-server"'
    if username is not None and credential is not None:
        value += (
            f'; username={_quoted(username)}; credential={_quoted(credential)}; credential-type="password"'
        )
    return value

"""SOAP 1.2 envelopes, WS-Security UsernameToken (PasswordDigest) and faults, with the standard library.

The controller's client and the simulated camera share this module, so both
speak one namespace table and one fault model. Parsing goes by namespace URI,
never by prefix (Hikvision replies use default namespaces), and accepts SOAP
1.1 envelopes from older devices. ElementTree does not resolve external
entities, and expat is not open to entity expansion bombs.
"""

from __future__ import annotations

import base64
import hashlib
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

__all__ = [
    "NS",
    "SoapFault",
    "UsernameToken",
    "created_now",
    "envelope",
    "fault_envelope",
    "parse",
    "password_digest",
    "read_token",
    "security_header",
]

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "s11": "http://schemas.xmlsoap.org/soap/envelope/",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tt": "http://www.onvif.org/ver10/schema",
    "ter": "http://www.onvif.org/ver10/error",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
}
PASSWORD_DIGEST = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
)
BASE64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
CREATED_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # UTC with Z and no fraction: Hikvision refuses "+00:00"


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """Base64(SHA1(nonce + created + password)), the nonce as raw bytes (not its base64)."""
    return base64.b64encode(hashlib.sha1(nonce + created.encode() + password.encode()).digest()).decode()


def created_now(offset: timedelta = timedelta(0)) -> str:
    """The camera's idea of now: devices refuse a token whose Created is far from their clock."""
    return (datetime.now(UTC) + offset).strftime(CREATED_FORMAT)


def security_header(username: str, password: str, created: str, nonce: bytes | None = None) -> str:
    nonce = nonce if nonce is not None else os.urandom(16)  # fresh per request: devices refuse replays
    return (
        f'<wsse:Security xmlns:wsse="{NS["wsse"]}" xmlns:wsu="{NS["wsu"]}" s:mustUnderstand="true">'
        f"<wsse:UsernameToken><wsse:Username>{escape(username)}</wsse:Username>"
        f'<wsse:Password Type="{PASSWORD_DIGEST}">{password_digest(nonce, created, password)}</wsse:Password>'
        f'<wsse:Nonce EncodingType="{BASE64}">{base64.b64encode(nonce).decode()}</wsse:Nonce>'
        f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>"
    )


def envelope(body: str, header: str = "") -> bytes:
    """A SOAP 1.2 envelope around an operation element written with the tds/trt/tt prefixes."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{NS["s"]}" xmlns:tds="{NS["tds"]}" '
        f'xmlns:trt="{NS["trt"]}" xmlns:tt="{NS["tt"]}" xmlns:ter="{NS["ter"]}">'
        f"<s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


@dataclass
class SoapFault(Exception):
    """A fault as the device sent it: code (Sender/Receiver), ONVIF subcodes (NotAuthorized, ...), reason."""

    code: str
    subcodes: list[str] = field(default_factory=list)
    reason: str = ""

    def __str__(self) -> str:
        path = "/".join([self.code, *self.subcodes])
        return f"{path}: {self.reason}" if self.reason else path


def fault_envelope(fault: SoapFault) -> bytes:
    """The SOAP 1.2 fault a device answers with (subcodes nested, ter: prefixed)."""
    inner = ""
    for sub in reversed(fault.subcodes):
        inner = f"<s:Subcode><s:Value>ter:{escape(sub)}</s:Value>{inner}</s:Subcode>"
    body = (
        f"<s:Fault><s:Code><s:Value>s:{escape(fault.code)}</s:Value>{inner}</s:Code>"
        f'<s:Reason><s:Text xml:lang="en">{escape(fault.reason)}</s:Text></s:Reason></s:Fault>'
    )
    return envelope(body)


def _local(qname: str) -> str:
    """ "ter:NotAuthorized" → "NotAuthorized": ElementTree keeps no prefix map for text values."""
    return qname.strip().rsplit(":", 1)[-1]


def _body(root: ET.Element) -> tuple[ET.Element, str]:
    for env in ("s", "s11"):
        if root.tag == f"{{{NS[env]}}}Envelope":
            body = root.find(f"{{{NS[env]}}}Body")
            if body is not None:
                return body, env
    raise ValueError("the reply is not a SOAP envelope")


def parse(data: bytes) -> ET.Element:
    """The operation element of a reply; raises SoapFault for a fault, ValueError for anything not SOAP."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(f"the reply is not XML: {exc}") from None
    body, env = _body(root)
    fault = body.find(f"{{{NS[env]}}}Fault")
    if fault is not None:
        if env == "s":
            code = _local(fault.findtext("s:Code/s:Value", "", NS))
            subcodes, node = [], fault.find("s:Code", NS)
            while node is not None and (node := node.find("s:Subcode", NS)) is not None:
                subcodes.append(_local(node.findtext("s:Value", "", NS)))
            reason = (fault.findtext("s:Reason/s:Text", "", NS) or "").strip()
        else:  # SOAP 1.1: unqualified faultcode / faultstring
            code, subcodes = _local(fault.findtext("faultcode", "")), []
            reason = (fault.findtext("faultstring", "") or "").strip()
        raise SoapFault(code, subcodes, reason)
    if len(body) == 0:
        raise ValueError("the SOAP body is empty")
    return body[0]


@dataclass(frozen=True)
class UsernameToken:
    username: str
    digest: str
    nonce: bytes
    created: str


def read_token(data: bytes) -> tuple[ET.Element, UsernameToken | None]:
    """The request's operation element and its UsernameToken (None without one): the device side."""
    root = ET.fromstring(data)
    body, env = _body(root)
    if len(body) == 0:
        raise ValueError("the SOAP body is empty")
    token = root.find(f"{{{NS[env]}}}Header/wsse:Security/wsse:UsernameToken", NS)
    if token is None:
        return body[0], None
    nonce = base64.b64decode(token.findtext("wsse:Nonce", "", NS) or "", validate=False)
    return body[0], UsernameToken(
        username=token.findtext("wsse:Username", "", NS) or "",
        digest=(token.findtext("wsse:Password", "", NS) or "").strip(),
        nonce=nonce,
        created=(token.findtext("wsu:Created", "", NS) or "").strip(),
    )

"""The simulated camera's side of SOAP 1.2 and WS-Security, written from the standards.

The controller's ONVIF client has its own SOAP code (``camera.onvif.soap``); the simulator
does not use it, so the two sides agree only where both follow the documents. If the
client computed the digest or nested the fault subcodes its own way, a simulator that
shared the code would agree and a real camera would not.

- SOAP 1.2 Part 1 §5 (envelope), §5.4 (a fault: ``Code/Value`` with ``Subcode/Value`` nested
  inside it, ``Reason/Text`` with ``xml:lang``); the ``env:`` values are qualified names.
- OASIS WS-Security UsernameToken Profile 1.0 §3.1: ``PasswordDigest =
  Base64(SHA-1(nonce + created + password))`` over the *decoded* nonce, and the
  ``Nonce``/``Created`` elements sent beside it.
- ONVIF Core Specification §5.11.2: the ONVIF fault subcodes live in the ``ter:``
  namespace (``ter:NotAuthorized``, ``ter:InvalidArgVal`` ...).
- The worked UsernameToken example of the ONVIF Application Programmer's Guide is checked in
  ``tests/camera/test_onvif_digest.py`` against this module and the client's.
"""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

__all__ = ["NS", "SoapFault", "UsernameToken", "envelope", "fault_envelope", "password_digest", "read_token"]

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"  # old clients still send 1.1; devices accept it
NS = {
    "s": SOAP12,
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tt": "http://www.onvif.org/ver10/schema",
    "ter": "http://www.onvif.org/ver10/error",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
}


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """UsernameToken Profile §3.1, over the nonce's bytes as sent (after Base64 decoding)."""
    sha1 = hashlib.sha1()
    for part in (nonce, created.encode("utf-8"), password.encode("utf-8")):
        sha1.update(part)
    return base64.b64encode(sha1.digest()).decode("ascii")


def envelope(body: str) -> bytes:
    """A SOAP 1.2 reply around ``body``, which may use the tds/trt/tt/ter prefixes."""
    prefixes = " ".join(f'xmlns:{p}="{uri}"' for p, uri in NS.items() if p not in ("wsse", "wsu"))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope {prefixes}><s:Header/><s:Body>{body}</s:Body></s:Envelope>'
    ).encode()


@dataclass
class SoapFault(Exception):
    """A fault the device answers: code ``Sender``/``Receiver``, ONVIF subcodes outermost first."""

    code: str
    subcodes: list[str] = field(default_factory=list)
    reason: str = ""


def fault_envelope(fault: SoapFault) -> bytes:
    """SOAP 1.2 §5.4: each subcode is a ``Subcode`` inside the one before it."""
    nested = ""
    for value in reversed(fault.subcodes):
        nested = f"<s:Subcode><s:Value>ter:{escape(value)}</s:Value>{nested}</s:Subcode>"
    return envelope(
        "<s:Fault>"
        f"<s:Code><s:Value>s:{escape(fault.code)}</s:Value>{nested}</s:Code>"
        f'<s:Reason><s:Text xml:lang="en">{escape(fault.reason)}</s:Text></s:Reason>'
        "</s:Fault>"
    )


@dataclass(frozen=True)
class UsernameToken:
    username: str
    digest: str
    nonce: bytes
    created: str


def read_token(data: bytes) -> tuple[ET.Element, UsernameToken | None]:
    """A request's operation element and its UsernameToken, if it carries one.

    Raises ``ValueError`` (``ET.ParseError`` is one) for what is not a SOAP envelope."""
    root = ET.fromstring(data)
    soap = next((uri for uri in (SOAP12, SOAP11) if root.tag == f"{{{uri}}}Envelope"), None)
    body = root.find(f"{{{soap}}}Body") if soap else None
    if body is None or len(body) == 0:
        raise ValueError("no SOAP envelope with an operation in its body")
    token = root.find(f"{{{soap}}}Header/{{{NS['wsse']}}}Security/{{{NS['wsse']}}}UsernameToken")
    if token is None:
        return body[0], None

    def text(tag: str, ns: str = "wsse") -> str:
        return (token.findtext(f"{{{NS[ns]}}}{tag}") or "").strip()

    try:
        nonce = base64.b64decode(text("Nonce"))
    except ValueError:
        nonce = b""  # a nonce that is not Base64: the digest cannot match, the request is refused
    return body[0], UsernameToken(text("Username"), text("Password"), nonce, text("Created", "wsu"))

"""What FFmpeg is told each time a camera's stream is opened: where it may connect, and TLS.

``CameraSource`` calls its ``open_options`` with the stream URL before every open
(the first and every reconnect) and adds the options it returns to FFmpeg's.

* **Address** (when a network policy is given, as the controller's hub does): the
  URL's host is resolved and every address checked (``camera.netpolicy``); a refused
  one raises ``AddressRefused``, which the pull records as its error and retries
  later like any failed open. FFmpeg resolves the name again itself, so a name
  re-pointed in the instant between the two lookups is not caught here; an
  ``rtsps`` stream's certificate check still is.
* **TLS** (``rtsps``): FFmpeg's TLS protocol verifies nothing by default. Here it is
  told to verify the camera's certificate and name (``tls_verify=1``) against the
  given CA file or the system's, unless the camera is marked ``tls_insecure``
  (a technician's explicit choice for a camera with a self-signed certificate).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from camera.netpolicy import NetPolicy

__all__ = ["StreamOpen", "system_ca_file"]

DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322}


def system_ca_file() -> str | None:
    """The system's CA bundle (FFmpeg's bundled TLS library may look for it elsewhere), or certifi's."""
    cafile = ssl.get_default_verify_paths().cafile
    if cafile and Path(cafile).is_file():
        return cafile
    try:
        import certifi
    except ImportError:  # pragma: no cover - httpx brings certifi
        return None
    return certifi.where()


@dataclass(frozen=True)
class StreamOpen:
    """A callable: stream URL -> extra FFmpeg options, after checking where the URL points."""

    policy: NetPolicy | None = None  # None: the library used on its own; the controller always sets one
    tls_insecure: bool = False
    ca_file: str | None = None  # None: the system's

    def __call__(self, url: str) -> dict[str, str]:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if self.policy is not None and parts.hostname:
            self.policy.resolve(parts.hostname, parts.port or DEFAULT_PORTS.get(scheme, 554))
        if scheme != "rtsps" or self.tls_insecure:
            return {}
        options = {"tls_verify": "1"}
        ca_file = self.ca_file or system_ca_file()
        if ca_file:
            options["ca_file"] = ca_file
        return options

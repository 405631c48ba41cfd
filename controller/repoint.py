"""A stored password is never sent to a new address without being given again.

Otherwise a technician (or a stolen technician token) could read any device password back: point
the endpoint or camera at a host they control, wait for the monitor to log in, and read the
password off the wire. Changing where a device is (host, port, scheme) or who it must prove to
be (the pinned host key) therefore needs the password in the same request.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from controller.errors import InvalidInput


def url_address(url: str | None) -> tuple[str, str | None, int | None] | None:
    """What a URL connects to: scheme, host and port (the path does not move a password)."""
    if url is None:
        return None
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def require_password_when_moved(moved: list[str], *, password_given: bool, has_password: bool) -> None:
    """Refuse a change of ``moved`` fields that would carry the stored password somewhere new."""
    if moved and has_password and not password_given:
        raise InvalidInput(
            f"changing {' and '.join(moved)} needs the password again: "
            "a stored password is never sent to a new address or an unverified key",
            field="password",
        )

"""The province's stream standard for cameras: keys of the same standard as the endpoints'.

Cameras share the standard's tree (the deepest unit wins) and its API
(`PUT /api/v1/standards/camera_fps?unit=...`), under their own ``camera_``
keys. Unlike an endpoint key, whose value goes to the device as text, each
camera key has a type, checked when it is set so a typo is refused at the edge
rather than found by a provisioning run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from controller.errors import InvalidInput
from controller.models import Camera
from controller.provisioning.standards import slugify

__all__ = [
    "CAMERA_KEYS",
    "DEMO_CAMERA_STANDARD",
    "StreamStandard",
    "camera_facts",
    "check_camera_value",
    "settable_keys",
    "stream_standard",
]

_V = TypeVar("_V")

_RESOLUTION = re.compile(r"^(\d{2,4})x(\d{2,4})$")
_HOST = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_TZ = re.compile(r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$|^[A-Z]{3,5}-?\+?\d{1,2}(:\d{2}){0,2}$")


def _int_in(low: int, high: int) -> Callable[[str], int]:
    def check(value: str) -> int:
        if not value.isdigit() or not low <= int(value) <= high:
            raise ValueError(f"a whole number from {low} to {high}")
        return int(value)

    return check


def _float_in(low: float, high: float) -> Callable[[str], float]:
    def check(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"a number from {low} to {high}") from None
        if not low <= number <= high:
            raise ValueError(f"a number from {low} to {high}")
        return number

    return check


def _resolution(value: str) -> tuple[int, int]:
    m = _RESOLUTION.fullmatch(value)
    if not m or not (16 <= int(m[1]) <= 7680 and 16 <= int(m[2]) <= 4320):
        raise ValueError("WIDTHxHEIGHT, e.g. 640x360")
    return int(m[1]), int(m[2])


def _codec(value: str) -> str:
    if value.upper() != "H264":
        raise ValueError("H264 (browsers and the relay need H.264)")
    return "H264"


def _host(value: str) -> str:
    if not _HOST.fullmatch(value):
        raise ValueError("a host name or IPv4 address, e.g. ntp.tinh.gov.vn")
    return value


def _time_zone(value: str) -> str:
    if not _TZ.fullmatch(value):
        raise ValueError("an IANA zone (Asia/Ho_Chi_Minh) or a POSIX zone without DST (ICT-7)")
    return value


def _name(value: str) -> str:
    return value  # a template: rendered per camera; escaped in the SOAP message


_fps = _int_in(1, 60)
_keyframe_s = _float_in(0.2, 10)
_bitrate_kbps = _int_in(64, 16384)

# key → parser; the parser's ValueError is the technician's message
CAMERA_KEYS: dict[str, Callable[[str], object]] = {
    "camera_codec": _codec,
    "camera_resolution": _resolution,
    "camera_fps": _fps,
    "camera_keyframe_s": _keyframe_s,
    "camera_bitrate_kbps": _bitrate_kbps,
    "camera_ntp_server": _host,
    "camera_time_zone": _time_zone,
    "camera_name": _name,
}


def settable_keys(profiles: Mapping[str, Any]) -> set[str]:
    """The keys a standard may set: every endpoint profile's config keys and the cameras' own
    (the API's standards routes and the CLI check against the same set)."""
    return {k for p in profiles.values() for k in p.config} | set(CAMERA_KEYS)


# The one-stop desks' sub stream to the IOC: small enough for a commune uplink, a keyframe
# every second so a viewer's first frame comes fast.
DEMO_CAMERA_STANDARD: dict[str, str] = {
    "camera_codec": "H264",
    "camera_resolution": "640x360",
    "camera_fps": "15",
    "camera_keyframe_s": "1",
    "camera_bitrate_kbps": "768",
    "camera_ntp_server": "ntp.tinh.example",
    "camera_time_zone": "Asia/Ho_Chi_Minh",
    "camera_name": "{unit_code}-{slug}",
}


def check_camera_value(key: str, value: str) -> None:
    """422 on the value when a camera key's value has the wrong form (templates only for the name)."""
    parse = CAMERA_KEYS.get(key)
    if parse is None or "{" in value and key == "camera_name":
        return
    try:
        parse(value)
    except ValueError as exc:
        raise InvalidInput(f"{key} must be {exc}", field="value") from None


@dataclass(frozen=True)
class StreamStandard:
    """What one camera should be set to; None: the standard does not set it."""

    codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: int | None = None
    keyframe_s: float | None = None
    bitrate_kbps: int | None = None
    ntp_server: str | None = None
    time_zone: str | None = None
    name: str | None = None

    @property
    def gov_length(self) -> int | None:
        """Keyframe interval in frames, as ONVIF counts it; one per second when unset."""
        if self.fps is None:
            return None
        return max(1, round(self.fps * (self.keyframe_s if self.keyframe_s is not None else 1.0)))


def stream_standard(values: Mapping[str, str]) -> StreamStandard:
    """The typed standard from a camera's resolved values (already rendered and checked when set)."""

    def parsed(key: str, parse: Callable[[str], _V]) -> _V | None:
        value = values.get(key)
        return None if value is None else parse(value)

    resolution = parsed("camera_resolution", _resolution)
    width, height = resolution if resolution is not None else (None, None)
    return StreamStandard(
        codec=parsed("camera_codec", _codec),
        width=width,
        height=height,
        fps=parsed("camera_fps", _fps),
        keyframe_s=parsed("camera_keyframe_s", _keyframe_s),
        bitrate_kbps=parsed("camera_bitrate_kbps", _bitrate_kbps),
        ntp_server=parsed("camera_ntp_server", _host),
        time_zone=parsed("camera_time_zone", _time_zone),
        name=parsed("camera_name", _name),
    )


def camera_facts(cam: Camera) -> dict[str, str]:
    """What a camera key's template may name: {name}, {slug}, {unit_code}, {unit_name}, {host}."""
    return {
        "name": cam.name,
        "slug": slugify(cam.name),
        "unit_code": cam.unit.code,
        "unit_name": cam.unit.name,
        "host": urlsplit(cam.url).hostname or "",
    }

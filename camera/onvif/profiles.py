"""Camera profiles: what differs between ONVIF camera families, as data in ``firmware_profiles/cameras/``.

A new camera family is a YAML file plus recorded replies under
``firmware_profiles/cameras/fixtures/<id>/``, never an ``if vendor == ...``
branch. The files sit in a subfolder because the endpoint loader reads every
``firmware_profiles/*.yaml`` (top level only) with its own strict schema and
would refuse a camera file.

``extra="forbid"`` makes a typo a load error naming the file and the field,
instead of a silently ignored key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from camera.onvif.messages import (
    ENCODER_FIELDS,
    DeviceInfo,
    EncoderConfig,
    EncoderOptions,
    Profile,
    set_system_date_and_time,
    set_video_encoder_configuration,
)
from camera.onvif.tz import TimeZone, TzStyle, format_tz, parse_tz
from endpoints.profiles import check_regex, validated_yaml

__all__ = [
    "CameraProfile",
    "CameraProfileError",
    "EncoderLimits",
    "EncoderRules",
    "FallbackLimits",
    "IocStream",
    "Match",
    "TimeRules",
    "default_camera_profiles_dir",
    "load_camera_profile",
    "load_camera_profiles",
    "match_profile",
]

EchoField = Literal[
    "Name", "UseCount", "Quality", "Multicast", "SessionTimeout", "H264Profile", "EncodingInterval"
]
TimeStep = Literal["SetNTP", "SetSystemDateAndTime"]


class CameraProfileError(ValueError):
    """A camera profile file is unreadable or invalid; the message names the file and the field path."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Match(_Strict):
    """Regexes searched in GetDeviceInformation; a profile with neither is a generic fallback."""

    manufacturer: str | None = None
    model: str | None = None

    check_regexes = field_validator("manufacturer", "model")(check_regex)

    @property
    def generic(self) -> bool:
        return self.manufacturer is None and self.model is None

    def matches(self, device: DeviceInfo) -> bool:
        return all(
            re.search(pattern, value)
            for pattern, value in ((self.manufacturer, device.manufacturer), (self.model, device.model))
            if pattern is not None
        )


class IocStream(_Strict):
    """Which media profile feeds the IOC: a preferred token, then a name regex, then a position."""

    token: str | None = None
    name_regex: str | None = None
    index: int = Field(default=0, ge=0)

    check_regexes = field_validator("name_regex")(check_regex)

    def pick(self, profiles: Sequence[Profile]) -> Profile:
        """The IOC stream among the camera's media profiles; the first one when nothing fits."""
        video = [p for p in profiles if p.encoder_token is not None]
        if not video:
            raise ValueError("the camera has no media profile with a video encoder")
        if self.token is not None:
            for p in video:
                if p.token == self.token:
                    return p
        if self.name_regex is not None:
            for p in video:
                if re.search(self.name_regex, p.name):
                    return p
        return video[self.index] if self.index < len(video) else video[0]


def _range(value: tuple[int, int]) -> tuple[int, int]:
    if value[0] > value[1]:
        raise ValueError(f"range {list(value)}: min is above max")
    return value


class FallbackLimits(_Strict):
    """Limits for the IOC stream used only where GetVideoEncoderConfigurationOptions gives none."""

    bitrate_kbps: tuple[int, int] | None = None
    fps: tuple[int, int] | None = None
    gov_length: tuple[int, int] | None = None

    @field_validator("bitrate_kbps", "fps", "gov_length")
    @classmethod
    def _ordered(cls, v: tuple[int, int] | None) -> tuple[int, int] | None:
        return None if v is None else _range(v)


@dataclass(frozen=True)
class EncoderLimits:
    """What a camera accepts for the IOC stream: its Options first, the profile's fallbacks second."""

    resolutions: tuple[tuple[int, int], ...]
    fps: tuple[int, int] | None
    gov_length: tuple[int, int] | None
    bitrate_kbps: tuple[int, int] | None

    def violations(self, config: EncoderConfig) -> list[str]:
        """Each setting of ``config`` outside these limits, named as ONVIF names it, with the range."""
        problems = []
        if self.resolutions and (config.width, config.height) not in self.resolutions:
            problems.append(f"Resolution {config.width}x{config.height} not in {self._resolutions()}")
        for name, value, allowed in (
            ("FrameRateLimit", config.fps_limit, self.fps),
            ("GovLength", config.gov_length, self.gov_length),
            ("BitrateLimit", config.bitrate_cap, self.bitrate_kbps),
        ):
            if value is not None and allowed is not None and not allowed[0] <= value <= allowed[1]:
                problems.append(f"{name} {value} outside {allowed[0]}..{allowed[1]}")
        return problems

    def describe(self) -> str:
        parts = [f"Resolution {self._resolutions()}"] if self.resolutions else []
        for name, allowed in (
            ("FrameRateLimit", self.fps),
            ("GovLength", self.gov_length),
            ("BitrateLimit", self.bitrate_kbps),
        ):
            if allowed is not None:
                parts.append(f"{name} {allowed[0]}..{allowed[1]}")
        return ", ".join(parts) or "no limits known"

    def _resolutions(self) -> str:
        return ", ".join(f"{w}x{h}" for w, h in self.resolutions)


class EncoderRules(_Strict):
    """How a family's video encoder is written.

    ``echo_fields`` are never changed by a plan: they go back exactly as read
    (Quality scales differ between vendors, EncodingInterval is usually fixed).
    ``gov_length_unit`` says what GovLength counts: frames per the spec, seconds
    on some OEM firmwares.
    """

    echo_fields: list[EchoField] = list(get_args(EchoField))
    gov_length_unit: Literal["frames", "seconds"] = "frames"
    fallback_limits: FallbackLimits = FallbackLimits()

    def limits(self, options: EncoderOptions | None) -> EncoderLimits:
        fallback = self.fallback_limits
        return EncoderLimits(
            resolutions=options.resolutions if options else (),
            fps=(options.fps_range if options else None) or fallback.fps,
            gov_length=(options.gov_length_range if options else None) or fallback.gov_length,
            bitrate_kbps=(options.bitrate_range if options else None) or fallback.bitrate_kbps,
        )

    def check_changes(self, changes: Mapping[str, Any]) -> None:
        """A plan may change neither an echo field nor something EncoderConfig does not have."""
        attributes = set(ENCODER_FIELDS.values())
        if unknown := sorted(set(changes) - attributes):
            raise ValueError(f"not encoder settings: {unknown}")
        if echoed := sorted(k for k in self.echo_fields if ENCODER_FIELDS[k] in changes):
            raise ValueError(f"this camera family keeps {echoed} as read; a plan must not change them")

    def request(self, read: EncoderConfig, changes: Mapping[str, Any]) -> tuple[EncoderConfig, str]:
        """The configuration to send (``read`` with only ``changes``) and its SetVideoEncoderConfiguration body."""
        self.check_changes(changes)
        config = replace(read, **changes)
        return config, set_video_encoder_configuration(config)

    def gov_length_for(self, keyframe_interval_s: float, fps: int, encoding_interval: int = 1) -> int:
        """GovLength that gives one keyframe every ``keyframe_interval_s`` seconds (at least 1)."""
        if self.gov_length_unit == "seconds":
            return max(1, round(keyframe_interval_s))
        return max(1, round(keyframe_interval_s * fps / max(1, encoding_interval)))

    def keyframe_interval_s(self, gov_length: int, fps: int, encoding_interval: int = 1) -> float:
        """The keyframe interval a configuration should produce, for verify."""
        if self.gov_length_unit == "seconds":
            return float(gov_length)
        return gov_length * max(1, encoding_interval) / fps


class TimeRules(_Strict):
    """How a family takes NTP and the time zone.

    ``tz_write``: the TZ form written (``posix`` as the standard says it,
    ``posix_numeric`` like ``<+07>-7``, ``hikvision`` like ``CST-7:00:00``);
    zones are always compared by offset. ``dst: reject`` refuses to send a zone
    with a DST rule (Hikvision faults InvalidTimeZone). ``set_order``: SetNTP
    before switching to NTP mode, else devices fault NtpServerUndefined.
    ``ntp_mode_fallback``: if NTP mode is refused, set Manual time to our UTC.
    """

    tz_write: TzStyle = "posix"
    dst: Literal["reject", "allow"] = "reject"
    set_order: list[TimeStep] = ["SetNTP", "SetSystemDateAndTime"]
    ntp_mode_fallback: Literal["manual_utc", "none"] = "manual_utc"

    def write_tz(self, tz: str | TimeZone) -> str:
        """The zone as this family is sent it; a DST zone is a ValueError when the family rejects them."""
        zone = parse_tz(tz) if isinstance(tz, str) else tz
        if zone.dst and self.dst == "reject":
            raise ValueError(f"time zone {zone.text!r} has a DST rule, which this camera family refuses")
        return format_tz(zone, self.tz_write)

    def request(self, mode: Literal["Manual", "NTP"], tz: str, *, utc: datetime | None = None) -> str:
        """The SetSystemDateAndTime body for this family: zone in its style, DaylightSavings from the zone."""
        zone = parse_tz(tz)
        return set_system_date_and_time(mode, self.write_tz(zone), dst=zone.dst, utc=utc)

    @field_validator("set_order")
    @classmethod
    def _both_once(cls, v: list[TimeStep]) -> list[TimeStep]:
        if sorted(v) != ["SetNTP", "SetSystemDateAndTime"]:
            raise ValueError("must list SetNTP and SetSystemDateAndTime, each once")
        return v


class CameraProfile(_Strict):
    id: str
    vendor: str
    description: str = ""
    match: Match = Match()
    ioc_stream: IocStream = IocStream()
    encoder: EncoderRules = EncoderRules()
    time: TimeRules = TimeRules()

    @model_validator(mode="after")
    def _id_is_a_slug(self) -> CameraProfile:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", self.id):
            raise ValueError(f"id {self.id!r}: lower-case letters, digits and dashes only")
        return self

    @property
    def generic(self) -> bool:
        return self.match.generic


def load_camera_profile(path: str | Path) -> CameraProfile:
    """Load and validate one camera profile; the file name (without .yaml) must be its id."""
    path = Path(path)
    profile = validated_yaml(path, CameraProfile, CameraProfileError)
    if profile.id != path.stem:
        raise CameraProfileError(f"{path}: id: {profile.id!r} must equal the file name {path.stem!r}")
    return profile


def load_camera_profiles(directory: str | Path | None = None) -> dict[str, CameraProfile]:
    """Every ``*.yaml`` directly in ``directory`` (default: the shipped one), keyed by id."""
    directory = Path(directory) if directory is not None else default_camera_profiles_dir()
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise CameraProfileError(f"{directory}: no camera profile (*.yaml)")
    profiles = {p.id: p for p in map(load_camera_profile, paths)}
    if not any(p.generic for p in profiles.values()):
        raise CameraProfileError(f"{directory}: no generic profile (one with an empty match) to fall back on")
    return profiles


def match_profile(
    profiles: Mapping[str, CameraProfile] | Iterable[CameraProfile], device: DeviceInfo
) -> CameraProfile:
    """The first specific profile (by id) whose ``match`` fits the device, else the generic one."""
    candidates: list[CameraProfile] = sorted(
        profiles.values() if isinstance(profiles, Mapping) else profiles, key=lambda p: p.id
    )
    for profile in candidates:
        if not profile.generic and profile.match.matches(device):
            return profile
    for profile in candidates:
        if profile.generic:
            return profile
    raise LookupError(f"no camera profile for {device.manufacturer} {device.model} and no generic one")


def default_camera_profiles_dir() -> Path:
    """``firmware_profiles/cameras/`` shipped beside the package."""
    return Path(__file__).resolve().parents[2] / "firmware_profiles" / "cameras"

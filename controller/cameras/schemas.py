"""Request and response models of the cameras API.

A URL's credentials may come inside it (``rtsp://user:pass@host/...``, as
spreadsheets usually have them) or as separate fields; either way they are
split out, the password encrypted, and the URL returned without them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from camera.urls import check_onvif_url, split_url
from controller.fields import DevicePassword, Name, Strict, Text, UnitBrief, UnitRef, no_control
from controller.netpolicy import allowed_url_host


def _url(value: str) -> str:
    split_url(value)  # raises ValueError with the reason
    return value


# no_control first: a URL's path or zone id must not carry U+2028 or a bidi override either;
# the address's host must be one the controller may connect to (controller.netpolicy).
CameraUrlField = Annotated[
    str,
    StringConstraints(min_length=8, max_length=1000),
    AfterValidator(no_control),
    AfterValidator(_url),
    AfterValidator(allowed_url_host),
]
OnvifUrlField = Annotated[
    str,
    StringConstraints(min_length=8, max_length=1000),
    AfterValidator(no_control),
    AfterValidator(check_onvif_url),
    AfterValidator(allowed_url_host),
]
TLS_INSECURE = (
    "rtsps:// only: do not verify the camera's certificate (a self-signed camera). "
    "Default false: verified against DIEMCAU_CAMERA_TLS_CA_FILE or the system's CAs"
)
CameraUser = Annotated[str, StringConstraints(min_length=1, max_length=128), AfterValidator(no_control)]
Site = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(no_control)]


class _Credentials(Strict):
    url: CameraUrlField | None = None
    username: CameraUser | None = None
    password: DevicePassword | None = None

    @model_validator(mode="after")
    def _once(self) -> Self:
        if self.url is not None and split_url(self.url).username and (self.username or self.password):
            raise ValueError("credentials are given twice: in the URL and as username/password")
        return self


class CameraThresholds(Strict):
    """Per-camera overrides of ``camera.analytics.Thresholds`` (absent: the default)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"min_fps": 10.0, "blur_ratio": 0.4}]})

    black_luma: Annotated[float, Field(ge=0, le=255)] | None = None
    black_spread: Annotated[float, Field(ge=0, le=128)] | None = None
    blur_ratio: Annotated[float, Field(gt=0, lt=1)] | None = None
    blur_absolute: Annotated[float, Field(ge=0, le=10000)] | None = None
    frozen_diff: Annotated[float, Field(ge=0, le=50)] | None = None
    frozen_samples: Annotated[int, Field(ge=2, le=100)] | None = None
    moved_correlation: Annotated[float, Field(ge=-1, le=1)] | None = None
    min_fps: Annotated[float, Field(ge=0, le=120)] | None = None
    max_keyframe_interval_s: Annotated[float, Field(gt=0, le=600)] | None = None


class CameraCreate(_Credentials):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "CAM-MOTCUA-TANLAP-01",
                    "unit": "23134",
                    "url": "rtsp://10.68.134.31:554/Streaming/Channels/101",
                    "username": "giamsat",
                    "password": "********",
                    "site": "Bộ phận một cửa",
                    "description": "Camera quầy tiếp nhận hồ sơ",
                    "enabled": True,
                    "thresholds": {"min_fps": 10.0},
                    "onvif_url": "http://10.68.134.31/onvif/device_service",
                    "tls_insecure": False,
                }
            ]
        }
    )
    name: Name
    unit: UnitRef = Field(description="Unit code or id")
    url: CameraUrlField
    site: Site | None = Field(default=None, description="e.g. Bộ phận một cửa")
    description: Text | None = None
    enabled: bool = True
    thresholds: CameraThresholds | None = None
    onvif_url: OnvifUrlField | None = Field(
        default=None, description="ONVIF device service, e.g. http://10.1.2.3/onvif/device_service"
    )
    tls_insecure: bool = Field(default=False, description=TLS_INSECURE)


class CameraUpdate(_Credentials):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"site": "Bộ phận một cửa - quầy 2", "thresholds": {"blur_ratio": 0.4}}]
        }
    )
    name: Name | None = None
    unit: UnitRef | None = None
    site: Site | None = None
    description: Text | None = None
    enabled: bool | None = None
    thresholds: CameraThresholds | None = None
    onvif_url: OnvifUrlField | None = None
    tls_insecure: bool | None = Field(default=None, description=TLS_INSECURE)


class CameraPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "c41e7a90-2b5d-4f38-9e61-0d8a3c7b5f24",
                    "name": "CAM-MOTCUA-TANLAP-01",
                    "unit": {
                        "id": "b2d4e6f8-1a3c-4e5f-8a7b-9c0d1e2f3a4b",
                        "code": "23134",
                        "name": "Xã Tân Lập",
                        "level": "commune",
                    },
                    "site": "Bộ phận một cửa",
                    "url": "rtsp://10.68.134.31:554/Streaming/Channels/101",
                    "username": "giamsat",
                    "has_password": True,
                    "description": "Camera quầy tiếp nhận hồ sơ",
                    "enabled": True,
                    "thresholds": {"min_fps": 10.0},
                    "onvif_url": "http://10.68.134.31/onvif/device_service",
                    "tls_insecure": False,
                    "state": "online",
                    "state_since": "2026-12-07T07:30:12+07:00",
                    "created_at": "2026-07-02T10:00:00+07:00",
                    "updated_at": "2026-11-20T14:05:00+07:00",
                }
            ]
        }
    )
    id: uuid.UUID
    name: str
    unit: UnitBrief
    site: str | None
    url: str = Field(description="Without credentials")
    username: str | None
    has_password: bool
    description: str | None
    enabled: bool
    thresholds: dict[str, float] = Field(description="Overrides of the analytics defaults")
    onvif_url: str | None = Field(description="ONVIF device service; null: not provisioned over ONVIF")
    tls_insecure: bool = Field(description=TLS_INSECURE)
    state: str
    state_since: datetime | None
    created_at: datetime
    updated_at: datetime


class CameraHealthPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "camera_id": "c41e7a90-2b5d-4f38-9e61-0d8a3c7b5f24",
                    "state": "degraded",
                    "reason": "picture blurred (out of focus or dirty lens)",
                    "reason_params": {"problems": ["blurred"]},
                    "problems": ["blurred"],
                    "since": "2026-12-07T08:41:00+07:00",
                    "last_sample_at": "2026-12-07T09:00:00+07:00",
                    "last_ok_at": "2026-12-07T08:40:00+07:00",
                    "measures": {
                        "fps": 25.0,
                        "bitrate_kbps": 2048.5,
                        "keyframe_interval_s": 2.0,
                        "width": 1920,
                        "height": 1080,
                        "luma": 118.4,
                        "sharpness": 41.2,
                    },
                    "baseline_sharpness": 152.7,
                    "pulling": True,
                    "subscribers": 2,
                    "viewers": 1,
                    "thresholds": {
                        "black_luma": 20.0,
                        "black_spread": 12.0,
                        "blur_ratio": 0.3,
                        "blur_absolute": 15.0,
                        "frozen_diff": 0.5,
                        "frozen_samples": 3,
                        "moved_correlation": 0.5,
                        "baseline_samples": 3,
                        "min_fps": 5.0,
                        "max_keyframe_interval_s": 10.0,
                    },
                }
            ]
        }
    )
    camera_id: uuid.UUID
    state: str
    reason: str | None
    reason_params: dict[str, Any] = Field(
        default_factory=dict, description="The reason's params; its code is `state` (health/catalogue.py)"
    )
    problems: list[str]
    since: datetime | None
    last_sample_at: datetime | None
    last_ok_at: datetime | None
    measures: dict[str, object] = Field(
        description="fps, bitrate_kbps, keyframe_interval_s, luma, sharpness ..."
    )
    baseline_sharpness: float | None
    pulling: bool = Field(description="The shared RTSP pull is running now")
    subscribers: int
    viewers: int = Field(description="WHEP viewers now")
    thresholds: dict[str, float] = Field(description="In force: the defaults with this camera's overrides")


class CameraHistoryPoint(BaseModel):
    """One health sample; the measures are None when the sample got no picture (offline, stalled)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "at": "2026-12-07T09:00:00+07:00",
                    "state": "online",
                    "fps": 25.0,
                    "bitrate_kbps": 2048.5,
                    "keyframe_interval_s": 2.0,
                    "width": 1920,
                    "height": 1080,
                    "luma": 118.4,
                    "sharpness": 150.3,
                    "frame_diff": 3.1,
                    "scene_correlation": 0.93,
                }
            ]
        }
    )

    at: datetime
    state: str
    fps: float | None
    bitrate_kbps: float | None
    keyframe_interval_s: float | None
    width: int | None
    height: int | None
    luma: float | None = Field(description="Mean brightness, 0-255")
    sharpness: float | None = Field(description="Variance of the Laplacian; compare with the baseline")
    frame_diff: float | None = Field(description="Mean change from the previous sample's picture")
    scene_correlation: float | None = Field(description="Likeness to the scene reference, -1..1")


class CameraHistory(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "resolution": "raw",
                    "points": [
                        {
                            "at": "2026-12-07T09:00:00+07:00",
                            "state": "online",
                            "fps": 25.0,
                            "bitrate_kbps": 2048.5,
                            "keyframe_interval_s": 2.0,
                            "width": 1920,
                            "height": 1080,
                            "luma": 118.4,
                            "sharpness": 150.3,
                            "frame_diff": 3.1,
                            "scene_correlation": 0.93,
                        },
                        {
                            "at": "2026-12-07T09:01:00+07:00",
                            "state": "offline",
                            "fps": None,
                            "bitrate_kbps": None,
                            "keyframe_interval_s": None,
                            "width": None,
                            "height": None,
                            "luma": None,
                            "sharpness": None,
                            "frame_diff": None,
                            "scene_correlation": None,
                        },
                    ],
                }
            ]
        }
    )
    resolution: Literal["raw"] = Field(description="Always raw: camera samples have no rollups")
    points: list[CameraHistoryPoint]

"""The controller's camera sources: one ``CameraSource`` (one RTSP pull) per camera.

Built from the registry row; the password is decrypted here, put into the URL
that only the source holds, and nowhere else. Each open checks the address against
the network policy and verifies an ``rtsps`` camera's certificate unless the camera
is marked ``tls_insecure`` (``camera.stream_open``). A camera that changes or is
deleted is forgotten, so the next consumer opens the new address.
"""

from __future__ import annotations

import uuid

from camera.ingest import CameraSource
from camera.stream_open import StreamOpen
from camera.urls import with_credentials
from controller import netpolicy
from controller.models import Camera
from controller.security import SecretBox
from controller.settings import Settings

__all__ = ["CameraHub", "camera_password"]


def camera_password(cam: Camera, box: SecretBox) -> str | None:
    """The one place a stored camera password is decrypted: for the RTSP pull here and for
    the ONVIF session of provisioning; the plaintext goes straight into that connection."""
    return box.decrypt(cam.password_enc) if cam.password_enc else None


class CameraHub:
    def __init__(self, box: SecretBox, settings: Settings) -> None:
        self.box = box
        self.settings = settings
        self.sources: dict[uuid.UUID, CameraSource] = {}

    def source(self, cam: Camera) -> CameraSource:
        src = self.sources.get(cam.id)
        if src is None:
            password = camera_password(cam, self.box)
            s = self.settings
            src = CameraSource(
                cam.name,
                with_credentials(cam.url, cam.username, password),
                open_timeout_s=s.camera_open_timeout_s,
                read_timeout_s=s.camera_read_timeout_s,
                idle_stop_s=s.camera_idle_stop_s,
            )
            src.open_options = StreamOpen(
                policy=netpolicy.policy(s),
                tls_insecure=cam.tls_insecure,
                ca_file=str(s.camera_tls_ca_file) if s.camera_tls_ca_file else None,
            )
            self.sources[cam.id] = src
        return src

    async def forget(self, camera_id: uuid.UUID) -> None:
        src = self.sources.pop(camera_id, None)
        if src is not None:
            await src.stop()

    async def close(self) -> None:
        sources, self.sources = list(self.sources.values()), {}
        for src in sources:
            await src.stop()

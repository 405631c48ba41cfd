"""rtsps:// cameras: the certificate is verified unless the camera is marked ``tls_insecure``
(security review 16, finding 14).

The "camera" is a TLS server on loopback with a self-signed certificate: a pull that verifies
hangs up after the handshake and sends nothing; one that does not sends its RTSP OPTIONS.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from camera.ingest import CameraSource
from camera.stream_open import StreamOpen
from controller.models import AuditRecord, Camera
from controller.roles import Role
from tests.support.tls_peer import TlsPeer, running_tls_peer
from tests.support.waiting import until


async def pull_once(ctl, camera_id: str, peer: TlsPeer) -> str:
    """Start the camera's pull through the hub, as a viewer would; its first error."""
    async with ctl.state.db.transaction() as session:
        cam = await session.get(Camera, uuid.UUID(camera_id))
    source = ctl.state.cameras.source(cam)
    async with source.subscribe():
        return await until(lambda: peer.handshakes and source.stats.last_error, what="the first open")


async def test_an_rtsps_camera_is_verified_unless_marked_insecure(controller, tmp_path):
    h = controller.auth(Role.technician)
    with running_tls_peer(tmp_path) as peer:
        body = {"name": "Một cửa TLS", "unit": "DEMO", "url": f"rtsps://127.0.0.1:{peer.port}/live"}
        r = await controller.client.post("/api/v1/cameras", json=body, headers=h)
        assert r.status_code == 201, r.text
        cam = r.json()
        assert cam["tls_insecure"] is False

        await pull_once(controller, cam["id"], peer)
        assert peer.requests == []  # the certificate is nobody's: not a byte of RTSP was sent

        r = await controller.client.patch(
            f"/api/v1/cameras/{cam['id']}", json={"tls_insecure": True}, headers=h
        )
        assert r.status_code == 200 and r.json()["tls_insecure"] is True, r.text
        await until(lambda: uuid.UUID(cam["id"]) not in controller.state.cameras.sources, what="the old pull")
        handshakes = peer.handshakes
        await pull_once(controller, cam["id"], peer)
        await until(lambda: peer.requests, what="an RTSP request over unverified TLS")
        assert peer.handshakes > handshakes and peer.requests[0].startswith(b"OPTIONS rtsps://127.0.0.1")

    r = await controller.client.patch(f"/api/v1/cameras/{cam['id']}", json={"tls_insecure": None}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "tls_insecure", r.text
    async with controller.state.db.transaction() as session:
        audits = (
            await session.scalars(select(AuditRecord).where(AuditRecord.action == "camera.update"))
        ).all()
    assert any(a.summary.get("tls_insecure") is True for a in audits)  # switching checks off is on record


async def test_a_camera_ca_file_makes_its_certificate_trusted(tmp_path):
    with running_tls_peer(tmp_path) as peer:
        source = CameraSource("ca", f"rtsps://127.0.0.1:{peer.port}/live", open_timeout_s=5, read_timeout_s=5)
        source.open_options = StreamOpen(ca_file=str(peer.cert_file))
        async with source.subscribe():
            await until(lambda: peer.requests, what="an RTSP request over verified TLS")
        await source.stop()
    assert peer.requests[0].startswith(b"OPTIONS rtsps://127.0.0.1")


async def test_tls_insecure_is_a_csv_column(controller, tmp_path):
    text = (
        "name,unit,url,tls_insecure\n"
        "verified,DEMO,rtsps://10.9.9.1/live,false\n"
        "self-signed,DEMO,rtsps://10.9.9.2/live,true\n"
        "default,DEMO,rtsps://10.9.9.3/live,\n"
    )
    r = await controller.client.post(
        "/api/v1/cameras/import",
        files={"file": ("c.csv", text, "text/csv")},
        headers=controller.auth(Role.technician),
    )
    assert r.status_code == 200 and r.json()["imported"] == 3, r.text
    r = await controller.client.get("/api/v1/cameras?unit=DEMO", headers=controller.auth(Role.ioc_viewer))
    flags = {c["name"]: c["tls_insecure"] for c in r.json()["items"]}
    assert flags == {"verified": False, "self-signed": True, "default": False}

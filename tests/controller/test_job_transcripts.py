"""Camera provisioning job items: what a device answered is for admins and technicians only,
and a reply that is not SOAP is never kept at all (security review 16, finding 6).

The camera's ONVIF address points at a bare HTTP server on loopback (the shared fixture allows
loopback) that answers with a web page, as the controller's own API or another internal
service would.
"""

from __future__ import annotations

from camera.onvif.soap import SoapFault, fault_envelope
from controller.roles import Role
from tests.support.http_peer import Peer, running_peer
from tests.support.waiting import until

SEES_TRANSCRIPTS = {Role.admin, Role.technician}


async def provision(ctl, peer: Peer) -> str:
    h = ctl.auth(Role.technician)
    body = {
        "name": f"Một cửa {peer.port}",
        "unit": "DEMO-H01-X01",
        "url": "rtsp://10.1.2.3/live",
        "username": "admin",
        "password": "pw-123456",
        "onvif_url": f"http://127.0.0.1:{peer.port}/onvif/device_service",
    }
    r = await ctl.client.post("/api/v1/cameras", json=body, headers=h)
    assert r.status_code == 201, r.text
    r = await ctl.client.post("/api/v1/provisioning/cameras", json={"cameras": [r.json()["id"]]}, headers=h)
    assert r.status_code == 202, r.text
    job = r.json()["id"]

    async def finished() -> bool:
        return (await ctl.client.get(f"/api/v1/jobs/{job}", headers=h)).json()["status"] == "done"

    await until(finished, what="the provisioning job")
    return job


async def items_as(ctl, job: str, role: Role) -> list[dict]:
    r = await ctl.client.get(f"/api/v1/jobs/{job}/items", headers=ctl.auth(role))
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_web_page_at_the_onvif_address_is_bad_reply_and_none_of_it_is_kept(controller):
    async with running_peer() as peer:
        job = await provision(controller, peer)
    for role in Role:
        (item,) = await items_as(controller, job, role)
        assert item["status"] == "error" and item["error_code"] == "bad_reply", item
        assert "HTTP 200" in item["message"] and "not a SOAP reply" in item["message"]
        text = str(item)
        assert "hunter2" not in text and "internal admin page" not in text and "<html" not in text, item


async def test_device_replies_in_transcripts_are_shown_to_admins_and_technicians_only(controller):
    async with running_peer() as peer:
        peer.status, peer.content_type = 500, "application/soap+xml"
        peer.body = fault_envelope(SoapFault("Receiver", ["Action", "ActionFailed"], "busy"))
        job = await provision(controller, peer)
    seen = {role: (await items_as(controller, job, role))[0] for role in Role}
    for role, item in seen.items():
        assert item["error_code"] == "device_fault", item
        if role in SEES_TRANSCRIPTS:
            assert "ActionFailed" in item["transcript"], (role, item)
        else:
            assert item["transcript"] is None, (role, item)

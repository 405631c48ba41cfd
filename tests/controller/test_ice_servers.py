"""STUN/TURN configuration: refused at the edge when a browser or aiortc could not use it, handed
to viewers with credentials minted per viewer, and advertised in the WHEP answer's Link headers.
(That coturn accepts the minted credentials is tests/camera/test_chromium_whep.py's TURN test.)"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
import uuid

import pytest
from pydantic import ValidationError

from controller.bench.harness import free_port
from controller.roles import Role
from controller.settings import IceServerSetting
from tests.support.whep import sdp_offer

SECRET = "coturn-shared-secret"
ICE = [
    {"urls": ["stun:stun.tinh.example:3478"]},
    {"urls": ["turn:turn.tinh.example:3478?transport=tcp", "turns:turn.tinh.example:443"], "secret": SECRET},
]


@pytest.fixture
def controller_settings() -> dict:
    return {"relay_ice_servers": ICE}


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ({"urls": ["http://turn.example"]}, "not a STUN/TURN URL"),
        ({"urls": ["turn:turn.example?transport=sctp"]}, "not a STUN/TURN URL"),
        ({"urls": ["turns:turn.example?transport=udp"]}, "TLS, i.e. TCP"),
        ({"urls": ["stun:turn.example?transport=tcp"]}, "takes no transport"),
        ({"urls": ["turn:turn.example:70000"]}, "port must be 1-65535"),
        ({"urls": ["turn:turn.example"]}, "needs username and credential, or secret"),
        ({"urls": ["turn:t.example"], "username": "u"}, "go together"),
        ({"urls": ["turn:t.example"], "username": "u", "credential": "c", "secret": "s"}, "not both"),
        ({"urls": []}, "at least 1"),
    ],
)
def test_unusable_servers_are_refused_with_the_reason(entry, says):
    with pytest.raises(ValidationError) as exc:
        IceServerSetting.model_validate(entry)
    assert says in str(exc.value)


def coturn_credential(username: str) -> str:
    """coturn's use-auth-secret check, as its docs give it: base64(HMAC-SHA1(secret, username))."""
    return base64.b64encode(hmac.new(SECRET.encode(), username.encode(), hashlib.sha1).digest()).decode()


async def test_viewers_get_the_servers_with_their_own_time_limited_credentials(controller):
    r = await controller.client.get("/api/v1/relay/ice-servers", headers=controller.auth(Role.ioc_viewer))
    assert r.status_code == 200
    stun, turn = r.json()
    assert stun == {"urls": ["stun:stun.tinh.example:3478"], "username": None, "credential": None}
    assert turn["urls"] == ICE[1]["urls"]
    expiry, _, who = turn["username"].partition(":")
    assert 0 < int(expiry) - time.time() <= 24 * 3600 + 5 and who  # valid for a day, named
    assert turn["credential"] == coturn_credential(turn["username"])
    other = await controller.client.get("/api/v1/relay/ice-servers", headers=controller.auth(Role.host))
    assert other.json()[1]["username"].partition(":")[2] != who  # each viewer its own


async def test_the_whep_answer_advertises_the_servers_in_link_headers(controller):
    tech = controller.auth(Role.technician)
    body = {"name": f"cam {uuid.uuid4().hex[:6]}", "unit": "DEMO", "url": f"rtsp://127.0.0.1:{free_port()}/x"}
    camera = (await controller.client.post("/api/v1/cameras", json=body, headers=tech)).json()["id"]
    r = await controller.client.post(
        f"/whep/cameras/{camera}",
        content=await sdp_offer(),
        headers=controller.auth(Role.ioc_viewer) | {"Content-Type": "application/sdp"},
    )
    assert r.status_code == 201, r.text
    links = r.headers.get_list("link")
    assert links[0] == '<stun:stun.tinh.example:3478>; rel="ice-server"'
    assert [re.match(r"<([^>]+)>", link)[1] for link in links[1:]] == ICE[1]["urls"]
    username = re.search(r'username="([^"]+)"', links[1])[1]
    assert f'credential="{coturn_credential(username)}"' in links[1]
    assert 'credential-type="password"' in links[1]

"""The WS-Security digest, by the client and by the simulated camera, against the ONVIF
Application Programmer's Guide's worked UsernameToken example rather than against each other."""

from __future__ import annotations

import base64

from camera.onvif import soap as client
from camera.sim import soap as camera

# ONVIF Application Programmer's Guide v1.0 (2011), UsernameToken example: nonce, created, password, digest.
NONCE = base64.b64decode("LKqI6G/AikKCQrN0zqZFlg==")
CREATED = "2010-09-16T07:50:45Z"
PASSWORD = "userpassword"
DIGEST = "tuOSpGlFlIXsozq4HFNeeGeFLEI="


def test_the_client_digest_is_the_guides():
    assert client.password_digest(NONCE, CREATED, PASSWORD) == DIGEST


def test_the_simulated_cameras_digest_is_the_guides():
    assert camera.password_digest(NONCE, CREATED, PASSWORD) == DIGEST


def test_the_simulated_camera_reads_the_token_the_client_writes():
    header = client.security_header("admin", PASSWORD, CREATED, NONCE)
    request = client.envelope("<tds:GetDeviceInformation/>", header)
    operation, token = camera.read_token(request)
    assert operation.tag == f"{{{camera.NS['tds']}}}GetDeviceInformation"
    assert token == camera.UsernameToken("admin", DIGEST, NONCE, CREATED)


def test_the_client_reads_the_fault_the_simulated_camera_writes():
    reply = camera.fault_envelope(
        camera.SoapFault("Sender", ["InvalidArgVal", "ConfigModify"], "bad <value>")
    )
    try:
        client.parse(reply)
    except client.SoapFault as fault:
        assert (fault.code, fault.subcodes, fault.reason) == (
            "Sender",
            ["InvalidArgVal", "ConfigModify"],
            "bad <value>",
        )
    else:
        raise AssertionError("a fault envelope parsed as a reply")

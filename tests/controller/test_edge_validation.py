"""The API edge refuses text that would reach a device or a log as more than text.

Control characters in a host (an IPv6 zone id is free text to ``ipaddress``),
Unicode line and paragraph separators (U+2028, U+2029, U+0085: new lines to many
log viewers and device shells) and invisible format characters (bidi overrides
U+202A-U+202E and U+2066-U+2069 reorder what a technician reads) are refused in
every name with a 422 that names the field; patterns and dial strings are matched
whole, so a trailing newline cannot ride on a ``$``.
"""

from __future__ import annotations

import uuid

import pytest

from controller.errors import InvalidInput
from controller.provisioning.camera_standard import check_camera_value
from controller.roles import Role
from controller.sessions.dialplan import dial_string, validate_pattern
from tests.controller.test_csv_import import HEADER, upload
from tests.controller.test_registry_api import body

# One of each kind the edge must refuse inside a name (categories Cc, Cf, Zl, Zp).
HIDDEN = [
    "\u2028",  # LINE SEPARATOR (Zl)
    "\u2029",  # PARAGRAPH SEPARATOR (Zp)
    "\u0085",  # NEXT LINE (Cc)
    "\u202a",  # LEFT-TO-RIGHT EMBEDDING (Cf)
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE (Cf)
    "\u2066",  # LEFT-TO-RIGHT ISOLATE (Cf)
    "\u2069",  # POP DIRECTIONAL ISOLATE (Cf)
    "\u200b",  # ZERO WIDTH SPACE (Cf)
    "\x1b",  # ESC (Cc)
]
BAD_HOSTS = [
    "fd12::1%eth\n0",
    "fd12::1%eth0\x00",
    "fd12::1%eth\u20280",
    "fd12::1%a b",
    "fd12::1%\u202eeth0",
]


def locations(r) -> list[str]:
    return [e["location"] for e in r.json()["errors"]]


@pytest.mark.parametrize("ch", HIDDEN)
async def test_endpoint_names_with_hidden_characters_are_422_on_the_name(controller, ch):
    h = controller.auth(Role.technician)
    r = await controller.client.post("/api/v1/endpoints", json=body(name=f"Xã 1{ch}Xã 2"), headers=h)
    assert r.status_code == 422 and locations(r) == ["body.name"], r.text
    r = await controller.client.post("/api/v1/endpoints", json=body(description=f"tầng 2{ch}"), headers=h)
    assert r.status_code == 422 and locations(r) == ["body.description"], r.text


async def test_a_description_may_still_span_lines(controller):
    r = await controller.client.post(
        "/api/v1/endpoints",
        json=body(description="Phòng họp tầng 2\nGọi anh Nam khi hỏng"),
        headers=controller.auth(Role.technician),
    )
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("host", BAD_HOSTS)
async def test_endpoint_hosts_with_control_characters_in_the_zone_are_422_on_the_host(controller, host):
    r = await controller.client.post(
        "/api/v1/endpoints", json=body(host=host), headers=controller.auth(Role.technician)
    )
    assert r.status_code == 422 and locations(r) == ["body.host"], r.text


async def test_a_plain_zone_id_is_still_an_address(controller):
    r = await controller.client.post(
        "/api/v1/endpoints", json=body(host="fd12::1%eth0"), headers=controller.auth(Role.technician)
    )
    assert r.status_code == 201 and r.json()["host"] == "fd12::1%eth0", r.text


async def test_csv_rows_with_hidden_characters_are_row_errors_on_their_field(controller):
    rows = (
        "Xã 1\u202eexe.txt,DEMO-H01-X01,127.0.0.1,3001,admin,pw,cisco-roomos\n"
        "Xã 2\u2028Xã 3,DEMO-H01-X01,127.0.0.1,3002,admin,pw,cisco-roomos\n"
        '"Xã 4",DEMO-H01-X01,"fd12::1%eth\r0",3003,admin,pw,cisco-roomos\n'
        "Xã 5,DEMO-H01-X01,fd12::1%eth\u20290,3004,admin,pw,cisco-roomos\n"
        "Xã 6,DEMO-H01-X01,127.0.0.1,3006,admin,pw,cisco-roomos\n"
    )
    r = await upload(controller, HEADER + rows)
    assert r.status_code == 422, r.text
    assert [(e["line"], e["field"]) for e in r.json()["errors"]] == [
        (2, "name"),
        (3, "name"),
        (4, "host"),
        (6, "host"),
    ]


@pytest.mark.parametrize("ch", HIDDEN)
async def test_camera_names_and_urls_with_hidden_characters_are_422(controller, ch):
    h = controller.auth(Role.technician)
    cam = {"name": "Một cửa", "unit": "DEMO-H01-X01", "url": "rtsp://10.0.0.1:554/s1"}
    r = await controller.client.post("/api/v1/cameras", json=cam | {"name": f"Một{ch}cửa"}, headers=h)
    assert r.status_code == 422 and locations(r) == ["body.name"], r.text
    r = await controller.client.post("/api/v1/cameras", json=cam | {"site": f"Bộ phận{ch}một cửa"}, headers=h)
    assert r.status_code == 422 and locations(r) == ["body.site"], r.text
    r = await controller.client.post(
        "/api/v1/cameras", json=cam | {"url": f"rtsp://10.0.0.1:554/s1{ch}"}, headers=h
    )
    assert r.status_code == 422 and locations(r) == ["body.url"], r.text


@pytest.mark.parametrize("host", BAD_HOSTS)
async def test_camera_hosts_with_control_characters_in_the_zone_are_422(controller, host):
    h = controller.auth(Role.technician)
    cam = {"name": "Một cửa", "unit": "DEMO-H01-X01", "url": "rtsp://10.0.0.1:554/s1"}
    for field, url in (
        ("url", f"rtsp://[{host}]:554/s1"),
        ("onvif_url", f"http://[{host}]/onvif/device_service"),
    ):
        r = await controller.client.post("/api/v1/cameras", json=cam | {field: url}, headers=h)
        assert r.status_code == 422 and locations(r) == [f"body.{field}"], r.text


async def test_a_camera_url_with_a_plain_zone_id_is_accepted(controller):
    cam = {"name": "Một cửa", "unit": "DEMO-H01-X01", "url": "rtsp://[fd12::1%25eth0]:554/s1"}
    r = await controller.client.post("/api/v1/cameras", json=cam, headers=controller.auth(Role.technician))
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("ch", HIDDEN)
async def test_unit_names_with_hidden_characters_are_422_on_the_name(controller, ch):
    h = controller.auth(Role.admin)
    unit = {"code": "X-NEW", "name": f"Xã{ch}Mới", "level": "commune", "parent": "DEMO-H01"}
    r = await controller.client.post("/api/v1/units", json=unit, headers=h)
    assert r.status_code == 422 and locations(r) == ["body.name"], r.text
    r = await controller.client.patch("/api/v1/units/DEMO-H01", json={"name": f"Huyện{ch}1"}, headers=h)
    assert r.status_code == 422 and locations(r) == ["body.name"], r.text


@pytest.mark.parametrize("ch", HIDDEN)
async def test_session_titles_and_bridge_names_with_hidden_characters_are_422(controller, ch):
    scope = {"units": [{"unit": "DEMO"}]}
    r = await controller.client.post(
        "/api/v1/sessions",
        json={"title": f"Họp{ch}giao ban", "scope": scope},
        headers=controller.auth(Role.host),
    )
    assert r.status_code == 422 and locations(r) == ["body.title"], r.text
    r = await controller.client.post(
        "/api/v1/bridges", json={"name": f"MCU{ch}2"}, headers=controller.auth(Role.admin)
    )
    assert r.status_code == 422 and locations(r) == ["body.name"], r.text


@pytest.mark.parametrize("ch", HIDDEN)
async def test_standard_values_with_hidden_characters_are_422_on_the_value(controller, ch):
    r = await controller.client.put(
        "/api/v1/standards/display_name",
        json={"value": f"ĐC{ch}{{name}}"},
        headers=controller.auth(Role.technician),
    )
    assert r.status_code == 422 and locations(r) == ["body.value"], r.text


@pytest.mark.parametrize(
    "pattern", ["sip:{conference}@mcu\n", "sip:{conference}@mcu.tinh.example\n", "{conference}\n"]
)
async def test_a_dial_pattern_is_matched_whole(controller, pattern):
    with pytest.raises(ValueError):
        validate_pattern(pattern)
    r = await controller.client.post(
        "/api/v1/bridges", json={"name": "MCU 2", "sip_pattern": pattern}, headers=controller.auth(Role.admin)
    )
    assert r.status_code == 422 and locations(r) == ["body.sip_pattern"], r.text


def test_a_conference_id_is_matched_whole():
    with pytest.raises(ValueError):
        dial_string("sip:{conference}@mcu", "40001\n")
    assert dial_string("sip:{conference}@mcu", "40001") == "sip:40001@mcu"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("camera_ntp_server", "ntp.tinh.example\n"),
        ("camera_resolution", "640x360\n"),
        ("camera_time_zone", "Asia/Ho_Chi_Minh\n"),
    ],
)
def test_camera_standard_values_are_matched_whole(key, value):
    """`diemcau standards set` checks camera values here without the API's schema."""
    with pytest.raises(InvalidInput) as caught:
        check_camera_value(key, value)
    assert caught.value.extra == {"field": "value"}
    check_camera_value(key, value.rstrip("\n"))


async def test_problems_carry_stable_codes_beside_the_english_text(controller):
    """RFC 9457 extension members a console words in its own language: ``code`` on every
    problem, ``code`` and ``params`` on each field complaint."""
    c, h = controller.client, controller.auth(Role.admin)
    r = await c.post(
        "/api/v1/endpoints",
        json={
            "name": "x",
            "unit": "DEMO-H01",
            "host": "not a host",
            "port": 0,
            "username": "a",
            "password": "pw",
            "profile": "cisco-roomos",
        },
        headers=h,
    )
    problem = r.json()
    assert problem["code"] == "invalid-input"
    got = {e["location"]: (e["code"], e["params"]) for e in problem["errors"]}
    assert got["body.host"] == ("value.host_invalid", {})
    assert got["body.port"] == ("value.greater_than_equal", {"ge": 1})
    r = await c.get(f"/api/v1/endpoints/{uuid.uuid4()}", headers=h)
    assert r.json()["code"] == "not-found"

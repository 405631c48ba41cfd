"""The camera registry: only network RTSP URLs, credentials split out and encrypted, CSV import."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from controller.models import AuditRecord, Camera
from controller.roles import Role

SECRET = "m@t-khau:1/2"  # characters that must survive percent-encoding


@pytest.mark.usefixtures("backend")
async def test_credentials_are_split_encrypted_and_never_returned(controller):
    h = controller.auth(Role.technician)
    url = "rtsp://admin:m%40t-khau%3A1%2F2@10.1.2.3:554/Streaming/Channels/101"
    r = await controller.client.post(
        "/api/v1/cameras",
        json={"name": "Một cửa 1", "unit": "DEMO-H01-X01", "url": url, "site": "Bộ phận một cửa"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    cam = r.json()
    assert cam["url"] == "rtsp://10.1.2.3:554/Streaming/Channels/101"
    assert cam["username"] == "admin" and cam["has_password"] is True
    assert SECRET not in r.text and "m%40t" not in r.text
    async with controller.state.db.transaction() as s:
        row = await s.get(Camera, uuid.UUID(cam["id"]))
        assert row.url == cam["url"] and controller.state.box.decrypt(row.password_enc) == SECRET
        audits = (await s.scalars(select(AuditRecord).where(AuditRecord.target_type == "camera"))).all()
        assert audits and all(SECRET not in str(a.summary) for a in audits)

    r = await controller.client.get(f"/api/v1/cameras/{cam['id']}", headers=controller.auth(Role.ioc_viewer))
    assert r.json()["url"] == cam["url"] and SECRET not in r.text

    # Same address again, credentials or not: a conflict.
    r = await controller.client.post(
        "/api/v1/cameras",
        json={"name": "khác", "unit": "DEMO", "url": "rtsp://10.1.2.3:554/Streaming/Channels/101"},
        headers=h,
    )
    assert r.status_code == 409 and r.json()["field"] == "url"

    # Changing the password alone keeps the URL; changing the URL with credentials in it splits them again.
    r = await controller.client.patch(f"/api/v1/cameras/{cam['id']}", json={"password": "moi"}, headers=h)
    assert r.status_code == 200 and r.json()["url"] == cam["url"]
    r = await controller.client.patch(
        f"/api/v1/cameras/{cam['id']}", json={"url": "rtsps://op:pw@cam.xa.example/live"}, headers=h
    )
    assert r.json()["url"] == "rtsps://cam.xa.example/live" and r.json()["username"] == "op"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "/dev/video0",
        "http://10.0.0.1/stream.m3u8",
        "concat:rtsp://a|file:/etc/passwd",
        "rtsp:///nohost",
        "rtsp://10.0.0.1:99999/x",
        "rtsp://10.0.0.1/a b",
        "rtsp://10.0.0.1/x#frag",
        "rtsp://-bad-.example/x",
        "udp://10.0.0.1:5000",
        "v4l2:///dev/video0",
    ],
)
async def test_only_network_rtsp_urls(controller, url):
    r = await controller.client.post(
        "/api/v1/cameras", json={"name": "x", "unit": "DEMO", "url": url}, headers=controller.auth(Role.admin)
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["location"] == "body.url", r.text


@pytest.mark.parametrize(
    ("onvif_url", "why"),
    [
        ("file:///etc/passwd", "http or https"),
        ("rtsp://10.0.0.9/onvif", "http or https"),
        ("http://admin:pw@10.0.0.9/onvif/device_service", "credentials"),
        ("http:///onvif/device_service", "host"),
    ],
)
async def test_onvif_url_is_a_network_http_url_without_credentials(controller, onvif_url, why):
    h = controller.auth(Role.technician)
    body = {"name": "x", "unit": "DEMO", "url": "rtsp://10.0.0.9/x"}
    r = await controller.client.post("/api/v1/cameras", json=body | {"onvif_url": onvif_url}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["location"] == "body.onvif_url", r.text
    assert why in r.json()["errors"][0]["reason"], r.text
    good = "http://10.0.0.9:8080/onvif/device_service"
    r = await controller.client.post("/api/v1/cameras", json=body | {"onvif_url": good}, headers=h)
    assert r.status_code == 201 and r.json()["onvif_url"] == good, r.text


async def test_credentials_given_twice_are_refused(controller):
    r = await controller.client.post(
        "/api/v1/cameras",
        json={"name": "x", "unit": "DEMO", "url": "rtsp://a:b@10.0.0.9/x", "username": "c"},
        headers=controller.auth(Role.admin),
    )
    assert r.status_code == 422 and "given twice" in r.text


async def test_csv_import_reports_each_bad_row(controller):
    h = controller.auth(Role.technician)
    text = (
        "name,unit,url,username,password,site\n"
        "Cam 1,DEMO-H01-X01,rtsp://u:p@10.0.0.1/s1,,,Một cửa\n"
        "Cam 2,DEMO-H01-X01,file:///etc/passwd,,,\n"
        "Cam 3,NOPE,rtsp://10.0.0.3/s,,,\n"
        "Cam 1,DEMO-H01-X01,rtsp://10.0.0.4/s,,,\n"
        "Cam 5,DEMO-H01-X02,rtsp://10.0.0.1/s1,,,\n"
        "Cam 6,DEMO-H01-X02,rtsp://10.0.0.6/s,op,secret6,\n"
    ).encode()
    r = await controller.client.post(
        "/api/v1/cameras/import", files={"file": ("c.csv", text, "text/csv")}, headers=h
    )
    assert r.status_code == 422
    errors = {(e["line"], e["field"]) for e in r.json()["errors"]}
    assert errors == {(3, "url"), (4, "unit"), (5, "name"), (6, "url")}
    r = await controller.client.get("/api/v1/cameras", headers=h)
    assert r.json()["total"] == 0  # all or nothing

    r = await controller.client.post(
        "/api/v1/cameras/import",
        params={"valid_only": True},
        files={"file": ("c.csv", text, "text/csv")},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["imported"], len(r.json()["errors"])) == (2, 4)
    cams = {c["name"]: c for c in (await controller.client.get("/api/v1/cameras", headers=h)).json()["items"]}
    assert set(cams) == {"Cam 1", "Cam 6"}
    assert cams["Cam 6"]["username"] == "op" and cams["Cam 6"]["has_password"]
    assert cams["Cam 1"]["url"] == "rtsp://10.0.0.1/s1" and cams["Cam 1"]["username"] == "u"
    assert "secret6" not in r.text


async def test_csv_a_bad_camera_row_is_still_compared_with_the_others(controller):
    """One pass: a row refused on one field still shows a repeat of another row, in the
    file's column order, and a repeat involving a bad row never holds back a good one."""
    h = controller.auth(Role.technician)
    text = (
        "name,unit,url\n"
        ",DEMO-H01-X01,rtsp://10.0.0.1/a\n"  # 2: no name, URL of line 3
        "Cam 1,DEMO-H01-X01,rtsp://10.0.0.1/a\n"  # 3
        "Cam 1,DEMO-H01-X01,file:///etc/passwd\n"  # 4: name of line 3, bad URL
        "Cam 4,DEMO\u202eX,rtsp://10.0.0.4/a\n"  # 5: bad unit
        "Cam 4,DEMO\u202eX,rtsp://10.0.0.4/a\n"  # 6: the same bad unit: name not compared
    ).encode()
    files = {"file": ("c.csv", text, "text/csv")}
    r = await controller.client.post("/api/v1/cameras/import", files=files, headers=h)
    assert r.status_code == 422, r.text
    got = [(e["line"], e["field"], e["code"]) for e in r.json()["errors"]]
    assert got == [
        (2, "name", "value.string_too_short"),
        (2, "url", "row.repeated"),
        (4, "name", "row.repeated"),
        (4, "url", "value.value_error"),
        (5, "unit", "value.text_hidden"),
        (6, "unit", "value.text_hidden"),
        (6, "url", "row.repeated"),
    ]
    assert [e["params"] for e in r.json()["errors"] if e["code"] == "row.repeated"] == [
        {"line": 3},
        {"line": 3},
        {"line": 5},
    ]
    r = await controller.client.post(
        "/api/v1/cameras/import", params={"valid_only": True}, files=files, headers=h
    )
    assert r.json()["imported"] == 1, r.text


async def test_csv_a_bad_camera_row_is_still_checked_against_the_registry(controller):
    """One pass: a row refused on one field still has its unit and its URL checked."""
    h = controller.auth(Role.technician)
    r = await controller.client.post(
        "/api/v1/cameras",
        json={"name": "Một cửa", "unit": "DEMO-H01-X01", "url": "rtsp://10.0.0.9/a"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    text = (
        b"name,unit,url\n"
        b"Cam 2,NOPE,file:///etc/passwd\n"  # 2: unknown unit and a bad URL
        b",DEMO-H01-X01,rtsp://10.0.0.9/a\n"  # 3: no name, a URL already registered
    )
    r = await controller.client.post(
        "/api/v1/cameras/import", files={"file": ("c.csv", text, "text/csv")}, headers=h
    )
    assert r.status_code == 422, r.text
    got = [(e["line"], e["field"], e["code"]) for e in r.json()["errors"]]
    assert got == [
        (2, "unit", "unit.unknown"),
        (2, "url", "value.value_error"),
        (3, "name", "value.string_too_short"),
        (3, "url", "camera.url_taken"),
    ]


async def test_thresholds_per_camera_override_the_defaults(controller):
    h = controller.auth(Role.technician)
    r = await controller.client.post(
        "/api/v1/cameras",
        json={
            "name": "Tường trắng",
            "unit": "DEMO",
            "url": "rtsp://10.0.0.50/s",
            "thresholds": {"blur_ratio": 0.15},
        },
        headers=h,
    )
    assert r.status_code == 201 and r.json()["thresholds"] == {"blur_ratio": 0.15}
    cam_id = r.json()["id"]
    r = await controller.client.patch(
        f"/api/v1/cameras/{cam_id}", json={"thresholds": {"blur_ratio": 0.2, "min_fps": 3}}, headers=h
    )
    assert r.json()["thresholds"] == {"blur_ratio": 0.2, "min_fps": 3}
    health = (await controller.client.get(f"/api/v1/cameras/{cam_id}/health", headers=h)).json()
    assert health["thresholds"]["blur_ratio"] == 0.2 and health["thresholds"]["min_fps"] == 3
    assert health["thresholds"]["black_luma"] == 20.0  # a default
    for bad in ({"blur_ratio": 1.5}, {"frozen_samples": 1}, {"nope": 1}):
        r = await controller.client.patch(f"/api/v1/cameras/{cam_id}", json={"thresholds": bad}, headers=h)
        assert r.status_code == 422, bad

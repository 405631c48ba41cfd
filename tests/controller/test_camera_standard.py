"""The cameras' stream standard: typed keys of the province standard, inherited down the tree."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from controller.cameras import registry
from controller.cameras.schemas import CameraCreate
from controller.models import Camera
from controller.principal import SYSTEM
from controller.provisioning.camera_standard import CAMERA_KEYS, camera_facts, stream_standard
from controller.provisioning.standards import StandardResolver
from controller.roles import Role


@pytest.mark.parametrize(
    ("key", "value", "why"),
    [
        ("camera_fps", "abc", "whole number from 1 to 60"),
        ("camera_fps", "0", "whole number from 1 to 60"),
        ("camera_resolution", "640*360", "WIDTHxHEIGHT"),
        ("camera_codec", "H265", "H264"),
        ("camera_bitrate_kbps", "99999", "64 to 16384"),
        ("camera_keyframe_s", "-1", "0.2 to 10"),
        ("camera_ntp_server", "ntp server;reboot", "host name"),
        ("camera_time_zone", "CET-1CEST,M3.5.0", "without DST"),
    ],
)
async def test_a_badly_formed_camera_value_is_refused_with_its_reason(controller, key, value, why):
    r = await controller.client.put(
        f"/api/v1/standards/{key}", json={"value": value}, headers=controller.auth(Role.technician)
    )
    assert r.status_code == 422 and r.json()["field"] == "value" and why in r.json()["detail"], r.text


async def test_deepest_unit_wins_and_the_values_are_typed(controller):
    h = controller.auth(Role.technician)
    for key, value, unit in [
        ("camera_fps", "15", None),
        ("camera_resolution", "640x360", None),
        ("camera_bitrate_kbps", "768", None),
        ("camera_keyframe_s", "2", None),
        ("camera_name", "{unit_code}-{slug}", None),
        ("camera_bitrate_kbps", "384", "DEMO-H01"),  # a district on a thin uplink
    ]:
        r = await controller.client.put(
            f"/api/v1/standards/{key}",
            json={"value": value},
            params={"unit": unit} if unit else {},
            headers=h,
        )
        assert r.status_code == 200, r.text
    async with controller.state.db.transaction() as session:
        for name, unit in (("Một cửa A", "DEMO-H01-X01"), ("Một cửa B", "DEMO-H02-X01")):
            data = CameraCreate(name=name, unit=unit, url=f"rtsp://10.0.0.{len(unit)}:554/{unit}")
            await registry.create_camera(session, controller.state.box, data, SYSTEM)
    async with controller.state.db.transaction() as session:
        resolver = await StandardResolver.load(session)
        cams = {c.unit.code: c for c in await session.scalars(select(Camera))}
        values = {u: resolver.rendered(c.unit, camera_facts(c), CAMERA_KEYS) for u, c in cams.items()}
    a, b = stream_standard(values["DEMO-H01-X01"]), stream_standard(values["DEMO-H02-X01"])
    assert (a.width, a.height, a.fps, a.bitrate_kbps) == (640, 360, 15, 384)
    assert b.bitrate_kbps == 768
    assert a.gov_length == 30  # a keyframe every 2 s at 15 fps
    assert a.name == "DEMO-H01-X01-mot-cua-a"
    assert stream_standard({"camera_fps": "25"}).gov_length == 25  # one a second by default

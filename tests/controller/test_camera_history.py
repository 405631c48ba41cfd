"""Camera health history and the camera counts of the unit summary.

The history test samples the real RTSP simulator; the others write rows into the real
database (the monitor stays off there, so nothing else moves the states they set).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from camera.sim.control import camera_control
from camera.sim.process import CameraSimProcess
from controller.health.history import MAX_POINTS as MAX_HISTORY_POINTS
from controller.models import Camera, CameraSample, utcnow
from controller.roles import Role
from tests.controller.camera_helpers import SAMPLING


async def add_camera(ctl, name: str, unit: str, url: str) -> str:
    r = await ctl.client.post(
        "/api/v1/cameras",
        json={"name": name, "unit": unit, "url": url},
        headers=ctl.auth(Role.technician),
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def history(ctl, cam_id: str, **params: str):
    return await ctl.client.get(
        f"/api/v1/cameras/{cam_id}/health/history", params=params, headers=ctl.auth(Role.ioc_viewer)
    )


async def wait_points(ctl, cam_id: str, predicate, limit_s: float = 30) -> list[dict]:
    points: list[dict] = []
    for _ in range(int(limit_s / 0.2)):
        points = (await history(ctl, cam_id)).json()["points"]
        if predicate(points):
            return points
        await asyncio.sleep(0.2)
    raise AssertionError(f"history never matched: {[(p['state'], p['fps'], p['luma']) for p in points]}")


def settled(points: list[dict]) -> list[dict]:
    """Online samples; every one reads the sim's 15 fps, the first after a fresh pull too
    (the simulator sends ~2 s of buffered frames at once on open: rates use the stream's clock)."""
    online = [p for p in points if p["state"] == "online"]
    assert all(12 <= p["fps"] <= 18 for p in online), [p["fps"] for p in online]
    return online


def states_in_order(points: list[dict]) -> list[str]:
    """The states the camera went through, each run of equal samples once."""
    out: list[str] = []
    for p in points:
        if not out or out[-1] != p["state"]:
            out.append(p["state"])
    return out


def went_online_degraded_online(points: list[dict]) -> bool:
    seq = states_in_order(points)
    return any(seq[i : i + 3] == ["online", "degraded", "online"] for i in range(len(seq)))


@pytest.mark.parametrize("controller_settings", [SAMPLING])
async def test_history_follows_real_samples_through_a_fault(controller):
    with CameraSimProcess(1, fps=15, key_int=8) as cams:
        cam_id = await add_camera(controller, "Một cửa", "DEMO-H01-X01", cams.urls["1"])
        points = await wait_points(controller, cam_id, lambda ps: len(settled(ps)) >= 3)
        assert all(p["width"] == 640 and p["height"] == 360 for p in points if p["state"] == "online")
        assert all(0.3 <= p["keyframe_interval_s"] <= 0.8 and p["bitrate_kbps"] > 0 for p in settled(points))

        await camera_control(cams.control_file, {"op": "fault", "camera": "1", "fault": "black"})
        await wait_points(controller, cam_id, lambda ps: ps[-1]["state"] == "degraded")
        await camera_control(cams.control_file, {"op": "fault", "camera": "1", "fault": "clear"})
        points = await wait_points(controller, cam_id, went_online_degraded_online)

        assert [p["at"] for p in points] == sorted(p["at"] for p in points)
        assert len(settled(points)) >= 3
        degraded = [p for p in points if p["state"] == "degraded"]
        assert any(p["luma"] < 20 for p in degraded), degraded  # the black picture itself
        assert all(p["luma"] > 20 for p in points if p["state"] == "online")

        # A real prune: the raw retention has passed for every sample written so far. (A sample
        # timed just before `before` may commit just after the prune: hence the second of slack.)
        before = utcnow()
        horizon = timedelta(hours=controller.settings.health_raw_retention_h + 1)
        await controller.state.retention.run_once(now=before + horizon)
        after = (await history(controller, cam_id)).json()["points"]
        assert all(datetime.fromisoformat(p["at"]) >= before - timedelta(seconds=1) for p in after), after


@pytest.mark.usefixtures("backend")  # the pruning SQL, on SQLite and PostgreSQL
async def test_samples_past_the_raw_retention_are_pruned(controller):
    cam_id = uuid.UUID(await add_camera(controller, "Cổng", "DEMO-H01-X01", "rtsp://10.0.0.1/s"))
    now = utcnow()
    keep_h = controller.settings.health_raw_retention_h
    async with controller.state.db.transaction() as session:
        for hours in (keep_h + 1, keep_h - 1, 1):
            session.add(
                CameraSample(camera_id=cam_id, at=now - timedelta(hours=hours), state="online", fps=15)
            )
    await controller.state.retention.run_once(now=now)
    async with controller.state.db.transaction() as session:
        left = sorted(await session.scalars(select(CameraSample.at).where(CameraSample.camera_id == cam_id)))
    assert left == [now - timedelta(hours=keep_h - 1), now - timedelta(hours=1)]
    r = await history(controller, str(cam_id), since=(now - timedelta(days=3)).isoformat())
    assert len(r.json()["points"]) == 2
    # The camera goes, its samples with it.
    await controller.client.delete(f"/api/v1/cameras/{cam_id}", headers=controller.auth(Role.admin))
    async with controller.state.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(CameraSample)) == 0


@pytest.mark.usefixtures("backend")  # window functions: on SQLite and PostgreSQL
async def test_a_long_range_is_thinned_but_keeps_every_state_change(controller):
    cam_id = uuid.UUID(await add_camera(controller, "Sảnh", "DEMO-H02-X01", "rtsp://10.0.0.2/s"))
    n = 3 * MAX_HISTORY_POINTS + 7
    start = utcnow() - timedelta(hours=2)
    blips = {1001: "degraded", 1002: "degraded", 4000: "offline"}  # not on the even grid
    async with controller.state.db.transaction() as session:
        session.add_all(
            CameraSample(
                camera_id=cam_id, at=start + timedelta(seconds=i), state=blips.get(i, "online"), fps=float(i)
            )
            for i in range(n)
        )
    r = await history(controller, str(cam_id), since=(start - timedelta(minutes=1)).isoformat())
    assert r.status_code == 200
    points = r.json()["points"]
    assert MAX_HISTORY_POINTS // 2 < len(points) <= MAX_HISTORY_POINTS
    kept = [int(p["fps"]) for p in points]
    assert kept == sorted(kept) and kept[0] == 0 and kept[-1] == n - 1
    assert {1001, 1003, 4000, 4001} <= set(kept)  # each sample whose state differs from the one before
    assert states_in_order(points) == ["online", "degraded", "online", "offline", "online"]
    assert max(b - a for a, b in zip(kept, kept[1:], strict=False)) <= 4  # evenly spread otherwise

    # A camera flapping at every sample: the changes alone are too many, so they are thinned too.
    flapper = uuid.UUID(await add_camera(controller, "Cửa sau", "DEMO-H02-X01", "rtsp://10.0.0.3/s"))
    async with controller.state.db.transaction() as session:
        session.add_all(
            CameraSample(
                camera_id=flapper,
                at=start + timedelta(seconds=i),
                state=("online", "offline")[i % 2],
                fps=float(i),
            )
            for i in range(n)
        )
    r = await history(controller, str(flapper), since=(start - timedelta(minutes=1)).isoformat())
    kept = [int(p["fps"]) for p in r.json()["points"]]
    assert len(kept) == MAX_HISTORY_POINTS and kept[0] == 0 and kept[-1] == n - 1
    assert max(b - a for a, b in zip(kept, kept[1:], strict=False)) <= 4


async def test_history_validation(controller):
    cam_id = await add_camera(controller, "Cổng", "DEMO-H01-X01", "rtsp://10.0.0.1/s")
    for params in (
        {"since": "2026-11-24T08:00:00"},
        {"until": "2026-11-24T08:00:00"},
        {"since": "2026-11-24T08:00:00+07:00", "until": "2026-11-24T08:00:00+07:00"},
        {"since": "2026-11-24T09:00:00+07:00", "until": "2026-11-24T08:00:00+07:00"},
        {"since": "0001-01-01T00:00:00+07:00"},
        {"until": "0001-01-01T01:00:00Z"},
    ):
        r = await history(controller, cam_id, **params)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["type"] == "urn:diemcau:problem:invalid-input"
    r = await history(controller, cam_id, since="2026-11-24T08:00:00")
    assert "time zone" in r.json()["detail"]
    r = await history(controller, str(uuid.uuid4()))
    assert r.status_code == 404 and r.json()["type"] == "urn:diemcau:problem:not-found"
    r = await history(controller, cam_id)
    assert r.status_code == 200 and r.json() == {"resolution": "raw", "points": []}


async def test_summary_counts_cameras_per_subtree(controller):
    placed = {
        "a": ("DEMO-H01-X01", "online"),
        "b": ("DEMO-H01-X01", "degraded"),
        "c": ("DEMO-H01-X02", "online"),
        "d": ("DEMO-H02-X01", "offline"),
        "e": ("DEMO-H02", "unknown"),
    }
    for i, (name, (unit, state)) in enumerate(placed.items()):
        cam_id = await add_camera(controller, name, unit, f"rtsp://10.0.1.{i}/s")
        async with controller.state.db.transaction() as session:
            await session.execute(update(Camera).where(Camera.id == uuid.UUID(cam_id)).values(state=state))

    r = await controller.client.get("/api/v1/health/summary", headers=controller.auth(Role.ioc_viewer))
    units = {u["unit"]: u for u in r.json()["units"]}
    expected = {
        "TW": {"online": 2, "degraded": 1, "offline": 1, "unknown": 1},
        "DEMO": {"online": 2, "degraded": 1, "offline": 1, "unknown": 1},
        "DEMO-H01": {"online": 2, "degraded": 1},
        "DEMO-H01-X01": {"online": 1, "degraded": 1},
        "DEMO-H01-X02": {"online": 1},
        "DEMO-H01-X03": {},
        "DEMO-H02": {"offline": 1, "unknown": 1},
        "DEMO-H02-X01": {"offline": 1},
        "DEMO-H03": {},
    }
    for code, cameras in expected.items():
        assert units[code]["cameras"] == cameras, code
        assert units[code]["cameras_total"] == sum(cameras.values()), code
    # The endpoint keys are still there, and still about endpoints only (none registered here).
    assert set(units["DEMO"]) >= {"unit", "name", "level", "parent", "id", "counts", "total"}
    assert units["DEMO"]["counts"] == {} and units["DEMO"]["total"] == 0

    r = await controller.client.get(
        "/api/v1/health/summary", params={"unit": "DEMO-H02"}, headers=controller.auth(Role.host)
    )
    sub = {u["unit"]: (u["cameras"], u["cameras_total"]) for u in r.json()["units"]}
    assert sub == {
        "DEMO-H02": ({"offline": 1, "unknown": 1}, 2),
        "DEMO-H02-X01": ({"offline": 1}, 1),
        "DEMO-H02-X02": ({}, 0),
        "DEMO-H02-X03": ({}, 0),
    }

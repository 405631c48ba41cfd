"""The `diemcau` command line, run as a user would (a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from tests.support.devices import stored


def run(env, *args, input=None, ok=True):
    proc = subprocess.run(
        [sys.executable, "-m", "controller", *args],
        env=env,
        capture_output=True,
        text=True,
        input=input,
        timeout=120,
    )
    if ok:
        assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc


def test_operator_workflow(tmp_path):
    env = dict(
        os.environ,
        DIEMCAU_DATA_DIR=str(tmp_path),
        DIEMCAU_SECRET_KEY=Fernet.generate_key().decode(),
        DIEMCAU_DEVICE_ALLOW_LOOPBACK="true",  # the CSV rows name simulated devices on loopback
        COLUMNS="200",
        PW="a-long-admin-pass",
    )
    assert "endpoints" in run(env, "db", "upgrade").stdout
    assert (
        "created with role admin"
        in run(env, "users", "add", "root", "--role", "admin", "--password-env", "PW").stdout
    )
    dup = run(env, "users", "add", "root", "--role", "admin", "--password-env", "PW", ok=False)
    assert dup.returncode == 1 and "already exists" in dup.stderr and "Traceback" not in dup.stderr
    assert "221 unit(s) created" in run(env, "units", "demo-tree").stdout  # 1 + 1 + 10 + 209
    out = run(env, "units", "import", "--province", "Huế").stdout
    assert "Huế" in out and "created" in out

    csv_path = tmp_path / "fleet.csv"
    csv_path.write_text(
        "name,unit,host,port,username,password,profile\n"
        "Xã 1.01 VC,DEMO-H01-X01,127.0.0.1,2201,admin,pw1,cisco-roomos\n"
        "Xã 1.02 VC,DEMO-H01-X02,127.0.0.1,2202,admin,pw2,poly-group\n"
        "Bad,DEMO-H01-X03,127.0.0.1,0,admin,pw3,poly-group\n",
        encoding="utf-8",
    )
    bad = run(env, "endpoints", "import", str(csv_path), ok=False)
    assert bad.returncode == 1 and "line 4: port:" in bad.stderr
    good = run(env, "endpoints", "import", str(csv_path), "--valid-only")
    assert "2 of 3 row(s) imported" in good.stdout and "line 4: port" in good.stderr
    listed = json.loads(run(env, "endpoints", "list", "--unit", "DEMO-H01", "--json").stdout)
    assert sorted(e["name"] for e in listed) == ["Xã 1.01 VC", "Xã 1.02 VC"]
    assert all("password" not in e for e in listed)
    assert "pw1" not in run(env, "endpoints", "list").stdout
    ep_id = listed[0]["id"]
    env["NEWPW"] = "rotated-pw-1"
    out = run(env, "endpoints", "update", ep_id, "--name", "Hội trường xã", "--password-env", "NEWPW")
    assert "name, password" in out.stdout
    shown = json.loads(run(env, "endpoints", "show", ep_id).stdout)
    assert shown["name"] == "Hội trường xã" and "rotated-pw-1" not in json.dumps(shown)
    bad = run(env, "endpoints", "update", ep_id, "--host", "no such host!", ok=False)
    assert bad.returncode == 1 and "host" in bad.stderr and "Traceback" not in bad.stderr
    assert "deleted" in run(env, "endpoints", "delete", ep_id).stdout
    gone = run(env, "endpoints", "show", ep_id, ok=False)
    assert gone.returncode == 1 and "does not exist" in gone.stderr


async def test_provision_from_the_shell(tmp_path):
    """`diemcau provision` against a live simulated fleet: plan table, then apply, then nothing to do."""
    import asyncio

    from endpoints.sim import Fleet

    env = dict(
        os.environ,
        DIEMCAU_DATA_DIR=str(tmp_path),
        DIEMCAU_SECRET_KEY=Fernet.generate_key().decode(),
        DIEMCAU_DEVICE_ALLOW_LOOPBACK="true",  # the CSV rows name simulated devices on loopback
        COLUMNS="250",
    )

    def sh(*args, ok=True):
        return run(env, *args, ok=ok)

    async with Fleet(3, units=["DEMO-H01-X01", "DEMO-H02-X01", "DEMO"], latency_ms=0) as fleet:
        inventory = fleet.write_inventory(tmp_path / "fleet.csv")
        await asyncio.to_thread(sh, "units", "demo-tree")
        await asyncio.to_thread(sh, "endpoints", "import", str(inventory))
        await asyncio.to_thread(sh, "standards", "set", "ntp_server", "ntp.tinh.example")  # RoomOS only
        await asyncio.to_thread(sh, "standards", "set", "sip_proxy", "vcs.tinh.example")  # every family
        await asyncio.to_thread(sh, "standards", "set", "display_name", "ĐC {name}", "--unit", "DEMO-H01")
        listed = (await asyncio.to_thread(sh, "standards", "list")).stdout
        assert "ntp.tinh.example" in listed and "DEMO-H01" in listed
        bad = await asyncio.to_thread(sh, "standards", "set", "nope", "x", ok=False)
        assert bad.returncode == 1 and "settable keys" in bad.stderr

        plan = (await asyncio.to_thread(sh, "provision", "--unit", "TW", "--plan")).stdout
        assert "planned changes" in plan and "ntp.tinh.example" in plan and "planned: 3" in plan
        assert sum(s["config_writes"] for s in fleet.stats().values()) == 0
        applied = (await asyncio.to_thread(sh, "provision", "--unit", "TW", "--apply")).stdout
        assert "applied: 3" in applied
        h01 = next(n for n in (e.state.name for e in fleet.endpoints) if n.startswith("DEMO-H01"))
        assert stored(fleet[h01], "display_name") == f"ĐC {h01}"
        again = (await asyncio.to_thread(sh, "provision", "--unit", "TW", "--apply")).stdout
        assert "unchanged: 3" in again
        jobs = (await asyncio.to_thread(sh, "jobs", "list")).stdout
        assert jobs.count("provision") == 3


@pytest.mark.slow  # 26 s of CLI start-ups; the same job runs through the API in test_camera_provisioning.py
async def test_camera_provisioning_from_the_shell(tmp_path):
    """`diemcau cameras import`, camera standard keys and `diemcau provision-cameras` on a simulated camera."""
    import asyncio

    from camera.sim.process import CameraSimProcess

    env = dict(
        os.environ,
        DIEMCAU_DATA_DIR=str(tmp_path),
        DIEMCAU_SECRET_KEY=Fernet.generate_key().decode(),
        DIEMCAU_DEVICE_ALLOW_LOOPBACK="true",  # the CSV rows name simulated devices on loopback
        COLUMNS="250",
    )

    def sh(*args, ok=True):
        return run(env, *args, ok=ok)

    with CameraSimProcess(1, onvif=True, onvif_password="cli-s3cret") as cams:
        csv_path = tmp_path / "cameras.csv"
        csv_path.write_text(
            "name,unit,url,username,password,onvif_url\n"
            f"Một cửa 1,DEMO-H01-X01,{cams.urls['1']},admin,cli-s3cret,{cams.onvif['1']}\n",
            encoding="utf-8",
        )
        await asyncio.to_thread(sh, "units", "demo-tree")
        assert (
            "1 of 1 row(s) imported"
            in (await asyncio.to_thread(sh, "cameras", "import", str(csv_path))).stdout
        )
        bad = await asyncio.to_thread(sh, "standards", "set", "camera_fps", "fast", ok=False)
        assert bad.returncode == 1 and "camera_fps must be a whole number" in bad.stderr
        await asyncio.to_thread(sh, "standards", "set", "camera_bitrate_kbps", "512")
        plan = (await asyncio.to_thread(sh, "provision-cameras", "--unit", "DEMO-H01", "--plan")).stdout
        assert "planned changes" in plan and "bitrate_kbps" in plan and "planned: 1" in plan
        applied = (await asyncio.to_thread(sh, "provision-cameras", "--unit", "DEMO-H01", "--apply")).stdout
        assert "applied: 1" in applied and "verified" in applied, applied
        again = (await asyncio.to_thread(sh, "provision-cameras", "--unit", "DEMO-H01", "--apply")).stdout
        assert "unchanged: 1" in again

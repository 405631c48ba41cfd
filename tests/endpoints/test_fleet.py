"""The fleet, its inventory CSV, the control API and the CLI."""

from __future__ import annotations

import asyncio
import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from endpoints import EndpointDriver, default_profiles_dir, load_profiles, open_session
from endpoints.sim import INVENTORY_HEADER, ControlServer, Fleet, control_request


async def test_inventory_csv_with_20_endpoints(tmp_path: Path) -> None:
    units = ["79", "26734", "26737"]
    async with Fleet(20, units=units, latency_ms=5) as fleet:
        path = fleet.write_inventory(tmp_path / "fleet.csv")
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            assert reader.fieldnames == INVENTORY_HEADER
            rows = list(reader)
        assert len(rows) == 20
        assert len({r["port"] for r in rows}) == 20
        assert [r["unit"] for r in rows[:4]] == ["79", "26734", "26737", "79"]
        assert {r["profile"] for r in rows} == {"cisco-roomos", "poly-group"}
        profiles = load_profiles(default_profiles_dir())
        for row in (rows[0], rows[1], rows[-1]):  # a row is enough to log in, key pinned
            session = await open_session(
                row["host"],
                int(row["port"]),
                row["username"],
                row["password"],
                profiles[row["profile"]],
                known_host_key=row["host_key"],
                connect_timeout=2,
            )
            async with session:
                assert (await EndpointDriver(session).identify()).model


async def test_control_api_lists_and_injects(tmp_path: Path) -> None:
    async with Fleet(3) as fleet:
        control = ControlServer(fleet)
        cf = tmp_path / "control.json"
        await control.start(cf)
        try:
            listing = await control_request(cf, {"op": "list"})
            assert [e["name"] for e in listing["endpoints"]] == [
                "DEMO-vc001",
                "DEMO-vc002",
                "DEMO-vc003",
            ]
            reply = await control_request(cf, {"op": "fault", "endpoint": "DEMO-vc002", "fault": "stall"})
            assert reply["ok"] and reply["endpoint"]["faults"] == ["stall"]
            assert fleet["DEMO-vc002"].state.faults.stall
            await control_request(cf, {"op": "fault", "endpoint": "DEMO-vc002", "fault": "clear"})
            assert not fleet["DEMO-vc002"].state.faults.stall
            bad = await control_request(cf, {"op": "fault", "endpoint": "nope", "fault": "stall"})
            assert bad["ok"] is False
        finally:
            await control.stop()


def test_cli_starts_fleet_and_faults(tmp_path: Path) -> None:
    inv, cf, units = tmp_path / "fleet.csv", tmp_path / "control.json", tmp_path / "units.txt"
    units.write_text("79\n26734\n", encoding="utf-8")
    cmd = [
        sys.executable,
        "-m",
        "endpoints.sim.cli",
        "endpoints",
        "--count",
        "6",
        "--latency-ms",
        "1",
        "--inventory",
        str(inv),
        "--units",
        str(units),
        "--control-file",
        str(cf),
        "--password",
        "pw-test",
        "--download-s",
        "0.5",
        "--time-scale",
        "0.01",
        "--rekey-on-upgrade",
        "--ring-delay-ms",
        "5",
        "--answer-delay-ms",
        "7",
        "--dial-fail-pct",
        "1.5",
        "--bridge-ports",
        "3",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("ready: 6 endpoints"), line + proc.stderr.read()
        rows = list(csv.DictReader(inv.open()))
        assert {r["unit"] for r in rows} == {"79", "26734"} and rows[0]["password"] == "pw-test"
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "endpoints.sim.cli",
                "fault",
                "--control-file",
                str(cf),
                "--endpoint",
                rows[0]["name"],
                "--fault",
                "slow",
                "--delay-ms",
                "50",
            ],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
        assert json.loads(out)["endpoint"]["faults"] == ["slow:50ms"]

        def sim(*args: str) -> dict:
            run = [sys.executable, "-m", "endpoints.sim.cli", *args, "--control-file", str(cf)]
            done = subprocess.run(run, capture_output=True, text=True, timeout=20, check=True)
            return json.loads(done.stdout)

        ep = sim("set", "--endpoint", rows[1]["name"], "--camera", "off", "--loss", "4", "--call", "sip:x@y")
        ep = ep["endpoint"]
        assert (ep["camera_connected"], ep["packet_loss_pct"], ep["remote"]) == (False, 4.0, "sip:x@y")
        assert sim("set", "--endpoint", rows[1]["name"], "--call", "none")["endpoint"]["in_call"] is False
        names = [rows[2]["name"], rows[3]["name"]]
        reply = sim("fault", "--endpoint", names[0], "--endpoint", names[1], "--fault", "flaky", "--pct", "5")
        assert reply["endpoints"] == names
        listing = asyncio.run(control_request(cf, {"op": "list"}))["endpoints"]
        assert [e["faults"] for e in listing[2:4]] == [["flaky:5%/3000ms"]] * 2
        assert len(sim("fault", "--all", "--fault", "clear")["endpoints"]) == 6
        options = asyncio.run(control_request(cf, {"op": "configure", "endpoint": rows[0]["name"]}))[
            "endpoint"
        ]
        assert options["download_s"] == 0.5 and options["rekey_on_upgrade"] is True
        assert options["reboot_s"] == pytest.approx(9.0)  # cisco-roomos: 900 s * 0.01
        assert (options["ring_delay_ms"], options["answer_delay_ms"], options["dial_fail_pct"]) == (5, 7, 1.5)
        assert sim("bridge")["bridge"]["ports"] == 3
        assert sim("bridge", "--ports", "5")["bridge"]["ports"] == 5
        assert sim("drop-calls", "--pct", "50")["dropped"] == []  # nobody in a call
        stats = asyncio.run(control_request(cf, {"op": "stats"}))["stats"]
        assert len(stats) == 6 and stats[rows[0]["name"]]["connections"] == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    assert proc.returncode == 0


@pytest.mark.slow
async def test_250_endpoints_start_in_a_few_seconds(tmp_path: Path) -> None:
    started = time.monotonic()
    async with Fleet(250, latency_ms=20) as fleet:
        elapsed = time.monotonic() - started
        fleet.write_inventory(tmp_path / "fleet.csv")
    assert elapsed < 5, elapsed

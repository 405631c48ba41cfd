"""`diemcau bench import`: register N endpoints from a CSV through the API.

Compared in the same run with the naive way, one POST per endpoint, against the
same controller process; RSS is the controller's own, read after it settles.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import asyncssh
import httpx
import psutil

from controller.bench.harness import ControllerProcess

COMMUNES = [f"DEMO-H{d:02d}-X{c:02d}" for d in range(1, 10) for c in range(1, 21)]


def make_csv(rows: int, round_: int, keys: list[str]) -> str:
    lines = ["name,unit,host,port,username,password,profile,host_key"]
    for i in range(rows):
        profile = "cisco-roomos" if i % 2 else "poly-group"
        port = 10000 + round_ * 1000 + i
        lines.append(
            f"Điểm cầu {round_}-{i:03d},{COMMUNES[i % len(COMMUNES)]},127.0.0.1,{port},"
            f"admin,pw-{round_}-{i},{profile},{keys[i % len(keys)]}"
        )
    return "\n".join(lines) + "\n"


def run(rows: int = 250, repeats: int = 3) -> dict[str, Any]:
    keys = [
        asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
        for _ in range(min(rows, 50))
    ]
    with ControllerProcess() as ctl:
        ctl.cli("units", "demo-tree")
        headers = {"Authorization": f"Bearer {ctl.token()}"}
        assert ctl.proc is not None  # started on entering
        proc = psutil.Process(ctl.proc.pid)
        rss_start = proc.memory_info().rss
        with httpx.Client(base_url=ctl.url, headers=headers, timeout=120) as client:
            bulk = []
            for r in range(repeats):
                body = make_csv(rows, r, keys).encode()
                t0 = time.perf_counter()
                resp = client.post(
                    "/api/v1/endpoints/import", files={"file": ("fleet.csv", body, "text/csv")}
                )
                bulk.append(time.perf_counter() - t0)
                resp.raise_for_status()
                assert resp.json()["imported"] == rows, resp.text
                if r == 0:  # idle RSS with exactly `rows` endpoints registered
                    time.sleep(2)
                    registered = client.get("/api/v1/endpoints", params={"limit": 1}).json()["total"]
                    rss_idle = proc.memory_info().rss

            # The naive way: one request per endpoint, as a script looping over the sheet would.
            naive_round = repeats
            text = make_csv(rows, naive_round, keys).splitlines()[1:]
            t0 = time.perf_counter()
            for line in text:
                name, unit, host, port, user, pw, profile, key = line.split(",")
                resp = client.post(
                    "/api/v1/endpoints",
                    json={
                        "name": name,
                        "unit": unit,
                        "host": host,
                        "port": int(port),
                        "username": user,
                        "password": pw,
                        "profile": profile,
                        "host_key": key,
                    },
                )
                resp.raise_for_status()
            naive = time.perf_counter() - t0
        cpu = proc.cpu_times()
    median = statistics.median(bulk)
    return {
        "bench": "import",
        "rows": rows,
        "import_s": round(median, 4),
        "import_s_runs": [round(x, 4) for x in bulk],
        "baseline_one_post_per_row_s": round(naive, 4),
        "speedup_vs_baseline": round(naive / median, 1),
        "endpoints_registered_at_rss": registered,
        "rss_idle_mib": round(rss_idle / 2**20, 1),
        "rss_start_mib": round(rss_start / 2**20, 1),
        "controller_cpu_s_total": round(cpu.user + cpu.system, 2),
        "database": "sqlite (embedded default)",
    }

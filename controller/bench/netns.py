"""Run a command in a network namespace of its own: lo up and a veth pair 10.77.0.1 <-> 10.77.0.2.

WebRTC (aiortc's ICE, Chromium) skips loopback and would otherwise use the
machine's real interface; inside this namespace there is nothing else to
use, so no packet of a WebRTC test can leave the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

SERVER_IP, CLIENT_IP = "10.77.0.1", "10.77.0.2"
REPO = Path(__file__).resolve().parents[2]  # the checkout: modules run with it on the path
SETUP = (
    "set -e; ip link set lo up; "
    "ip link add dc0 type veth peer name dc1; "
    f"ip addr add {SERVER_IP}/24 dev dc0; ip addr add {CLIENT_IP}/24 dev dc1; "
    "ip link set dc0 up; ip link set dc1 up; "
    'exec "$@"'
)


def in_netns(argv: list[str]) -> list[str]:
    return ["unshare", "--net", "--", "bash", "-c", SETUP, "netns", *argv]


def run_python_module(
    module: str, *args: str, timeout: float = 120, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run ``python -m module`` in a fresh namespace (``env`` added to this process's
    environment); its last stdout line is JSON."""
    proc = subprocess.run(
        in_netns([sys.executable, "-m", module, *args]),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ | (env or {}) | {"PYTHONPATH": str(REPO)},
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise AssertionError(
            f"{module} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    result: dict[str, Any] = json.loads(lines[-1])
    return result

"""A controller in its own process, for benchmarks and multi-process tests.

Measuring in a separate process is the point: RSS and CPU figures then belong
to the controller alone, not to the load generator or the simulator.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography.fernet import Fernet


def pin(pid: int, cpus: set[int]) -> None:
    """Every thread of ``pid`` onto ``cpus``; threads it starts later inherit the set."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            os.sched_setaffinity(int(task.name), cpus)
        except (ProcessLookupError, PermissionError):
            pass  # a thread that ended meanwhile


def split_cpus() -> tuple[set[int], set[int]]:
    """(the controller's cores, everyone else's): the simulated devices and the load generator
    stand in for machines across the province, and on a shared machine they would take the
    controller's core in bursts (50 camera encoders start a keyframe together) and put their
    own scheduling delays into its latency figures. One core machine: shared."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return set(cpus), set(cpus)
    half = len(cpus) // 2
    return set(cpus[:half]), set(cpus[half:])


def _ephemeral_floor() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A free loopback port for a server started a moment later, taken below the kernel's
    ephemeral range: a port the kernel hands out for ``bind(0)`` is free again once probed,
    and a simulated fleet binding 250 listeners in between could take it (seen: the
    controller's "address already in use" on a fresh machine). Below the range, only
    another explicit choice can collide, and the probe sees a port that is in use."""
    rng = secrets.SystemRandom()
    floor = _ephemeral_floor()
    for _ in range(200):
        port = rng.randrange(max(floor - 12000, 1024), floor)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        chosen: int = s.getsockname()[1]
        return chosen


@dataclass
class ControllerProcess:
    """`diemcau serve` on a random loopback port with a fresh data dir and an admin."""

    data_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="diemcau-bench-")))
    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    settings: dict[str, str] = field(default_factory=dict)  # extra DIEMCAU_* variables
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DIEMCAU_DATA_DIR=str(self.data_dir),
            DIEMCAU_SECRET_KEY=env.get("DIEMCAU_SECRET_KEY") or self._key(),
            DIEMCAU_ADMIN_PASSWORD=self.admin_password,
            DIEMCAU_DEVICE_ALLOW_LOOPBACK="true",  # benchmarks' simulated devices listen on loopback
        )
        env.update(self.settings)
        return env

    def _key(self) -> str:
        key_file = self.data_dir / "bench.key"
        if not key_file.exists():
            key_file.write_text(Fernet.generate_key().decode())
        return key_file.read_text()

    def cli(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "controller", *args],
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> None:
        self.cli("users", "add", "admin", "--role", "admin", "--password-env", "DIEMCAU_ADMIN_PASSWORD")
        self.serve()

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the power goes."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def serve(self) -> None:
        """Start the server on the existing data dir (after ``start``, or again after ``kill``)."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "controller", "serve", "--host", self.host, "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("controller did not start")

    def token(self) -> str:
        r = httpx.post(
            f"{self.url}/api/v1/auth/token",
            data={"username": "admin", "password": self.admin_password},
        )
        r.raise_for_status()
        token: str = r.json()["access_token"]
        return token

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def __enter__(self) -> ControllerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""Real servers the tests start (PostgreSQL, slapd, the OIDC provider): waiting until one
listens, and stopping it whatever state it is in."""

from __future__ import annotations

import socket
import subprocess
import time


def wait_listening(proc: subprocess.Popen, port: int, what: str, seconds: float = 30) -> None:
    """Return once ``proc`` accepts connections on loopback ``port``; RuntimeError if it exits
    or does not listen within ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.05)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()

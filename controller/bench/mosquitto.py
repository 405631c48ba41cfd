"""A real mosquitto broker for tests and benchmarks: password auth, persistence, a random loopback port.

Persistence is on, as a province would run it: a subscriber's persistent
session (clean_session false, QoS 1) keeps its queued messages across a
broker restart, which is what lets a test prove nothing is lost.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from controller.bench.harness import free_port

USER, PASSWORD = "ioc", "mqtt-s3cret"


class MosquittoBroker:
    def __init__(self) -> None:
        if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
            raise RuntimeError("mosquitto is not installed: run `make setup`")
        self.dir = Path(tempfile.mkdtemp(prefix="diemcau-mqtt-"))
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        subprocess.run(
            ["mosquitto_passwd", "-c", "-b", str(self.dir / "passwd"), USER, PASSWORD],
            check=True,
            capture_output=True,
        )
        (self.dir / "mosquitto.conf").write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous false\n"
            f"password_file {self.dir / 'passwd'}\n"
            "persistence true\n"
            f"persistence_location {self.dir}/\n"
            "user root\n"  # as root it would switch to `mosquitto`, which cannot read the temp dir
            f"log_dest file {self.dir / 'mosquitto.log'}\n"
        )

    @property
    def url(self) -> str:
        return f"mqtt://{USER}@127.0.0.1:{self.port}/diemcau"

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = subprocess.Popen(
            [binary, "-c", str(self.dir / "mosquitto.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                assert self.proc.stderr is not None  # a pipe, asked for above
                raise RuntimeError(f"mosquitto exited: {self.proc.stderr.read().decode()[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start listening")

    def stop(self) -> None:
        """SIGTERM: mosquitto saves its persistent sessions and retained messages, then exits."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def __enter__(self) -> MosquittoBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

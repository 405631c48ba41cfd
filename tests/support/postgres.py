"""A real PostgreSQL server for the tests: initdb in a temp dir, random loopback port.

PostgreSQL refuses to run as root, so as root the server runs as the
unprivileged user `make setup` creates (``diemcau-pg``).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from controller.bench.harness import free_port
from tests.support.servers import stop, wait_listening

PG_USER = "diemcau-pg"


def _bindir() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run `make setup`")
    return os.path.dirname(found[-1])


def _as_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", PG_USER, "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield an admin DSN (postgresql://...) of a fresh server; stop and wipe it after."""
    bindir = _bindir()
    base = tempfile.mkdtemp(prefix="diemcau-pg-")
    os.chmod(base, 0o755)
    data = os.path.join(base, "data")
    if os.geteuid() == 0:
        shutil.chown(base, PG_USER, PG_USER)
    port = free_port()
    subprocess.run(
        _as_user(
            [
                f"{bindir}/initdb",
                "-D",
                data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",  # as a province's server would: lower() folds Vietnamese
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    proc = subprocess.Popen(
        _as_user(
            [
                f"{bindir}/postgres",
                "-D",
                data,
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-k",
                base,
                "-c",
                "fsync=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "synchronous_commit=off",
            ]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_listening(proc, port, "PostgreSQL")
        time.sleep(0.3)
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        stop(proc)
        shutil.rmtree(base, ignore_errors=True)


_shared: list = []


def shared_server() -> str:
    """One server per test process, started on first use and stopped at exit.

    Both the `pg_admin_dsn` fixture and modules that need a DSN at import time
    (schemathesis builds its schema at import) use it, so only one server starts.
    """
    if not _shared:
        import atexit

        ctx = postgres_server()
        dsn = ctx.__enter__()
        atexit.register(ctx.__exit__, None, None, None)
        _shared.append(dsn)
    return _shared[0]

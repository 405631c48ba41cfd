"""What a long-running server process sets for itself, and a test process must not.

Both settings here came from `diemcau bench api` (250 endpoints polled, 50 cameras pulled, 200
status requests a second): each removed a cost the event loop or the resident memory paid for
the way CPython and glibc behave by default, not for anything the controller does.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

log = logging.getLogger("diemcau")

__all__ = ["freeze_startup_heap", "limit_malloc_arenas"]

_M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)
ARENAS = 2


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """At most ``arenas`` malloc arenas, as ``MALLOC_ARENA_MAX`` would set at exec.

    glibc gives threads their own arenas (up to eight per core) and returns little of a freed
    arena to the system; the camera pulls, the thread pool and the SQLite workers each touched
    one, and the resident size grew by about 20 MB for nothing (bench api: 278 → 256 MB). Call
    before the threads start; `diemcau serve` skips it when ``MALLOC_ARENA_MAX`` is set (the
    operator's choice stands). False where the C library is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = libc.mallopt if libc is not None else None
    except (OSError, AttributeError):
        return False
    return bool(mallopt is not None and mallopt(_M_ARENA_MAX, arenas) == 1)


def freeze_startup_heap() -> None:
    """Take what lives from start to exit out of the collector's full passes.

    About 300,000 tracked objects (modules, the ORM's and FastAPI's models, the live view's
    first read) outlive every request, and each full collection walked them all on the event
    loop: 0.2 to 0.4 s under the bench's load, during which every request waited (the p99 of
    the status routes was those pauses). Frozen (``gc.freeze``), they are skipped; what the
    service allocates later is still collected. Only for a server process: a process that
    builds many apps (the tests) would keep each one's cycles for ever."""
    gc.collect()
    gc.freeze()
    log.info("startup heap frozen: %d objects outside the collector's passes", gc.get_freeze_count())

"""A server process tunes itself (`controller.process_tuning`): its startup heap leaves the
collector's full passes once started, and glibc keeps few malloc arenas. An app that is not
serving leaves the heap alone: the tests build hundreds of apps in one process, and frozen
objects are never collected."""

from __future__ import annotations

import gc

from cryptography.fernet import Fernet

from controller import process_tuning
from controller.app import create_app
from controller.settings import Settings


async def test_only_a_serving_app_freezes_its_startup_heap(tmp_path) -> None:
    gc.unfreeze()
    try:
        for serving in (False, True):
            settings = Settings(
                data_dir=tmp_path / str(serving),
                secret_key=Fernet.generate_key().decode(),
                monitor_enabled=False,
            )
            app = create_app(settings, serving=serving)
            async with app.router.lifespan_context(app):
                frozen = gc.get_freeze_count()
                if serving:  # frozen after the start: the picture was read by then
                    assert app.state.diemcau.live.view.loaded
                    assert frozen > 10_000
                else:
                    assert frozen == 0
            gc.unfreeze()
    finally:
        gc.unfreeze()


def test_malloc_arenas_are_limited_on_glibc() -> None:
    """glibc's mallopt says 1 when it took the setting (0 for a parameter it does not know)."""
    assert process_tuning.limit_malloc_arenas() is True
    assert process_tuning._M_ARENA_MAX == -8  # malloc.h: M_ARENA_MAX

"""`diemcau` command line: the same operations as the API, for the server's operator.

CLI commands work on the database directly (like a `manage.py`), acting as
``cli:<os user>`` with the admin role; every mutation is audited as such. This module
builds the command tree; the commands live by subject beside it.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from controller import logs
from controller.cli.common import console, run
from controller.cli.registry import cam_app, ep_app, units_app, users_app
from controller.settings import Settings

__all__ = ["app", "main"]

app = typer.Typer(help="diemcau: điểm cầu controller", no_args_is_help=True)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(units_app, name="units")
app.add_typer(ep_app, name="endpoints")
app.add_typer(cam_app, name="cameras")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Run the controller (API and console)."""
    import uvicorn

    from controller import process_tuning
    from controller.app import create_app

    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)
    if "MALLOC_ARENA_MAX" not in os.environ:
        process_tuning.limit_malloc_arenas()
    # The client address (per-address login limits, logs) is the peer's, unless the peer is
    # one of the reverse proxies named in DIEMCAU_FORWARDED_ALLOW_IPS: then X-Forwarded-For's.
    proxies = settings.forwarded_allow_ips
    uvicorn.run(
        create_app(settings, serving=True),
        host=host,
        port=port,
        log_config=None,  # keep logs.configure's one setup (levels, format, redaction)
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all schema migrations (the server also does this on start)."""

    async def go() -> list[str]:
        from controller.db import Database
        from controller.migrate import current_tables, upgrade

        settings = Settings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.effective_database_url)
        try:
            await upgrade(db)
            return await current_tables(db)
        finally:
            await db.dispose()

    tables = run(go())
    console.print(f"schema is current: {', '.join(tables)}")


def _mount_subcommands() -> None:
    from camera.sim.cli import camera_fault_command, cameras_command
    from controller.bench.cli import bench_app
    from controller.cli.provisioning import jobs_app, provision, provision_cameras, standards_app
    from controller.demo import demo
    from endpoints.sim.cli import sim_app

    sim_app.command("cameras")(cameras_command)  # the endpoint simulator knows nothing of cameras
    sim_app.command("camera-fault")(camera_fault_command)
    app.add_typer(sim_app, name="sim", help="Simulated fleets for tests and the demo")
    app.add_typer(bench_app, name="bench", help="Benchmarks that print JSON")
    app.command("demo")(demo)
    app.command("provision")(provision)
    app.command("provision-cameras")(provision_cameras)
    app.add_typer(jobs_app, name="jobs")
    app.add_typer(standards_app, name="standards")


def main() -> None:
    _mount_subcommands()
    app()

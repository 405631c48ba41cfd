"""`diemcau users|units|endpoints|cameras ...`: the registries, as the API has them."""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from controller.cli.common import cli_actor, console, controller_state, err_console, run
from controller.roles import Role

if TYPE_CHECKING:
    from controller.fields import ImportReport
    from controller.fleet.schemas import EndpointPublic

__all__ = ["cam_app", "ep_app", "units_app", "users_app"]

users_app = typer.Typer(help="Users of the console and API", no_args_is_help=True)
units_app = typer.Typer(help="Administrative units (the tree)", no_args_is_help=True)
ep_app = typer.Typer(help="Endpoint registry", no_args_is_help=True)
cam_app = typer.Typer(help="Camera registry", no_args_is_help=True)


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[Role, typer.Option(help="admin | technician | host | ioc_viewer | ioc_operator")],
    full_name: Annotated[str | None, typer.Option()] = None,
    password_env: Annotated[
        str | None, typer.Option(help="Read the password from this environment variable")
    ] = None,
) -> None:
    """Create a user (the first admin is made this way)."""
    from controller.users import service as users
    from controller.users.schemas import UserCreate

    password = os.environ.get(password_env, "") if password_env else None
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def go() -> None:
        async with controller_state() as state, state.db.transaction() as session:
            data = UserCreate(username=username, password=password, role=role, full_name=full_name)
            await users.create_user(session, data, cli_actor())

    try:
        run(go())
    except ValueError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    console.print(f"user {username} created with role {role.value}")


@users_app.command("directory-check")
def users_directory_check(username: str) -> None:
    """How USERNAME would sign in with the LDAP directory: found or not, their groups, and the
    grants the group file gives (no password asked: the service account looks)."""
    from controller.users import directory_signin

    async def go() -> directory_signin.DirectoryCheck:
        async with controller_state() as state:
            return await directory_signin.check_directory_user(state, username)

    check = run(go())
    if check.person is None:
        err_console.print(f"[red]not found:[/red] the directory has no single entry for {username!r}")
        raise typer.Exit(1)
    console.print(f"{username}: {check.person.full_name or '-'}")
    for group in check.person.groups:
        console.print(f"  group  {group}")
    for grant in check.grants:
        console.print(f"  grant  {grant}")
    for unit in check.unknown_units:
        console.print(f"  [yellow]skipped[/yellow] unit {unit} is mapped but does not exist here")
    if not check.grants:
        err_console.print("[red]no access:[/red] none of these groups is in the group file")
        raise typer.Exit(2)


@units_app.command("import")
def units_import(
    province: Annotated[str, typer.Option(help="e.g. 'Tuyên Quang' or 'Thành phố Huế'")],
) -> None:
    """Load a real province and its communes from vietnam-provinces (2025 structure)."""
    from controller.units import service as units

    async def go() -> tuple[int, int, str]:
        async with controller_state() as state, state.db.transaction() as session:
            created, updated, root = await units.import_province(session, province, cli_actor())
            return created, updated, root.name

    created, updated, name = run(go())
    console.print(f"{name}: {created} unit(s) created, {updated} updated")


@units_app.command("demo-tree")
def units_demo_tree() -> None:
    """Build the seeds' legacy 4-level example: central, 1 province, 10 districts, 209 communes."""
    from controller.units import service as units

    async def go() -> tuple[int, int]:
        async with controller_state() as state, state.db.transaction() as session:
            return await units.upsert_units(session, units.legacy_demo_specs())

    created, updated = run(go())
    console.print(f"demo tree: {created} unit(s) created, {updated} updated")


@units_app.command("list")
def units_list(
    root: Annotated[str | None, typer.Option(help="Subtree root code")] = None,
    level: Annotated[str | None, typer.Option()] = None,
) -> None:
    """List units (a subtree, a level)."""
    from controller.units import service as units

    async def go() -> list[tuple[str, str, str, int]]:
        async with controller_state() as state, state.db.transaction() as session:
            root_unit = await units.get_unit(session, root) if root else None
            rows, _ = await units.list_units(session, root=root_unit, level=level, limit=100000)
            return [(u.code, u.name, u.level, u.depth) for u in rows]

    table = Table("code", "name", "level")
    for code, name, lvl, depth in run(go()):
        table.add_row(code, "  " * depth + name, lvl)
    console.print(table)


@ep_app.command("import")
def endpoints_import(
    csv_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    valid_only: Annotated[bool, typer.Option(help="Import the valid rows even if others are bad")] = False,
) -> None:
    """Register endpoints from a CSV file (all-or-nothing unless --valid-only)."""
    from controller.fleet import csv_import

    async def go() -> ImportReport:
        async with controller_state() as state, state.db.transaction() as session:
            return await csv_import.import_csv(
                session,
                state.box,
                state.profiles,
                csv_file.read_bytes(),
                cli_actor(),
                valid_only=valid_only,
                max_rows=state.settings.max_csv_rows,
                source=csv_file.name,
            )

    _print_import(run(go()))


def _print_import(report: ImportReport) -> None:
    """Every bad row on stderr by line and field, the count on stdout (endpoints and cameras alike)."""
    for e in report.errors:
        err_console.print(f"  line {e.line}: {e.field or '-'}: {e.reason}")
    console.print(f"{report.imported} of {report.rows} row(s) imported")


@cam_app.command("import")
def cameras_import(
    csv_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    valid_only: Annotated[bool, typer.Option(help="Import the valid rows even if others are bad")] = False,
) -> None:
    """Register cameras from a CSV file: name,unit,url[,username,password,site,description,enabled,onvif_url,tls_insecure]."""
    from controller.cameras import registry

    async def go() -> ImportReport:
        async with controller_state() as state, state.db.transaction() as session:
            return await registry.import_csv(
                session,
                state.box,
                csv_file.read_bytes(),
                cli_actor(),
                valid_only=valid_only,
                max_rows=state.settings.max_csv_rows,
            )

    _print_import(run(go()))


@ep_app.command("add")
def endpoints_add(
    name: str,
    unit: Annotated[str, typer.Option(help="Unit code")],
    host: Annotated[str, typer.Option()],
    profile: Annotated[str, typer.Option()],
    username: Annotated[str, typer.Option()] = "admin",
    port: Annotated[int, typer.Option()] = 22,
    password_env: Annotated[
        str | None, typer.Option(help="Read the device password from this variable")
    ] = None,
) -> None:
    """Register one endpoint."""
    from pydantic import ValidationError

    from controller.fleet import registry
    from controller.fleet.schemas import EndpointCreate

    password = (
        os.environ.get(password_env, "") if password_env else typer.prompt("Device password", hide_input=True)
    )
    try:
        data = EndpointCreate(
            name=name,
            unit=unit,
            host=host,
            port=port,
            username=username,
            password=password,
            profile=profile,
        )
    except ValidationError as exc:
        for e in exc.errors():
            err_console.print(f"[red]error:[/red] {'.'.join(map(str, e['loc']))}: {e['msg']}")
        raise typer.Exit(1) from None

    async def go() -> uuid.UUID:
        async with controller_state() as state, state.db.transaction() as session:
            ep = await registry.create_endpoint(session, state.box, state.profiles, data, cli_actor())
            return ep.id

    console.print(f"endpoint {name} registered as {run(go())}")


@ep_app.command("list")
def endpoints_list(
    unit: Annotated[str | None, typer.Option(help="Unit code: its whole subtree")] = None,
    state_: Annotated[str | None, typer.Option("--state")] = None,
    profile: Annotated[str | None, typer.Option()] = None,
    q: Annotated[
        str | None,
        typer.Option(help="Text in name, host, description or unit; accent- and case-insensitive"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List endpoints with filters."""
    from controller.fleet import registry
    from controller.units.service import get_unit

    async def go() -> tuple[list[EndpointPublic], int]:
        async with controller_state() as state, state.db.transaction() as session:
            flt = registry.EndpointFilter(
                unit=await get_unit(session, unit) if unit else None,
                state=state_,
                profile=profile,
                q=q,
            )
            rows, total = await registry.list_endpoints(session, flt, limit=100000, offset=0)
            return [registry.to_public(e) for e in rows], total

    rows, total = run(go())
    if as_json:
        sys.stdout.write(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False, indent=1))
        return
    table = Table("name", "unit", "host:port", "profile", "state", title=f"{total} endpoint(s)")
    for r in rows:
        table.add_row(r.name, r.unit.code, f"{r.host}:{r.port}", r.profile, r.state)
    console.print(table)


@ep_app.command("show")
def endpoints_show(endpoint_id: uuid.UUID) -> None:
    """Show one endpoint as JSON (never its password)."""
    from controller.fleet import registry

    async def go() -> EndpointPublic:
        async with controller_state() as state, state.db.transaction() as session:
            return registry.to_public(await registry.get_endpoint(session, endpoint_id))

    sys.stdout.write(run(go()).model_dump_json(indent=1) + "\n")


@ep_app.command("update")
def endpoints_update(
    endpoint_id: uuid.UUID,
    name: Annotated[str | None, typer.Option()] = None,
    unit: Annotated[str | None, typer.Option(help="Unit code")] = None,
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    username: Annotated[str | None, typer.Option()] = None,
    profile: Annotated[str | None, typer.Option()] = None,
    password_env: Annotated[
        str | None, typer.Option(help="Read the new device password from this variable")
    ] = None,
) -> None:
    """Change an endpoint's registration (only the options given)."""
    from pydantic import ValidationError

    from controller.fleet import registry
    from controller.fleet.schemas import EndpointUpdate

    given = {
        "name": name,
        "unit": unit,
        "host": host,
        "port": port,
        "username": username,
        "profile": profile,
    }
    changes = {k: v for k, v in given.items() if v is not None}
    if password_env:
        changes["password"] = os.environ.get(password_env, "")
    try:
        data = EndpointUpdate(**changes)
    except ValidationError as exc:
        for e in exc.errors():
            err_console.print(f"[red]error:[/red] {'.'.join(map(str, e['loc']))}: {e['msg']}")
        raise typer.Exit(1) from None

    async def go() -> None:
        async with controller_state() as state, state.db.transaction() as session:
            ep = await registry.get_endpoint(session, endpoint_id)
            await registry.update_endpoint(session, state.box, state.profiles, ep, data, cli_actor())

    run(go())
    console.print(f"endpoint {endpoint_id} updated: {', '.join(sorted(changes)) or 'nothing'}")


@ep_app.command("delete")
def endpoints_delete(endpoint_id: uuid.UUID) -> None:
    """Remove an endpoint from the registry."""
    from controller.fleet import registry

    async def go() -> None:
        async with controller_state() as state, state.db.transaction() as session:
            await registry.delete_endpoint(
                session, await registry.get_endpoint(session, endpoint_id), cli_actor()
            )

    run(go())
    console.print(f"endpoint {endpoint_id} deleted")

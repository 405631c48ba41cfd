"""What every `diemcau` command shares: the consoles, running a coroutine with domain errors
as one-line messages, the CLI's acting principal, and a controller state to work on."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import typer
from rich.console import Console

from controller.api.deps import AppState
from controller.errors import DomainError, ImportRejected
from controller.principal import Principal
from controller.roles import Role
from controller.settings import Settings

__all__ = ["cli_actor", "console", "controller_state", "err_console", "run"]

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine; domain errors become a one-line message and exit code 1."""
    try:
        return asyncio.run(coro)
    except ImportRejected as exc:
        err_console.print(f"[red]error:[/red] {exc.detail}")
        for e in exc.extra.get("errors", []):
            err_console.print(f"  line {e['line']}: {e['field'] or '-'}: {e['reason']}")
        raise typer.Exit(1) from None
    except DomainError as exc:
        err_console.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(1) from None


def cli_actor() -> Principal:
    return Principal(name=getpass.getuser(), role=Role.admin, kind="cli")


@asynccontextmanager
async def controller_state() -> AsyncIterator[AppState]:
    from controller.app import build_state, close_state

    state = await build_state(Settings())
    try:
        yield state
    finally:
        await close_state(state)

"""Shared fixtures: an isolated controller per test, on SQLite or a real PostgreSQL."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from cryptography.fernet import Fernet

from controller.app import create_app
from controller.db import Database
from controller.migrate import upgrade
from controller.models import Grant, User
from controller.roles import Role
from controller.security import hash_password
from controller.settings import Settings
from controller.units import service as units
from controller.users.service import user_token
from tests.support.postgres import shared_server

PASSWORD = "correct horse battery"
PASSWORD_HASH = hash_password(PASSWORD)  # Argon2 is slow on purpose: hash once per run


@pytest.fixture(scope="session")
def pg_admin_dsn() -> str:
    return shared_server()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head, copied for each controller: running the migrations
    again for every test costs ~0.15 s each, minutes over the suite. The copy is still
    upgraded by the controller at start (a no-op at head), and test_migrations runs them
    from an empty database on both backends."""
    path = tmp_path_factory.mktemp("template") / "diemcau.db"

    async def migrate() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        try:
            await upgrade(db)
        finally:
            await db.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture
async def database_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:
    """An empty database: a SQLite file, or a new database on the shared PostgreSQL server."""
    kind = request.getfixturevalue("backend") if "backend" in request.fixturenames else "sqlite"
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'diemcau.db'}"
        return
    admin = request.getfixturevalue("pg_admin_dsn")
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(admin + "/postgres")
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    yield f"postgresql+asyncpg://{admin.removeprefix('postgresql://')}/{name}"


@dataclass
class Controller:
    app: object
    client: httpx.AsyncClient
    settings: Settings
    tokens: dict[Role, str]

    @property
    def state(self):
        return self.app.state.diemcau

    def auth(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture
def controller_settings() -> dict:
    """Overrides for the `controller` fixture; a test module may redefine this fixture."""
    return {}


@pytest.fixture
def controller_database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """The controller's database: on SQLite a copy of the migrated template."""
    url = request.getfixturevalue("database_url")
    if url.startswith("sqlite"):
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), tmp_path / "diemcau.db")
    return url


@pytest.fixture
async def controller(
    controller_database_url: str, tmp_path, controller_settings: dict
) -> AsyncIterator[Controller]:
    """A running controller with one user per role, each logged in (monitor off unless asked)."""
    options = {
        "data_dir": tmp_path / "var",
        "database_url": controller_database_url,
        "secret_key": Fernet.generate_key().decode(),
        "ssh_backoff_base_s": 0.05,
        "ssh_connect_timeout_s": 3,
        "ssh_command_timeout_s": 3,
        "monitor_enabled": False,
        # The simulated devices, receivers and brokers of the tests listen on loopback, which
        # production refuses (DIEMCAU_DEVICE_ALLOW_LOOPBACK); tests/controller/test_device_networks.py
        # runs with the production default.
        "device_allow_loopback": True,
    }
    settings = Settings(**(options | controller_settings))
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        state = app.state.diemcau
        async with state.db.transaction() as session:
            logins = {
                role: User(
                    username=f"{role.value}1",
                    role=role.value,
                    password_hash=PASSWORD_HASH,
                    grants=[Grant(role=role.value)],
                )
                for role in Role
            }
            session.add_all(logins.values())
            await units.upsert_units(session, units.legacy_demo_specs(districts=3, communes=9))
        ttl = timedelta(minutes=5)
        tokens = {role: user_token(state.box, logins[role], ttl)[0] for role in Role}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Controller(app=app, client=client, settings=settings, tokens=tokens)

"""The same fuzzing against PostgreSQL: it refuses what SQLite accepts (NUL bytes, range
overflows), and none of that may surface as a 500."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.support.asgi_app import fuzz_app
from tests.support.postgres import shared_server

pytestmark = pytest.mark.postgres


def _database() -> str:
    admin, name = shared_server(), f"fuzz_{uuid.uuid4().hex[:10]}"

    async def create() -> None:
        conn = await asyncpg.connect(admin + "/postgres")
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()

    asyncio.run(create())
    return f"postgresql+asyncpg://{admin.removeprefix('postgresql://')}/{name}"


app, admin_token = fuzz_app(_database())
schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex=r"/events/stream$")


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors_on_postgres(case):
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {admin_token()}"}
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])

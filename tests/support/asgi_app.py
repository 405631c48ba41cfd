"""A controller prepared outside any event loop, for tools that drive ASGI themselves
(schemathesis runs the app's lifespan in its own portal)."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import timedelta
from pathlib import Path

import schemathesis
from cryptography.fernet import Fernet
from hypothesis import strategies as st

from controller.app import build_state, close_state, create_app
from controller.principal import SYSTEM
from controller.roles import Role
from controller.settings import Settings
from controller.units import service as units
from controller.users import service as users
from controller.users.schemas import UserCreate

# WHEP offers are SDP text: fuzz them with offer-like text as well as arbitrary bytes.
_OFFER = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
schemathesis.openapi.media_type(
    "application/sdp",
    st.one_of(st.binary(max_size=300), st.text(max_size=200).map(lambda t: (_OFFER + t).encode())),
)


def fuzz_app(database_url: str | None = None):
    """(app, token getter) for an admin on a fresh database (SQLite unless a URL is given)."""
    data_dir = Path(tempfile.mkdtemp(prefix="diemcau-fuzz-"))
    settings = Settings(
        data_dir=data_dir,
        secret_key=Fernet.generate_key().decode(),
        database_url=database_url,
        monitor_enabled=False,
    )

    async def prepare() -> str:
        state = await build_state(settings)
        try:
            async with state.db.transaction() as session:
                admin = await users.create_user(
                    session,
                    UserCreate(username="fuzz-admin", password="fuzz-password", role=Role.admin),
                    SYSTEM,
                )
                await units.upsert_units(session, units.legacy_demo_specs(districts=2, communes=4))
            token, _ = users.user_token(state.box, admin, timedelta(hours=2))
            return token
        finally:
            await close_state(state)

    token = asyncio.run(prepare())
    return create_app(settings), lambda: token

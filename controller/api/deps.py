"""Shared dependencies: the controller's state, a DB session per request, who is calling.

A route allows roles with ``dependencies=[allow(Role.admin, ...)]``; `allow`
also records the roles on the route (``openapi_extra['x-roles']``) so the
OpenAPI document and the RBAC tests see what each route permits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Query, Request, UploadFile
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from controller.api import authn
from controller.api.credential_cache import CredentialCache
from controller.api.http_cache import ResponseCache
from controller.db import Database
from controller.errors import Forbidden, PayloadTooLarge, Unauthorized
from controller.principal import Principal
from controller.roles import Role
from controller.scope import EVERYWHERE, UnitScope
from controller.security import SecretBox
from controller.settings import Settings

if TYPE_CHECKING:
    from camera.relay import Relay
    from controller.alerts.engine import AlertEngine
    from controller.cameras.hub import CameraHub
    from controller.cameras.monitor import CameraMonitor
    from controller.events import OutboxSignal
    from controller.fleet.poller import Monitor
    from controller.health.alarms import AlarmEvaluator
    from controller.health.live_updater import LiveUpdater
    from controller.health.retention import Retention
    from controller.health.status import StatusReads
    from controller.ioc.dispatcher import SinkDispatcher
    from controller.ioc.metrics import Metrics
    from controller.limits import PerPrincipal
    from controller.provisioning.runner import JobRunner
    from controller.readiness.manager import ReadinessManager
    from controller.readiness.schedule import ReadinessSchedule
    from controller.sessions.manager import SessionManager
    from controller.users.directory import Directory
    from controller.users.logins import LoginThrottle
    from endpoints.pool import SessionPool
    from endpoints.profiles import Profile


@dataclass
class AppState:
    """Everything a request may reach, built once per controller by `controller.app.build_state`
    (the types are imported for checking only: the features import this module, not the
    other way round)."""

    settings: Settings
    db: Database
    box: SecretBox
    profiles: dict[str, Profile]
    pool: SessionPool
    runner: JobRunner
    monitor: Monitor
    alarms: AlarmEvaluator
    retention: Retention
    signal: OutboxSignal
    sessions: SessionManager
    readiness: ReadinessManager
    readiness_schedule: ReadinessSchedule
    cameras: CameraHub
    camera_monitor: CameraMonitor
    relay: Relay
    sinks: SinkDispatcher
    alerts: AlertEngine  # messages to people (e-mail, chat)
    metrics: Metrics
    credentials: CredentialCache[
        authn.Credential
    ]  # proven credentials, a few seconds (api/credential_cache.py)
    live: LiveUpdater  # the live picture the status routes read (health/live_view.py)
    status: StatusReads
    responses: ResponseCache  # bodies kept by validator for pollers (api/http_cache.py)
    sse_streams: PerPrincipal  # event streams held per user
    logins: LoginThrottle
    directory: Directory  # LDAP/AD and the SSO portal, when configured
    watchers: authn.Watchers = field(default_factory=authn.Watchers)  # access outliving its request


async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.diemcau
    return state


State = Annotated[AppState, Depends(get_state)]

# Paging offset; bounded so that no value overflows a database integer.
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


async def get_session(state: State) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent."""
    async with state.db.transaction() as session:
        yield session


Session = Annotated[AsyncSession, Depends(get_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="Access token or API key (dck_...)")


async def current_principal(
    request: Request,
    state: State,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller `authn.Authenticate` found before the body was read (or, outside the paths
    it guards, the one the header names now)."""
    credential = authn.credential_of(request)
    if credential is None and creds is not None and creds.scheme.lower() == "bearer" and creds.credentials:
        credential = await authn.authenticate(state, creds.credentials)
    if credential is None:
        raise Unauthorized("a valid bearer token or API key is required")
    return credential.principal


Actor = Annotated[Principal, Depends(current_principal)]


class _RoleGate:
    def __init__(self, roles: frozenset[Role], province: bool = False) -> None:
        self.roles = roles
        self.province = province

    async def __call__(self, actor: Actor) -> Principal:
        scope = actor.scope(*self.roles)
        allowed = ", ".join(sorted(r.value for r in self.roles))
        if scope.paths == frozenset():
            held = ", ".join(sorted({g.role.value for g in actor.held}))
            raise Forbidden(f"role {held} may not do this; allowed: {allowed}")
        if self.province and not scope.everywhere:
            raise Forbidden(f"this is done by a province-wide {allowed}, not by a unit's")
        return actor


async def current_scope(request: Request, actor: Actor) -> UnitScope:
    """The units the caller may touch through this route: where they hold one of the roles the
    route allows (``route()`` records them on the route). A route without roles: everywhere."""
    route = request.scope.get("route")
    extra = getattr(route, "openapi_extra", None) or {}
    roles = [Role(r) for r in extra.get("x-roles", []) if r in Role.__members__]
    return actor.scope(*roles) if roles else EVERYWHERE


Scope = Annotated[UnitScope, Depends(current_scope)]


def allow(*roles: Role, province: bool = False) -> Any:
    return Depends(_RoleGate(frozenset(roles), province))


def route(*roles: Role, province: bool = False) -> dict[str, Any]:
    """Keyword arguments for a route decorator: the role gate plus its OpenAPI record.
    ``province``: only a province-wide grant of one of the roles will do (accounts, keys,
    sinks, bridges, the audit trail: things that are the province's, not a unit's)."""
    extra: dict[str, Any] = {"x-roles": sorted(r.value for r in roles)}
    if province:
        extra["x-province"] = True
    return {"dependencies": [allow(*roles, province=province)], "openapi_extra": extra}


async def read_upload(file: UploadFile, limit: int) -> bytes:
    """An uploaded file, refused with 413 past ``limit`` bytes without reading the rest."""
    raw = await file.read(limit + 1)
    if len(raw) > limit:
        raise PayloadTooLarge(f"the file is larger than {limit} bytes")
    return raw

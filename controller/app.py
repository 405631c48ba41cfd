"""The FastAPI application: routers, error mapping, and the lifespan that owns resources.

`create_app(settings)` builds an independent controller, which is how tests
run several (SQLite and PostgreSQL) in one process.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from camera.onvif.profiles import load_camera_profiles
from camera.relay import Relay
from controller import netpolicy, process_tuning
from controller.alerts import api as alerts_api
from controller.alerts.engine import AlertEngine
from controller.api import authn, catalogues_api, docs, openapi, problems
from controller.api.authn import Authenticate
from controller.api.body_limits import MULTIPART_OVERHEAD, BodyLimits, login_rule
from controller.api.credential_cache import CredentialCache
from controller.api.deps import AppState
from controller.api.headers import SecurityHeaders
from controller.api.http_cache import ResponseCache
from controller.api.request_ids import RequestIds
from controller.api.url_guard import RejectNul
from controller.cameras import api as cameras_api
from controller.cameras import whep_api
from controller.cameras.hub import CameraHub
from controller.cameras.monitor import CameraMonitor
from controller.db import Database
from controller.events import OutboxSignal
from controller.fleet import api as fleet_api
from controller.fleet.hostkeys import HostKeys
from controller.fleet.poller import Monitor
from controller.health import api as health_api
from controller.health.alarms import AlarmEvaluator
from controller.health.live_updater import LiveUpdater
from controller.health.live_view import LiveView
from controller.health.retention import Retention
from controller.health.status import StatusReads
from controller.health.tracker import Thresholds
from controller.ioc import api as ioc_api
from controller.ioc import metrics_api
from controller.ioc.dispatcher import SinkDispatcher
from controller.ioc.metrics import Metrics
from controller.limits import PerPrincipal
from controller.migrate import upgrade
from controller.provisioning import api as jobs_api
from controller.provisioning import firmware_api, standards_api
from controller.provisioning.camera_work import CameraProvisionWork
from controller.provisioning.campaign import FirmwareWork
from controller.provisioning.endpoint_work import ProvisionWork
from controller.provisioning.runner import HEARTBEAT_S, JobRunner
from controller.readiness import api as readiness_api
from controller.readiness.manager import ReadinessManager
from controller.readiness.schedule import ReadinessSchedule
from controller.reports import api as reports_api
from controller.security import SecretBox, load_or_create_key
from controller.sessions import api as sessions_api
from controller.sessions.manager import SessionManager
from controller.settings import Settings
from controller.units import api as units_api
from controller.users import api as users_api
from controller.users import auth_api, sso_api
from controller.users.directory import Directory
from controller.users.group_map import GroupMap
from controller.users.ldap_directory import LdapDirectory
from controller.users.logins import LoginThrottle
from controller.users.oidc import OidcClient
from endpoints.pool import SessionPool
from endpoints.profiles import load_profiles

log = logging.getLogger("diemcau")

API_PREFIX = "/api/v1"
WEB_DIR = Path(__file__).parent / "web"


async def build_state(settings: Settings) -> AppState:
    """Everything the routes need; migrations run first so the schema is current."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # for the caller's schemas too (the CLI, the demo, scripts); requests get it from PolicyMiddleware
    netpolicy.activate(netpolicy.policy(settings))
    box = SecretBox(load_or_create_key(settings))
    db = Database(settings.effective_database_url)
    await upgrade(db)
    profiles = load_profiles(settings.profiles_dir)
    log.info("database ready; %d firmware profiles loaded", len(profiles))
    feedback_sink: list[Monitor | SessionManager] = []

    def on_feedback(key: str, line: str) -> None:
        for m in feedback_sink:
            m.on_feedback(key, line)

    pool = SessionPool(
        max_handshakes=settings.ssh_max_handshakes,
        connect_timeout=settings.ssh_connect_timeout_s,
        command_timeout=settings.ssh_command_timeout_s,
        backoff_base=settings.ssh_backoff_base_s,
        # Retries of a dead device never wait longer than one poll interval.
        backoff_max=settings.monitor_interval_s,
        on_feedback=on_feedback,
        host_keys=HostKeys(db, settings.ssh_host_key_policy),
        address=netpolicy.endpoint_address(netpolicy.policy(settings)),
    )
    runner = JobRunner(db, box, profiles, pool)
    runner.register("provision", ProvisionWork())
    runner.register("firmware", FirmwareWork())
    signal = OutboxSignal()
    metrics = Metrics()
    live = LiveUpdater(db, LiveView(), reconcile_s=settings.live_reconcile_s)
    credentials: CredentialCache[authn.Credential] = CredentialCache(settings.auth_cache_s)
    db.on_change(credentials.on_change)
    monitor = Monitor(
        db,
        box,
        profiles,
        pool,
        interval_s=settings.monitor_interval_s,
        auth_retry_s=settings.monitor_auth_retry_s,
        full_every=settings.monitor_full_every,
        signal=signal,
        observe_latency=metrics.poll_seconds.observe,
        thresholds=Thresholds(
            fail_after=settings.monitor_fail_after,
            recover_after=settings.monitor_recover_after,
            loss_pct=settings.monitor_loss_pct,
            temperature_c=settings.monitor_temperature_c,
            flap_transitions=settings.monitor_flap_transitions,
            flap_window_s=settings.monitor_flap_window_s,
        ),
    )
    feedback_sink.append(monitor)
    session_manager = SessionManager(db, box, profiles, pool, settings, signal)
    feedback_sink.append(session_manager)
    camera_hub = CameraHub(box, settings)
    camera_profiles = load_camera_profiles(settings.profiles_dir / "cameras")
    runner.register(
        "camera_provision",
        CameraProvisionWork(
            camera_hub,
            camera_profiles,
            settings.camera_onvif_timeout_s,
            policy=netpolicy.policy(settings),
            max_reply_bytes=settings.onvif_max_reply_bytes,
        ),
    )
    camera_monitor = CameraMonitor(db, camera_hub, settings, signal)
    readiness = ReadinessManager(db, box, profiles, pool, settings, signal)
    correlation = settings.alarm_correlation_s
    alarms = AlarmEvaluator(
        db,
        monitor,
        signal=signal,
        every_s=settings.alarm_eval_s,
        correlation_s=settings.monitor_interval_s if correlation is None else correlation,
        cameras=camera_monitor,
        readiness=readiness.not_ready,
    )
    retention = Retention(
        db, raw_retention_h=settings.health_raw_retention_h, history_days=settings.history_days
    )
    return AppState(
        settings=settings,
        db=db,
        box=box,
        profiles=profiles,
        pool=pool,
        runner=runner,
        monitor=monitor,
        alarms=alarms,
        retention=retention,
        signal=signal,
        sessions=session_manager,
        readiness=readiness,
        readiness_schedule=ReadinessSchedule(readiness),
        cameras=camera_hub,
        camera_monitor=camera_monitor,
        relay=Relay(
            max_per_camera=settings.relay_max_viewers_per_camera,
            max_total=settings.relay_max_viewers,
            max_per_user=settings.relay_max_viewers_per_user,
            probe_s=settings.relay_probe_s,
            ice_servers=[entry.server() for entry in settings.relay_ice_servers],
            ice_policy=settings.relay_ice_transport_policy,
            rtp_loop=settings.relay_rtp_loop,
        ),
        sinks=SinkDispatcher(db, box, settings, signal),
        alerts=AlertEngine(db, box, settings),
        metrics=metrics,
        live=live,
        credentials=credentials,
        status=StatusReads(live, settings.status_source, db),
        responses=ResponseCache(),
        sse_streams=PerPrincipal("event streams", settings.sse_max_streams_per_user),
        logins=LoginThrottle(settings),
        directory=_directory(settings, box),
    )


def _directory(settings: Settings, box: SecretBox) -> Directory:
    """The configured directory; a wrong group file stops the start with the line at fault."""
    if settings.ldap is None and settings.oidc is None:
        return Directory()
    assert settings.directory_groups_file is not None  # Settings requires it with ldap or oidc
    return Directory(
        ldap=LdapDirectory(settings.ldap) if settings.ldap else None,
        oidc=OidcClient(settings.oidc, box) if settings.oidc else None,
        groups=GroupMap.load(settings.directory_groups_file),
    )


async def start_background(state: AppState) -> None:
    """The server's background work; CLI commands that only need the database skip it."""
    # Jobs whose process stopped beating: the last server run, or a killed CLI. A job a CLI is
    # running right now keeps its heartbeat fresh and is left alone.
    interrupted = await state.runner.recover(stale_s=3 * HEARTBEAT_S)
    if interrupted:
        log.warning("%d job(s) were interrupted by the last stop; resume them", interrupted)
    state.runner.start_watch()
    await state.live.start()  # the picture is read whole before the first request is served
    if state.settings.monitor_enabled:
        await state.monitor.start()
        await state.alarms.start()
        if state.settings.camera_monitor_enabled:
            await state.camera_monitor.start()
    await state.retention.start()
    await state.sessions.start()
    await state.readiness.start()
    await state.readiness_schedule.start()
    await state.sinks.start()
    await state.alerts.start()


async def close_state(state: AppState) -> None:
    await state.alerts.stop()
    await state.sinks.stop()
    await state.readiness_schedule.stop()
    await state.readiness.close()
    await state.sessions.close()
    await state.watchers.close()
    await state.relay.close_all()
    await state.camera_monitor.stop()
    await state.cameras.close()
    await state.alarms.stop()
    await state.monitor.stop()
    await state.retention.stop()
    await state.live.stop()
    await state.runner.close()
    await state.pool.close()
    await state.db.dispose()


def create_app(settings: Settings | None = None, *, serving: bool = False) -> FastAPI:
    """The application; ``serving`` for the one a server process runs (`process_tuning.freeze_startup_heap`)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = await build_state(settings)
        app.state.diemcau = state
        await start_background(state)
        if serving:
            process_tuning.freeze_startup_heap()
        try:
            yield
        finally:
            await close_state(state)

    app = FastAPI(
        title="diemcau",
        version="0.1.0",
        summary="Controller for a province's conference endpoints and one-stop-desk cameras",
        lifespan=lifespan,
        # FastAPI's pages load Swagger UI / ReDoc from a CDN with inline scripts: docs.install
        # serves Swagger UI from the installed package instead.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        generate_unique_id_function=openapi.operation_id,
    )
    problems.install(app)
    openapi.install(app)
    app.add_middleware(netpolicy.PolicyMiddleware, policy=netpolicy.policy(settings))
    docs.install(app)

    app.add_middleware(RejectNul)

    # Each feature's router; the routers hold no rules of their own (tests/test_layers.py).
    for module in (
        health_api,
        auth_api,
        sso_api,
        users_api,
        units_api,
        fleet_api,
        cameras_api,
        standards_api,
        jobs_api,
        firmware_api,
        sessions_api,
        readiness_api,
        reports_api,
        ioc_api,
        alerts_api,
        catalogues_api,
    ):
        app.include_router(module.router, prefix=API_PREFIX)

    app.include_router(whep_api.router)  # WHEP lives at /whep, where players expect it
    app.include_router(whep_api.stats_router, prefix=API_PREFIX)
    app.include_router(metrics_api.router)  # /metrics, where Prometheus looks by default
    # The browser console: static files, nothing built at run time. Pages hold no data;
    # everything they show comes from the API with the user's token.
    app.mount("/console", StaticFiles(directory=WEB_DIR, html=True), name="console")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        """Liveness for a load balancer; says nothing about the fleet."""
        return JSONResponse({"status": "ok"})

    # Outermost last: the caller is known (401), then the body is bounded (413), both before
    # any route reads a byte of it.
    app.add_middleware(
        BodyLimits,
        default=settings.max_json_bytes,
        upload=settings.max_csv_bytes + MULTIPART_OVERHEAD,
        rules=[login_rule(f"{API_PREFIX}/auth/token"), login_rule(f"{API_PREFIX}/auth/logout")],
    )
    app.add_middleware(Authenticate)
    app.add_middleware(SecurityHeaders)  # on every answer, the middlewares' own 401/413 too
    app.add_middleware(RequestIds)  # outermost: every line and problem of a request carries its id
    return app

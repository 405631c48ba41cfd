"""One `Settings` object, read from the environment (prefix ``DIEMCAU_``).

Why one object: every module gets its configuration injected from here, so a
test can build an isolated controller (own database, own key file) by passing
a `Settings` instead of patching globals.

Long because: it is the one list of every ``DIEMCAU_*`` variable, each with its bounds and
its description (what `diemcau --help` and the docs quote); split by feature, a variable
would be found in one of many files and two features could read one name differently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from camera.ice import IceServer, check_url
from camera.netpolicy import parse_network
from controller import templates
from controller.alerts.settings import SmtpSettings
from controller.directory_settings import LdapSettings, OidcSettings
from controller.sessions.dialplan import CONFERENCE_ID, validate_pattern

REPO_ROOT = Path(__file__).resolve().parents[1]


class IceServerSetting(BaseModel):
    """One STUN/TURN server for the relay and its viewers (see camera.ice): fixed credentials,
    or coturn's shared secret to mint them per viewer."""

    model_config = ConfigDict(extra="forbid")

    urls: list[Annotated[str, AfterValidator(check_url)]] = Field(min_length=1, max_length=8)
    username: str | None = Field(default=None, min_length=1, max_length=256)
    credential: SecretStr | None = Field(
        default=None, description="never returned by the API's settings views"
    )
    secret: SecretStr | None = Field(
        default=None, description="coturn static-auth-secret: credentials minted per viewer, valid ttl_s"
    )
    ttl_s: int = Field(default=24 * 3600, ge=60, le=7 * 24 * 3600)

    @model_validator(mode="after")
    def _credentials(self) -> IceServerSetting:
        fixed = self.username is not None or self.credential is not None
        if fixed and self.secret is not None:
            raise ValueError("give either username and credential, or secret, not both")
        if (self.username is None) != (self.credential is None):
            raise ValueError("username and credential go together")
        if any(u.startswith("turn") for u in self.urls) and not (fixed or self.secret):
            raise ValueError("a TURN server needs username and credential, or secret")
        return self

    def server(self) -> IceServer:
        return IceServer(
            urls=tuple(self.urls),
            username=self.username,
            credential=self.credential.get_secret_value() if self.credential else None,
            secret=self.secret.get_secret_value() if self.secret else None,
            ttl_s=self.ttl_s,
        )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DIEMCAU_", env_file=None, extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Where the SQLite file and key file live.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy async URL; default sqlite+aiosqlite in data_dir."
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Fernet key (urlsafe base64). Default: data_dir/secret.key, created 0600.",
    )
    profiles_dir: Path = Field(default=REPO_ROOT / "firmware_profiles")
    token_ttl_minutes: float = Field(
        default=60, ge=0.25, le=24 * 60, description="Access token lifetime; the console renews it silently"
    )
    refresh_idle_hours: float = Field(
        default=72, gt=0, le=24 * 90, description="A refresh token unused this long is no longer good"
    )
    session_max_days: float = Field(
        default=30, gt=0, le=365, description="A sign-in lasts at most this long, however often it is renewed"
    )
    max_csv_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    max_csv_rows: int = Field(default=5000, ge=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Lowest level written (DIEMCAU_LOG_LEVEL; any case)"
    )
    log_format: Literal["kv", "json"] = Field(
        default="kv", description="kv: key=value lines for a terminal; json: one object per line"
    )
    firmware_url_template: str = Field(
        default="http://firmware.tinh.example/{profile}/{version}.pkg",
        description="Where endpoints download images; {profile} and {version} are filled in.",
    )
    monitor_enabled: bool = Field(default=True, description="Poll every endpoint's health")
    status_source: Literal["memory", "database"] = Field(
        default="memory",
        description="Where the status routes (health summary and list, active alarms) read: the live "
        "view in memory, or the tables on every request (the benchmark's comparison; a way back)",
    )
    auth_cache_s: float = Field(
        default=5,
        ge=0,
        le=60,
        description="A proven token or API key is trusted this long without re-reading its user "
        "(a change through the API takes effect at once, one by another process within this; 0: never)",
    )
    live_reconcile_s: float = Field(
        default=60, gt=0, le=3600, description="The live view is re-read whole this often (a safety net)"
    )
    monitor_interval_s: float = Field(default=15, gt=0, le=3600)
    monitor_fail_after: int = Field(default=3, ge=1, le=20)
    monitor_recover_after: int = Field(default=2, ge=1, le=20)
    monitor_flap_transitions: int = Field(default=6, ge=2, le=100)
    monitor_flap_window_s: float = Field(default=600, ge=10)
    monitor_auth_retry_s: float = Field(
        default=300, gt=0, description="Retry endpoints that refused the credentials this often"
    )
    monitor_full_every: int = Field(
        default=4,
        ge=1,
        le=100,
        description="Every Nth poll runs all health queries; the others only the call/liveness query",
    )
    monitor_loss_pct: float = Field(default=5.0, ge=0, le=100)
    monitor_temperature_c: float = Field(default=75.0)
    alarm_correlation_s: float | None = Field(
        default=None, description="Hold an endpoint's unreachable alarm this long (default: one interval)"
    )
    alarm_eval_s: float = Field(default=2.0, gt=0, le=60, description="How often alarms are re-evaluated")
    health_raw_retention_h: float = Field(default=48, gt=0)
    history_days: float = Field(default=90, gt=0)
    ssh_backoff_base_s: float = Field(default=1.0, gt=0, le=60)
    ssh_max_handshakes: int = Field(default=64, ge=1, le=1000)
    ssh_connect_timeout_s: float = Field(default=10, gt=0, le=120)
    ssh_command_timeout_s: float = Field(default=10, gt=0, le=600)
    ssh_host_key_policy: Literal["tofu", "strict"] = Field(
        default="tofu",
        description="tofu: pin the key a device presents at first contact, from any path; "
        "strict: never connect to a device until its key is imported or approved",
    )
    camera_monitor_enabled: bool = Field(default=True, description="Sample every enabled camera's stream")
    camera_sample_interval_s: float = Field(
        default=30, gt=0, le=3600, description="Health sample of each camera (starts its pull if idle)"
    )
    camera_fail_after: int = Field(
        default=2, ge=1, le=20, description="Failed samples before offline/stalled"
    )
    camera_open_timeout_s: float = Field(default=5, gt=0, le=60)
    camera_read_timeout_s: float = Field(default=5, gt=0, le=60)
    camera_keyframe_wait_s: float = Field(
        default=8, gt=0, le=60, description="A sample waits this long for a keyframe"
    )
    camera_measure_s: float = Field(
        default=10,
        ge=0,
        le=60,
        description="Stream time measured per sample for fps, bitrate and keyframe interval: at least "
        "two keyframe intervals (the standard allows up to 10 s keyframes, and a window longer than "
        "max_keyframe_interval_s with one keyframe is what flags rare keyframes)",
    )
    camera_onvif_timeout_s: float = Field(
        default=8, gt=0, le=120, description="One ONVIF request to a camera (provisioning)"
    )
    camera_idle_stop_s: float = Field(
        default=10, ge=0, le=3600, description="A pull nobody uses any more stops after this"
    )
    webhook_timeout_s: float = Field(default=10, gt=0, le=120)
    mqtt_keepalive_s: int = Field(
        default=30,
        ge=1,
        le=3600,
        description="MQTT keep-alive: a killed controller is reported offline (its Will) within 1.5 of these",
    )
    mqtt_discovery_prefix: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Announce endpoints and cameras to Home Assistant's MQTT discovery under this prefix "
        "(homeassistant); unset: no discovery messages",
    )
    webhook_concurrency: int = Field(
        default=16, ge=1, le=500, description="Requests in flight per sink (httpx's pool slows past ~16)"
    )
    webhook_retry_hours: float = Field(
        default=24, gt=0, le=24 * 14, description="Then the event is dead-lettered"
    )
    webhook_backoff_base_s: float = Field(default=5, gt=0, le=3600)
    webhook_backoff_max_s: float = Field(default=3600, gt=0, le=86400)
    sink_allow_plaintext: bool = Field(
        default=False,
        description="Allow plain http:// and mqtt:// sinks beyond loopback (https:// and mqtts:// otherwise)",
    )
    relay_max_viewers_per_camera: int = Field(default=20, ge=1, le=1000)
    relay_max_viewers: int = Field(default=100, ge=1, le=10000, description="WHEP viewers in total")
    relay_cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins of external WHEP players allowed by CORS (the console needs none)",
    )
    bridge_ports: int = Field(default=250, ge=1, description="Ports of the bridge created at first start")
    bridge_sip_pattern: str = Field(
        default="sip:{conference}@mcu.tinh.example",
        description="SIP dial pattern of the bridge created at first start",
    )
    session_max_attempts: int = Field(
        default=5, ge=1, le=100, description="Dial attempts per participant before it is marked failed"
    )
    session_retry_base_s: float = Field(
        default=2.0, gt=0, le=60, description="Backoff base between failed dials (full jitter, doubling)"
    )
    session_retry_max_s: float = Field(default=30.0, gt=0, le=600)
    session_redial_delay_s: float = Field(
        default=1.0, ge=0, le=60, description="Pause before redialling a dropped participant (jittered)"
    )
    session_setup_timeout_s: float = Field(
        default=60, gt=0, le=600, description="A dial not connected by then is hung up and counts as failed"
    )
    session_setup_poll_s: float = Field(
        default=1.0, gt=0, le=30, description="Call-state poll while dialling"
    )
    session_watch_poll_s: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Call-state poll of a connected participant (feedback wakes it sooner)",
    )
    session_end_confirm_s: float = Field(
        default=15.0, gt=0, le=300, description="Wait for idle after hang-up"
    )
    session_tick_s: float = Field(default=2.0, gt=0, le=60, description="Scheduler: automatic start and end")
    bridge_test_conference: str | None = Field(
        default=None,
        pattern=CONFERENCE_ID.pattern,
        description="Test conference of the bridge created at first start (readiness test calls)",
    )
    # --- readiness before a meeting: thresholds and their reasons in docs/READINESS.md ---
    readiness_offsets_min: list[Annotated[int, Field(ge=1, le=24 * 60)]] = Field(
        default_factory=lambda: [60, 15],
        max_length=6,
        description="Minutes before a scheduled session's start when its participants are checked",
    )
    readiness_checks_at_once: int = Field(
        default=50, ge=1, le=1000, description="Endpoints read at once by readiness checks"
    )
    readiness_test_calls: int = Field(
        default=50,
        ge=1,
        le=1000,
        description="Test calls at once at most (the bridge's free ports bound it too)",
    )
    readiness_setup_s: float = Field(
        default=30, gt=0, le=300, description="A test call must connect within this"
    )
    readiness_poll_s: float = Field(
        default=0.25,
        gt=0,
        le=10,
        description="A test call's state is read this often while it connects and ends",
    )
    readiness_window_s: float = Field(
        default=10, gt=0, le=120, description="A connected test call's statistics are read this far apart"
    )
    readiness_port_wait_s: float = Field(
        default=120, ge=0, le=3600, description="How long a check waits for a free bridge port"
    )
    readiness_max_loss_pct: float = Field(
        default=1.0, ge=0, le=100, description="Test call receive loss limit"
    )
    readiness_max_jitter_ms: float = Field(
        default=30.0, ge=0, le=10_000, description="Test call jitter limit"
    )
    readiness_max_clock_skew_s: float = Field(default=30.0, ge=1, le=86_400, description="Device clock limit")
    # --- outbound addresses, camera TLS and per-user limits (security review 16) ---
    device_networks: list[Annotated[str, AfterValidator(parse_network)]] = Field(
        default_factory=lambda: ["0.0.0.0/0", "::/0"],
        min_length=1,
        description="Networks (CIDR) of cameras, endpoints and IOC sinks; loopback, link-local, "
        "unspecified and multicast addresses are refused whatever this says",
    )
    device_allow_loopback: bool = Field(
        default=False,
        description="Allow devices and sinks on 127.0.0.0/8 and ::1 (the demo and the tests only)",
    )
    camera_tls_ca_file: Path | None = Field(
        default=None, description="CA certificates (PEM) for rtsps:// cameras; default: the system's"
    )
    onvif_max_reply_bytes: int = Field(
        default=1024 * 1024,
        ge=16 * 1024,
        le=64 * 1024 * 1024,
        description="A larger ONVIF reply is bad_reply",
    )
    sse_max_streams_per_user: int = Field(
        default=32,
        ge=1,
        le=1000,
        description="Event streams (SSE) one user or API key may hold open; IOC video walls often "
        "run a dozen screens under one account, each view holding one stream",
    )
    relay_max_viewers_per_user: int = Field(
        default=48,
        ge=1,
        le=10000,
        description="WHEP viewers one user or API key may hold open: a camera wall page plays 16 "
        "tiles, and IOC walls run several screens under one account",
    )
    relay_ice_servers: list[IceServerSetting] = Field(
        default_factory=list,
        description="STUN/TURN servers (JSON list of {urls, username, credential} or {urls, secret}) "
        "the relay uses and advertises to viewers (WHEP Link headers); empty: direct connections only",
    )
    relay_ice_transport_policy: Literal["all", "relay"] = Field(
        default="all", description="relay: the relay's own ICE uses only TURN-relayed candidates"
    )
    relay_rtp_loop: Literal["fanout", "aiortc"] = Field(
        default="fanout",
        description="fanout: each viewer rewrites the shared packets' headers, encrypts and sends "
        "(camera.rtp_fanout); aiortc: aiortc's own RTP loop (the relay before it, for comparison)",
    )
    relay_probe_s: float = Field(
        default=3,
        ge=0,
        le=30,
        description="A WHEP offer waits this long for the camera's first pictures, to refuse a stream "
        "browsers cannot play (H.265, B-frames) with its reason; a camera silent that long is "
        "answered anyway and its viewer waits for the picture",
    )

    # --- authentication, request limits and headers ---
    max_json_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body of any route but the CSV uploads (those: max_csv_bytes)",
    )
    login_failure_window_s: float = Field(
        default=300, gt=0, le=86400, description="Failed logins are counted over this sliding window"
    )
    login_max_failures_per_user: int = Field(
        default=10, ge=1, le=10000, description="Failed logins for one user name in the window before 429"
    )
    login_max_failures_per_ip: int = Field(
        default=30,
        ge=1,
        le=100000,
        description="Failed logins from one client address in the window before 429",
    )
    login_max_in_flight: int = Field(
        default=32, ge=1, le=10000, description="Password checks waiting at once; beyond that, 503"
    )
    auth_recheck_s: float = Field(
        default=30,
        gt=0,
        le=3600,
        description="An open event stream or WHEP viewer re-checks its user or API key this often",
    )
    ldap: LdapSettings | None = Field(default=None, description="Sign in with the province's LDAP/AD")
    oidc: OidcSettings | None = Field(default=None, description="Sign in with the province's SSO portal")
    directory_session_hours: float = Field(
        default=12,
        gt=0,
        le=24 * 30,
        description="A directory sign-in lasts at most this long: then the directory is asked again",
    )
    directory_groups_file: Path | None = Field(
        default=None, description="YAML: directory groups -> (role, unit) grants (controller.users.group_map)"
    )
    smtp: SmtpSettings | None = Field(default=None, description="The mail relay alerts go out through")
    public_url: str = Field(
        default="http://127.0.0.1:8080",
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="How people reach this controller: the base of the acknowledgement links in alerts",
    )
    alert_eval_s: float = Field(default=5, gt=0, le=300, description="How often alert rules are evaluated")
    alert_group_wait_s: float = Field(
        default=30,
        ge=0,
        le=3600,
        description="An alarm waits this long before its first message, so that alarms raised "
        "together (a district losing power) go out as one digest",
    )
    alert_group_interval_s: float = Field(
        default=300, ge=0, le=86400, description="Between two messages of one rule to one recipient"
    )
    alert_retry_hours: float = Field(
        default=6, gt=0, le=24 * 7, description="A message not delivered by then is a dead letter"
    )
    alert_backoff_base_s: float = Field(default=30, gt=0, le=3600)
    alert_backoff_max_s: float = Field(default=900, gt=0, le=86400)
    alert_ack_link_hours: float = Field(
        default=72, gt=0, le=24 * 30, description="An acknowledgement link in a message works this long"
    )
    forwarded_allow_ips: list[str] = Field(
        default_factory=list,
        description="Reverse proxies whose X-Forwarded-For names the client (per-address login limits)",
    )

    # --- value templates ---
    @field_validator("log_level", mode="before")
    @classmethod
    def _level_any_case(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("firmware_url_template")
    @classmethod
    def _firmware_url_placeholders(cls, value: str) -> str:
        """Bare {profile} and {version} only: the job fills it with str.format (see controller.templates)."""
        templates.check(value, ("profile", "version"))
        return value

    @field_validator("bridge_sip_pattern")
    @classmethod
    def _bridge_pattern(cls, value: str) -> str:
        return validate_pattern(value)

    @model_validator(mode="after")
    def _directory_needs_groups(self) -> Settings:
        """Without the group file nobody from the directory could do anything: say so at start."""
        if (self.ldap or self.oidc) and self.directory_groups_file is None:
            raise ValueError("ldap or oidc needs directory_groups_file (which groups get which grants)")
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'diemcau.db').resolve()}"

    @property
    def key_file(self) -> Path:
        return self.data_dir / "secret.key"

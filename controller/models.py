"""ORM tables. Levels of the administrative tree are data (`Unit.level`), not columns.

Every row that matters carries UUID ids and tz-aware UTC created/updated times.
`Unit.path` is a materialized path of ancestor ids ("/<id>/<id>/") so that "this
district and everything under it" is one indexed LIKE, whatever the tree's depth.
`search_key` (units, endpoints, cameras) is the folded text the lists' ``q`` searches,
filled by the ORM on every insert and update (`SEARCHED`, at the end; controller/search_text.py).

Long because: one class per table, and the whole schema in one place is what the migration
test compares with the migrated database; split, that comparison would need every module
imported in the right order.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    event,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column, relationship

from controller import search_text


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always returns tz-aware datetimes (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    if TYPE_CHECKING:
        # Every class here is mapped to a table of its own (none to a join or a subquery).
        __table__: ClassVar[Table]


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Unit(Timestamped, Base):
    __tablename__ = "units"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(32), index=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("units.id", ondelete="RESTRICT"), index=True
    )
    path: Mapped[str] = mapped_column(String(2000), index=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    search_key: Mapped[str] = mapped_column(Text, server_default="")  # see SEARCHED


class Endpoint(Timestamped, Base):
    __tablename__ = "endpoints"
    __table_args__ = (
        UniqueConstraint("unit_id", "name", name="uq_endpoint_unit_name"),
        UniqueConstraint("host", "port", name="uq_endpoint_host_port"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(128))
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer, default=22)
    username: Mapped[str] = mapped_column(String(64))
    password_enc: Mapped[str] = mapped_column(Text)
    profile: Mapped[str] = mapped_column(String(64), index=True)
    host_key: Mapped[str | None] = mapped_column(Text)
    host_key_source: Mapped[str | None] = mapped_column(String(16))
    sip_uri: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(32), default="unknown", index=True)
    state_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    model: Mapped[str | None] = mapped_column(String(128))
    firmware_version: Mapped[str | None] = mapped_column(String(128))
    serial: Mapped[str | None] = mapped_column(String(128))
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pending_host_key: Mapped[str | None] = mapped_column(Text)
    search_key: Mapped[str] = mapped_column(Text, server_default="")  # see SEARCHED

    unit: Mapped[Unit] = relationship(lazy="joined")


class User(Timestamped, Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # In every access token; raised by a password change or a disable, so each token issued
    # before is refused (a re-created user has a new id, which the token also carries).
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # "local" (a password here: the break-glass admin), "ldap" or "oidc": a directory user has
    # no password here and gets its grants from its directory groups at each sign-in.
    source: Mapped[str] = mapped_column(String(16), default="local", server_default="local")
    # What the user may do where; ``role`` is the first grant's, kept for display and audit.
    grants: Mapped[list[Grant]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="Grant.created_at"
    )


class Grant(Base):
    """A role over a unit's subtree (no unit: the whole province). A user may hold several:
    a district's technician who also hosts the province's meetings has two."""

    __tablename__ = "grants"
    __table_args__ = (UniqueConstraint("user_id", "role", "unit_id", name="uq_grants_user_role_unit"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    # RESTRICT: a unit somebody is responsible for is not deleted from under them
    unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unit: Mapped[Unit | None] = relationship(lazy="selectin")


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A wall device's key is bound to the one console view it shows (``ioc``); None: any.
    view: Mapped[str | None] = mapped_column(String(16))
    # The subtree the key's role covers (a district's own integration); None: the province.
    unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))


class AuthSession(Base):
    """One sign-in on one device: the family of its refresh tokens.

    Revoking it (sign-out, sign-out everywhere, a reused refresh token, a password change)
    ends every refresh token of the family and every access token issued from it (they
    carry its id as ``sid``).
    """

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user_version: Mapped[int] = mapped_column(Integer)  # the user's token_version at sign-in
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    client: Mapped[str | None] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(64))


class RefreshToken(Base):
    """One refresh token: used once (rotation), then only its successor is good; presenting
    a used one again means it was copied, and the whole session is revoked."""

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditRecord(Base):
    __tablename__ = "audit_log"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ConfigStandard(Timestamped, Base):
    """One setting of the province standard, for a unit's subtree (None: everywhere).

    The deepest unit wins: a district may override the province's NTP server.
    ``value`` may use placeholders ({name}, {unit_code}, {unit_name}, {sip_uri}).
    """

    __tablename__ = "config_standards"
    __table_args__ = (UniqueConstraint("unit_id", "key", name="uq_standard_unit_key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(500))


class Job(Timestamped, Base):
    """A unit of background work over many endpoints (provisioning, firmware campaign)."""

    __tablename__ = "jobs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), index=True)
    target: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message: Mapped[str | None] = mapped_column(Text)
    # the message as a stable code and its params (controller.provisioning.notes)
    message_code: Mapped[str | None] = mapped_column(String(40))
    message_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the deepest unit holding every target (scope.common_path): whose people see the job
    unit_path: Mapped[str | None] = mapped_column(String(2000), index=True)


class JobItem(Base):
    """One endpoint's (or camera's) part of a job: what was planned, written, and what came of it."""

    __tablename__ = "job_items"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    endpoint_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("endpoints.id", ondelete="SET NULL"), index=True
    )
    # a camera's item (camera provisioning) names the camera here; endpoint_name is its name
    camera_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("cameras.id", ondelete="SET NULL"), index=True
    )
    endpoint_name: Mapped[str] = mapped_column(String(128))
    seq: Mapped[int] = mapped_column(Integer, default=0)
    wave: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(24), default="pending", index=True)
    plan: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    written: Mapped[list[str]] = mapped_column(JSON, default=list)
    message: Mapped[str | None] = mapped_column(Text)
    message_code: Mapped[str | None] = mapped_column(String(40))  # progress (notes.py); failures: error_code
    message_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error_code: Mapped[str | None] = mapped_column(String(32))
    error_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # beside error_code
    transcript: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EndpointHealth(Base):
    """The monitor's latest view of one endpoint (the API reads this, never the device)."""

    __tablename__ = "endpoint_health"

    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("endpoints.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(32), default="unknown")
    reason: Mapped[str | None] = mapped_column(String(500))  # English; the state + params for other words
    reason_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    last_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    poll_latency_ms: Mapped[float | None] = mapped_column(Float)
    health: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class HealthSample(Base):
    """One poll's outcome; kept raw for `health_raw_retention_h`, then rolled up hourly."""

    __tablename__ = "health_samples"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(32))
    ok: Mapped[bool] = mapped_column(Boolean)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    in_call: Mapped[bool | None] = mapped_column(Boolean)
    packet_loss_pct: Mapped[float | None] = mapped_column(Float)
    temperature_c: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index("ix_health_samples_endpoint_at", "endpoint_id", "at"),)


class HealthRollup(Base):
    """Hourly aggregates of samples, kept for the history retention (default 90 days)."""

    __tablename__ = "health_rollups"

    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("endpoints.id", ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    samples: Mapped[int] = mapped_column(Integer)
    ok_samples: Mapped[int] = mapped_column(Integer)
    in_call_samples: Mapped[int] = mapped_column(Integer)
    avg_latency_ms: Mapped[float | None] = mapped_column(Float)
    avg_loss_pct: Mapped[float | None] = mapped_column(Float)
    max_loss_pct: Mapped[float | None] = mapped_column(Float)
    avg_temperature_c: Mapped[float | None] = mapped_column(Float)
    max_temperature_c: Mapped[float | None] = mapped_column(Float)


class Alarm(Base):
    """One row per problem (dedupe key); raised again after a clear, it counts up."""

    __tablename__ = "alarms"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    entity_name: Mapped[str] = mapped_column(String(200))
    unit_path: Mapped[str] = mapped_column(String(2000), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    message: Mapped[str] = mapped_column(String(500))  # English; `code` + `params` for other words
    code: Mapped[str] = mapped_column(String(32), default="")  # health/catalogue.py: the kind
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=1)
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ack_comment: Mapped[str | None] = mapped_column(String(1000))


class AlarmHistory(Base):
    __tablename__ = "alarm_history"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    alarm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alarms.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    action: Mapped[str] = mapped_column(String(16))  # raised | cleared | acknowledged
    actor: Mapped[str | None] = mapped_column(String(128))
    message: Mapped[str | None] = mapped_column(String(1000))


class OutboxEvent(Base):
    """Every state and alarm change, written in the same transaction as the change.

    The integer id orders events and is the SSE event id (Last-Event-ID resume);
    sinks (webhook, MQTT) deliver from here with retries.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    type: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(64))
    unit_path: Mapped[str | None] = mapped_column(String(2000))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Bridge(Timestamped, Base):
    """An MCU. ``ports`` bounds the participants of its live sessions, together.

    Dial patterns hold ``{conference}``: ``sip:{conference}@mcu.tinh.gov.vn``
    for SIP, ``{conference}@10.0.0.5`` or an E.164 prefix for H.323.
    """

    __tablename__ = "bridges"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    ports: Mapped[int] = mapped_column(Integer)
    sip_pattern: Mapped[str | None] = mapped_column(String(255))
    h323_pattern: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    # the conference readiness test calls dial (the bridge's own test or echo room), put
    # into the same patterns as a session's conference id
    test_conference: Mapped[str | None] = mapped_column(String(64))


class SavedScope(Timestamped, Base):
    """A named participant selection for recurring meetings, resolved at each start."""

    __tablename__ = "saved_scopes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(128))


class ConferenceSession(Timestamped, Base):
    """A meeting on a bridge: ``scheduled`` → ``live`` → ``ended`` (or ``cancelled``)."""

    __tablename__ = "conference_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(300))
    host: Mapped[str] = mapped_column(String(128))
    bridge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bridges.id", ondelete="RESTRICT"), index=True)
    conference_id: Mapped[str] = mapped_column(String(64))
    dial_string: Mapped[str] = mapped_column(String(300))
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    saved_scope_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("saved_scopes.id", ondelete="SET NULL")
    )
    call_rate: Mapped[int] = mapped_column(Integer)
    protocol: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    duration_s: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(128))
    # the deepest unit holding every participant (scope.common_path): whose people see it
    unit_path: Mapped[str | None] = mapped_column(String(2000), index=True)
    # the host's choice for endpoints not ready at the start (busy/offline/key_pending → wait|skip)
    unready: Mapped[dict[str, str] | None] = mapped_column(JSON)


class Participant(Base):
    """One endpoint in a session; ``intervals`` are its [join, leave] pairs (ISO times)."""

    __tablename__ = "session_participants"
    __table_args__ = (UniqueConstraint("session_id", "endpoint_id", name="uq_participant_endpoint"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conference_sessions.id", ondelete="CASCADE"), index=True
    )
    endpoint_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("endpoints.id", ondelete="SET NULL"), index=True
    )
    endpoint_name: Mapped[str] = mapped_column(String(128))
    unit_code: Mapped[str] = mapped_column(String(64))
    unit_name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), index=True)
    cause: Mapped[str | None] = mapped_column(String(500))
    cause_code: Mapped[str | None] = mapped_column(String(40))  # sessions/causes.py
    cause_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    drops: Mapped[int] = mapped_column(Integer, default=0)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    first_join_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_leave_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    connected_s: Mapped[float] = mapped_column(Float, default=0.0)
    intervals: Mapped[list[list[str | None]]] = mapped_column(JSON, default=list)
    state_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "gọi khi rảnh": not ready at the start, dialled whenever it can be, never given up
    wait_free: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SessionEvent(Base):
    """The session timeline: start, each participant change, host actions, end."""

    __tablename__ = "session_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conference_sessions.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    endpoint_name: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ReadinessRun(Base):
    """One round of readiness checks: before a scheduled session (``T-60``, ``T-15``) or
    asked for (``manual``), over the session's participants or a scope."""

    __tablename__ = "readiness_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("conference_sessions.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(128))
    unit_path: Mapped[str | None] = mapped_column(String(2000), index=True)  # scope.common_path
    bridge_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bridges.id", ondelete="SET NULL"))
    test_dial: Mapped[str | None] = mapped_column(String(300))  # None: no test number, no test call
    status: Mapped[str] = mapped_column(String(16), index=True)  # running | done | interrupted
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReadinessCheck(Base):
    """One endpoint's check in a run: what each check found, the verdict with its coded
    reasons (``health/catalogue.py`` READINESS), and what the unit's technician said."""

    __tablename__ = "readiness_checks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("readiness_runs.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("conference_sessions.id", ondelete="CASCADE"), index=True
    )
    endpoint_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("endpoints.id", ondelete="SET NULL"), index=True
    )
    endpoint_name: Mapped[str] = mapped_column(String(128))
    unit_code: Mapped[str] = mapped_column(String(64))
    unit_name: Mapped[str] = mapped_column(String(200))
    unit_path: Mapped[str] = mapped_column(String(2000), index=True)
    status: Mapped[str] = mapped_column(String(16))  # queued | checking | test_call | done
    verdict: Mapped[str | None] = mapped_column(String(16), index=True)  # ready | not_ready
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    results: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ack_kind: Mapped[str | None] = mapped_column(String(16))  # on_my_way | fixed
    ack_by: Mapped[str | None] = mapped_column(String(128))
    ack_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ack_note: Mapped[str | None] = mapped_column(String(500))


class Camera(Timestamped, Base):
    """A one-stop-desk IP camera. ``url`` never holds credentials (see ``camera.urls``)."""

    __tablename__ = "cameras"
    __table_args__ = (
        UniqueConstraint("unit_id", "name", name="uq_camera_unit_name"),
        UniqueConstraint("url", name="uq_camera_url"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(128))
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    site: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(1000))
    username: Mapped[str | None] = mapped_column(String(128))
    password_enc: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(32), default="unknown", index=True)
    state_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # ONVIF device service (http://host/onvif/device_service); None: not provisioned over ONVIF
    onvif_url: Mapped[str | None] = mapped_column(String(1000))
    # rtsps:// without certificate verification: a technician's explicit choice (self-signed camera)
    tls_insecure: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    search_key: Mapped[str] = mapped_column(Text, server_default="")  # see SEARCHED

    unit: Mapped[Unit] = relationship(lazy="joined")


class CameraHealth(Base):
    """The camera monitor's latest view of one camera, and what its picture history taught it."""

    __tablename__ = "camera_health"

    camera_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(32), default="unknown")
    reason: Mapped[str | None] = mapped_column(String(500))
    reason_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # see EndpointHealth
    problems: Mapped[list[str]] = mapped_column(JSON, default=list)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sample_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    measures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # fps, bitrate, luma, sharpness...
    baseline_sharpness: Mapped[float | None] = mapped_column(Float)
    reference: Mapped[bytes | None] = mapped_column(LargeBinary)  # 64x36 grey thumbnail, float32


class CameraSample(Base):
    """One camera health sample, kept raw for `health_raw_retention_h` (there are no camera rollups).

    The measures are columns, not one JSON blob: the analytics fix the set, typed floats are a
    fraction of the size of repeated JSON keys at one row per camera per interval, and an hourly
    rollup can later AVG/MAX them in portable SQL as `health_rollups` does for endpoints. Names
    follow `CameraHealth.measures`, so a history point reads like the latest sample. A failed
    sample (offline, stalled) is a row too, with the measures None.
    """

    __tablename__ = "camera_samples"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    camera_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(32))
    fps: Mapped[float | None] = mapped_column(Float)
    bitrate_kbps: Mapped[float | None] = mapped_column(Float)
    keyframe_interval_s: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    luma: Mapped[float | None] = mapped_column(Float)
    sharpness: Mapped[float | None] = mapped_column(Float)
    frame_diff: Mapped[float | None] = mapped_column(Float)
    scene_correlation: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index("ix_camera_samples_camera_at", "camera_id", "at"),)


class AlertRule(Timestamped, Base):
    """Who is told about which alarms, and how: a unit's subtree, a lowest severity, kinds,
    quiet hours, and whom to tell next when nobody acknowledges."""

    __tablename__ = "alert_rules"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # the subtree whose alarms it sends (a district's technicians); None: the whole province
    unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    min_severity: Mapped[str] = mapped_column(String(16))
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every kind
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)  # e-mail addresses
    url: Mapped[str | None] = mapped_column(String(1000))  # the chat webhook's
    secret_enc: Mapped[str | None] = mapped_column(Text)
    # "HH:MM" local (Asia/Ho_Chi_Minh): in between, only critical alarms go out; the rest wait
    quiet_from: Mapped[str | None] = mapped_column(String(5))
    quiet_until: Mapped[str | None] = mapped_column(String(5))
    escalate_after_min: Mapped[int | None] = mapped_column(Integer)
    escalate_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(128))


class AlertNotification(Base):
    """One message to one recipient (an address, or the rule's webhook): queued, retried, sent
    or dead. The alarms it names are kept so that its link can acknowledge them."""

    __tablename__ = "alert_notifications"
    __table_args__ = (Index("ix_alert_notifications_status_next", "status", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    rule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"), index=True)
    rule_name: Mapped[str] = mapped_column(String(100))
    stage: Mapped[str] = mapped_column(String(16))  # notify | escalate | test
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(1000))  # an address, or the webhook's URL
    alarm_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))  # pending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # its link (controller/alerts/ack.py: the id signed) works until then, once
    ack_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AlertSent(Base):
    """That a rule told someone about an alarm at a stage: each alarm is in one message per
    rule, recipient and stage (a restart sends nothing twice)."""

    __tablename__ = "alert_sent"
    __table_args__ = (
        UniqueConstraint("alarm_id", "rule_id", "recipient", "stage", "raise_count", name="uq_alert_sent"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    alarm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alarms.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(1000))
    stage: Mapped[str] = mapped_column(String(16))
    # the alarm's count when told: raised again after a clear, it is told again
    raise_count: Mapped[int] = mapped_column(Integer)
    notification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("alert_notifications.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Sink(Timestamped, Base):
    """Where outbox events are delivered (the IOC's webhook receiver, an MQTT broker).

    ``cursor`` is the last outbox id turned into deliveries: enqueueing and moving
    it happen in one transaction, so an event is queued exactly once per sink.
    """

    __tablename__ = "sinks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(1000))
    secret_enc: Mapped[str | None] = mapped_column(Text)
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every type
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[str] = mapped_column(String(128))
    # the subtree whose events it receives (a district's own operations room); None: all
    unit_path: Mapped[str | None] = mapped_column(String(2000))


class Delivery(Base):
    """One event for one sink: pending until delivered, or dead after the retry period."""

    __tablename__ = "sink_deliveries"
    __table_args__ = (Index("ix_deliveries_sink_status_event", "sink_id", "status", "event_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    sink_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sinks.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(BigInteger, index=True)
    entity_key: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))


# The fields whose folded text each table's ``search_key`` holds. Kept here, on the ORM's
# flush, so every write through a session (the API, the CLI, CSV imports, unit imports) keeps
# the key; a Core or bulk UPDATE that sets one of these fields must set search_key too
# (none does today: the monitors and jobs update state, identity and host keys only).
SEARCHED: dict[type[Base], tuple[str, ...]] = {
    Unit: ("name", "code"),
    Endpoint: ("name", "host", "description"),
    Camera: ("name", "site"),
}


def _fill_search_key(_mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    target.search_key = search_text.search_key(*(getattr(target, f) for f in SEARCHED[type(target)]))


for _model in SEARCHED:
    event.listen(_model, "before_insert", _fill_search_key)
    event.listen(_model, "before_update", _fill_search_key)

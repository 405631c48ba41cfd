"""Typed operations on a device, driven entirely by its profile.

``EndpointDriver`` is the one contract every vendor family satisfies
(NAPALM-style): identity, configuration, health, calls.  It never branches on
the vendor; commands, parse rules and escaping all come from the profile.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from endpoints.commands import render
from endpoints.connection import EndpointSession
from endpoints.errors import CommandFailed, ParseError, ProfileError, UnsafeValue
from endpoints.parsing import apply_query, apply_rule, merge
from endpoints.profiles import ConfigKey, Profile, Query

__all__ = ["CallStatus", "DeviceClock", "EndpointDriver", "Health", "Identity", "MediaSample"]


class Identity(BaseModel):
    model_config = ConfigDict(frozen=True)
    model: str
    firmware_version: str  # the release, comparable across builds ("ce11.14.2.3")
    firmware_build: str | None = None  # the build id printed after it, where the device has one
    serial: str | None = None


class Health(BaseModel):
    """A snapshot; None means "this device/profile does not report it"."""

    model_config = ConfigDict(frozen=True)
    uptime_s: int | None = None
    in_call: bool | None = None
    remote: str | None = None
    call_duration_s: int | None = None
    sip_registered: bool | None = None
    camera_connected: bool | None = None
    microphones_connected: bool | None = None
    packet_loss_pct: float | None = None
    temperature_c: float | None = None


class CallStatus(BaseModel):
    """The call in progress, in canonical words whatever the vendor (``calls.status``)."""

    model_config = ConfigDict(frozen=True)
    state: Literal["idle", "dialling", "ringing", "connected", "disconnecting"]
    remote: str | None = None
    call_id: int | None = None


class DeviceClock(BaseModel):
    """The device's clock against ours: ``skew_s`` is device minus controller, taken at the
    middle of the round trip (whole seconds on every family, so ±1 s is noise).
    ``ntp_synced`` None: the family or model does not say (a cloud-registered codec)."""

    model_config = ConfigDict(frozen=True)
    device_time: datetime
    skew_s: float
    ntp_synced: bool | None = None


class MediaSample(BaseModel):
    """One reading of a call's receive statistics; None: not reported (see ``Readiness``)."""

    model_config = ConfigDict(frozen=True)
    lost_packets: int | None = None
    received_packets: int | None = None
    loss_pct: float | None = None
    jitter_ms: float | None = None


class EndpointDriver:
    """Profile-driven operations over an open ``EndpointSession``."""

    def __init__(self, session: EndpointSession, profile: Profile | None = None) -> None:
        self.session = session
        self.profile = profile or session.profile

    def _render(self, template: str, **values: object) -> str:
        return render(template, values, self.profile.escaping)

    async def _queries(self, items: list[tuple[str, Query]]) -> list[dict[str, object]]:
        """Run the queries pipelined; parse each, honouring its ``on_error``."""
        raws = await self.session.run_many([q.command for _, q in items])
        out: list[dict[str, object]] = []
        for (name, query), raw in zip(items, raws, strict=True):
            if isinstance(raw, CommandFailed):
                if query.on_error == "none":
                    out.append(dict.fromkeys(query.fields))
                    continue
                raise raw
            out.append(apply_query(query, raw, name=name, escaping=self.profile.escaping))
        return out

    def _spec(self, key: str) -> ConfigKey:
        spec = self.profile.config.get(key)
        if spec is None:
            raise UnsafeValue(key, f"profile {self.profile.id} has no config key {key!r}")
        return spec

    async def identify(self) -> Identity:
        items = [(f"identity.{n}", q) for n, q in self.profile.identity.items()]
        return Identity(**merge(await self._queries(items)))

    async def read_config(self, keys: Iterable[str] | None = None) -> dict[str, str]:
        """Read configuration keys (all the profile knows by default), canonical values.

        The reads are pipelined: one round trip for all keys; a refused one raises.
        """
        values = await self.read_config_each(keys if keys is not None else self.profile.config)
        for value in values.values():
            if isinstance(value, CommandFailed):
                raise value
        return values  # type: ignore[return-value]

    async def read_config_each(self, keys: Iterable[str]) -> dict[str, str | CommandFailed]:
        """``read_config``, but a key the device refuses is its ``CommandFailed`` in its slot:
        one refused read (a setting this model or firmware lacks) never hides the others."""
        keys = list(keys)
        specs = [self._spec(k) for k in keys]
        raws = await self.session.run_many([spec.read for spec in specs])
        out: dict[str, str | CommandFailed] = {}
        for key, spec, raw in zip(keys, specs, raws, strict=True):
            if isinstance(raw, CommandFailed):
                out[key] = raw
                continue
            value = str(apply_rule(spec.parse, raw, name=f"config.{key}", escaping=self.profile.escaping))
            out[key] = {v: k for k, v in spec.choices.items()}.get(value, value) if spec.choices else value
        return out

    def _render_set(self, key: str, value: str) -> str:
        spec = self._spec(key)
        if (problem := spec.problem(value)) is not None:
            raise UnsafeValue(value, f"{key} {problem}")
        if spec.choices is not None:
            value = spec.choices[value]
        return self._render(spec.set, value=value)

    async def set_config(self, key: str, value: str) -> None:
        """Set one key; ``value`` is canonical (mapped through ``choices`` when declared)."""
        await self.session.run(self._render_set(key, value))

    async def set_config_many(
        self, values: Mapping[str, str]
    ) -> dict[str, CommandFailed | UnsafeValue | None]:
        """Set several keys in one round trip; per key None (done), the device's refusal
        (``CommandFailed``), or ``UnsafeValue`` for a value outside the device's limits or
        one that cannot be made literal, which is never sent: one bad value does not
        hold back the others."""
        out: dict[str, CommandFailed | UnsafeValue | None] = {}
        commands: dict[str, str] = {}
        for key, value in values.items():
            try:
                commands[key] = self._render_set(key, value)
            except UnsafeValue as exc:
                out[key] = exc
        results = await self.session.run_many(list(commands.values()))
        for key, result in zip(commands, results, strict=True):
            out[key] = result if isinstance(result, CommandFailed) else None
        return {key: out[key] for key in values}

    async def health(self) -> Health:
        items = [(f"health.{n}", q) for n, q in self.profile.health.items()]
        return Health(**merge(await self._queries(items)))

    async def clock(self) -> DeviceClock | None:
        """The device's clock and NTP state in one round trip; None when the profile
        cannot read a clock. An answer that is not a time in ``clock_format`` is a
        ``ParseError``, never a guess."""
        ready = self.profile.readiness
        if ready.clock is None:
            return None
        items = [("readiness.clock", ready.clock)]
        if ready.ntp is not None:
            items.append(("readiness.ntp", ready.ntp))
        sent = time.time()
        fields = merge(await self._queries(items))
        midpoint = (sent + time.time()) / 2
        text = str(fields.get("device_time") or "").strip()
        try:
            if ready.clock_format == "rfc2822":
                at = parsedate_to_datetime(text)
            else:
                at = datetime.strptime(text, ready.clock_format)
        except (TypeError, ValueError):
            raise ParseError("readiness.clock.device_time", text) from None
        if at.tzinfo is None:  # rfc2822 with "-0000" means "offset unknown"
            raise ParseError("readiness.clock.device_time (no UTC offset)", text)
        synced = fields.get("ntp_synced")
        return DeviceClock(
            device_time=at,
            skew_s=round(at.timestamp() - midpoint, 3),
            ntp_synced=None if synced is None else bool(synced),
        )

    async def media(self) -> MediaSample | None:
        """The receive statistics of the call in progress; None when the profile has no
        media query. Read twice a window apart to judge a test call."""
        query = self.profile.readiness.media
        if query is None:
            return None
        (fields,) = await self._queries([("readiness.media", query)])
        return MediaSample(**{k: v for k, v in fields.items() if v is not None})

    async def in_call(self) -> bool:
        """Whether a call is up, running only the health queries that yield ``in_call``."""
        items = [(f"health.{n}", q) for n, q in self.profile.health.items() if "in_call" in q.fields]
        if not items:
            raise ProfileError(f"profile {self.profile.id}: no health query yields in_call")
        return bool(merge(await self._queries(items)).get("in_call"))

    async def dial(self, uri: str, rate: int = 1920, protocol: str = "sip", tag: str = "") -> int | None:
        """Place a call; the device's id for it when its answer says (``calls.dial_call_id``).
        ``tag`` is a booking/meeting reference where the dialect takes one."""
        calls = self.profile.calls
        if protocol not in calls.protocols:
            raise UnsafeValue(protocol, f"protocol must be one of {sorted(calls.protocols)}")
        command = self._render(calls.dial, uri=uri, rate=rate, protocol=calls.protocols[protocol], tag=tag)
        raw = await self.session.run(command)
        if calls.dial_call_id is None:
            return None
        call_id = apply_rule(
            calls.dial_call_id, raw, name="calls.dial_call_id", escaping=self.profile.escaping
        )
        return int(call_id) if call_id is not None else None

    async def call_status(self) -> CallStatus:
        """Where the call stands (one round trip); a listener calls this when a
        state-feedback line wakes it, since feedback says *that* something changed."""
        query = self.profile.calls.status
        if query is None:
            raise ProfileError(f"profile {self.profile.id}: no calls.status query")
        (fields,) = await self._queries([("calls.status", query)])
        return CallStatus(
            state=fields["call_state"],
            remote=fields.get("remote"),
            call_id=fields.get("call_id"),
        )

    async def hangup(self, call_id: int | None = None) -> None:
        """End the call with the device's id ``call_id`` where the dialect can name one
        (``calls.hangup_call``), else the call in progress."""
        calls = self.profile.calls
        if call_id is not None and calls.hangup_call is not None:
            await self.session.run(self._render(calls.hangup_call, call_id=call_id))
        else:
            await self.session.run(calls.hangup)

    async def mute(self, on: bool) -> None:
        await self.session.run(self.profile.calls.mute if on else self.profile.calls.unmute)

    async def upgrade_firmware(self, url: str) -> None:
        """Start a firmware upgrade; the device reboots (see ``firmware.reboot_seconds``)."""
        template = self.profile.firmware.upgrade
        if template is None:
            raise UnsafeValue(url, f"profile {self.profile.id} cannot upgrade over this API")
        await self.session.run(self._render(template, url=url))

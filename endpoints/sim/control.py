"""Control a running fleet: list endpoints, inject faults, configure upgrades, read counters.

JSON lines over TCP on 127.0.0.1 (random port): one request object per line,
one response object per line.  Requests::

    {"op": "list"}
    {"op": "state", "endpoint": "DEMO-vc001"}
    {"op": "fault", "endpoint": "DEMO-vc001", "fault": "stall", "seconds": 10, "delay_ms": 500}
    {"op": "fault", "endpoint": 3, "fault": "flaky", "pct": 2.0, "delay_ms": 3000}
    {"op": "fault_all", "endpoints": ["DEMO-vc001", 4] | null, "fault": "refuse"}   null: all
    {"op": "set", "endpoint": "DEMO-vc001", "camera_connected": false,
     "microphones_connected": true, "sip_registered": true, "packet_loss_pct": 2.5,
     "temperature_c": 71.0, "clock_offset_s": 300, "ntp_synced": false, "jitter_ms": 12,
     "call": {"remote": "sip:x@vc.example.gov.vn", "rate": 1920} | null}
    {"op": "configure", "endpoint": "DEMO-vc001", "download_s": 1, "reboot_s": 3,
     "upgrade_fail": "download" | "boot" | null, "rekey_on_upgrade": true,
     "ring_delay_ms": 500, "answer_delay_ms": 1500, "dial_fail_pct": 2, "drop_per_min_pct": 1}
    {"op": "configure", "ring_delay_ms": 500}          no endpoint: every endpoint
    {"op": "bridge"}                     the MCU: ports, in_use, peak, rejected, conferences
    {"op": "bridge", "ports": 2}         resize it (calls already in keep their ports)
    {"op": "drop_calls", "names": ["DEMO-vc001"]}      drop these calls (NetworkError)
    {"op": "drop_calls", "pct": 10, "seed": 1}         drop 10 % of connected calls
    {"op": "stats"}                      per-endpoint counters, fleet handshake gauge
    {"op": "stats", "endpoint": "DEMO-vc001", "reset": true}

``endpoint`` is a name or an index into the fleet.  ``configure`` and ``set``
change only the fields given; ``set`` with ``call`` starts an incoming call
(``null`` ends it), pushing feedback to registered sessions as a device does.
``set`` fields and types: ``camera_connected``, ``microphones_connected``,
``sip_registered``, ``ntp_synced`` booleans; ``packet_loss_pct`` (0..100),
``temperature_c``, ``clock_offset_s`` (seconds the device clock is ahead, negative
behind; within ten years) and ``jitter_ms`` (0..10000) finite numbers.  A wrong
type, a value out of range or an unknown name answers ``{"ok": false, "error": ...}``
and changes nothing.
``fault_all`` resolves every name before changing anything.  ``stats`` counters: ``connections`` (SSH logins accepted), ``passwords`` (passwords received),
``commands`` (command lines received), ``config_writes`` (setting writes, accepted or refused),
``upgrades`` (firmware upgrades started), ``dials`` (dial commands received);
``reset`` zeroes them after reading.  ``drop_calls`` answers ``{"dropped":
[names]}``: only connected calls drop; ``pct`` is rounded half up and the calls
are sampled with ``seed`` from the connected names in sorted order.

Responses are ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``.  The
port is written to a JSON "control file" so other processes can find it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from endpoints.sim.fleet import CALL_OPTIONS, Fleet, check_call_options
from endpoints.sim.server import STATE_FIELDS, UPGRADE_FAILURES, SimEndpoint

__all__ = ["ControlServer", "control_request", "read_control_file"]


class ControlServer:
    def __init__(self, fleet: Fleet, host: str = "127.0.0.1") -> None:
        self.fleet = fleet
        self.host = host
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self, control_file: str | Path | None = None) -> None:
        self._server = await asyncio.start_server(self._client, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        if control_file is not None:
            Path(control_file).write_text(  # noqa: ASYNC240 - tiny file, once at start
                json.dumps({"host": self.host, "port": self.port}), encoding="utf-8"
            )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                try:
                    reply = await self.handle(json.loads(line))
                except (KeyError, ValueError, TypeError) as exc:
                    reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op == "list":
            return {
                "ok": True,
                "endpoints": [
                    {**ep.state.summary(), "host": ep.host, "port": ep.port} for ep in self.fleet.endpoints
                ],
            }
        if op == "stats":
            return self._stats(request)
        if op == "bridge":
            if request.get("ports") is not None:
                self.fleet.bridge.resize(request["ports"])
            return {"ok": True, "bridge": self.fleet.bridge.as_dict()}
        if op == "drop_calls":
            if request.get("names") is not None and not isinstance(request["names"], list):
                raise ValueError("names must be a list of endpoint names")
            dropped = self.fleet.drop_calls(
                request.get("names"), pct=request.get("pct"), seed=int(request.get("seed", 0))
            )
            return {"ok": True, "dropped": dropped}
        if op == "configure" and request.get("endpoint") is None:
            options = _check_configure(request)  # everything checked before anything changes
            for each in self.fleet.endpoints:
                _configure(each, request, options)
            return {"ok": True, "endpoints": [each.state.name for each in self.fleet.endpoints]}
        if op == "fault_all":
            eps = await self.fleet.inject_all(
                request["fault"], request.get("endpoints"), **_fault_options(request)
            )
            return {"ok": True, "endpoints": [ep.state.name for ep in eps]}
        ep = self.fleet[request["endpoint"]]
        if op == "configure":
            _configure(ep, request, _check_configure(request))
            return {"ok": True, "endpoint": _options(ep)}
        if op == "state":
            return {"ok": True, "endpoint": ep.state.summary()}
        if op == "fault":
            await ep.inject(request["fault"], **_fault_options(request))
            return {"ok": True, "endpoint": ep.state.summary()}
        if op == "set":
            fields = {k: v for k, v in request.items() if k not in ("op", "endpoint")}
            if unknown := set(fields) - set(STATE_FIELDS) - {"call"}:
                raise ValueError(f"unknown fields {sorted(unknown)}")
            ep.set_state(**fields)
            return {"ok": True, "endpoint": ep.state.summary()}
        raise ValueError(f"unknown op {op!r}")

    def _stats(self, request: dict[str, Any]) -> dict[str, Any]:
        eps = (
            [self.fleet[request["endpoint"]]] if request.get("endpoint") is not None else self.fleet.endpoints
        )
        stats = {ep.state.name: ep.state.stats.as_dict() for ep in eps}
        gauge = self.fleet.handshakes
        reply = {
            "ok": True,
            "stats": stats,
            "handshakes": {"current": gauge.current, "peak": gauge.peak},
        }
        if request.get("reset"):
            if request.get("endpoint") is None:
                self.fleet.reset_stats()
            else:
                for ep in eps:
                    ep.state.stats = type(ep.state.stats)()
        return reply


def _fault_options(request: dict[str, Any]) -> dict[str, Any]:
    """``inject`` keywords from a request: only those given, so each fault keeps its defaults."""
    out: dict[str, Any] = {}
    if request.get("seconds") is not None:
        out["seconds"] = float(request["seconds"])
    if request.get("delay_ms") is not None:
        out["delay_ms"] = int(request["delay_ms"])
    if request.get("pct") is not None:
        out["pct"] = float(request["pct"])
    return out


def _check_configure(request: dict[str, Any]) -> dict[str, int | float]:
    """Refuse a bad request before any endpoint changes; the call options, checked."""
    if "upgrade_fail" in request and request["upgrade_fail"] not in UPGRADE_FAILURES:
        raise ValueError(f"upgrade_fail must be one of {UPGRADE_FAILURES}")
    return check_call_options(**{k: request[k] for k in CALL_OPTIONS if k in request})


def _configure(ep: SimEndpoint, request: dict[str, Any], call_options: dict[str, int | float]) -> None:
    for name, value in call_options.items():
        setattr(ep, name, value)
    for name in ("download_s", "reboot_s", "time_scale"):
        if name in request:
            value = request[name]
            setattr(ep, name, None if value is None else float(value))
    if ep.download_s is None:
        ep.download_s = 2.0
    if ep.time_scale is None:
        ep.time_scale = 1.0
    if "upgrade_fail" in request:
        ep.upgrade_fail = request["upgrade_fail"]
    if "rekey_on_upgrade" in request:
        ep.rekey_on_upgrade = bool(request["rekey_on_upgrade"])


def _options(ep: SimEndpoint) -> dict[str, Any]:
    return {
        **ep.state.summary(),
        "download_s": ep.download_s,
        "reboot_s": ep.reboot_seconds(),
        "upgrade_fail": ep.upgrade_fail,
        "rekey_on_upgrade": ep.rekey_on_upgrade,
        **{name: getattr(ep, name) for name in CALL_OPTIONS},
        "host_key": ep.public_key,
    }


def read_control_file(path: str | Path) -> tuple[str, int]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data["host"], int(data["port"])


async def control_request(
    control_file: str | Path,
    request: dict[str, Any],
    *,
    timeout: float = 5,  # noqa: ASYNC109
) -> dict[str, Any]:
    """Send one request to a running fleet's control server and return the reply."""
    host, port = read_control_file(control_file)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        writer.write(json.dumps(request).encode() + b"\n")
        await writer.drain()
        reply: dict[str, Any] = json.loads(await asyncio.wait_for(reader.readline(), timeout))
        return reply
    finally:
        writer.close()

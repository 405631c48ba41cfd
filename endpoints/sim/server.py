"""One simulated codec: a real asyncssh server on its own loopback port.

What the device says is its family's shell (``shell.py``: ``roomos.py``,
``group_series.py``, written from the vendors' documents); this module is the device
around it: the SSH server, calls taking time, the bridge, reboots, upgrades, faults.

Connections are accepted on a plain socket first and only then handed to
asyncssh (``run_server``), which is what makes transport faults possible:
``refuse`` closes the listener, ``stall`` accepts TCP and never speaks (and a session
already open stops answering too: a hung codec, not a busy port),
``reboot`` goes away and comes back on the same port with uptime reset.

Latency: ``latency_ms`` is paid once for the login banner and once per batch
of input that arrived together, not per line: a real codec answers pipelined
commands back-to-back, so N commands in one write cost one round trip.  The
``slow`` fault, a slow device rather than a slow link, is paid per command.

Firmware upgrades follow the device: the upgrade command is answered at once,
the image "downloads" for ``download_s`` (the device keeps answering), then
it reboots (connections refused) for ``reboot_s`` (the family's
``reboot_seconds`` times ``time_scale``) and comes back on the version named
in the file (``.../ce11.20.1.3.pkg`` → ``ce11.20.1.3``), optionally with a new
host key (``rekey_on_upgrade``).  ``upgrade_fail`` = ``download`` (stays up on
the old version) or ``boot`` (reboots, comes back on the old version) makes
it fail; ``state.upgrade`` says how it went.

State that a room changes by itself (a far end calls in, a camera is
unplugged, the SIP registration drops, the link loses packets) is set with
``set_state`` / ``start_call`` / ``end_call``; each change is pushed as
feedback to every shell that registered for it, as the device would.

Calls we dial take time like a real one: the dial is answered at once, the
call shows ``dialling``, ``ringing`` after ``ring_delay_ms``, ``connected``
after a further ``answer_delay_ms``, each step pushed as feedback.  With both
delays 0 (the default) the whole setup happens before the dial is answered.
``dial_fail_pct`` fails a share of setups (cause ``NetworkError``),
``drop_per_min_pct`` is the chance a connected call drops within a minute.
A call to the fleet's bridge (``bridge.py``) holds a port from ringing until
it ends; a full bridge refuses it (``NoResources``).  Hanging up, ``end_call``
or a reboot cancels whatever setup or drop timer was pending.

Fault ``flaky`` (a lossy WAN link): each batch of input is, with probability
``pct``/100, never answered (the client times out) or answered ``delay_ms``
late, half and half, drawn from an RNG seeded with (``seed``, endpoint name)
when the fault is set, so a run is reproducible.

Long because: the device around the shell (SSH server, transport faults, calls, the bridge,
reboots, upgrades) is driven by one control API and shares one device state.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import re
import socket
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import asyncssh

from endpoints.sim.bridge import SimBridge
from endpoints.sim.shell import DeviceHooks, DeviceShell
from endpoints.sim.state import CallState, EndpointState, UpgradeState

__all__ = ["STATE_FIELDS", "UPGRADE_FAILURES", "Gauge", "SimEndpoint", "version_from_url"]

UPGRADE_FAILURES = (None, "download", "boot")
# What ``set_state`` changes besides ``call``, and the feedback event each one raises.
STATE_FIELDS = {
    "camera_connected": ("peripheral", "camera"),
    "microphones_connected": ("peripheral", "microphones"),
    "sip_registered": ("sip", None),
    "packet_loss_pct": (None, None),
    "temperature_c": (None, None),
    "clock_offset_s": (None, None),  # seconds the device clock is ahead (+) or behind (-)
    "ntp_synced": (None, None),
    "jitter_ms": (None, None),
}
# Ranges of the numeric fields (inclusive); every number must also be finite.
_RANGES: dict[str, tuple[float, float]] = {
    "packet_loss_pct": (0.0, 100.0),
    "clock_offset_s": (-10 * 366 * 86400.0, 10 * 366 * 86400.0),  # ten years either way
    "jitter_ms": (0.0, 10_000.0),
}
_UNSET = object()
_VERSION = re.compile(r"[A-Za-z]*\d+(?:[._]\d+)+")


def _current_task() -> asyncio.Task[object] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop
        return None


def version_from_url(url: str) -> str | None:
    """The firmware version a package file name announces, or None."""
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    m = _VERSION.search(name)
    return m.group(0).replace("_", ".") if m else None


@dataclass
class Gauge:
    """How many of something are in progress now and at most, shared by a fleet: lets a
    test see concurrency as a count instead of guessing it from elapsed time."""

    current: int = 0
    peak: int = 0

    def up(self) -> None:
        self.current += 1
        self.peak = max(self.peak, self.current)

    def down(self) -> None:
        self.current -= 1


class _Auth(asyncssh.SSHServer):
    def __init__(self, endpoint: SimEndpoint) -> None:
        self.endpoint = endpoint

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        ep = self.endpoint
        ep.state.stats.passwords += 1
        if ep.state.faults.wrong_password:
            return False
        return username == ep.username and password == ep.password


class SimEndpoint:
    """A device on 127.0.0.1:<port>; ``state`` is its truth, ``inject`` changes faults."""

    def __init__(
        self,
        state: EndpointState,
        shell: type[DeviceShell],
        *,
        variants: frozenset[str] = frozenset(),
        username: str,
        password: str,
        latency_ms: int = 0,
        host: str = "127.0.0.1",
        download_s: float = 2.0,
        time_scale: float = 1.0,
        rekey_on_upgrade: bool = False,
        gauge: Gauge | None = None,
        answering: Gauge | None = None,
        seed: int = 0,
        bridge: SimBridge | None = None,
        ring_delay_ms: int = 0,
        answer_delay_ms: int = 0,
        dial_fail_pct: float = 0.0,
        drop_per_min_pct: float = 0.0,
    ) -> None:
        self.state = state
        self.shell = shell
        self.variants = frozenset(variants)
        shell(state, self._hooks(), self.variants)  # an unknown variant fails here, not at login
        self.username = username
        self.password = password
        self.latency_ms = latency_ms
        self.host = host
        self.port = 0
        self.download_s = download_s
        self.time_scale = time_scale
        self.reboot_s: float | None = None  # None: the family's reboot_seconds * time_scale
        self.rekey_on_upgrade = rekey_on_upgrade
        self.upgrade_fail: str | None = None  # None, "download" or "boot"
        self.gauge = gauge or Gauge()  # handshakes: TCP accepted → banner sent
        self.answering = answering or Gauge()  # batches of input being answered
        self.seed = seed
        self.flaky_rng = random.Random(f"{seed}:{state.name}")
        self.bridge = bridge
        self.ring_delay_ms = ring_delay_ms
        self.answer_delay_ms = answer_delay_ms
        self.dial_fail_pct = dial_fail_pct
        self.drop_per_min_pct = drop_per_min_pct
        self.call_rng = random.Random(f"{seed}:{state.name}:calls")  # failures and drops
        self._call_task: asyncio.Task[None] | None = None  # pending setup step or drop timer
        self._handshaking: set[asyncssh.SSHServerConnection] = set()
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self._other_key = asyncssh.generate_private_key("ssh-ed25519")
        self._listener: socket.socket | None = None
        self._accept_task: asyncio.Task[None] | None = None
        self._stalled: list[socket.socket] = []
        self._awake = asyncio.Event()  # cleared while stalled: open sessions hang too (a hung codec)
        self._awake.set()
        self._conns: set[asyncssh.SSHServerConnection] = set()
        self._writers: dict[DeviceShell, asyncssh.SSHWriter[str]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def public_key(self) -> str:
        """The OpenSSH public key line clients should pin."""
        return self.host_key.export_public_key("openssh").decode().strip()

    # -- listener -------------------------------------------------------------
    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(64)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        self._listener = sock
        self._accept_task = asyncio.get_running_loop().create_task(self._accept_loop(sock))

    def _close_listener(self) -> None:
        if self._accept_task is not None:
            self._accept_task.cancel()
            self._accept_task = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    async def stop(self) -> None:
        self._close_listener()
        self._drop_all()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _drop_all(self) -> None:
        for conn in list(self._conns):
            conn.abort()
        for sock in self._stalled:
            sock.close()
        self._stalled.clear()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _accept_loop(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                sock, _ = await loop.sock_accept(listener)
            except OSError:
                return
            if self.state.faults.stall:
                self._stalled.append(sock)  # TCP is up; the "device" never says a word
                continue
            self.gauge.up()
            self._spawn(self._serve(sock))

    async def _serve(self, sock: socket.socket) -> None:
        key = self._other_key if self.state.faults.new_host_key else self.host_key
        try:
            conn = await asyncssh.run_server(
                sock,
                server_host_keys=[key],
                server_factory=lambda: _Auth(self),
                process_factory=self._shell,
                encoding="utf-8",
                login_timeout=30,
                keepalive_interval=0,
                # No GSSAPI (no codec offers it). Left at its default, asyncssh asks
                # socket.getfqdn() on every connection, in a 6-thread executor: where the
                # machine's name does not resolve locally (a fresh Debian root) each lookup
                # waits on DNS, and 250 logins queued behind them for over a minute.
                gss_host=None,
            )
        except (TimeoutError, asyncssh.Error, OSError, asyncio.CancelledError):
            self.gauge.down()
            sock.close()
            return
        self.state.stats.connections += 1
        self._handshaking.add(conn)
        self._conns.add(conn)
        self._spawn(self._forget_when_closed(conn))

    def _handshake_done(self, conn: asyncssh.SSHServerConnection | None) -> None:
        if conn in self._handshaking:
            self._handshaking.discard(conn)
            self.gauge.down()

    async def _forget_when_closed(self, conn: asyncssh.SSHServerConnection) -> None:
        with contextlib.suppress(Exception):
            await conn.wait_closed()
        self._handshake_done(conn)
        self._conns.discard(conn)

    # -- shell ------------------------------------------------------------------
    @property
    def family(self) -> str:
        return self.shell.family

    def _hooks(self) -> DeviceHooks:
        """What a shell may ask of this device (see ``shell.DeviceHooks``)."""
        return DeviceHooks(
            dial=self._place,
            hangup=self._hangup,
            upgrade=lambda url: self._spawn(self.upgrade(url)),
            # a task: the shell's answer to the reboot command is written first
            reboot=lambda: self._spawn(self.reboot(self.reboot_seconds())),
        )

    def _hangup(self, call_id: int | None) -> bool:
        call = self.state.call
        if call is None or (call_id is not None and call.call_id != call_id):
            return False
        if self.state.faults.stuck_call:
            return True  # acknowledged; the call stays (fault ``stuck_call``)
        return self.end_call("LocalDisconnect")

    def _push(self, kind: str, data: dict[str, object]) -> None:
        """A device event: every open shell prints it if that session registered for it."""
        for shell, writer in list(self._writers.items()):
            if (text := shell.event(kind, data)) is not None:
                with contextlib.suppress(Exception):
                    writer.write(text)

    async def _delay(self, ms: int) -> None:
        if ms:
            await asyncio.sleep(ms / 1000)

    async def _shell(self, process: asyncssh.SSHServerProcess[str]) -> None:
        shell = self.shell(self.state, self._hooks(), self.variants)
        self._writers[shell] = process.stdout
        conn = process.get_extra_info("connection")
        try:
            await self._delay(self.latency_ms)  # the login answer crosses the link too
            process.stdout.write(shell.login())
            self._handshake_done(conn)
            buffer = ""
            while True:
                chunk = await process.stdin.read(65536)
                if not chunk:
                    break
                lines, buffer = shell.split(buffer + chunk)
                if not lines:
                    continue
                await self._awake.wait()  # a hung device answers nothing until it recovers
                fate = self._flaky_fate()
                if fate == "drop":
                    self.state.stats.flaky_dropped += 1
                    continue  # lost on the way: never answered
                if fate == "delay":
                    self.state.stats.flaky_delayed += 1
                    await self._delay(self.state.faults.flaky_delay_ms)
                self.state.stats.batches += 1
                self.answering.up()
                try:
                    await self._delay(self.latency_ms)  # once per batch: see the module docstring
                    for line in lines:
                        await self._delay(self.state.faults.slow_ms)
                        if self._line(process, shell, conn, line):
                            return
                finally:
                    self.answering.down()
        except (asyncssh.Error, OSError, asyncio.CancelledError):
            pass
        finally:
            self._handshake_done(conn)
            self._writers.pop(shell, None)
            with contextlib.suppress(Exception):
                process.exit(0)

    def _flaky_fate(self) -> str | None:
        """None (answer normally), ``drop`` or ``delay`` for the batch just received."""
        pct = self.state.faults.flaky_pct
        if pct <= 0 or self.flaky_rng.random() * 100 >= pct:
            return None
        return "drop" if self.flaky_rng.random() < 0.5 else "delay"

    # -- state the room changes -------------------------------------------------
    def _check_call(self, remote: object, rate: object) -> None:
        if not isinstance(remote, str) or not remote:
            raise ValueError("call needs a remote URI")
        if any(ch < " " or ch == "\x7f" for ch in remote):
            raise ValueError("call remote must be printable")
        if isinstance(rate, bool) or not isinstance(rate, int) or rate <= 0:
            raise ValueError("call rate must be a positive integer")
        if self.state.call is not None:
            raise ValueError(f"{self.state.name} is already in a call")

    def start_call(self, remote: str, rate: int = 1920) -> None:
        """A far end calls in and the codec answers: connected now, feedback pushed.

        No bridge port is taken: the bridge called out, its capacity is its own business.
        """
        self._check_call(remote, rate)
        call = self.state.new_call(remote, int(rate), "sip", "incoming")
        self._push("call_connected", {"call": call})
        self._watch_drops(call)

    def end_call(self, cause: str = "RemoteDisconnect") -> bool:
        """The call ends with ``cause`` (by default the far end hung up): its bridge
        port is freed, a pending setup or drop timer cancelled, feedback pushed.
        False when there was no call."""
        call = self._clear_call()
        if call is None:
            return False
        self._push("call_disconnected", {"call": call, "cause": cause})
        return True

    def _clear_call(self) -> CallState | None:
        call, self.state.call = self.state.call, None
        task, self._call_task = self._call_task, None
        if task is not None and task is not _current_task():
            task.cancel()
        if self.bridge is not None:
            self.bridge.release(self.state.name)
        return call

    def _place(self, call: CallState) -> None:
        """Run the setup of a call the device just dialled (see the module docstring)."""
        self._push("call_progress", {"call": call})
        if self.ring_delay_ms or self.answer_delay_ms:
            self._call_task = self._spawn(self._setup(call))
        elif self._ring(call):
            self._connect(call)

    async def _setup(self, call: CallState) -> None:
        await self._delay(self.ring_delay_ms)
        if self._ring(call):
            await self._delay(self.answer_delay_ms)
            self._connect(call)

    def _ring(self, call: CallState) -> bool:
        """Dialling → ringing, unless the network fails it or the bridge is full."""
        if self.state.call is not call:
            return False  # hung up meanwhile
        if self.dial_fail_pct > 0 and self.call_rng.random() * 100 < self.dial_fail_pct:
            self.end_call("NetworkError")
            return False
        bridge = self.bridge
        conference = bridge.conference(call.remote) if bridge is not None else None
        if bridge is not None and conference is not None and not bridge.take(self.state.name, conference):
            self.end_call("NoResources")
            return False
        call.status = "ringing"
        self._push("call_progress", {"call": call})
        return True

    def _connect(self, call: CallState) -> None:
        if self.state.call is not call:
            return
        call.status = "connected"
        call.started = time.monotonic()
        self._push("call_connected", {"call": call})
        self._watch_drops(call)

    def _watch_drops(self, call: CallState) -> None:
        """Arm one timer: an exponential wait whose chance to end within a minute
        is ``drop_per_min_pct`` (one sleep per call, no polling across a fleet)."""
        pct = min(self.drop_per_min_pct, 99.99)
        if pct > 0:
            after = self.call_rng.expovariate(-math.log(1 - pct / 100) / 60)
            self._call_task = self._spawn(self._drop_after(call, after))

    async def _drop_after(self, call: CallState, seconds: float) -> None:
        await asyncio.sleep(seconds)
        if self.state.call is call:
            self.end_call("NetworkError")

    def set_state(self, *, call: object = _UNSET, **fields: object) -> None:
        """Change only the fields given (see ``STATE_FIELDS``); ``call``: a dict
        ``{"remote": ..., "rate": ...}`` starts an incoming call, None ends it.

        Everything is checked before anything changes.  Bool fields take bools
        only (a string "off" is an error, not True).
        """
        values: dict[str, bool | float] = {}
        for name, value in fields.items():
            if name not in STATE_FIELDS:
                raise ValueError(f"unknown state field {name!r}; have {sorted(STATE_FIELDS)}")
            if isinstance(getattr(self.state, name), bool):
                if not isinstance(value, bool):
                    raise ValueError(f"{name} must be true or false")
                values[name] = value
            else:
                if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                    raise ValueError(f"{name} must be a number")
                lo, hi = _RANGES.get(name, (-math.inf, math.inf))
                if not lo <= value <= hi:
                    raise ValueError(f"{name} must be within {lo:.0f}..{hi:.0f}")
                values[name] = float(value)
        if call is not _UNSET and call is not None:
            if not isinstance(call, dict) or set(call) - {"remote", "rate"}:
                raise ValueError('call must be {"remote": "sip:...", "rate": 1920} or null')
            self._check_call(call.get("remote"), call.get("rate", 1920))
        for name, value in values.items():
            changed = getattr(self.state, name) != value
            setattr(self.state, name, value)
            kind, device = STATE_FIELDS[name]
            if changed and kind == "peripheral":
                self._push(kind, {"device": device, "connected": value})
            elif changed and kind == "sip":
                self._push(kind, {"registered": value})
        if call is None:
            self.end_call()
        elif isinstance(call, dict):
            self.start_call(call["remote"], call.get("rate", 1920))

    def _line(
        self,
        process: asyncssh.SSHServerProcess[str],
        shell: DeviceShell,
        conn: asyncssh.SSHServerConnection,
        line: str,
    ) -> bool:
        """Answer one command line; True when the session is over."""
        faults = self.state.faults
        if line.strip():
            self.state.stats.commands += 1
        if faults.drop:
            process.stdout.write(line.split("|")[0][:4])  # a torn reply, then gone
            conn.abort()
            return True
        if faults.garbage:  # the command runs; only what the device prints back is garbled
            shell.handle(line)
            pieces, close = shell.garbage(line), False
        else:
            pieces, close = shell.handle(line)
        out: list[str] = []
        for piece in pieces:
            if faults.noise:  # unsolicited feedback before and between the pieces of a reply
                out.append(shell.noise())
            out.append(piece)
        process.stdout.write("".join(out))  # one reply, one write (as a device flushes it)
        return close

    # -- firmware -----------------------------------------------------------------
    def reboot_seconds(self) -> float:
        if self.reboot_s is not None:
            return self.reboot_s
        return self.shell.reboot_seconds * self.time_scale

    async def upgrade(self, url: str) -> None:
        """Download, reboot, come back on the new version (or fail as configured)."""
        s = self.state
        s.stats.upgrades += 1
        up = s.upgrade = UpgradeState(url=url, version=version_from_url(url))
        await asyncio.sleep(self.download_s)
        if self.upgrade_fail == "download" or up.version is None:
            up.status = "failed"
            up.message = "download failed" if up.version else "not a firmware package"
            return
        up.status = "installing"
        fail_boot = self.upgrade_fail == "boot"

        def on_boot() -> None:
            if fail_boot:
                up.status, up.message = "failed", "new image did not boot; rolled back"
                return
            s.firmware = up.version or s.firmware
            up.status = "succeeded"
            if self.rekey_on_upgrade:
                self.host_key = asyncssh.generate_private_key("ssh-ed25519")

        await self.reboot(self.reboot_seconds(), on_boot=on_boot)

    # -- faults -----------------------------------------------------------------
    async def reboot(self, seconds: float, on_boot: Callable[[], None] | None = None) -> None:
        """Go away (refuse connections) for ``seconds``, come back freshly booted."""
        self.state.faults.down_until = time.monotonic() + seconds
        self._close_listener()
        self._drop_all()
        self._clear_call()  # the call dies with the device; nobody is left to tell
        await asyncio.sleep(seconds)
        self.state.call = None
        self.state.muted = False
        if on_boot is not None:
            on_boot()
        self.state.booted_at = time.monotonic()
        self.state.faults.down_until = 0.0
        if not self.state.faults.refuse:
            await self.start()

    async def inject(
        self,
        fault: str,
        *,
        seconds: float = 10.0,
        delay_ms: int | None = None,
        pct: float | None = None,
    ) -> None:
        """Turn a fault on (``clear`` turns every fault off and restores service).

        ``delay_ms``: for ``slow`` (default 500) and ``flaky`` (default 3000);
        ``pct``: for ``flaky`` (default 2.0); ``seconds``: for ``reboot``.
        """
        f = self.state.faults
        match fault:
            case "refuse":
                f.refuse = True
                self._close_listener()
            case "stall":
                f.stall = True
                self._awake.clear()
            case "wrong_password":
                f.wrong_password = True
            case "new_host_key":
                f.new_host_key = True
            case "slow":
                f.slow_ms = 500 if delay_ms is None else int(delay_ms)
            case "flaky":
                pct = 2.0 if pct is None else float(pct)
                if not 0 <= pct <= 100:
                    raise ValueError("flaky pct must be within 0..100")
                f.flaky_pct = pct
                f.flaky_delay_ms = 3000 if delay_ms is None else int(delay_ms)
                self.flaky_rng = random.Random(f"{self.seed}:{self.state.name}")
            case "drop":
                f.drop = True
            case "stuck_call":
                f.stuck_call = True
            case "garbage":
                f.garbage = True
            case "noise":
                f.noise = True
            case "reboot":
                self._spawn(self.reboot(seconds))
            case "clear":
                down = f.down_until
                self.state.faults = type(f)(down_until=down)
                for sock in self._stalled:
                    sock.close()
                self._stalled.clear()
                self._awake.set()
                if self._listener is None and down == 0.0:
                    await self.start()
            case _:
                raise ValueError(f"unknown fault {fault!r}")

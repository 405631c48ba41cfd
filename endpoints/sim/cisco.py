"""A simulated Cisco RoomOS codec: xAPI in terminal output mode.

Replies are built as the codec prints them: ``*s``/``*c``/``*r`` lines, a
``** resultId: "<tag>"`` line when the command was tagged, ``** end``, a blank
line, then ``OK`` or ``ERROR``.  Each line is a separate piece so the server
can interleave ``*e`` events between them (fault ``noise``).
"""

from __future__ import annotations

import time

from endpoints.sim.dialect import Dialect, norm
from endpoints.sim.state import CallState
from endpoints.sim.tokens import QuoteError, Token, quote_out, split_outside_quotes, tokenize

__all__ = ["CiscoDialect"]

NL = "\r\n"
_STATUS_ROOTS = {
    "systemunit",
    "sip",
    "peripherals",
    "call",
    "mediachannels",
    "audio",
    "provisioning",
}
# state.upgrade.status -> (UpgradeStatus Status, UpgradeStatus Phase), as RoomOS words them
_UPGRADE_WORDS = {
    "downloading": ("InProgress", "Downloading"),
    "installing": ("InProgress", "Installing"),
    "succeeded": ("Succeeded", "None"),
    "failed": ("Failed", "None"),
}


def _path_matches(request: list[str], path: list[str]) -> bool:
    """xAPI addressing: case-insensitive prefix; numeric indexes may be omitted."""
    i = 0
    for part in path:
        if i == len(request):
            return True
        if part.lower() == request[i].lower():
            i += 1
        elif not part.isdigit():
            return False
    return i == len(request)


class CiscoDialect(Dialect):
    models = ("Cisco Room Kit", "Cisco Room Kit Mini", "Cisco Room 55", "Cisco Codec Plus")
    choice_defaults = {"auto_answer": "Off", "ntp_mode": "Manual"}

    def banner(self) -> str:
        return (
            f"Welcome to {self.state.config.get('display_name', self.state.name)}{NL}"
            f"Cisco Codec Release {self.state.firmware}{NL}"
            f"SW Release Date: 2024-05-02{NL}"
            f"*r Login successful{NL}{NL}OK{NL}"
        )

    def noise(self) -> str:
        return f"*e Audio Volume: {self.rng.randint(30, 70)}{NL}"

    def event(self, kind: str, data: dict[str, object]) -> str | None:
        if kind == "call_connected":
            return f"*s Call {data['call_id']} Status: Connected{NL}** end{NL}"
        if kind == "call_disconnected":
            call_id = data["call_id"]
            return f"*e CallDisconnect CauseType: LocalDisconnect CallId: {call_id}{NL}** end{NL}"
        return None

    # -- the device's truth as xStatus lines ---------------------------------
    def _status(self) -> list[tuple[str, str]]:
        s = self.state
        lines = [
            ("SystemUnit Software Version", quote_out(f"{s.firmware} sim")),
            ("SystemUnit ProductId", quote_out(s.model)),
            ("SystemUnit Hardware Module SerialNumber", quote_out(s.serial)),
            ("SystemUnit Uptime", str(s.uptime_s)),
            ("SystemUnit Hardware Temperature", quote_out(f"{s.temperature_c:.1f}")),
            ("SIP Registration 1 Status", "Registered" if s.sip_registered else "Failed"),
            ("Audio Microphones Mute", "On" if s.muted else "Off"),
        ]
        up = s.upgrade
        status, phase = _UPGRADE_WORDS[up.status] if up else ("None", "None")
        lines += [
            ("Provisioning Software Current VersionId", quote_out(s.firmware)),
            ("Provisioning Software UpgradeStatus Status", status),
            ("Provisioning Software UpgradeStatus Phase", phase),
            ("Provisioning Software UpgradeStatus URL", quote_out(up.url if up else "")),
            ("Provisioning Software UpgradeStatus VersionId", quote_out(up and up.version or "")),
            ("Provisioning Software UpgradeStatus Message", quote_out(up.message if up else "")),
        ]
        if s.camera_connected:
            lines += [
                ("Peripherals ConnectedDevice 1001 Type", "Camera"),
                ("Peripherals ConnectedDevice 1001 Status", "Connected"),
            ]
        if s.microphones_connected:
            lines += [
                ("Peripherals ConnectedDevice 1002 Type", "AudioMicrophone"),
                ("Peripherals ConnectedDevice 1002 Status", "Connected"),
            ]
        if c := s.call:
            n = c.call_id
            lines += [
                (f"Call {n} CallType", "Video"),
                (f"Call {n} Direction", "Outgoing"),
                (f"Call {n} Duration", str(int(time.monotonic() - c.started))),
                (f"Call {n} Protocol", c.protocol),
                (f"Call {n} RemoteNumber", quote_out(c.remote)),
                (f"Call {n} Status", "Connected"),
                (f"Call {n} TransmitCallRate", str(c.rate)),
            ]
            packets = 10000
            lost = round(packets * s.packet_loss_pct / 100)
            for ch, kind in ((1, "IncomingAudioChannel"), (2, "IncomingVideoChannel")):
                lines += [
                    (f"MediaChannels Call {n} {kind} {ch} Netstat Loss", str(lost)),
                    (f"MediaChannels Call {n} {kind} {ch} Netstat Packets", str(packets)),
                ]
        return lines

    # -- replies --------------------------------------------------------------
    def _reply(self, body: list[str], tag: str | None, ok: bool) -> list[str]:
        pieces = []
        if self.state.faults.noise:  # a whole feedback block before ours, as codecs do
            pieces.append(f"*s Audio Volume: {self.rng.randint(30, 70)}{NL}** end{NL}")
        pieces += [line + NL for line in body]
        if tag is not None:
            pieces.append(f"** resultId: {quote_out(tag)}{NL}")
        pieces += [f"** end{NL}", NL, ("OK" if ok else "ERROR") + NL]
        return pieces

    def _error(self, name: str, reason: str, tag: str | None) -> list[str]:
        body = [f"*r {name} (status=Error):", f"*r {name} Reason: {quote_out(reason)}"]
        return self._reply(body, tag, ok=False)

    def garbage(self, line: str) -> list[str]:
        tag = self._split_tag(line)[1]
        return self._reply(["*s \x7f@@ #### garbled ##", "%%%% 0xDEADBEEF"], tag, ok=True)

    def _split_tag(self, line: str) -> tuple[str, str | None, bool]:
        parts = split_outside_quotes(line, "|")
        tag, ok = None, True
        for extra in parts[1:]:
            try:
                toks = tokenize(extra)
            except QuoteError:
                ok = False
                continue
            if len(toks) == 2 and toks[0].text == "resultId=" and toks[1].quoted:
                tag = toks[1].text
            else:
                ok = False
        return parts[0].strip(), tag, ok

    def handle(self, line: str) -> tuple[list[str], bool]:
        command, tag, pipe_ok = self._split_tag(line)
        if not command:
            return [], False
        self.state.commands.append(line)
        if not pipe_ok:
            return self._error("Result", "Invalid pipe expression", tag), False
        verb = command.split()[0].lower()
        if verb in ("bye", "exit"):
            return [f"bye{NL}"], True
        if verb == "echo" or norm(command) == "xpreferences outputmode terminal":
            return [f"OK{NL}"] if tag is None else self._reply([], tag, True), False
        try:
            tokens = tokenize(command)
        except QuoteError as exc:
            return self._error("Result", f"Parse error: {exc}", tag), False
        if verb == "xstatus":
            return self._xstatus([t.text for t in tokens[1:]], tag), False
        if verb == "xconfiguration":
            return self._xconfiguration(command, tag), False
        if verb == "xcommand":
            return self._xcommand(tokens[1:], tag), False
        return self._error("Result", "Unknown command", tag), False

    def _xstatus(self, request: list[str], tag: str | None) -> list[str]:
        body = [f"*s {p}: {v}" for p, v in self._status() if _path_matches(request, p.split())]
        if not body and (not request or request[0].lower() not in _STATUS_ROOTS):
            return self._error("Status", "No match on address expression.", tag)
        return self._reply(body, tag, True)

    def _xconfiguration(self, command: str, tag: str | None) -> list[str]:
        if (read := self.config_read(command)) is not None:
            key = read[0]
            path = self.profile.config[key].read.split(None, 1)[1]
            return self._reply([f"*c xConfiguration {path}: {read[1]}"], tag, True)
        if (result := self.config_set(command)) is not None:
            if result[1] is not None:
                return self._error("Configuration", result[1], tag)
            return self._reply([], tag, True)
        return self._error("Configuration", "No match on address expression.", tag)

    def _xcommand(self, tokens: list[Token], tag: str | None) -> list[str]:
        path: list[str] = []
        args: dict[str, str] = {}
        i = 0
        while i < len(tokens) and not (tokens[i].text.endswith(":") and not tokens[i].quoted):
            path.append(tokens[i].text.lower())
            i += 1
        while i < len(tokens):
            if i + 1 >= len(tokens) or not tokens[i].text.endswith(":"):
                return self._error("Result", "Invalid argument syntax", tag)
            args[tokens[i].text[:-1].lower()] = tokens[i + 1].text
            i += 2
        name = "".join(p.capitalize() for p in path) + "Result"
        s = self.state
        match path:
            case ["dial"]:
                if not args.get("number"):
                    return self._error(name, "Missing or invalid parameter(s): Number", tag)
                protocol = args.get("protocol", "Sip")
                rate = args.get("callrate", "1920")
                if protocol not in ("Sip", "H323", "Spark") or not rate.isdigit():
                    return self._error(name, "Invalid parameter value", tag)
                if s.call is not None:
                    return self._error(name, "Max active calls reached", tag)
                s.call = CallState(s.next_call_id, args["number"], int(rate), protocol)
                s.next_call_id += 1
                self.broadcast("call_connected", {"call_id": s.call.call_id})
                body = [
                    f"*r {name} (status=OK):",
                    f"*r {name} CallId: {s.call.call_id}",
                    f"*r {name} ConferenceId: {s.call.call_id}",
                ]
                return self._reply(body, tag, True)
            case ["call", "disconnect"]:
                if s.call is None:
                    return self._error(name, "No active call", tag)
                call_id, s.call = s.call.call_id, None
                self.broadcast("call_disconnected", {"call_id": call_id})
            case ["audio", "microphones", "mute"]:
                s.muted = True
            case ["audio", "microphones", "unmute"]:
                s.muted = False
            case ["systemunit", "softwareupgrade"]:
                if not args.get("url"):
                    return self._error(name, "Missing or invalid parameter(s): URL", tag)
                if s.upgrading:
                    return self._error(name, "Software upgrade already in progress", tag)
                self.broadcast("upgrade", {"url": args["url"]})
            case _:
                return self._error("Result", "Unknown command", tag)
        return self._reply([f"*r {name} (status=OK):"], tag, True)

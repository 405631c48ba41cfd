"""A simulated Cisco RoomOS codec: xAPI in terminal output mode.

Replies are built as the codec prints them: ``*s``/``*c``/``*r`` lines, a
``** resultId: "<tag>"`` line when the command was tagged, ``** end``, a blank
line, then ``OK`` or ``ERROR``.  Each line is a separate piece so the server
can interleave ``*e`` events between them (fault ``noise``).

Feedback follows ``xFeedback register <path>`` per SSH session, as on the
codec: a registered ``/Status/...`` path gets ``*s`` blocks when that part of
the status tree changes (a call that ends shows as ``*s Call <id>
(ghost=True):``), a registered ``/Event/...`` path gets ``*e`` events; each
block ends ``** end``.  Nothing is pushed to a session that registered nothing.
"""

from __future__ import annotations

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


# CallState.status -> the word ``xStatus Call ... Status`` prints
_CALL_WORDS = {"dialling": "Dialling", "ringing": "Ringing", "connected": "Connected"}
# why a call ended -> (CauseType, CauseString) of ``*e CallDisconnect``
_CAUSES = {
    "LocalDisconnect": ("LocalDisconnect", ""),
    "RemoteDisconnect": ("RemoteDisconnect", ""),
    "NoResources": ("Rejected", "NoResources"),
    "NotFound": ("Rejected", "NotFound"),
    "Busy": ("RemoteBusy", "Busy"),
    "NetworkError": ("NetworkRejected", "NetworkError"),
}
_FEEDBACK_ROOTS = ("/status", "/event", "/configuration")
_CAMERA_ID, _MIC_ID = 1001, 1002


def _block(lines: list[str]) -> str:
    return "".join(line + NL for line in lines) + f"** end{NL}"


class CiscoDialect(Dialect):
    models = ("Cisco Room Kit", "Cisco Room Kit Mini", "Cisco Room 55", "Cisco Codec Plus")
    choice_defaults = {"auto_answer": "Off", "ntp_mode": "Manual"}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.registered: list[str] = []  # xFeedback paths, lower case, no trailing slash

    def banner(self) -> str:
        return (
            f"Welcome to {self.state.config.get('display_name', self.state.name)}{NL}"
            f"Cisco Codec Release {self.state.firmware}{NL}"
            f"SW Release Date: 2024-05-02{NL}"
            f"*r Login successful{NL}{NL}OK{NL}"
        )

    def noise(self) -> str:
        return f"*e Audio Volume: {self.rng.randint(30, 70)}{NL}"

    def _wants(self, path: str) -> bool:
        path = path.lower()
        return any(path == r or path.startswith(r + "/") for r in self.registered)

    def event(self, kind: str, data: dict[str, object]) -> str | None:
        blocks: list[str] = []
        if kind in ("call_progress", "call_connected", "call_disconnected"):
            c = data["call"]
            assert isinstance(c, CallState)
            n = c.call_id
            if self._wants("/status/call"):
                if kind == "call_disconnected":
                    blocks.append(_block([f"*s Call {n} Status: Disconnecting"]))
                    blocks.append(_block([f"*s Call {n} (ghost=True):"]))
                elif kind == "call_progress" and c.status == "ringing":  # only the status changed
                    blocks.append(_block([f"*s Call {n} Status: Ringing"]))
                else:  # a new call (dialling, or answered incoming), or connected: the whole call
                    blocks.append(_block([f"*s Call {n} {p}: {v}" for p, v in self._call_lines(c)]))
            if kind == "call_disconnected" and self._wants("/event/calldisconnect"):
                cause = str(data.get("cause", "RemoteDisconnect"))
                local = cause == "LocalDisconnect"
                cause_type, cause_string = _CAUSES.get(cause, (cause, ""))
                fields = [
                    ("CauseValue", "1"),
                    ("CauseType", quote_out(cause_type)),
                    ("CauseString", quote_out(cause_string)),
                    ("OrigCallDirection", quote_out(c.direction.lower())),
                    ("RemoteURI", quote_out(c.remote)),
                    ("CallId", str(n)),
                    ("CauseCode", "0"),
                    ("CauseOrigin", quote_out("Internal" if local else "SIP")),
                    ("Protocol", quote_out(c.protocol)),
                    ("Duration", str(c.duration_s)),
                    ("CallType", quote_out("Video")),
                    ("CallRate", str(c.rate)),
                ]
                blocks.append(_block(["*e CallDisconnect " + " ".join(f"{k}: {v}" for k, v in fields)]))
        elif kind == "peripheral" and self._wants("/status/peripherals/connecteddevice"):
            camera = data["device"] == "camera"
            n = _CAMERA_ID if camera else _MIC_ID
            if data["connected"]:
                kind_word = "Camera" if camera else "AudioMicrophone"
                lines = [
                    f"*s Peripherals ConnectedDevice {n} Type: {kind_word}",
                    f"*s Peripherals ConnectedDevice {n} Status: Connected",
                ]
            else:
                lines = [f"*s Peripherals ConnectedDevice {n} (ghost=True):"]
            blocks.append(_block(lines))
        elif kind == "sip" and self._wants("/status/sip/registration"):
            word = "Registered" if data["registered"] else "Failed"
            blocks.append(_block([f"*s SIP Registration 1 Status: {word}"]))
        return "".join(blocks) or None

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
                (f"Peripherals ConnectedDevice {_CAMERA_ID} Type", "Camera"),
                (f"Peripherals ConnectedDevice {_CAMERA_ID} Status", "Connected"),
            ]
        if s.microphones_connected:
            lines += [
                (f"Peripherals ConnectedDevice {_MIC_ID} Type", "AudioMicrophone"),
                (f"Peripherals ConnectedDevice {_MIC_ID} Status", "Connected"),
            ]
        if c := s.call:
            n = c.call_id
            lines += [(f"Call {n} {p}", v) for p, v in self._call_lines(c)]
        if (c := s.call) and c.status == "connected":  # media flows once connected
            n = c.call_id
            packets = 10000
            lost = round(packets * s.packet_loss_pct / 100)
            for ch, kind in ((1, "IncomingAudioChannel"), (2, "IncomingVideoChannel")):
                lines += [
                    (f"MediaChannels Call {n} {kind} {ch} Netstat Loss", str(lost)),
                    (f"MediaChannels Call {n} {kind} {ch} Netstat Packets", str(packets)),
                ]
        return lines

    @staticmethod
    def _call_lines(c: CallState) -> list[tuple[str, str]]:
        return [
            ("CallType", "Video"),
            ("Direction", c.direction.capitalize()),
            ("Duration", str(c.duration_s)),
            ("Protocol", c.protocol),
            ("RemoteNumber", quote_out(c.remote)),
            ("Status", _CALL_WORDS[c.status]),
            ("TransmitCallRate", str(c.rate)),
        ]

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
        if verb == "xfeedback":
            return self._xfeedback([t.text for t in tokens[1:]], tag), False
        if verb == "xcommand":
            return self._xcommand(tokens[1:], tag), False
        return self._error("Result", "Unknown command", tag), False

    def _xstatus(self, request: list[str], tag: str | None) -> list[str]:
        body = [f"*s {p}: {v}" for p, v in self._status() if _path_matches(request, p.split())]
        if not body and (not request or request[0].lower() not in _STATUS_ROOTS):
            return self._error("Status", "No match on address expression.", tag)
        return self._reply(body, tag, True)

    def _xfeedback(self, args: list[str], tag: str | None) -> list[str]:
        """``xFeedback register|deregister <path>``, ``deregisterall``, ``list``."""
        sub = args[0].lower() if args else ""
        if sub == "list" and len(args) == 1:
            return self._reply([f"/{p.lstrip('/')}" for p in self.registered], tag, True)
        if sub == "deregisterall" and len(args) == 1:
            self.registered.clear()
            return self._reply([], tag, True)
        if sub in ("register", "deregister") and len(args) == 2:
            path = "/" + args[1].strip("/").lower()
            if not path.startswith(_FEEDBACK_ROOTS):
                return self._error("Feedback", "Invalid path", tag)
            if sub == "register" and path not in self.registered:
                self.registered.append(path)
            elif sub == "deregister" and path in self.registered:
                self.registered.remove(path)
            return self._reply([], tag, True)
        return self._error("Feedback", "Invalid argument syntax", tag)

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
                s.stats.dials += 1
                if not args.get("number"):
                    return self._error(name, "Missing or invalid parameter(s): Number", tag)
                protocol = args.get("protocol", "Sip")
                rate = args.get("callrate", "1920")
                if protocol not in ("Sip", "H323", "Spark") or not rate.isdigit():
                    return self._error(name, "Invalid parameter value", tag)
                if s.call is not None:
                    return self._error(name, "Max active calls reached", tag)
                call = s.new_call(args["number"], int(rate), protocol, "outgoing", "dialling")
                self.broadcast("dial", {"call": call})  # the device runs the setup from here
                body = [
                    f"*r {name} (status=OK):",
                    f"*r {name} CallId: {call.call_id}",
                    f"*r {name} ConferenceId: {call.call_id}",
                ]
                return self._reply(body, tag, True)
            case ["call", "disconnect"]:
                if s.call is None:
                    return self._error(name, "No active call", tag)
                self.broadcast("hangup", {})
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

"""A simulated Poly Group Series codec: the line API with a ``-> `` prompt.

The device echoes each line, prints the answer, then the prompt.  After
``notify callstatus`` it prints ``notification:callstatus:...`` lines whenever
a call changes, at any moment, including in the middle of another answer;
after ``notify sysstatus``, ``notification:sysstatus:<name>:<online|offline>``
when the camera, the microphones or the SIP registration change (names as in
the ``status`` answer).  Registrations last as long as the API session.
"""

from __future__ import annotations

from endpoints.sim.dialect import Dialect
from endpoints.sim.state import CallState
from endpoints.sim.tokens import QuoteError, quote_out, tokenize

__all__ = ["PolyDialect"]

NL = "\r\n"
PROMPT = "-> "
NOTIFY_TYPES = (
    "callstatus",
    "linestatus",
    "mutestatus",
    "screenchanges",
    "sysstatus",
    "sysalerts",
    "vidsourcechanges",
    "calendarmeetings",
)
_ONLINE = {True: "online", False: "offline"}
# CallState.status -> the word callinfo and callstatus notifications print
_CALL_WORDS = {"dialling": "connecting", "ringing": "ringing", "connected": "connected"}


class PolyDialect(Dialect):
    models = ("Group 500", "Group 310", "Group 700")
    choice_defaults = {"auto_answer": "no"}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.notify: list[str] = []

    def banner(self) -> str:
        s = self.state
        return (
            f"Hi, my name is : {s.config.get('display_name', s.name)}{NL}"
            f"Here is what I know about myself:{NL}"
            f"Model:                   {s.model}{NL}"
            f"Serial Number:           {s.serial}{NL}"
            f"Software Version:        Release {s.firmware}{NL}{PROMPT}"
        )

    def noise(self) -> str:
        return f"notification:callstatus:incoming:99:Noise:sip:noise@x:disconnected:0:16:videocall{NL}"

    def event(self, kind: str, data: dict[str, object]) -> str | None:
        if kind.startswith("call_") and "callstatus" in self.notify:
            c = data["call"]
            assert isinstance(c, CallState)
            state = "disconnected" if kind == "call_disconnected" else _CALL_WORDS[c.status]
            return (
                f"notification:callstatus:{c.direction}:{c.call_id}:{_far_name(c.remote)}:"
                f"{c.remote}:{state}:{c.rate}:0:videocall{NL}"
            )
        if kind in ("peripheral", "sip") and "sysstatus" in self.notify:
            name = str(data["device"]) if kind == "peripheral" else "sipserver"
            up = bool(data["connected"] if kind == "peripheral" else data["registered"])
            return f"notification:sysstatus:{name}:{_ONLINE[up]}{NL}"
        return None

    def garbage(self, line: str) -> list[str]:
        return [line + NL, "~~~~ \x01\x02 ####" + NL, "??? 0xDEADBEEF" + NL, PROMPT]

    def _answer(self, line: str, out: list[str]) -> list[str]:
        return [line + NL] + [x + NL for x in out] + [PROMPT]

    def handle(self, line: str) -> tuple[list[str], bool]:
        line = line.strip()
        if not line:
            return [PROMPT], False
        self.state.commands.append(line)
        try:
            out = self._run(line)
        except (QuoteError, ValueError, IndexError):
            out = ["error: invalid command"]
        if out is None:
            return [line + NL, "Connection to host lost." + NL], True
        return self._answer(line, out), False

    def _run(self, line: str) -> list[str] | None:
        s = self.state
        if (read := self.config_read(line)) is not None:
            # "systemname get" answers "systemname <value>"
            words = self.profile.config[read[0]].read.split()
            return [" ".join(w for w in words if w.lower() != "get") + " " + read[1]]
        if (result := self.config_set(line)) is not None:
            key, error = result
            if error is not None:
                return [f"error: {error}"]
            return self._run(self.profile.config[key].read)
        tokens = [t.text for t in tokenize(line)]
        verb, args = tokens[0].lower(), [a.lower() for a in tokens[1:]]
        if verb == "exit":
            return None
        if verb == "version":
            return [f"version {quote_out(s.firmware)}"]
        if verb == "serialnum":
            return [f"serialnum {quote_out(s.serial)}"]
        if verb == "systemsetting" and args == ["get", "model"]:
            return [f"systemsetting model {quote_out(s.model)}"]
        if verb == "status":
            on = _ONLINE
            return [
                f"inacall {on[s.call is not None and s.call.status == 'connected']}",
                "autoanswerp2p online",
                "remotecontrol online",
                f"microphones {on[s.microphones_connected]}",
                f"camera {on[s.camera_connected]}",
                "ipnetwork online",
                "gatekeeper offline",
                f"sipserver {on[s.sip_registered]}",
                "status end",
            ]
        if verb == "callinfo" and args == ["all"]:
            if (c := s.call) is None:
                return ["system is not in a call"]
            muted = "muted" if s.muted else "notmuted"
            return [
                "callinfo begin",
                f"callinfo:{c.call_id}:{_far_name(c.remote)}:{c.remote}:{c.rate}:{_CALL_WORDS[c.status]}:{muted}:"
                f"{c.direction}:videocall",
                "callinfo end",
            ]
        if verb == "netstats" and args == ["0"]:
            if s.call is None or s.call.status != "connected":
                return ["error: invalid call id"]
            return [
                f"call:0 txrate:{s.call.rate} K rxrate:{s.call.rate} K pktloss:0 "
                f"%pktloss:{s.packet_loss_pct:.2f}% tvp:H.264 rvp:H.264"
            ]
        if verb == "dial":
            return self._dial(tokens[1:])
        if verb == "hangup" and args == ["all"]:
            if s.call is not None:
                self.broadcast("hangup", {})
            return ["hanging up all"]
        if verb == "mute" and len(args) == 2 and args[0] == "near":
            if args[1] in ("on", "off"):
                s.muted = args[1] == "on"
            elif args[1] != "get":
                return ["error: invalid command"]
            return [f"mute near {'on' if s.muted else 'off'}"]
        if verb == "notify" and not args:
            return [
                f"registered for {len(self.notify)} notifications" + "".join(f":{n}" for n in self.notify)
            ]
        if verb in ("notify", "nonotify") and len(args) == 1 and args[0] in NOTIFY_TYPES:
            if verb == "notify" and args[0] in self.notify:
                return [f"info: event/notification already active:{args[0]}"]
            if verb == "nonotify" and args[0] not in self.notify:
                return [f"info: event/notification not active:{args[0]}"]
            if verb == "notify":
                self.notify.append(args[0])
            else:
                self.notify.remove(args[0])
            return [f"{verb} {args[0]} success"]
        if verb in ("dial", "hangup", "mute", "notify", "nonotify", "callinfo", "netstats", "systemsetting"):
            return ["error: invalid command"]
        return ["error: command not found"]

    def _dial(self, args: list[str]) -> list[str]:
        s = self.state
        s.stats.dials += 1
        if len(args) != 4 or args[0] != "manual" or not args[1].isdigit():
            return ["error: invalid command"]
        if args[3].lower() not in ("sip", "h323", "auto"):
            return ["error: invalid command"]
        if s.call is not None:
            return ["error: call already active"]
        call = s.new_call(args[2], int(args[1]), args[3], "outgoing", "dialling")
        self.broadcast("dial", {"call": call})  # the device runs the setup from here
        return ["dialing manual"]


def _far_name(remote: str) -> str:
    """The far site's name as the codec shows it: the user part of the URI."""
    return remote.split(":")[-1].split("@")[0]

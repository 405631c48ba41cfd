"""A Poly (Polycom) RealPresence Group Series API shell over SSH, as Poly and public drivers show it.

Written only from public material, never from the controller's profile or driver. Sources,
abbreviated below:

* [IRM] Polycom RealPresence Group Series Integrator's Reference Manual/Guide 4.x and 6.x
  ("Command Response Syntax", "Additional Tips", ``callinfo``, ``callstate``, ``hangup``,
  ``notify``); [IRM-HDX] the HDX edition where the Group Series page was not available.
* [AVI] AVI-SPL Symphony adapter for Group Series, SSH on port 22 (PolycomGroupSeries.java).
* [ICD] ICD.Connect.Conferencing Polycom Group Series driver (Group 500, 6.1.6.1).
* [ACA] acaprojects/curtcox ruby-engine-drivers ``polycom/real_presence/group_series.rb``.
* [CCC] DevCoreDXI76/codec_control_center: SSH/telnet traces of a real RealPresence Group 700.
* [TS] TypeScript "UPolycomRPG" driver comments (replies seen on a unit over raw TCP).
* [EXT] Extron Global Scripter module for a Group-era codec; [AMX] Solo Control AMX module.
* [X30] insightsystems Symphony driver for Poly G7500/X30 (a VideoOS relative).
* [HDXWEB] a Python HDX web-API provider reading ``systemsetting get sipproxyserver``.
* [HDXAPI] vpryimak ``polycom.api.commands.AdvNetStats`` (HDX command wrapper javadoc).
* [ADM] Administrator's Guide for the RealPresence Group Series p.164 (Average Jitter, H.323).

Behaviour, source, and what is INFERRED (no source shows it; chosen and marked here):

* Line endings. Replies end CR CR LF over SSH ([AVI] ``LINE_BREAKER = "\\r\\r\\n"``; [EXT]
  Ethernet regexes), the echo of the command ends CR LF ([AVI] parses between
  ``"get\\r\\nvolume "`` and ``"\\r\\r\\n"``): a PTY echoing the typed line, then the shell
  writing CR LF through ONLCR. Input ends in CR, CR LF or LF ([IRM]: "The API expects a
  carriage return <CR> as well as ... <CR><LF>"; [ICD]/[ACA]/[EXT] send CR, [AMX]/[CCC] CR LF,
  [TS] LF); a CR LF split across two reads is one terminator.
* Login: the whoami block, then the ``-> `` prompt ([ICD] strips ``"-> "`` "// SSH"; [CCC];
  [AVI] sample ``-> status``). The block opens ``Hi, my name is : <name>`` / ``Here is what I
  know about myself:`` ([CCC] real Group 700, [ICD], [EXT], [AMX]) and ends ``SNMP Enabled:``
  ([AVI] login is complete on ``SNMP Enabled:*\\r\\r\\n``). Keys from [AVI] and [CCC] (whose
  list gives the order Model, Software Version, Build Information, Contact Number, Total
  Calls, Total Time In Calls, SNTP Time Service, Local Time is, IP Video Number, MP Enabled,
  H323 Enabled); the places of Serial Number and Time In Last Call, every other value format
  (times, True/False, the Build Information text, the empty Contact Number) and the single
  space after each colon (the real unit pads values to a column) are INFERRED.
  ``Local Time is: Fri, 31 Jul 2026 19:05:33 +0900`` [CCC]: RFC 2822 local time with a numeric
  offset, whole seconds. The sim's clock is ``self.clock()`` (wall clock) plus
  ``state.clock_offset_s``; the sim models no time-zone setting, so the offset is always
  ``+0700`` (Asia/Ho_Chi_Minh, INFERRED). ``SNTP Time Service:`` shows a mode, not sync state
  ([CCC] ``Auto``); no Group Series command reporting NTP sync was found, so
  ``state.ntp_synced`` is not shown.
* Echo: ``<command>\\r\\n`` after the prompt, also for unknown commands ([IRM-HDX] "you
  receive an API echo even if you send an invalid API command"); a reply can equal the
  command (``mute near on`` [CCC]). ``cmdecho off|on`` ([EXT], [AMX] send it to stop the echo;
  no manual page: reply ``cmdecho off`` INFERRED). An empty line gets its echo and a new
  prompt (INFERRED).
* Unknown command: ``error: command not found``; missing arguments: ``error: command needs
  more parameters to execute successfully`` ([AVI] error list). An illegal value: ``error:
  command has illegal parameters`` (INFERRED; the wording is another vendor's). Keywords are
  lower-case and case-sensitive (INFERRED).
* Quoting: "Enclose the string in quotation marks if it includes spaces" ([IRM-HDX]). Values
  print quoted when they contain a blank or are empty, bare otherwise: ``systemsetting model
  "RealPresence Group 700"`` [CCC] vs ``systemsetting sipregistrarserver 172.31.254.64``
  [AVI]; ``""`` for empty ([X30] tests for ``""``). No source documents escapes: a ``"``
  inside a value, or an unbalanced quote, is refused as illegal; ``\\`` is a plain character
  (the manuals list ``\\`` among valid characters) (INFERRED).
* ``whoami`` prints the login block ([ICD], [AVI]). ``version`` -> ``version 6.2.2.8``
  (unquoted: [ICD] regex ``version (\\d+.\\d+...``); ``serialnum`` -> ``serialnum <serial>``
  (INFERRED; drivers strip that prefix). ``uptime get`` -> ``1 Hour, 10 Minutes`` ([CCC]
  citing the guide; the Day form and "0 Minutes" INFERRED). ``ipaddress get`` [AMX].
  ``echo "text"`` prints the text ([IRM-HDX], [ACA], [TS] ``echo #endcmd#``).
* ``systemname get|set "name"``, ``h323name``, ``e164ext``, ``gatekeeperip`` get/set reply
  ``<cmd> <value>`` ([AMX] parses ``h323name``/``e164ext``; [AVI] ``gatekeeperip
  172.31.254.64``); ``set`` without a value erases ([IRM-HDX] gmsstate), except the system
  name. System name: first character a letter or digit, not ``$``/``_`` ([IRM] admin guide
  "Name the System"); UTF-8 allowed ([CCC]); 64 characters at most (INFERRED). Other text
  values 255, E.164 extension digits only up to 32 (INFERRED).
* ``systemsetting get <name>`` and ``systemsetting <name> <value>`` (no ``set`` keyword:
  [ACA]); reply ``systemsetting <name> <value>`` ([CCC], [AVI]; for writes INFERRED). Names:
  model (read-only), sipproxyserver, sipusername ([HDXWEB]), sipregistrarserver
  [AVI], sipaccountname [ICD]/[ACA], sipenable [ACA]/[X30] (True/False INFERRED), selfview
  On/Off/Auto [EXT]. An unknown name answers ``error: command not found`` (INFERRED).
  No source documents NTP (``ntpmode``/``ntpserver``), a default call rate
  (``dialingrate``/``defaultcallrate``), ``sipdisplayname`` or a software-update command for
  Group Series: they answer as unknown commands.
* ``dial manual <speed> "<dialstr>" [h323|ip|sip]`` -> ``dialing manual`` ([AVI], [TS]);
  ``dial auto`` (deprecated) too ([TS]: ``dial auto 10.1.0.84`` -> ``dialing manual``);
  ``dial addressbook`` -> ``info: no match(s) found`` (no address book; [TS]); ``dial phone``
  -> ``info: AUDIO call not enabled`` ([CCC] real Group 700). Speed ``auto`` means 384
  ([IRM] globaladdrmaxh323 default), 64..6144 otherwise; no type: ``sip`` when the string has
  ``@`` or ``sip:``, else ``h323``; ``ip`` means h323; dialling while in a call answers
  ``info: system is in a call`` (all INFERRED).
* ``hangup all`` -> ``hanging up all`` [AVI]; ``hangup video [id]`` -> ``hanging up video``
  [IRM]; unknown id -> ``error: connection <id> is not active`` [TS]; idle -> ``system is not
  in a call`` ([TS] under hangup all; for hangup video INFERRED).
* ``callinfo all`` -> ``callinfo begin`` / ``callinfo:<id>:<name>:<number>:<speed>:<status>:
  <mute>:<direction>:videocall`` / ``callinfo end``, idle ``system is not in a call`` [IRM];
  the far-site name field is empty as on a real Group 700 ([CCC]). ``callinfo callid <id>``
  [IRM]. Status words opened/ringing/connecting/connected/disconnected ([ICD]); "dialling"
  prints ``connecting`` ([TS] real trace, [ACA] reads it as dialling) (INFERRED mapping).
* ``getcallstate``: three ``cs: call[n] inactive`` slots when idle ([AVI]); a call prints
  ``cs: call[34] speed[384] dialstr[...] state[connected]`` ([ACA], [TS]).
* ``callstate register|unregister|get`` -> ``callstate registered|unregistered`` and later
  ``cs: call[..] chan[0] dialstr[..] state[ALLOCATED|RINGING|COMPLETE]``, ``active: call[..]
  speed [384]``, ``cleared:`` / ``dialstr[IP:.. NAME:..]`` / ``ended:`` [IRM]. ``notify
  <type>`` -> ``notify <type> success``, again -> ``info: event/notification already
  active:<type>``, ``notify`` -> ``registered for 2 notifications:callstatus:mutestatus``
  [IRM]; ``nonotify`` when not active -> ``info: event/notification not active:<type>``
  [EXT]; ``nonotify <type> success`` INFERRED. ``mute register`` -> ``mute registered`` [IRM].
  Registrations are "written to Flash memory and retained when the system restarts" [IRM]:
  they live on the device state, so a new session sees them (variant: per session).
* Notifications: ``notification:callstatus:<dir>:<id>:<name>:<number>:<status>:<speed>:
  <cause>:videocall`` [IRM] (cause 0 while up; Q.850-like codes on disconnect INFERRED);
  ``notification:linestatus:<dir>:<id>:0:0:<status>`` [IRM], always ``outgoing`` ([ICD]
  "incoming calls show as outgoing"); ``notification:sysstatus:<name>:<value>`` [IRM] with
  the ``status`` names ``camera``/``microphones``/``sipserver`` and online/offline (INFERRED).
  They are written whenever they happen, so one may follow a ``-> `` prompt on its line.
* ``status`` as the [AVI] sample (``inacall`` .. ``rpms``, ``status end``; ``inacall online``
  while a call is connected, ``offline`` otherwise, dialling included: INFERRED) plus a ``camera``
  line ([AVI] parses ``camera ``; its place INFERRED); ``gatekeeper`` online when a
  gatekeeper address is set (INFERRED). No Group Series command reports a temperature.
* ``netstats``: ``call:0 txrate:384 K rxrate:384 K pktloss:0 %pktloss:0.0 %`` / ``tvp:H.264
  ... tcp:H.323 rcp:H.323`` ([AVI] sample, space before ``%``); ``tcp:SIP``, the frame sizes,
  the cumulative pktloss count and the idle reply ``system is not in a call`` are INFERRED.
* ``advnetstats [n]``: ``n`` is the connection index, 0 = call #1, omitted for a point-to-point
  call ([HDXAPI]); four lines as [AVI]'s sample ``call:0 tar:16 K rar:16 K tvr:48 K rvr:48 K`` /
  ``tvru:42 K rvru:43 K tvfr:29 rvfr:29 vfe:0`` / ``tapl:0 rapl:0 taj:3 ms raj:3 ms tvpl:0
  rvpl:0`` / ``tvj:4 ms rvj:9 ms dc:Disabled rsid:<remote> ccaps:---``, rates in kbit/s with
  ``K`` and jitter with ``ms`` as separate tokens. tapl/rapl/taj/raj/tvpl/rvpl/tvj/rvj are
  "H.323 calls only" ([AVI] quoting api_guide_6.0; [ADM] "Average Jitter ... during an H.323
  call"): in an H.323 call the ``*pl`` are cumulative lost-packet counts (cumulative is
  INFERRED, like netstats' pktloss) at ``state.packet_loss_pct`` of 50 pps audio and
  ~1100-byte video packets, jitter ``state.jitter_ms`` both ways; in a SIP call each prints
  ``---`` with no unit ([AVI] ``NULL_STATISTIC``; the SIP form itself is INFERRED: no capture).
  The audio/video split of the call rate (audio 64 or a quarter of a lower rate), "rate used"
  at 90 %, 30 fps, ``vfe:0``, ``dc:Disabled`` and ``ccaps:---`` are INFERRED. Not in a
  connected call, or an index past the one call: ``system is not in a call`` ([AVI] success
  list; INFERRED for advnetstats).
* ``mute near on|off|toggle|get`` -> ``mute near on|off``; ``mute far get`` -> ``mute far off``
  [IRM]. ``reboot now`` restarts without a reply ([IRM] "without a Prompt"; [CCC] "returns no
  separate feedback"); plain ``reboot`` asks for more parameters (INFERRED). ``exit`` ends the
  session with no reply (INFERRED).
* reboot_seconds 120 is a guess ([AVI] waits 120 s after a reboot); no source gives it.
* Faults: ``noise()`` is the whoami block out of turn, as a real Group 700 printed it in
  place of a reply ([CCC] 1.5.11, 1.5.13); ``garbage()`` keeps echo, line ending and prompt
  around a line that is no Polycom reply, and runs nothing.
* Not simulated (they answer ``error: command not found``): the rest of the command set
  (camera, volume, addrbook, answer, ...).

Long because: one codec family's shell as Poly's manuals and public drivers show it, each
behaviour next to its source; the commands share the prompt, echo and notification state of
one session.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import ClassVar

from endpoints.sim.shell import DeviceHooks, DeviceShell
from endpoints.sim.state import CallState, EndpointState

__all__ = ["GroupSeriesShell"]

PROMPT = "-> "
NOT_FOUND = "error: command not found"
NEED_MORE = "error: command needs more parameters to execute successfully"
ILLEGAL = "error: command has illegal parameters"  # INFERRED wording
NOT_IN_CALL = "system is not in a call"

NOTIFY_TYPES = (
    "calendarmeetings",
    "callstatus",
    "linestatus",
    "mutestatus",
    "screenchanges",
    "sysalerts",
    "sysstatus",
    "vidsourcechanges",
)
# canonical call status -> word in callinfo / callstatus / getcallstate, and in "cs:" lines
_STATUS_WORD = {"dialling": "connecting", "ringing": "ringing", "connected": "connected"}
_CS_STATE = {"dialling": "ALLOCATED", "ringing": "RINGING", "connected": "COMPLETE"}
# disconnect cause -> "status-specific cause code from call engine" (INFERRED, Q.850-like)
_CAUSE_CODE = {
    "LocalDisconnect": 16,
    "RemoteDisconnect": 16,
    "NetworkError": 38,
    "NoResources": 47,
    "NotFound": 1,
    "Busy": 17,
}
_EOL_IN = re.compile(r"\r\n|\r|\n")
SYSTEM_NAME_MAX = 64  # INFERRED
TEXT_MAX = 255  # INFERRED
E164_MAX = 32  # INFERRED
AUTO_SPEED = 384  # [IRM] globaladdrmaxh323 default
SPEED_RANGE = (64, 6144)  # INFERRED
# The sim models no time-zone setting: local time is Asia/Ho_Chi_Minh (UTC+7, no DST), where
# the province's codecs are (INFERRED).
LOCAL_ZONE = timezone(timedelta(hours=7))
NULL_STATISTIC = "---"  # [AVI] NULL_STATISTIC: a statistic the device does not report
AUDIO_PPS = 50  # INFERRED: 20 ms audio packets
VIDEO_PACKET_BITS = 1100 * 8  # INFERRED: ~1100-byte video packets


class _Refused(Exception):
    """A command that answers with one error/info line instead of its reply."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


def _tokens(text: str) -> list[str]:
    """Blank-separated words; ``"..."`` keeps its blanks. A stray or unbalanced quote is
    illegal, since no source shows how the device escapes one."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in " \t":
            i += 1
        elif text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0 or (end + 1 < n and text[end + 1] not in " \t"):
                raise _Refused(ILLEGAL)
            out.append(text[i + 1 : end])
            i = end + 1
        else:
            j = i
            while j < n and text[j] not in " \t":
                if text[j] == '"':
                    raise _Refused(ILLEGAL)
                j += 1
            out.append(text[i:j])
            i = j
    return out


def _plain_text(value: str, max_len: int = TEXT_MAX) -> bool:
    return len(value) <= max_len and all(ord(c) >= 0x20 and c != "\x7f" for c in value)


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _uptime_text(seconds: int) -> str:
    """``1 Hour, 10 Minutes`` as [CCC] quotes the guide; days and zero INFERRED."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    parts = [_plural(v, u) for v, u in ((days, "Day"), (hours, "Hour")) if v]
    if rest // 60 or not parts:
        parts.append(_plural(rest // 60, "Minute"))
    return ", ".join(parts)


def _hms(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _protocol(dialstr: str, kind: str | None) -> str:
    if kind == "sip" or (kind is None and ("@" in dialstr or dialstr.lower().startswith("sip:"))):
        return "sip"
    return "h323"


# systemsetting names -> check (returns the value to store, or raises _Refused)
def _text_setting(value: str) -> str:
    if not _plain_text(value):
        raise _Refused(ILLEGAL)
    return value


def _choice_setting(*choices: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        for choice in choices:
            if value.lower() == choice.lower():
                return choice
        raise _Refused(ILLEGAL)

    return check


def _read_only(value: str) -> str:
    raise _Refused(ILLEGAL)


_SYSTEMSETTINGS: dict[str, Callable[[str], str]] = {
    "model": _read_only,
    "sipaccountname": _text_setting,
    "sipenable": _choice_setting("True", "False"),
    "sipproxyserver": _text_setting,
    "sipregistrarserver": _text_setting,
    "sipusername": _text_setting,
    "selfview": _choice_setting("On", "Off", "Auto"),
}


def _check_system_name(value: str) -> str:
    if not value:
        raise _Refused(NEED_MORE)
    if not value[0].isalnum() or not _plain_text(value, SYSTEM_NAME_MAX):
        raise _Refused(ILLEGAL)
    return value


def _check_e164(value: str) -> str:
    if value and not (value.isascii() and value.isdigit() and len(value) <= E164_MAX):
        raise _Refused(ILLEGAL)
    return value


_NAMED_SETTINGS: dict[str, Callable[[str], str]] = {
    "systemname": _check_system_name,
    "h323name": _text_setting,
    "e164ext": _check_e164,
    "gatekeeperip": _text_setting,
}


class GroupSeriesShell(DeviceShell):
    """One API session on a RealPresence Group Series (see the module docstring)."""

    family: ClassVar[str] = "poly-group"
    models: ClassVar[tuple[str, ...]] = (
        "RealPresence Group 310",
        "RealPresence Group 500",
        "RealPresence Group 700",
    )
    firmware: ClassVar[str] = "6.2.2.8"
    reboot_seconds: ClassVar[float] = 120.0  # a guess: AVI-SPL waits 120 s after a reboot
    VARIANTS: ClassVar[dict[str, str]] = {
        "banner": "print the port-23 'Polycom Command Shell' / XCOM host / TTY name / Session "
        "type header before the greeting (seen on an HDX; unconfirmed on Group Series SSH)",
        "no_echo": "the session does not echo input lines (as after 'cmdecho off', or a "
        "session without a terminal as the TS driver's raw TCP one); replies follow '-> '",
        "crlf": "replies end CR LF as the manual documents for serial sessions, not CR CR LF",
        "late_greeting": "login prints only the prompt; the whoami block comes out just "
        "before the first command's echo (a real Group 700 sent it after a few polls)",
        "always_quote": "every text value is printed in double quotes, blanks or not",
        "session_registrations": "notify/callstate/mute registrations belong to this session "
        "only (HDX manual: 'session-specific'); a new session starts with none",
        "repeat_success": "repeating a registration answers success again, not 'info: "
        "event/notification already active' (HDX manual: 'Duplicate registrations produce "
        "another success response')",
    }

    def __init__(
        self, state: EndpointState, hooks: DeviceHooks, variants: frozenset[str] = frozenset()
    ) -> None:
        super().__init__(state, hooks, variants)
        self.clock: Callable[[], float] = time.time  # wall clock for "Local Time is"
        self._eol = "\r\n" if "crlf" in variants else "\r\r\n"
        self._echo = "no_echo" not in variants
        self._greeting_due = "late_greeting" in variants
        self._cr_pending = False  # the last read ended in CR: a leading LF belongs to it
        self._registrations: set[str] = set() if "session_registrations" in variants else state.registrations
        self._handlers: dict[str, Callable[[str], list[str]]] = {
            "callinfo": self._callinfo,
            "callstate": self._callstate,
            "cmdecho": self._cmdecho,
            "dial": self._dial,
            "echo": self._echo_text,
            "getcallstate": self._getcallstate,
            "hangup": self._hangup,
            "ipaddress": self._ipaddress,
            "mute": self._mute,
            "netstats": self._netstats,
            "advnetstats": self._advnetstats,
            "nonotify": self._nonotify,
            "notify": self._notify,
            "serialnum": lambda rest: [f"serialnum {self.state.serial}"],
            "status": self._status,
            "systemsetting": self._systemsetting,
            "uptime": self._uptime,
            "version": lambda rest: [f"version {self.state.firmware}"],
            "whoami": lambda rest: self._greeting(),
        }
        for name in _NAMED_SETTINGS:
            self._handlers[name] = self._named_setting(name)

    # --- the DeviceShell contract -------------------------------------------------------

    @classmethod
    def initial_config(cls, name: str, index: int) -> dict[str, str]:
        """Factory settings: SIP and gatekeeper unset, extension and address from the index
        (INFERRED values; the names are the API's own)."""
        return {
            "systemname": name,
            "h323name": name,
            "e164ext": str(1000 + index),
            "gatekeeperip": "",
            "ipaddress": f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}",
            "sipenable": "True",
            "sipproxyserver": "",
            "sipregistrarserver": "",
            "sipusername": "",
            "sipaccountname": "",
            "selfview": "Auto",
        }

    def login(self) -> str:
        header = ""
        if "banner" in self.variants:
            header = self._block(
                [
                    "Polycom Command Shell",
                    "XCOM host:    localhost port: 4121",
                    "TTY name:     /dev/pts/0",
                    "Session type: ssh",  # the HDX capture says telnet; ssh INFERRED
                ]
            )
        if self._greeting_due:
            return header + PROMPT
        return header + self._block(self._greeting()) + PROMPT

    def split(self, buffer: str) -> tuple[list[str], str]:
        """Lines ended by CR, CR LF or LF. A CR at the very end completes its line at once
        (drivers that send CR alone wait for the answer); an LF opening the next read is then
        the rest of that CR LF, not an empty line."""
        if self._cr_pending and buffer:
            self._cr_pending = False
            if buffer.startswith("\n"):
                buffer = buffer[1:]
        lines: list[str] = []
        pos = 0
        for match in _EOL_IN.finditer(buffer):
            lines.append(buffer[pos : match.start()])
            pos = match.end()
        self._cr_pending = bool(lines) and pos == len(buffer) and buffer.endswith("\r")
        return lines, buffer[pos:]

    def handle(self, line: str) -> tuple[list[str], bool]:
        pieces: list[str] = []
        if self._greeting_due:
            self._greeting_due = False
            pieces.append(self._block(self._greeting()))
        if self._echo:
            pieces.append(line + "\r\n")
        text = line.strip()
        if not text:
            return [*pieces, PROMPT], False
        self.state.commands.append(line)
        word, _, rest = text.partition(" ")
        if word == "exit":
            return pieces, True
        if word == "reboot":
            return self._reboot(rest, pieces)
        handler = self._handlers.get(word)
        try:
            reply = handler(rest.strip()) if handler else [NOT_FOUND]
        except _Refused as refused:
            reply = [refused.line]
        return [*pieces, self._block(reply), PROMPT], False

    def event(self, kind: str, data: dict[str, object]) -> str | None:
        lines: list[str] = []
        if kind in ("call_progress", "call_connected", "call_disconnected"):
            call = data["call"]
            assert isinstance(call, CallState)
            lines = self._call_event(kind, call, str(data.get("cause", "")))
        elif kind == "peripheral" and "notify:sysstatus" in self._registrations:
            online = "online" if data.get("connected") else "offline"
            lines = [f"notification:sysstatus:{data.get('device')}:{online}"]
        elif kind == "sip" and "notify:sysstatus" in self._registrations:
            online = "online" if data.get("registered") else "offline"
            lines = [f"notification:sysstatus:sipserver:{online}"]
        return self._block(lines) if lines else None

    def garbage(self, line: str) -> list[str]:
        """Echo and prompt as usual around a reply that is no Polycom line at all."""
        head = line.split()[0] if line.split() else ""
        echo = [line + "\r\n"] if self._echo else []
        return [*echo, self._block([f"{head}:??:%$#@!^&*"]), PROMPT]

    def noise(self) -> str:
        """The whoami block out of turn: a real Group 700 sent it mid-session in place of a
        reply ([CCC] 1.5.11/1.5.13), and ICD re-initialises whenever it sees one."""
        return self._block(self._greeting())

    # --- framing and shared text ---------------------------------------------------------

    def _block(self, lines: list[str]) -> str:
        return "".join(line + self._eol for line in lines)

    def _quote(self, value: str) -> str:
        if "always_quote" in self.variants or not value or " " in value or "\t" in value:
            return f'"{value}"'
        return value

    def _greeting(self) -> list[str]:
        """The whoami block ([CCC], [AVI]); values INFERRED where no source shows one."""
        state, config = self.state, self.state.config
        calls = state.next_call_id - 1
        local = format_datetime(datetime.fromtimestamp(self.clock() + state.clock_offset_s, LOCAL_ZONE))
        return [
            f"Hi, my name is : {config.get('systemname', state.name)}",
            "Here is what I know about myself:",
            f"Model: {state.model}",
            f"Serial Number: {state.serial}",
            f"Software Version: {state.firmware}",
            f"Build Information: Release-{state.firmware}",
            "Contact Number: ",
            f"Time In Last Call: {_hms(0)}",
            f"Total Calls: {calls}",
            f"Total Time In Calls: {_hms(0)}",
            "SNTP Time Service: auto insync",
            f"Local Time is: {local}",
            f"IP Video Number: {config.get('ipaddress', '')}",
            "MP Enabled: False",
            "H323 Enabled: True",
            "HTTP Enabled: True",
            "SNMP Enabled: True",
        ]

    # --- session commands ----------------------------------------------------------------

    def _reboot(self, rest: str, pieces: list[str]) -> tuple[list[str], bool]:
        """``reboot now`` restarts with no reply; the session ends with it."""
        args = rest.split()
        if args == ["now"]:
            self.hooks.reboot()
            return pieces, True
        line = NEED_MORE if not args else ILLEGAL
        return [*pieces, self._block([line]), PROMPT], False

    def _cmdecho(self, rest: str) -> list[str]:
        args = rest.split()
        if not args:
            return [NEED_MORE]
        if args not in (["on"], ["off"]):
            return [ILLEGAL]
        self._echo = args == ["on"]
        return [f"cmdecho {args[0]}"]

    def _echo_text(self, rest: str) -> list[str]:
        return [" ".join(_tokens(rest))]

    def _uptime(self, rest: str) -> list[str]:
        args = _tokens(rest)
        if not args:
            raise _Refused(NEED_MORE)
        if args != ["get"]:
            raise _Refused(ILLEGAL)
        return [_uptime_text(self.state.uptime_s)]

    def _ipaddress(self, rest: str) -> list[str]:
        if _tokens(rest) != ["get"]:
            raise _Refused(NEED_MORE if not rest else ILLEGAL)
        return [f"ipaddress {self.state.config.get('ipaddress', '')}"]

    # --- settings --------------------------------------------------------------------------

    def _named_setting(self, name: str) -> Callable[[str], list[str]]:
        """``<name> get`` / ``<name> set ["value"]`` -> ``<name> <value>``."""

        def handler(rest: str) -> list[str]:
            is_write = rest.split()[:1] == ["set"]
            if is_write:
                self.state.stats.config_writes += 1
            args = _tokens(rest)
            if not args:
                raise _Refused(NEED_MORE)
            if args == ["get"]:
                return [f"{name} {self._quote(self.state.config.get(name, ''))}"]
            if not is_write or len(args) > 2:
                raise _Refused(ILLEGAL)
            value = _NAMED_SETTINGS[name](args[1] if len(args) == 2 else "")
            self.state.config[name] = value
            return [f"{name} {self._quote(value)}"]

        return handler

    def _systemsetting(self, rest: str) -> list[str]:
        """``systemsetting get <name>`` reads; ``systemsetting <name> <value>`` writes."""
        words = rest.split()
        is_write = bool(words) and words[0] != "get"
        if is_write:
            self.state.stats.config_writes += 1
        args = _tokens(rest)
        if not args or args == ["get"]:
            raise _Refused(NEED_MORE)
        name = args[1] if args[0] == "get" else args[0]
        if name not in _SYSTEMSETTINGS:
            raise _Refused(NOT_FOUND)
        if not is_write:
            if len(args) != 2:
                raise _Refused(ILLEGAL)
            return [f"systemsetting {name} {self._quote(self._setting_value(name))}"]
        if len(args) == 1:
            raise _Refused(NEED_MORE)
        if len(args) > 2:
            raise _Refused(ILLEGAL)
        value = _SYSTEMSETTINGS[name](args[1])
        self.state.config[name] = value
        return [f"systemsetting {name} {self._quote(value)}"]

    def _setting_value(self, name: str) -> str:
        return self.state.model if name == "model" else self.state.config.get(name, "")

    # --- calls -----------------------------------------------------------------------------

    def _dial(self, rest: str) -> list[str]:
        self.state.stats.dials += 1
        args = _tokens(rest)
        if not args:
            raise _Refused(NEED_MORE)
        how, args = args[0], args[1:]
        if how == "addressbook":
            raise _Refused(NEED_MORE if not args else "info: no match(s) found")
        if how == "phone":
            raise _Refused(NEED_MORE if len(args) < 2 else "info: AUDIO call not enabled")
        if how == "manual":
            return self._dial_manual(args)
        if how == "auto":
            return self._dial_manual([*(args if len(args) != 1 else ["auto", *args]), "h323"])
        raise _Refused(ILLEGAL)

    def _dial_manual(self, args: list[str]) -> list[str]:
        """``<speed> <dialstr1> [<dialstr2>] [h323|ip|sip]``; dialstr2 (a second ISDN channel)
        is accepted and ignored."""
        kind = args.pop() if len(args) > 2 and args[-1] in ("h323", "ip", "sip") else None
        if len(args) < 2:
            raise _Refused(NEED_MORE)
        speed, dialstr = args[0], args[1]
        if len(args) > 3 or not dialstr or not _plain_text(dialstr):
            raise _Refused(ILLEGAL)
        if speed == "auto":
            rate = AUTO_SPEED
        elif speed.isascii() and speed.isdigit() and SPEED_RANGE[0] <= int(speed) <= SPEED_RANGE[1]:
            rate = int(speed)
        else:
            raise _Refused(ILLEGAL)
        if self.state.call is not None:
            raise _Refused("info: system is in a call")  # INFERRED
        call = self.state.new_call(dialstr, rate, _protocol(dialstr, kind), "outgoing", "dialling")
        self.hooks.dial(call)
        return ["dialing manual"]

    def _hangup(self, rest: str) -> list[str]:
        args = _tokens(rest)
        if not args:
            raise _Refused(NEED_MORE)
        if args == ["all"]:
            if self.state.call is None or not self.hooks.hangup(None):
                return [NOT_IN_CALL]
            return ["hanging up all"]
        if args[0] != "video" or len(args) > 2:
            raise _Refused(ILLEGAL)
        if len(args) == 1:
            if self.state.call is None or not self.hooks.hangup(None):
                return [NOT_IN_CALL]
            return ["hanging up video"]
        if not args[1].isdigit():
            raise _Refused(ILLEGAL)
        call_id = int(args[1])
        call = self.state.call
        if call is None or call.call_id != call_id or not self.hooks.hangup(call_id):
            return [f"error: connection {call_id} is not active"]
        return ["hanging up video"]

    def _callinfo_line(self, call: CallState) -> str:
        mute = "muted" if self.state.muted else "notmuted"
        status = _STATUS_WORD.get(call.status, call.status)
        return (
            f"callinfo:{call.call_id}::{call.remote}:{call.rate}:{status}:{mute}:{call.direction}:videocall"
        )

    def _callinfo(self, rest: str) -> list[str]:
        args = _tokens(rest)
        if not args or args == ["callid"]:
            raise _Refused(NEED_MORE)
        call = self.state.call
        if args == ["all"]:
            return ["callinfo begin", self._callinfo_line(call), "callinfo end"] if call else [NOT_IN_CALL]
        if args[0] != "callid" or len(args) != 2 or not args[1].isdigit():
            raise _Refused(ILLEGAL)
        if call is None:
            return [NOT_IN_CALL]
        if call.call_id != int(args[1]):
            return [f"error: connection {int(args[1])} is not active"]  # INFERRED
        return [self._callinfo_line(call)]

    def _getcallstate(self, rest: str) -> list[str]:
        call = self.state.call
        slots = [f"cs: call[{n}] inactive" for n in range(3)]
        if call is not None:
            status = _STATUS_WORD.get(call.status, call.status)
            slots[0] = f"cs: call[{call.call_id}] speed[{call.rate}] dialstr[{call.remote}] state[{status}]"
        return slots

    def _netstats(self, rest: str) -> list[str]:
        call = self.state.call
        if call is None or call.status != "connected":
            return [NOT_IN_CALL]
        pct = self.state.packet_loss_pct
        lost = 0 if pct <= 0 else max(1, round(pct * call.duration_s))
        proto = "SIP" if call.protocol == "sip" else "H.323"
        return [
            f"call:0 txrate:{call.rate} K rxrate:{call.rate} K pktloss:{lost} %pktloss:{pct:.1f} %",
            f"tvp:H.264 rvp:H.264 tvf:720p rvf:720p tap:G.722.1 rap:G.722.1 tcp:{proto} rcp:{proto}",
        ]

    def _advnetstats(self, rest: str) -> list[str]:
        """``advnetstats [n]``: four lines for connection ``n`` (0 = call #1) [AVI, HDXAPI]. Loss
        and jitter are "H.323 calls only": ``---`` in any other call [AVI]."""
        args = _tokens(rest)
        if len(args) > 1 or (args and not (args[0].isascii() and args[0].isdigit())):
            raise _Refused(ILLEGAL)
        index = int(args[0]) if args else 0
        call = self.state.call
        if call is None or call.status != "connected" or index != 0:  # INFERRED: one call at most
            return [NOT_IN_CALL]
        audio = min(64, call.rate // 4)  # INFERRED split of the call rate
        video = call.rate - audio
        used = video * 9 // 10  # INFERRED: "video rate used" a little under the rate
        if call.protocol == "h323":
            loss = max(0.0, min(100.0, self.state.packet_loss_pct)) / 100
            seconds = call.duration_s
            apl = str(round(AUDIO_PPS * seconds * loss))
            vpl = str(round(video * 1000 // VIDEO_PACKET_BITS * seconds * loss))
            jitter = f"{max(0, round(self.state.jitter_ms))} ms"
            aj = vj = jitter
        else:
            apl = vpl = aj = vj = NULL_STATISTIC
        return [
            f"call:{index} tar:{audio} K rar:{audio} K tvr:{video} K rvr:{video} K",
            f"tvru:{used} K rvru:{used} K tvfr:30 rvfr:30 vfe:0",
            f"tapl:{apl} rapl:{apl} taj:{aj} raj:{aj} tvpl:{vpl} rvpl:{vpl}",
            f"tvj:{vj} rvj:{vj} dc:Disabled rsid:{call.remote} ccaps:{NULL_STATISTIC}",
        ]

    def _call_event(self, kind: str, call: CallState, cause: str) -> list[str]:
        """Every registered form of one call event, callstatus first (order INFERRED)."""
        regs = self._registrations
        ended = kind == "call_disconnected"
        word = "disconnected" if ended else _STATUS_WORD.get(call.status, call.status)
        code = _CAUSE_CODE.get(cause, 16) if ended else 0
        lines: list[str] = []
        if "notify:callstatus" in regs:
            lines.append(
                f"notification:callstatus:{call.direction}:{call.call_id}::{call.remote}:"
                f"{word}:{call.rate}:{code}:videocall"
            )
        if "notify:linestatus" in regs:
            lines.append(f"notification:linestatus:outgoing:{call.call_id}:0:0:{word}")
        if "register:callstate" in regs:
            if ended:
                lines += [
                    f"cleared: call[{call.call_id}]",
                    f"dialstr[IP:{call.remote} NAME:]",
                    f"ended: call[{call.call_id}]",
                ]
            else:
                state = _CS_STATE.get(call.status, call.status.upper())
                lines.append(f"cs: call[{call.call_id}] chan[0] dialstr[{call.remote}] state[{state}]")
                if call.status == "connected":
                    lines.append(f"active: call[{call.call_id}] speed [{call.rate}]")
        return lines

    # --- registrations, mute, status ---------------------------------------------------------

    def _register(self, key: str, done: str, kind: str) -> list[str]:
        if key in self._registrations and "repeat_success" not in self.variants:
            return [f"info: event/notification already active:{kind}"]
        self._registrations.add(key)
        return [done]

    def _unregister(self, key: str, done: str, kind: str) -> list[str]:
        if key not in self._registrations:
            return [f"info: event/notification not active:{kind}"]
        self._registrations.discard(key)
        return [done]

    def _notify(self, rest: str) -> list[str]:
        args = _tokens(rest)
        if not args:
            active = sorted(k.split(":", 1)[1] for k in self._registrations if k.startswith("notify:"))
            return [":".join([f"registered for {len(active)} notifications", *active])]
        if len(args) != 1 or args[0] not in NOTIFY_TYPES:
            raise _Refused(ILLEGAL)
        return self._register(f"notify:{args[0]}", f"notify {args[0]} success", args[0])

    def _nonotify(self, rest: str) -> list[str]:
        args = _tokens(rest)
        if not args:
            raise _Refused(NEED_MORE)
        if len(args) != 1 or args[0] not in NOTIFY_TYPES:
            raise _Refused(ILLEGAL)
        return self._unregister(f"notify:{args[0]}", f"nonotify {args[0]} success", args[0])

    def _callstate(self, rest: str) -> list[str]:
        args = _tokens(rest)
        if not args:
            raise _Refused(NEED_MORE)
        if args == ["register"]:
            return self._register("register:callstate", "callstate registered", "callstate")
        if args == ["unregister"]:
            self._registrations.discard("register:callstate")
            return ["callstate unregistered"]
        if args == ["get"]:
            on = "register:callstate" in self._registrations
            return ["callstate registered" if on else "callstate unregistered"]
        raise _Refused(ILLEGAL)

    def _mute(self, rest: str) -> list[str]:
        args = _tokens(rest)
        if not args or args in (["near"], ["far"]):
            raise _Refused(NEED_MORE)
        if args == ["register"]:
            return self._register("register:mute", "mute registered", "mute")
        if args == ["unregister"]:
            self._registrations.discard("register:mute")
            return ["mute unregistered"]
        if args == ["far", "get"]:
            return ["mute far off"]
        if len(args) != 2 or args[0] != "near" or args[1] not in ("on", "off", "toggle", "get"):
            raise _Refused(ILLEGAL)
        if args[1] != "get":
            self.state.muted = not self.state.muted if args[1] == "toggle" else args[1] == "on"
        return [f"mute near {'on' if self.state.muted else 'off'}"]

    def _status(self, rest: str) -> list[str]:
        state = self.state

        def on(flag: bool) -> str:
            return "online" if flag else "offline"

        in_call = state.call is not None and state.call.status == "connected"
        return [
            f"inacall {on(in_call)}",
            "autoanswerp2p online",
            "remotecontrol online",
            f"microphones {on(state.microphones_connected)}",
            f"camera {on(state.camera_connected)}",
            "visualboard online",
            "globaldirectory offline",
            "ipnetwork online",
            f"gatekeeper {on(bool(state.config.get('gatekeeperip')))}",
            f"sipserver {on(state.sip_registered)}",
            "logthreshold offline",
            "meetingpassword offline",
            "rpms offline",
            "status end",
        ]

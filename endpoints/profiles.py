"""Firmware profiles: everything vendor-specific, loaded from YAML into typed objects.

A new vendor or firmware line should be a new YAML file plus fixtures, never a
new ``if vendor == ...`` branch.  These models are the schema of that file;
``extra="forbid"`` makes a typo a load error instead of a silently ignored key.

Long because: the schema of a firmware profile file, one model per section; they are
validated together so an error names the file and the field path.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from endpoints.commands import json_unescape, template_fields, unquote
from endpoints.errors import ProfileError

M = TypeVar("M", bound=BaseModel)

__all__ = [
    "CALL_STATES",
    "CallEnded",
    "Calls",
    "ConfigKey",
    "Escaping",
    "Firmware",
    "Profile",
    "Query",
    "Readiness",
    "Rule",
    "Session",
    "load_profile",
    "load_profiles",
]

IDENTITY_FIELDS = frozenset({"model", "firmware_version", "firmware_build", "serial"})
HEALTH_FIELDS = frozenset(
    {
        "uptime_s",
        "in_call",
        "remote",
        "call_duration_s",
        "sip_registered",
        "camera_connected",
        "microphones_connected",
        "packet_loss_pct",
        "temperature_c",
    }
)

# What a readiness check reads beyond the health poll (``Readiness``), per query.
READINESS_FIELDS = {
    "clock": frozenset({"device_time"}),
    "ntp": frozenset({"ntp_synced"}),
    "media": frozenset({"lost_packets", "received_packets", "loss_pct", "jitter_ms"}),
}

# Canonical call states ``calls.status`` maps the device's words to; "idle" is
# what a device with no call line reports (the rule's ``default``).
CALL_STATES = ("idle", "dialling", "ringing", "connected", "disconnecting")
CALL_STATUS_FIELDS = frozenset({"call_state", "remote", "call_id"})
_ENDED_GROUPS = frozenset({"cause", "remote"})


def check_regex(value: str | None) -> str | None:
    """A regex in a profile must compile: the error names it when the file is loaded, not on first use."""
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regex {value!r}: {exc}") from None
    return value


def _check_regexes(values: list[str]) -> list[str]:
    for value in values:
        check_regex(value)
    return values


@cache
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Escaping(_Strict):
    """How a value is made literal in this dialect (see ``endpoints.commands``)."""

    quote: str = '"'
    escapes: dict[str, str] = {}  # character -> replacement inside quotes
    # regex: characters refused outright: C0 and C1 controls, DEL, and the Unicode line
    # and paragraph separators, any of which a device may take as the end of a line
    reject: str = r"[\x00-\x1f\x7f-\x9f\u2028\u2029]"
    word: str = r"^[A-Za-z0-9_.:@/+-]+$"  # what a bare (unquoted) token may be
    max_length: int = 255

    check_regexes = field_validator("reject", "word")(check_regex)


class Session(_Strict):
    """How to know the device is ready, frame one command's response, and spot feedback.

    ``format: lines`` (the default) frames text by prompt or by tagged blocks
    (``endpoints.framing``); ``format: json`` frames a stream of JSON documents matched
    to commands by a tag they carry (``endpoints.json_framing``), where ``tag_line``,
    ``block_end``, ``done``, ``prompt`` and ``feedback`` have no use.
    """

    format: Literal["lines", "json"] = "lines"
    ready: str  # regex: login finished when a line (or the trailing prompt) matches
    prompt: str | None = None  # regex on the unfinished last line: device waits for input
    on_open: list[str] = []  # sent verbatim, one at a time, once the device is ready
    # Sent after on_open on every (re)connect: subscriptions to unsolicited state
    # feedback (Cisco ``xFeedback register /Status/Call``, Poly ``notify callstatus``).
    feedback_register: list[str] = []
    command_template: str = "{command}"  # may use {tag}
    tag_line: str | None = None  # regex; "{tag}" is replaced by the escaped tag
    block_end: str | None = None  # regex: ends a block of lines (tagged = ours, else feedback)
    done: str | None = None  # regex: a complete line that ends the response
    feedback: list[str] = []  # regexes: unsolicited lines, never part of a response
    # regexes: lines that are neither an answer nor feedback (a greeting the device prints
    # again mid-session): dropped wherever they fall
    ignore: list[str] = []
    # commands whose own answer is made of ``ignore`` lines (Poly ``whoami`` answers with
    # the greeting block): while one of them is answered, those lines are its answer
    keep_ignored_for: list[str] = []
    # regexes: feedback lines that mean "call or peripheral state changed, poll now"
    state_feedback: list[str] = []
    error: str  # regex: a response line that means the command failed
    error_message: str | None = None  # regex with (?P<message>...)
    strip_echo: bool = False  # device echoes the command line first
    # json: regexes for plain-text lines that answer a command with an error; with a
    # (?P<tag>...) group, the command carrying that tag, else the oldest one waiting.
    text_error: list[str] = []
    line_ending: str = "\n"

    check_regexes = field_validator("ready", "prompt", "block_end", "done", "error", "error_message")(
        check_regex
    )
    check_regex_lists = field_validator("feedback", "state_feedback", "text_error", "ignore")(_check_regexes)

    @model_validator(mode="after")
    def _ends_somehow(self) -> Session:
        if self.format == "json":
            if "{tag}" not in self.command_template:
                raise ValueError("format json matches answers by tag: command_template needs {tag}")
        elif not self.done and not self.prompt:
            raise ValueError("one of 'done' or 'prompt' must say where a response ends")
        return self


class Rule(_Strict):
    """One parse rule, applied by ``endpoints.parsing.apply_rule``.

    Text answers are read with ``regex`` (a ``value`` group); JSON answers with ``path``:
    names separated by ``/`` (``Status/SystemUnit/Uptime``), where an indexed node's
    instances are all visited (``*`` says so explicitly), ``Name[Key=value]`` keeps the
    instances whose ``Key`` child has that value, ``@id`` is an instance's id, and a leaf
    ``{"Value": ...}`` is its value. ``match`` then keeps only the values it
    fully matches (its ``value`` group, if any, is the value).
    """

    regex: str | None = None  # searched line by line (re.MULTILINE)
    path: str | None = None
    match: str | None = None  # with path
    type: Literal["str", "int", "float", "bool"] = "str"
    aggregate: Literal["first", "all", "count", "any", "sum", "max", "percent"] = "first"
    total_regex: str | None = None  # for "percent": 100 * sum(regex) / sum(total_regex)
    total_path: str | None = None  # for "percent" with path
    map: dict[str, Any] | None = None  # raw text -> value, applied before type conversion
    # A value the map does not know is a ParseError instead of passing through
    # as raw text: for enumerations (call states) where an unknown word must
    # not be mistaken for a known one.
    strict_map: bool = False
    unquote: bool = False  # undo the dialect's escaping in the captured value
    required: bool = True  # no match -> ParseError; else -> default
    default: Any = None

    check_regexes = field_validator("regex", "total_regex", "match")(check_regex)

    @model_validator(mode="after")
    def _value_group(self) -> Rule:
        if (self.regex is None) == (self.path is None):
            raise ValueError("a rule reads with exactly one of 'regex' (text) or 'path' (JSON)")
        if self.regex is not None:
            if self.match or self.total_path:
                raise ValueError("'match' and 'total_path' go with 'path', not 'regex'")
            if self.aggregate not in ("count", "any") and "(?P<value>" not in self.regex:
                raise ValueError("regex needs a (?P<value>...) group")
            if self.aggregate == "percent" and not self.total_regex:
                raise ValueError("aggregate 'percent' needs total_regex")
        else:
            if self.total_regex or self.unquote:
                raise ValueError("'total_regex' and 'unquote' go with 'regex' (JSON values are exact)")
            if self.aggregate == "percent" and not self.total_path:
                raise ValueError("aggregate 'percent' needs total_path")
        if self.strict_map and not self.map:
            raise ValueError("strict_map needs a map")
        return self


class Query(_Strict):
    """A command whose output fills one or more named fields."""

    command: str
    fields: dict[str, Rule]
    on_error: Literal["raise", "none"] = "raise"  # "none": device error -> fields None


class ConfigKey(_Strict):
    read: str
    parse: Rule
    set: str  # template with {value} / {value:word} / {value:int}
    choices: dict[str, str] | None = None  # canonical value -> device value
    description: str = ""
    # The device's own value space for this setting (its reference guide or schema):
    # a value outside it is refused here, before it reaches the device.
    min_length: int | None = None
    max_length: int | None = None
    minimum: int | None = None  # for integer settings
    maximum: int | None = None
    limit_source: str = ""  # where the limits come from, shown with a refusal

    def problem(self, value: str) -> str | None:
        """Why the device would refuse ``value`` (canonical form), or None when it is within limits."""
        if self.choices is not None and value not in self.choices:
            return f"must be one of {', '.join(sorted(self.choices))}"
        source = f" ({self.limit_source})" if self.limit_source else ""
        if self.max_length is not None and len(value) > self.max_length:
            return f"is {len(value)} characters; the device takes at most {self.max_length}{source}"
        if self.min_length is not None and len(value) < self.min_length:
            return f"is {len(value)} characters; the device needs at least {self.min_length}{source}"
        if self.minimum is not None or self.maximum is not None:
            if not re.fullmatch(r"-?\d+", value):
                return "must be a whole number"
            number = int(value)
            low = self.minimum if self.minimum is not None else number
            high = self.maximum if self.maximum is not None else number
            if not low <= number <= high:
                return f"must be within {self.minimum}..{self.maximum}{source}"
        return None

    @field_validator("set")
    @classmethod
    def _has_value(cls, v: str) -> str:
        if template_fields(v) != {"value"}:
            raise ValueError("set template must use exactly the placeholder {value}")
        return v


class CallEnded(_Strict):
    """A feedback line said a call ended: why (the device's word) and with whom."""

    cause: str = "disconnected"
    remote: str | None = None


class Calls(_Strict):
    dial: str  # placeholders among {uri} {rate} {protocol} {tag}
    dial_call_id: Rule | None = None  # the device's id of the call, read from the dial's answer
    hangup: str  # ends the call in progress
    hangup_call: str | None = None  # ends one call by the device's id: placeholder {call_id:int}
    mute: str
    unmute: str
    protocols: dict[str, str] = {"sip": "sip"}  # canonical -> device word
    # The call in progress: ``call_state`` mapped to CALL_STATES ("idle" when no
    # call line: required false, default idle), ``remote``, optional ``call_id``.
    status: Query | None = None
    # Regexes for feedback lines meaning "a call ended", tried in order; optional
    # named groups ``cause`` and ``remote`` (a captured quoted string is unquoted).
    ended_feedback: list[str] = []

    check_ended = field_validator("ended_feedback")(_check_regexes)

    @field_validator("ended_feedback")
    @classmethod
    def _ended_groups(cls, v: list[str]) -> list[str]:
        for pattern in v:
            if unknown := set(re.compile(pattern).groupindex) - _ENDED_GROUPS:
                raise ValueError(
                    f"{pattern!r}: groups may only be {sorted(_ENDED_GROUPS)}, not {sorted(unknown)}"
                )
        return v

    @field_validator("status")
    @classmethod
    def _status_fields(cls, v: Query | None) -> Query | None:
        if v is None:
            return v
        if unknown := set(v.fields) - CALL_STATUS_FIELDS:
            raise ValueError(f"unknown call status fields {sorted(unknown)}")
        state = v.fields.get("call_state")
        if state is None:
            raise ValueError("call status must provide call_state")
        if not state.map or not set(state.map.values()) <= set(CALL_STATES):
            raise ValueError(f"call_state needs a map onto {list(CALL_STATES)}")
        if v.on_error != "raise":
            raise ValueError("on_error must be raise: a device error is not an idle codec")
        if not state.required and state.default not in CALL_STATES:
            raise ValueError(f"call_state default must be one of {list(CALL_STATES)} (usually idle)")
        return v

    @field_validator("hangup_call")
    @classmethod
    def _hangup_fields(cls, v: str | None) -> str | None:
        if v is not None and template_fields(v) != {"call_id"}:
            raise ValueError("hangup_call uses exactly the placeholder {call_id:int}")
        return v

    @field_validator("dial")
    @classmethod
    def _dial_fields(cls, v: str) -> str:
        extra = template_fields(v) - {"uri", "rate", "protocol", "tag"}
        if extra or "uri" not in template_fields(v):
            raise ValueError("dial uses {uri} and optionally {rate} {protocol} {tag}")
        return v


class Firmware(_Strict):
    minimum: str
    target: str
    upgrade: str | None = None  # template with {url}; None: not upgradable over this API
    reboot_seconds: int = 300


class Readiness(_Strict):
    """What a readiness check reads beyond the health poll: the device's clock (against the
    controller's), its NTP state, and the media counters of a test call, read twice a window
    apart. Each is optional: a family that cannot say is "not measured", never "fine".

    ``clock.device_time`` is text in ``clock_format``: a ``strptime`` format with ``%z``
    (Cisco ``2021-03-02T14:06:31-0500``) or ``rfc2822`` (Poly ``Fri, 31 Jul 2026 19:05:33
    +0900``). ``media``: ``lost_packets``/``received_packets`` are counters since the call
    began (the loss over the window is their difference), ``loss_pct`` a figure the device
    computes itself over its own short interval, ``jitter_ms`` the receive jitter now.
    """

    clock: Query | None = None
    clock_format: str = "rfc2822"
    ntp: Query | None = None
    media: Query | None = None

    @model_validator(mode="after")
    def _fields(self) -> Readiness:
        for name, allowed in READINESS_FIELDS.items():
            query: Query | None = getattr(self, name)
            if query is not None and (unknown := set(query.fields) - allowed):
                raise ValueError(f"unknown {name} fields {sorted(unknown)} (allowed: {sorted(allowed)})")
        if self.clock is not None and "device_time" not in self.clock.fields:
            raise ValueError("clock must provide device_time")
        if self.clock_format != "rfc2822" and "%z" not in self.clock_format:
            raise ValueError("clock_format is 'rfc2822' or a strptime format with %z (the device's offset)")
        return self


class Profile(_Strict):
    id: str
    vendor: str
    family: str
    description: str = ""
    session: Session
    escaping: Escaping = Escaping()
    identity: dict[str, Query]
    config: dict[str, ConfigKey]
    health: dict[str, Query] = {}
    readiness: Readiness = Readiness()
    calls: Calls
    firmware: Firmware

    @field_validator("identity")
    @classmethod
    def _identity(cls, v: dict[str, Query]) -> dict[str, Query]:
        names = {f for q in v.values() for f in q.fields}
        if unknown := names - IDENTITY_FIELDS:
            raise ValueError(f"unknown identity fields {sorted(unknown)}")
        if missing := {"model", "firmware_version"} - names:
            raise ValueError(f"identity must provide {sorted(missing)}")
        return v

    @field_validator("health")
    @classmethod
    def _health(cls, v: dict[str, Query]) -> dict[str, Query]:
        if unknown := {f for q in v.values() for f in q.fields} - HEALTH_FIELDS:
            raise ValueError(f"unknown health fields {sorted(unknown)}")
        return v

    def is_state_feedback(self, line: str) -> bool:
        """Whether a feedback line says call or peripheral state changed (poll now)."""
        return any(r.search(line) for r in _compiled(tuple(self.session.state_feedback)))

    def call_ended(self, line: str) -> CallEnded | None:
        """The call-ended event a feedback line carries, or None.

        The first matching ``calls.ended_feedback`` regex wins, so a profile can
        list a specific shape (cause in one field) before a general one.
        """
        for regex in _compiled(tuple(self.calls.ended_feedback)):
            if m := regex.search(line):
                return CallEnded(**{k: self._unquoted(v) for k, v in m.groupdict().items() if v})
        return None

    def _unquoted(self, text: str) -> str:
        if self.session.format == "json":  # captured from compact JSON, between its quotes
            return json_unescape(text)
        q = self.escaping.quote
        quoted = len(text) >= 2 and text.startswith(q) and text.endswith(q)
        return unquote(text, self.escaping) if quoted else text


def validated_yaml(path: str | Path, model: type[M], error: type[Exception]) -> M:
    """A YAML file read into a pydantic model; every failure is ``error`` naming the file, line, field.

    Endpoint and camera profiles are both data a technician writes by hand: the message
    must point at the place to fix, never be a traceback. A file read before, unchanged since
    (same size and modification time), is not parsed again: the models are frozen, and every
    controller a process starts (tests start hundreds) would otherwise parse them all anew."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror}") from None
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, model)
    cached = _VALIDATED.get(key)
    if cached is not None:
        return cached  # type: ignore[return-value]
    loaded = _validate_yaml(path, model, error)
    _VALIDATED[key] = loaded
    return loaded


_VALIDATED: dict[tuple[str, int, int, type], BaseModel] = {}


def _validate_yaml(path: Path, model: type[M], error: type[Exception]) -> M:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        raise error(f"{path}: YAML syntax error at {where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: YAML error: {exc}") from None
    if not isinstance(data, dict):
        raise error(f"{path}: top level must be a mapping")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
        )
        raise error(f"{path}: {problems}") from None


def load_profile(path: str | Path) -> Profile:
    """Load and validate one profile; every failure is a ProfileError naming the file."""
    return validated_yaml(path, Profile, ProfileError)


def load_profiles(directory: str | Path) -> dict[str, Profile]:
    """Load every ``*.yaml`` directly in ``directory``, keyed by profile id."""
    profiles: dict[str, Profile] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        profile = load_profile(path)
        if profile.id in profiles:
            raise ProfileError(f"{path}: id: duplicate profile id {profile.id!r}")
        profiles[profile.id] = profile
    return profiles


def default_profiles_dir() -> Path:
    """The ``firmware_profiles/`` folder shipped beside the package."""
    return Path(__file__).resolve().parent.parent / "firmware_profiles"

"""Cut a device's JSON output stream into one command's response and feedback.

For dialects whose machine output is a stream of JSON documents (Cisco RoomOS in
``xPreferences OutputMode JSON``, as Cisco's own jsxapi client uses it): every answer to
a tagged request is one object carrying the tag (``"ResultId": "<tag>"``), every object
without a tag is feedback. Whatever is not JSON (the login banner, an echoed command, an
``OK`` line, ``Last login from ...``, terminal escape sequences) is tolerated and
skipped, except lines matching ``session.text_error``, which answer a command with an
error (``Command not recognized.`` is plain text in every output mode).

Objects may be pretty-printed over many lines or compact on one; braces inside strings
do not count. A complete object that is not valid JSON is a ``ParseError`` for the
command whose tag it carries (found textually), or dropped if it carries none.

Responses keep the object as compact JSON text (``Response.text``), so parse rules and
the error regexes of the profile see one predictable spelling whatever the device's
indentation.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from endpoints.commands import json_unescape
from endpoints.framing import Response
from endpoints.profiles import Session

__all__ = ["JsonFramer", "compact"]

_SIGNIFICANT = re.compile(r'[{}"\\]')  # the characters that change a scanner's state
_BRACE_OR_ESCAPE = re.compile(r"[{}\\]")


def compact(value: object) -> str:
    """The one spelling of a JSON value that rules and regexes are written against."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass
class _Pending:
    command: str | None
    tag: str | None
    key: object = None


class JsonFramer:
    """Feed lines in; get the Responses they complete (same contract as ``Framer``).

    Untagged commands (on-open set-up such as ``echo off``) expect no answer: what they
    print is not JSON and cannot be told from the rest, so they are answered at once
    and ordering is kept by the device, which runs its input in order. ``expect(None)``
    waits for the login to finish (a line matching ``session.ready``).
    """

    def __init__(self, session: Session, on_feedback: Callable[[str], None]) -> None:
        self.session = session
        self._on_feedback = on_feedback
        self._ready = re.compile(session.ready)
        self._error = re.compile(session.error)
        self._message = re.compile(session.error_message) if session.error_message else None
        self._text_errors = [re.compile(p) for p in session.text_error]
        self._pending: deque[_Pending] = deque()
        self._tagged: dict[str, _Pending] = {}  # the same, by tag: one lookup per document
        self._answered: list[Response] = []
        self._doc: list[str] = []  # text of the object being received
        self._depth = 0
        self._in_string = False

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def expect(self, command: str | None, tag: str | None, key: object = None) -> Response | None:
        """Queue the answer to ``command``; an untagged command is answered here and now."""
        if command is not None and tag is None:
            return Response(command, [], "", False, None, key)
        pending = _Pending(command, tag, key)
        self._pending.append(pending)
        if tag is not None:
            self._tagged[tag] = pending
        return None

    def clear(self) -> list[object]:
        """Forget every outstanding command (the stream is dead); return their keys."""
        keys = [p.key for p in self._pending]
        self._pending.clear()
        self._tagged.clear()
        self._answered.clear()
        self._doc, self._depth, self._in_string = [], 0, False
        return keys

    def feed(self, line: str) -> list[Response]:
        """One complete line (without its line ending); the responses it completed."""
        line = line.rstrip("\r")
        if self._depth == 0 and not line.lstrip().startswith("{"):
            self._text(line)
        elif (
            self._depth > 0
            and not self._in_string
            and not _BRACE_OR_ESCAPE.search(line)
            and line.count('"') % 2 == 0
        ):
            self._doc.append(line)  # most lines of a document: a name and a value, no brace
        else:
            self._scan(line)
        done, self._answered = self._answered, []
        return done

    def feed_partial(self, partial: str) -> Response | None:
        """JSON output always ends its documents with a line ending: nothing to do here."""
        return None

    # -- plain text between documents -------------------------------------------------
    def _text(self, line: str) -> None:
        head = self._pending[0] if self._pending else None
        if head is not None and head.command is None and self._ready.search(line):
            self._done(head)
            self._answered.append(Response(None, [], line, False, None, head.key))
            return
        for regex in self._text_errors:
            if m := regex.search(line):
                owner = self._by_tag(m.groupdict().get("tag")) or self._oldest_tagged()
                if owner is not None:
                    self._done(owner)
                    self._answered.append(Response(owner.command, [], line, True, line.strip(), owner.key))
                return

    def _oldest_tagged(self) -> _Pending | None:
        return next((p for p in self._pending if p.tag is not None), None)

    def _by_tag(self, tag: str | None) -> _Pending | None:
        return self._tagged.get(tag) if tag is not None else None

    def _done(self, pending: _Pending) -> None:
        self._pending.remove(pending)
        if pending.tag is not None:
            self._tagged.pop(pending.tag, None)

    # -- documents ----------------------------------------------------------------------
    def _scan(self, line: str) -> None:
        """Track brace depth outside strings; a document ends where depth returns to 0.

        Only the characters that can change the state are visited (a C-level regex finds
        them): most of a document is names and values, and this runs on every line."""
        start = 0
        escaped_to = -1  # an escaped character (the one after a backslash) is never significant
        for m in _SIGNIFICANT.finditer(line):
            ch, i = m.group(), m.start()
            if i < escaped_to:
                continue
            if self._in_string:
                if ch == "\\":
                    escaped_to = i + 2
                elif ch == '"':
                    self._in_string = False
                continue
            if ch == '"':
                self._in_string = True
            elif ch == "{":
                if self._depth == 0:
                    start = i
                self._depth += 1
            elif ch == "}" and self._depth > 0:
                self._depth -= 1
                if self._depth == 0:
                    self._doc.append(line[start : i + 1])
                    self._document("\n".join(self._doc))
                    self._doc = []
                    start = i + 1
        if self._depth > 0:
            self._doc.append(line[start:])

    def _document(self, text: str) -> None:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            self._malformed(text, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
            return
        if not isinstance(value, dict):
            self._malformed(text, "a JSON document that is not an object")
            return
        tag = value.get("ResultId")
        owner = self._by_tag(tag) if isinstance(tag, str) else None
        if owner is None:
            self._on_feedback(compact(value))
            return
        self._done(owner)
        body = compact(value)
        failed = bool(self._error.search(body))
        message = None
        if failed:
            # the first group that matched: one alternative per shape of error document
            m = self._message.search(body) if self._message else None
            found = next((v for v in m.groups() if v), None) if m else None
            message = json_unescape(found) if found else self._error.search(body).group(0)  # type: ignore[union-attr]
        self._answered.append(Response(owner.command, [body], "", failed, message, owner.key))

    def _malformed(self, text: str, why: str) -> None:
        """A broken document: the command whose tag it names fails with the raw text."""
        for p in self._pending:
            if p.tag is not None and f'"{p.tag}"' in text:
                self._done(p)
                self._answered.append(Response(p.command, [text], "", True, why, p.key, malformed=True))
                return

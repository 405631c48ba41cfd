"""Cut a device's output stream into one command's response and feedback.

Pure and synchronous (no I/O) so the same code frames live sessions and the
recorded fixtures.  Everything dialect-specific comes from ``Session``:

* Cisco-like (``block_end`` set): output comes in blocks ending ``** end``;
  the block holding our ``tag_line`` is the response, any other block is
  unsolicited feedback; the response ends at a ``done`` line (``OK``/``ERROR``).
* Poly-like (no ``block_end``): every non-feedback line belongs to the
  response, which ends when the ``prompt`` shows up on an unfinished line.

Lines matching a ``feedback`` regex are always set aside, wherever they fall.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from endpoints.profiles import Session

__all__ = ["Framer", "Response", "frame_text"]


@dataclass
class Response:
    """One command's response: body lines plus the line or prompt that ended it."""

    command: str | None
    lines: list[str]
    end: str
    failed: bool
    message: str | None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class _Pending:
    command: str | None
    tag_re: re.Pattern[str] | None
    done_re: re.Pattern[str] | None
    prompt_re: re.Pattern[str] | None
    echo_pending: bool
    body: list[str] = field(default_factory=list)
    block: list[str] = field(default_factory=list)


class Framer:
    """Feed lines (and the unfinished tail) in; get a Response when one ends."""

    def __init__(self, session: Session, on_feedback: Callable[[str], None]) -> None:
        self.session = session
        self._on_feedback = on_feedback
        self._feedback = [re.compile(p) for p in session.feedback]
        self._block_end = re.compile(session.block_end) if session.block_end else None
        self._error = re.compile(session.error, re.MULTILINE)
        self._message = (
            re.compile(session.error_message, re.MULTILINE) if session.error_message else None
        )
        self._pending: _Pending | None = None
        self._idle_block: list[str] = []

    def expect(self, command: str | None, tag: str | None) -> None:
        """Start collecting the response to ``command`` (None: wait for ``ready``)."""
        s = self.session
        tag_re = None
        if tag is not None and s.tag_line:
            tag_re = re.compile(s.tag_line.replace("{tag}", re.escape(tag)))
        if command is None:
            done = prompt = re.compile(s.ready)
        else:
            done = re.compile(s.done) if s.done else None
            prompt = re.compile(s.prompt) if s.prompt else None
        self._pending = _Pending(command, tag_re, done, prompt, bool(command and s.strip_echo))

    @property
    def busy(self) -> bool:
        return self._pending is not None

    def feed_line(self, line: str) -> Response | None:
        line = line.rstrip("\r")
        p = self._pending
        if any(r.search(line) for r in self._feedback):
            self._on_feedback(line)
            return None
        if p is None:
            self._idle(line)
            return None
        if p.echo_pending and line.strip():
            p.echo_pending = False
            if line.strip() == (p.command or "").strip():
                return None
        if self._block_end is not None and p.command is not None:
            if self._block_end.search(line):
                block, p.block = p.block + [line], []
                if p.tag_re is None or any(p.tag_re.search(x) for x in block):
                    p.body.extend(block)
                else:
                    for x in block:
                        self._on_feedback(x)
                return None
            if not p.block and p.done_re and p.done_re.search(line):
                return self._finish(line)
            if line.strip() or p.block:
                p.block.append(line)
            return None
        if p.done_re and p.done_re.search(line):
            return self._finish(line)
        if p.command is not None:
            p.body.append(line)
        return None

    def feed_partial(self, partial: str) -> Response | None:
        """Check the unfinished last line for a prompt; True-ish result consumes it."""
        p = self._pending
        if p is None or p.prompt_re is None or not partial:
            return None
        if p.prompt_re.search(partial.rstrip("\r")):
            return self._finish(partial)
        return None

    def _idle(self, line: str) -> None:
        # Nothing pending: whatever arrives is unsolicited, keep whole blocks together.
        if not line.strip():
            return
        if self._block_end is None:
            self._on_feedback(line)
            return
        self._idle_block.append(line)
        if self._block_end.search(line):
            for x in self._idle_block:
                self._on_feedback(x)
            self._idle_block = []

    def _finish(self, end: str) -> Response:
        p = self._pending
        assert p is not None
        self._pending = None
        body = p.body + p.block
        text = "\n".join(body + [end])
        failed = bool(self._error.search(text))
        message = None
        if failed:
            m = self._message.search(text) if self._message else None
            if m and "message" in m.groupdict():
                message = m.group("message")
            else:
                message = (self._error.search(text).group(0)).strip()  # type: ignore[union-attr]
        return Response(p.command, body, end, failed, message)


def frame_text(
    session: Session, raw: str, command: str, tag: str | None
) -> tuple[Response | None, list[str]]:
    """Frame a recorded transcript: returns (response or None if it never ended, feedback)."""
    feedback: list[str] = []
    framer = Framer(session, feedback.append)
    framer.expect(command, tag)
    *lines, tail = raw.replace("\r\n", "\n").split("\n")
    for line in lines:
        if (resp := framer.feed_line(line)) is not None:
            return resp, feedback
    return framer.feed_partial(tail), feedback

"""Cut a device's output stream into one command's response and feedback.

Pure and synchronous (no I/O) so the same code frames live sessions and the
recorded fixtures.  Everything dialect-specific comes from ``Session``:

* Cisco-like (``block_end`` set): output comes in blocks ending ``** end``;
  the block holding our ``tag_line`` is the response, any other block is
  unsolicited feedback; the response ends at a ``done`` line (``OK``/``ERROR``).
* Poly-like (no ``block_end``): every non-feedback line belongs to the
  response, which ends when the ``prompt`` shows up on an unfinished line
  (or, when commands are pipelined, at the start of the next echoed line).

Lines matching a ``feedback`` regex are always set aside, wherever they fall.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from endpoints.profiles import Session

__all__ = ["Framer", "Response"]


@dataclass
class Response:
    """One command's response: body lines plus the line or prompt that ended it.

    ``key`` is whatever the caller passed to ``Framer.expect`` (the session
    uses the future waiting for this response).
    """

    command: str | None
    lines: list[str]
    end: str
    failed: bool
    message: str | None
    key: object = None
    malformed: bool = False  # the answer could not even be framed (``message`` says why)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class _Pending:
    command: str | None
    tag: str | None
    done_re: re.Pattern[str] | None
    prompt_re: re.Pattern[str] | None
    echo_pending: bool
    key: object = None
    body: list[str] = field(default_factory=list)


class Framer:
    """Feed lines (and the unfinished tail) in; get a Response when one ends.

    Several commands may be outstanding at once (pipelining): ``expect`` queues
    them in the order they were written.  Block dialects give each tagged
    block to the command whose tag it carries, whatever its position, and the
    ``done`` line after it finishes that command; prompt dialects answer
    strictly in order, so the head of the queue owns every line until its
    prompt, and a prompt followed on the same line by the next command's echo
    (``-> version``) ends the head there.
    """

    def __init__(self, session: Session, on_feedback: Callable[[str], None]) -> None:
        self.session = session
        self._on_feedback = on_feedback
        self._feedback = [re.compile(p) for p in session.feedback]
        self._ignore = [re.compile(p) for p in session.ignore]
        self._keep_ignored_for = frozenset(session.keep_ignored_for)
        self._block_end = re.compile(session.block_end) if session.block_end else None
        self._error = re.compile(session.error, re.MULTILINE)
        self._message = re.compile(session.error_message, re.MULTILINE) if session.error_message else None
        self._ready = re.compile(session.ready)
        self._done = re.compile(session.done) if session.done else None
        self._prompt = re.compile(session.prompt) if session.prompt else None
        # One regex for every tag: compiling one per command costs more than the command.
        self._tag_line = (
            re.compile(session.tag_line.replace("{tag}", "(?P<tag>.*)")) if session.tag_line else None
        )
        self._pending: deque[_Pending] = deque()
        self._block: list[str] = []  # lines of the block being received, owner not yet known
        self._answered: _Pending | None = None  # its tagged block arrived; its done line is next
        self._idle_block: list[str] = []

    def expect(self, command: str | None, tag: str | None, key: object = None) -> Response | None:
        """Queue the response to ``command`` (None: wait for ``ready``) after those pending.

        Always None here (every answer is framed from the stream); ``JsonFramer`` answers
        an untagged command at once."""
        s = self.session
        if self._tag_line is None:
            tag = None
        done: re.Pattern[str] | None
        prompt: re.Pattern[str] | None
        if command is None:
            done = prompt = self._ready
        else:
            done, prompt = self._done, self._prompt
        echo = bool(command and s.strip_echo)
        self._pending.append(_Pending(command, tag, done, prompt, echo, key))
        return None

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def clear(self) -> list[object]:
        """Forget every outstanding command (the stream is dead); return their keys."""
        keys = [p.key for p in self._pending]
        self._pending.clear()
        self._block, self._answered = [], None
        return keys

    def feed(self, line: str) -> list[Response]:
        """One complete line (without its line ending); the responses it completed."""
        resp = self.feed_line(line)
        return [] if resp is None else [resp]

    def feed_line(self, line: str) -> Response | None:
        line = line.rstrip("\r")
        if any(r.search(line) for r in self._ignore) and not self._asked_for(line):
            return None
        if (cut := self._prompt_then_feedback(line)) is not None:
            # The prompt has no newline, so a notification the device pushes right
            # after it shares its line (``-> notification:...``): the prompt still
            # ends the head's response, the rest is feedback.
            resp = self.feed_partial(line[:cut])
            self.feed_line(line[cut:])
            return resp
        if any(r.search(line) for r in self._feedback):
            self._on_feedback(line)
            return None
        if not self._pending:
            self._idle(line)
            return None
        p = self._pending[0]
        if (cut := self._prompt_prefix(p, line)) is not None:
            resp = self._finish(p, line[:cut])
            self.feed_line(line[cut:])  # the next command's echo (never ends a response)
            return resp
        if p.echo_pending and line.strip():
            p.echo_pending = False
            if line.strip() == (p.command or "").strip():
                return None
        if self._block_end is not None and p.command is not None:
            return self._feed_block(p, line)
        if p.done_re and p.done_re.search(line):
            return self._finish(p, line)
        if p.command is not None:
            p.body.append(line)
        return None

    def _asked_for(self, line: str) -> bool:
        """Whether an ``ignore`` line is the answer of the command at the head of the queue
        (one of ``keep_ignored_for``, its echo already seen)."""
        head = self._pending[0] if self._pending else None
        return bool(
            head and head.command in self._keep_ignored_for and not head.echo_pending and line.strip()
        )

    def _feed_block(self, head: _Pending, line: str) -> Response | None:
        assert self._block_end is not None
        if self._block_end.search(line):
            block, self._block = self._block + [line], []
            owner = self._owner(head, block)
            if owner is None:
                for x in block:
                    self._on_feedback(x)
            else:
                owner.body.extend(block)
                self._answered = owner
            return None
        if not self._block and self._done is not None and self._done.search(line):
            owner, self._answered = self._answered or head, None
            return self._finish(owner, line)
        if line.strip() or self._block:
            self._block.append(line)
        return None

    def _owner(self, head: _Pending, block: list[str]) -> _Pending | None:
        """The pending command whose tag this block carries (untagged head: any block)."""
        assert self._tag_line is not None or head.tag is None
        tags = set()
        if self._tag_line is not None:
            tags = {m.group("tag") for x in block if (m := self._tag_line.search(x))}
        if tags:
            for q in self._pending:
                if q.tag is not None and q.tag in tags:
                    return q
        return head if head.tag is None else None

    def _prompt_then_feedback(self, line: str) -> int | None:
        """Where a prompt ends when a feedback line follows it on the same line."""
        if self._prompt is None or self._block_end is not None:
            return None
        for cut in range(1, min(len(line), 16)):
            if self._prompt.search(line[:cut]) and any(r.search(line[cut:]) for r in self._feedback):
                return cut
        return None

    def _prompt_prefix(self, head: _Pending, line: str) -> int | None:
        """Where the head's prompt ends when the next command's echo shares its line."""
        if head.prompt_re is None or len(self._pending) < 2 or self._block_end is not None:
            return None
        nxt = self._pending[1]
        if nxt.echo_pending and nxt.command and line.endswith(nxt.command.strip()):
            cut = len(line) - len(nxt.command.strip())
            if cut and head.prompt_re.search(line[:cut]):
                return cut
        for cut in range(1, min(len(line), 16)):  # a prompt followed by anything else
            if head.prompt_re.search(line[:cut]):
                return cut
        return None

    def feed_partial(self, partial: str) -> Response | None:
        """Check the unfinished last line for a prompt; a result means it was consumed."""
        if not self._pending or not partial:
            return None
        p = self._pending[0]
        if p.prompt_re is not None and p.prompt_re.search(partial.rstrip("\r")):
            return self._finish(p, partial)
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

    def _finish(self, p: _Pending, end: str) -> Response:
        self._pending.remove(p)
        body = p.body
        text = "\n".join(body + [end])
        failed = bool(self._error.search(text))
        message = None
        if failed:
            m = self._message.search(text) if self._message else None
            if m and "message" in m.groupdict():
                message = m.group("message")
            else:
                message = (self._error.search(text).group(0)).strip()  # type: ignore[union-attr]
        return Response(p.command, body, end, failed, message, p.key)

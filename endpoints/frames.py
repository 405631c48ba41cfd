"""The framer a session uses, by its profile's output format, and framing of recorded text."""

from __future__ import annotations

from collections.abc import Callable

from endpoints.framing import Framer, Response
from endpoints.json_framing import JsonFramer
from endpoints.profiles import Session

__all__ = ["frame_text", "framer_for"]


def framer_for(session: Session, on_feedback: Callable[[str], None]) -> Framer | JsonFramer:
    """``JsonFramer`` for ``format: json`` (documents matched by tag), else the line ``Framer``."""
    return (JsonFramer if session.format == "json" else Framer)(session, on_feedback)


def frame_text(
    session: Session, raw: str, command: str, tag: str | None
) -> tuple[Response | None, list[str]]:
    """Frame a recorded transcript: returns (response or None if it never ended, feedback)."""
    feedback: list[str] = []
    framer = framer_for(session, feedback.append)
    if (now := framer.expect(command, tag)) is not None:
        return now, feedback
    *lines, tail = raw.replace("\r\n", "\n").split("\n")
    for line in lines:
        if responses := framer.feed(line):
            return responses[0], feedback
    return framer.feed_partial(tail), feedback

"""The simulator's own reading of a command line, as a device's shell would.

Deliberately independent of ``endpoints.commands`` (the client side): the
escaping proofs only mean something if the "device" parses quotes itself.
Inside double quotes a backslash takes the next character literally; ``|``
and anything else inside quotes is text.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Token", "split_outside_quotes", "tokenize"]


@dataclass(frozen=True)
class Token:
    text: str
    quoted: bool


class QuoteError(ValueError):
    """Unterminated quote or dangling backslash."""


def tokenize(line: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(line)
    while i < n:
        if line[i].isspace():
            i += 1
            continue
        if line[i] == '"':
            i += 1
            buf: list[str] = []
            while True:
                if i >= n:
                    raise QuoteError("unterminated quote")
                ch = line[i]
                if ch == "\\":
                    if i + 1 >= n:
                        raise QuoteError("dangling backslash")
                    buf.append(line[i + 1])
                    i += 2
                elif ch == '"':
                    i += 1
                    break
                else:
                    buf.append(ch)
                    i += 1
            tokens.append(Token("".join(buf), True))
        else:
            j = i
            while j < n and not line[j].isspace() and line[j] != '"':
                j += 1
            tokens.append(Token(line[i:j], False))
            i = j
    return tokens


def split_outside_quotes(line: str, sep: str) -> list[str]:
    """Split on ``sep`` only where it is not inside a quoted string."""
    parts, buf, quoted, i = [], [], False, 0
    while i < len(line):
        ch = line[i]
        if quoted and ch == "\\" and i + 1 < len(line):
            buf.append(line[i : i + 2])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        if ch == sep and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return parts


def quote_out(value: str) -> str:
    """How the simulated device prints a string value."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

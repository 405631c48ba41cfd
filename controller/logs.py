"""One logging setup for the service and uvicorn: levels from ``DIEMCAU_LOG_LEVEL``, lines as
``key=value`` (a person reading a terminal or journalctl) or JSON (a log collector), a request
id on every line written while a request is served, and no secret on any line.

Why a request id: an operator who gets a problem response from the console (it carries
``request_id``) finds every line the controller wrote for that request, and the job or
session it started, with one grep. Jobs and sessions started by a request keep its id in
their lines (context variables follow the tasks they start).

Why redact here, after every logger: secrets reach log lines by accident (an exception's
text quoting a URL with its password, a driver echoing a command). Each module already
avoids logging them; `Redact` is the last fence, the same for every line, uvicorn's
included.

`state_change` is the one way to log a change worth an operator's attention (an endpoint or
camera state, an alarm, a session, a job, a dead letter): one INFO line each, with the
entity and its fields as keys, so a log collector can alert on them without parsing text.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import secrets
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = [
    "REQUEST_ID",
    "Redact",
    "configure",
    "new_request_id",
    "redact",
    "state_change",
    "valid_request_id",
]

REQUEST_ID: ContextVar[str | None] = ContextVar("diemcau_request_id", default=None)
_REQUEST_ID_FORM = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

# What a secret looks like on a line: a URL's password, our key and secret formats, a bearer
# token, a JWT, a key=value or JSON password, a Fernet token (a stored ciphertext).
_SECRETS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/:@]+):[^\s/@]+@"), r"\1:***@"),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=]{4,}"), "whsec_***"),
    (re.compile(r"\bdck_[A-Za-z0-9_-]{4,}"), "dck_***"),
    (re.compile(r"\bdrt_[A-Za-z0-9_-]{4,}"), "drt_***"),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer ***"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"), "***jwt***"),
    (
        re.compile(
            r"(?i)(\"?(?:password|passwd|secret|token|credential)\"?\s*[=:]\s*)(\"[^\"]*\"|[^\s,;&]+)"
        ),
        r"\1***",
    ),
    (re.compile(r"\bgAAAAA[A-Za-z0-9_-]{20,}={0,2}"), "***fernet***"),
)


def redact(text: str) -> str:
    """The text with anything that looks like a secret replaced."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def new_request_id() -> str:
    return secrets.token_hex(8)


def valid_request_id(value: str | None) -> str | None:
    """A caller's ``X-Request-ID`` is kept when it is a plain token (a proxy's id ties its
    logs to ours); anything else could forge or break log lines and is replaced."""
    return value if value and _REQUEST_ID_FORM.match(value) else None


class Redact(logging.Filter):
    """Formats the record's message once, redacted, and drops the arguments, so no handler
    or formatter can put a secret back. Exception texts are redacted by the formatters."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {k: redact(v) if isinstance(v, str) else v for k, v in fields.items()}
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return dict(fields) if isinstance(fields, dict) else {}


def _time(record: logging.LogRecord) -> str:
    return (
        datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _kv_value(value: Any) -> str:
    """A value as a key=value line shows it: bare when it is one plain word, quoted else."""
    text = "" if value is None else str(value)
    plain = text and not any(c in text for c in ' ="\n')
    return text if plain else json.dumps(text, ensure_ascii=False)


class KeyValueFormatter(logging.Formatter):
    """``2026-12-07T06:55:01.123Z INFO diemcau.monitor request_id=- endpoint state ... key=value``"""

    def format(self, record: logging.LogRecord) -> str:
        parts = [_time(record), record.levelname, record.name]
        parts.append(f"request_id={getattr(record, 'request_id', None) or '-'}")
        parts.append(record.getMessage())
        parts += [f"{key}={_kv_value(value)}" for key, value in _fields(record).items()]
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``at``, ``level``, ``logger``, ``request_id``, ``msg``, the
    record's fields, and ``exc`` for a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "at": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None),
            "msg": record.getMessage(),
        }
        doc.update({k: v for k, v in _fields(record).items() if k not in doc})
        if record.exc_info:
            doc["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(doc, ensure_ascii=False, default=str)


def configure(level: str = "INFO", fmt: Literal["kv", "json"] = "kv") -> None:
    """Route every logger (ours, uvicorn's, the libraries') through one redacting handler on
    stderr. uvicorn is started with ``log_config=None`` so that it keeps this setup."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"redact": {"()": Redact}},
            "formatters": {
                "kv": {"()": KeyValueFormatter},
                "json": {"()": JsonFormatter},
            },
            "handlers": {
                "stderr": {
                    "class": "logging.StreamHandler",
                    "stream": sys.stderr,
                    "formatter": fmt,
                    "filters": ["redact"],
                }
            },
            "root": {"level": level.upper(), "handlers": ["stderr"]},
            "loggers": {
                # uvicorn's own handlers would print a second, unredacted copy; its levels
                # follow ours (an earlier uvicorn.Config in this process may have set them)
                "uvicorn": {"handlers": [], "propagate": True, "level": "NOTSET"},
                "uvicorn.error": {"handlers": [], "propagate": True, "level": "NOTSET"},
                "uvicorn.access": {"handlers": [], "propagate": True, "level": "NOTSET"},
                # asyncssh logs every channel at INFO: a fleet's polls would drown the rest
                "asyncssh": {"level": "WARNING"},
                "aiortc": {"level": "WARNING"},
                "aioice": {"level": "WARNING"},
                "httpx": {"level": "WARNING"},
            },
        }
    )


def state_change(log: logging.Logger, event: str, text: str, fields: Mapping[str, Any]) -> None:
    """One INFO line for a change an operator cares about: ``event`` (``endpoint.state``,
    ``alarm.raised`` ...) and the fields as keys; ``text`` is the human summary."""
    log.info("%s: %s", event, text, extra={"fields": {"event": event, **fields}})

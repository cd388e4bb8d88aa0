"""structlog setup: JSON in production, console in development, secrets redacted everywhere.

Context (`cycle_id`, `instrument`, `task_id`) is bound with `bind_context` and travels through
contextvars. The redaction processor masks (a) every field whose name looks like a credential and
(b) every registered secret value wherever it appears in any string of the event, including
rendered exception text.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any, TextIO, cast

import structlog
from structlog.contextvars import bind_contextvars, clear_contextvars, unbind_contextvars

MASK = "***"
# A field is sensitive when its name ends with one of these words (`api_key`, `bot_token`, `sign`),
# but not `input_tokens` or `macd_signal`.
SENSITIVE_NAME = re.compile(
    r"(^|[_\-.])(api_?key|key|secret|token|password|passwd|passphrase|authorization|signature|sign|"
    r"credentials?|dsn|url)$",
    re.I,
)
_MIN_SECRET_LENGTH = 4

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_pattern: re.Pattern[str] | None = None


def register_secret(*values: str | None) -> None:
    """Remember secret values so they are masked in any log output from now on."""
    global _pattern
    with _secrets_lock:
        for value in values:
            if value and len(value) >= _MIN_SECRET_LENGTH:
                _secrets.add(value)
        if _secrets:
            ordered = sorted(_secrets, key=len, reverse=True)
            _pattern = re.compile("|".join(re.escape(s) for s in ordered))


def register_settings_secrets(settings: Any) -> None:
    from pydantic import SecretStr

    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            secret = value.get_secret_value()
            register_secret(secret)
            # URLs carry passwords inside them: mask the password part on its own too.
            match = re.match(r"^[a-z+]+://[^:/@]*:([^@]+)@", secret)
            if match:
                register_secret(match.group(1))


def _is_plain_url(key: str, value: Any) -> bool:
    return key.lower().endswith(("url", "dsn")) and isinstance(value, str)


def redact_url(url: str) -> str:
    """`postgresql://user:pw@host/db` → `postgresql://user:***@host/db`; other URLs unchanged."""
    return redact_text(re.sub(r"^([a-z0-9+]+://[^:/@]*:)([^@]+)(@)", rf"\1{MASK}\3", url))


def redact_text(text: str) -> str:
    pattern = _pattern
    return pattern.sub(MASK, text) if pattern is not None else text


def _redact_value(key: str | None, value: Any) -> Any:
    if key is not None and SENSITIVE_NAME.search(key) and value not in (None, ""):
        return MASK if not _is_plain_url(key, value) else redact_url(str(value))
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, MutableMapping):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_redact_value(None, v) for v in value]
    if isinstance(value, BaseException):
        return redact_text(repr(value))
    return value


def redact_event(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask sensitive fields and registered secret values."""
    for key in list(event_dict.keys()):
        event_dict[key] = _redact_value(key if key != "event" else None, event_dict[key])
    return event_dict


class _RedactingFormatter(logging.Formatter):
    """For stdlib loggers (celery, httpx, alembic): the same value masking on the final line."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


class _RedactingJsonFormatter(logging.Formatter):
    """LOG_FORMAT=json: stdlib records (celery, alembic, httpx) as one JSON object per line with
    the keys structlog's lines have, so a log shipper parses every line of a process alike."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "event": record.getMessage(), "level": record.levelname.lower(), "logger": record.name,
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return redact_text(json.dumps(line, default=str))


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        redact_event,
    ]


class _CurrentStderr:
    """sys.stderr as it is when a line is written, not when logging was configured (a test runner
    swaps it per command and closes the old one)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", fmt: str = "console", stream: Any = None) -> None:
    """Configure structlog and the stdlib root logger once per process."""
    renderer: Any
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    out = stream or cast(TextIO, _CurrentStderr())  # a TextIO in all that PrintLogger uses: write, flush
    structlog.configure(
        processors=[*_shared_processors(), _final_redaction(renderer)],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(_RedactingJsonFormatter() if fmt == "json"
                         else _RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "hpack", "websockets", "aiohttp.access", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def _final_redaction(renderer: Any) -> Any:
    def render(logger: Any, name: str, event_dict: MutableMapping[str, Any]) -> str:
        return redact_text(renderer(logger, name, event_dict))

    return render


def configure_from_settings(settings: Any, stream: Any = None) -> None:
    register_settings_secrets(settings)
    fmt = settings.log_format
    if fmt == "auto":
        fmt = "json" if settings.app_env == "production" else "console"
    configure_logging(settings.log_level, fmt, stream)


class _NamedLogger:
    """`logger=name` bound under the configuration in force when it logs, not the one at import (a
    command imports modules such as exchange/okx/rest.py before it configures logging); rebound only
    when structlog was configured again (ours, or a test's `capture_logs`), so a log call on a hot
    path costs about what a bound logger's does."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._bound: Any = None
        self._processors: Any = None

    def __getattr__(self, method: str) -> Any:
        processors = structlog.get_config()["processors"]  # a new list object at every configure()
        if processors is not self._processors:
            self._bound = structlog.get_logger().bind(logger=self._name)
            self._processors = processors
        return getattr(self._bound, method)


def get_logger(name: str | None = None) -> Any:
    return _NamedLogger(name) if name else structlog.get_logger()


def bind_context(**values: Any) -> None:
    bind_contextvars(**{k: v for k, v in values.items() if v is not None})


def unbind_context(*names: str) -> None:
    unbind_contextvars(*names)


def clear_context() -> None:
    clear_contextvars()


def truncate(payload: Any, limit: int = 500) -> str:
    """Raw payloads in logs are truncated so one bad message cannot flood the log."""
    text = payload if isinstance(payload, str) else repr(payload)
    return text if len(text) <= limit else text[:limit] + f"...(+{len(text) - limit} chars)"


__all__ = (
    "MASK",
    "bind_context",
    "clear_context",
    "configure_from_settings",
    "configure_logging",
    "get_logger",
    "redact_text",
    "register_secret",
    "truncate",
    "unbind_context",
)

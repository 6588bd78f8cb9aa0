"""Structured log lines (key=value), with every secret replaced before a line is written."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

REDACTED = "«redacted»"


class RedactSecrets(logging.Filter):
    """Removes secrets from the message and its arguments, wherever a library put them."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 6 and secret not in self.secrets:
            self.secrets.append(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        cleaned = self._clean(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s"
_filter = RedactSecrets([])


def setup_logging(level: str = "INFO", secrets: Iterable[str | None] = ()) -> RedactSecrets:
    """Idempotent: one stderr handler on the root logger carrying the redaction filter."""
    for secret in secrets:
        _filter.add(secret)
    root = logging.getLogger()
    root.setLevel(level)
    if not any(getattr(h, "_safety_bot", False) for h in root.handlers):
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._safety_bot = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    for handler in root.handlers:
        if _filter not in handler.filters:
            handler.addFilter(_filter)
    # APScheduler says "Running job … executed successfully" at INFO twice a tick: the tick's
    # own DEBUG line says it once, and INFO keeps to what the bot queued.
    quiet = logging.getLevelName(level) if isinstance(level, str) else level
    logging.getLogger("apscheduler.executors").setLevel(
        logging.DEBUG if quiet == logging.DEBUG else logging.WARNING
    )
    return _filter


def redaction_filter() -> RedactSecrets:
    return _filter

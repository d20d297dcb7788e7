"""The crawl's logging formats and its log file (one rotating handler, shared by the Scrapy child
and the CLI's summary line).

Two audiences, two formats:

- stderr (``OneLineFormatter``): one line per record, the first line of its message, never a
  traceback. A failed run with no network used to print ~1,500 lines of tracebacks there, and cron
  mails whatever reaches stderr.
- the log file (``TracebackAsDebugFormatter``): every record's line at its own level, and when it
  carries an exception, the traceback right after it as a ``DEBUG`` entry, so the file keeps what
  a developer needs while its INFO lines stay one per event (``grep ' ERROR: '`` still works).
"""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

from archive.errors import ConfigError

MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 5
FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"


def _without_traceback(record: logging.LogRecord, message: str, **changes: object) -> logging.LogRecord:
    """A copy of ``record`` with ``message`` and no exception or stack: records are shared by every
    handler, and ``Formatter.format`` caches the traceback text on the record it is given."""
    fields = {**record.__dict__, "msg": message, "args": None, "exc_info": None, "exc_text": None,
              "stack_info": None, **changes}
    return logging.makeLogRecord(fields)


class OneLineFormatter(logging.Formatter):
    """The first non-blank line of the message, in the usual format; no traceback, no stack."""

    def format(self, record: logging.LogRecord) -> str:
        lines = [line for line in record.getMessage().splitlines() if line.strip()]
        return super().format(_without_traceback(record, lines[0] if lines else ""))


class TracebackAsDebugFormatter(logging.Formatter):
    """The record's line, then its traceback (if any) as a separate DEBUG entry."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(_without_traceback(record, record.getMessage()))
        details = []
        if record.exc_info:
            details.append(self.formatException(record.exc_info))
        elif record.exc_text:
            details.append(record.exc_text)
        if record.stack_info:
            details.append(self.formatStack(record.stack_info))
        if not details:
            return line
        debug = _without_traceback(record, "traceback of the above:\n" + "\n".join(details),
                                   levelname="DEBUG", levelno=logging.DEBUG)
        return f"{line}\n{super().format(debug)}"


def rotating_handler(path: Path | str, level: int = logging.INFO) -> RotatingFileHandler:
    """A handler appending to ``path`` (parent directories created), rotated at 10 MB, 5 kept."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--log-file {path}: {exc.strerror or exc}", hint="choose a writable path") from None
    handler.setLevel(level)
    handler.setFormatter(TracebackAsDebugFormatter(FORMAT))
    return handler

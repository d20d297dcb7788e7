"""The crawl's log file: one rotating handler, shared by the Scrapy child and the CLI's summary line."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

from archive.errors import ConfigError

MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 5
FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"


def rotating_handler(path: Path | str, level: int = logging.INFO) -> RotatingFileHandler:
    """A handler appending to ``path`` (parent directories created), rotated at 10 MB, 5 kept."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--log-file {path}: {exc.strerror or exc}", hint="choose a writable path") from None
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(FORMAT))
    return handler

"""Run the press spider in this process: ``python -m crawler.run [-s NAME=VALUE …] [--outlet NAME]``.

``pressclips crawl`` starts this as a child process, so ``archive/`` (the CLI) never imports
Scrapy. The project settings module is loaded whatever the working directory is, then the
``-s`` overrides at command-line priority, exactly as ``scrapy crawl`` would.

Settings are validated before anything is opened or fetched (``crawler.config``): a bad value or
an unknown ``PRESSCLIPS_*`` name is one line on stderr and exit 2. The archive lock is taken by
the ``ArchiveRuntime`` extension, as under plain ``scrapy crawl``; when another run holds it, the
spider closes unstarted and this exits 75 with one line.
The exit status is otherwise decided from the run's stats: 0 ok, 1 failed (DESIGN §4: Scrapy's
own exit code says 0 even after errors).

Logging is ours, not Scrapy's root handler (``LOG_INSTALL_ROOT_HANDLER`` off): stderr gets one
line per record at ``LOG_LEVEL`` and no traceback (``archive.ops.logfile.OneLineFormatter``);
at INFO or DEBUG (``pressclips crawl -v``/``-vv``) it gets Scrapy's full output, tracebacks
included. ``LOG_ENABLED=False`` (``pressclips crawl --quiet``) prints nothing there. The log file
(``PRESSCLIPS_LOG_FILE``) always gets INFO and up, with each traceback as a DEBUG entry.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from archive.errors import ArchiveLockedError, ConfigError, PressclipsError
from archive.ops.lock import LOCK_FD_ENV, ArchiveLock
from archive.ops.logfile import OneLineFormatter, rotating_handler
from crawler.config import CrawlConfig
from crawler.runtime import ArchiveRuntime
from crawler.spiders.press import PressSpider


def build_settings(overrides: list[str]) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"bad setting {item!r}: use NAME=VALUE")
        settings.set(name.strip(), value, priority="cmdline")
    return settings


def configure_logging(settings: Settings, config: CrawlConfig) -> None:
    """Install the child's handlers on the root logger (see the module docstring). Called before
    ``CrawlerProcess``, which then only sets up Scrapy's and Twisted's loggers."""
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    root = logging.getLogger()
    root.setLevel(logging.NOTSET)  # the handlers decide; the file wants INFO even when stderr is quiet
    if settings.getbool("LOG_ENABLED"):
        stderr = logging.StreamHandler(sys.stderr)
        value = settings.get("LOG_LEVEL")  # a name (checked by CrawlConfig) or a number
        level = value if isinstance(value, int) else int(logging.getLevelName(str(value).upper()))
        stderr.setLevel(level)
        fmt, datefmt = settings.get("LOG_FORMAT"), settings.get("LOG_DATEFORMAT")
        # -v/-vv ask for Scrapy's log as it is, for debugging; tracebacks included.
        full = level <= logging.INFO
        stderr.setFormatter(logging.Formatter(fmt, datefmt) if full else OneLineFormatter(fmt, datefmt))
        root.addHandler(stderr)
    if config.log_file is not None:
        root.addHandler(rotating_handler(str(config.log_file)))


def error_line(exc: PressclipsError) -> str:
    hint = f" ({exc.hint})" if exc.hint else ""
    return f"pressclips: error: {exc}{hint}"


def archive_already_locked(config: CrawlConfig) -> ArchiveLockedError | None:
    """A look before starting Scrapy, only so that a run meeting a running one says so in one
    line and exits at once; the ArchiveRuntime extension's flock stays what decides. Not when
    the lock is handed down (``pressclips crawl``): a parent holding it is not a rival."""
    if os.environ.get(LOCK_FD_ENV) or config.redis_url:  # handed down, or a distributed worker (no lock)
        return None
    try:
        holder = ArchiveLock.holder(config.archive.root)
    except PressclipsError:
        return None  # unreadable: the extension will report it properly
    return ArchiveLockedError(holder) if holder else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.run")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--outlet", default="", help="comma-separated outlet names (default: all)")
    args = parser.parse_args(argv)
    try:
        settings = build_settings(args.set)
        config = CrawlConfig.from_settings(settings)
    except PressclipsError as exc:
        print(error_line(exc), file=sys.stderr)
        return exc.exit_code
    if refusal := archive_already_locked(config):
        print(error_line(refusal), file=sys.stderr)
        return refusal.exit_code
    configure_logging(settings, config)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(PressSpider)
    process.crawl(crawler, outlet=args.outlet)
    process.start()
    try:
        runtime = crawler.get_extension(ArchiveRuntime)
        status = crawler.stats.get_value("pressclips/status")
    except RuntimeError:  # the crawl failed before its components existed; Scrapy logged why
        return 1
    if runtime is not None and runtime.refusal is not None:
        print(error_line(runtime.refusal), file=sys.stderr)
        return runtime.refusal.exit_code
    return 0 if status == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())

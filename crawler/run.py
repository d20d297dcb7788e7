"""Run the press spider in this process: ``python -m crawler.run [-s NAME=VALUE …] [--outlet NAME]``.

``pressclips crawl`` starts this as a child process, so ``archive/`` (the CLI) never imports
Scrapy. The project settings module is loaded whatever the working directory is, then the
``-s`` overrides at command-line priority, exactly as ``scrapy crawl`` would.
The exit status is decided from the run's stats: 0 ok, 1 failed (DESIGN §4: Scrapy's own exit
code says 0 even after errors).
"""

from __future__ import annotations

import argparse
import logging
import sys

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from archive.errors import PressclipsError
from archive.ops.lock import ArchiveLock
from archive.ops.logfile import rotating_handler
from crawler.feeder import recheck_share
from crawler.runtime import archive_config_from_settings
from crawler.spiders.press import PressSpider


def build_settings(overrides: list[str]) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"pressclips: bad setting {item!r}: use NAME=VALUE")
        settings.set(name.strip(), value, priority="cmdline")
    return settings


def take_lock(settings: Settings) -> ArchiveLock:
    """The archive lock: inherited from ``pressclips crawl`` (``$PRESSCLIPS_LOCK_FD``), else our own."""
    root = archive_config_from_settings(settings).root
    return ArchiveLock.inherit_from_env(root) or ArchiveLock(root).acquire()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.run")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--outlet", default="", help="comma-separated outlet names (default: all)")
    args = parser.parse_args(argv)
    settings = build_settings(args.set)
    try:
        recheck_share(settings.get("PRESSCLIPS_RECHECK_SHARE"))  # bad settings: one line, before Scrapy starts
        lock = take_lock(settings)
    except PressclipsError as exc:
        print(f"pressclips: error: {exc}", file=sys.stderr)
        return exc.exit_code
    process = CrawlerProcess(settings)
    if settings.get("PRESSCLIPS_LOG_FILE"):
        # In addition to Scrapy's stderr handler (LOG_LEVEL): the file always gets INFO.
        logging.getLogger().addHandler(rotating_handler(settings.get("PRESSCLIPS_LOG_FILE")))
    crawler = process.create_crawler(PressSpider)
    process.crawl(crawler, outlet=args.outlet)
    process.start()
    lock.release()
    status = crawler.stats.get_value("pressclips/status") if crawler.stats else None
    return 0 if status == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())

"""Scrapy settings → one typed, frozen ``CrawlConfig``, validated when the crawl starts (DESIGN §1).

Every ``PRESSCLIPS_*`` setting is declared with its default in ``crawler.settings``; a name with
that prefix that is not declared there is refused with a did-you-mean, since Scrapy would
silently ignore a typo such as ``PRESSCLIPS_CONTATC``. The Scrapy settings this project relies on
for politeness and limits are checked too: Scrapy reads them lazily, so ``-s DOWNLOAD_DELAY=abc``
would otherwise surface as a traceback from deep inside the downloader after the run had begun.

Every problem is a ``ConfigError`` (exit 2) with a one-line message; nothing here opens a file
other than the outlets file, a database or a socket.
"""

from __future__ import annotations

import difflib
import math
import types
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from scrapy.settings import BaseSettings

from archive.config import ArchiveConfig
from archive.errors import ConfigError
from archive.outlets import Outlet, load_outlets
from archive.times import parse_aware

PREFIX = "PRESSCLIPS_"

# Scrapy settings we rely on, by the kind of value and its lower bound.
POSITIVE_INTS = ("CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "CONCURRENT_ITEMS")
NON_NEGATIVE_INTS = ("RETRY_TIMES", "REDIRECT_MAX_TIMES", "DOWNLOAD_MAXSIZE", "DOWNLOAD_WARNSIZE",
                     "CONCURRENT_REQUESTS_PER_IP", "DEPTH_LIMIT", "CLOSESPIDER_ITEMCOUNT",
                     "CLOSESPIDER_PAGECOUNT", "CLOSESPIDER_ERRORCOUNT")
NON_NEGATIVE_FLOATS = ("DOWNLOAD_DELAY", "DOWNLOAD_DELAY_JITTER", "AUTOTHROTTLE_START_DELAY",
                       "AUTOTHROTTLE_MAX_DELAY", "CLOSESPIDER_TIMEOUT")
POSITIVE_FLOATS = ("DOWNLOAD_TIMEOUT", "AUTOTHROTTLE_TARGET_CONCURRENCY")
BOOLS = ("ROBOTSTXT_OBEY", "AUTOTHROTTLE_ENABLED", "AUTOTHROTTLE_DEBUG", "COOKIES_ENABLED",
         "RETRY_ENABLED", "REDIRECT_ENABLED", "HTTPERROR_ALLOW_ALL", "DOWNLOAD_FAIL_ON_DATALOSS",
         "TELNETCONSOLE_ENABLED")
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


@dataclass(frozen=True)
class CrawlConfig:
    """What a crawl needs from its settings, typed and checked."""

    archive: ArchiveConfig
    outlets_file: Path
    outlets: tuple[Outlet, ...]
    warc_enabled: bool
    warc_prefix: str
    extract_workers: int  # 0 = one per CPU
    contact: str
    retry_backoff: float
    retry_after_max: float
    max_query_variants: int  # 0 = no cap
    recheck_share: float  # of each outlet's page budget, for re-checking known articles
    since: datetime | None
    until: datetime | None
    progress: bool
    progress_interval: float
    log_file: Path | None
    robots_obey: bool
    user_agent: str
    asset_page_bytes: int  # 0 = no cap
    asset_run_bytes: int  # 0 = no cap
    redis_url: str  # "" = a single-process crawl; else a distributed worker (crawler.cluster)
    until_idle: float  # distributed: exit once the shared queue stayed empty this long; 0 = never
    seed_interval: float

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> CrawlConfig:
        """Validate every setting first, then build; raises ``ConfigError``."""
        check_scrapy_settings(settings)
        check_names(settings)
        read = _Reader(settings)
        outlets_file = read.text("PRESSCLIPS_OUTLETS")
        if not outlets_file:
            raise ConfigError("no outlets file: set PRESSCLIPS_OUTLETS",
                              hint="scrapy crawl press -s PRESSCLIPS_OUTLETS=FILE")
        archive = ArchiveConfig.build(read.text("PRESSCLIPS_ARCHIVE") or None,
                                      read.text("PRESSCLIPS_DATABASE_URL") or None,
                                      read.integer("PRESSCLIPS_WARC_MAX_SIZE", minimum=1))
        prefix = read.text("PRESSCLIPS_WARC_PREFIX")
        if not prefix or "/" in prefix or prefix.startswith("."):
            raise ConfigError(f"PRESSCLIPS_WARC_PREFIX={prefix!r}: expected a file name prefix such as 'pressclips'")
        log_file = read.text("PRESSCLIPS_LOG_FILE")
        redis_url = read.text("PRESSCLIPS_REDIS_URL")
        if redis_url:
            from archive.cluster.connection import check_redis_url

            check_redis_url(redis_url)
            if archive.database_url.startswith("sqlite"):
                raise ConfigError("a distributed crawl needs a PostgreSQL archive (SQLite has one writer)",
                                  hint="--database-url postgresql+psycopg://USER@HOST/DB")
        return cls(
            archive=archive,
            outlets_file=Path(outlets_file),
            outlets=tuple(load_outlets(outlets_file)),
            warc_enabled=read.boolean("PRESSCLIPS_WARC_ENABLED"),
            warc_prefix=prefix,
            extract_workers=read.integer("PRESSCLIPS_EXTRACT_WORKERS", minimum=0),
            contact=read.text("PRESSCLIPS_CONTACT"),
            retry_backoff=read.number("PRESSCLIPS_RETRY_BACKOFF", minimum=0.0),
            retry_after_max=read.number("PRESSCLIPS_RETRY_AFTER_MAX", minimum=0.0),
            max_query_variants=read.integer("PRESSCLIPS_MAX_QUERY_VARIANTS", minimum=0),
            recheck_share=read.share("PRESSCLIPS_RECHECK_SHARE"),
            since=read.instant("PRESSCLIPS_SINCE"),
            until=read.instant("PRESSCLIPS_UNTIL"),
            progress=read.boolean("PRESSCLIPS_PROGRESS"),
            progress_interval=read.number("PRESSCLIPS_PROGRESS_INTERVAL", minimum=0.001),
            log_file=Path(log_file) if log_file else None,
            robots_obey=read.boolean("ROBOTSTXT_OBEY"),
            user_agent=read.text("USER_AGENT"),
            asset_page_bytes=read.integer("PRESSCLIPS_ASSET_PAGE_BYTES", minimum=0),
            asset_run_bytes=read.integer("PRESSCLIPS_ASSET_RUN_BYTES", minimum=0),
            redis_url=redis_url,
            until_idle=read.number("PRESSCLIPS_UNTIL_IDLE", minimum=0.0),
            seed_interval=read.number("PRESSCLIPS_SEED_INTERVAL", minimum=0.001),
        )


def declared_names() -> frozenset[str]:
    """The ``PRESSCLIPS_*`` names ``crawler.settings`` declares (imported late: it is the module
    Scrapy loads as the project's settings, and this module must not depend on load order)."""
    from crawler import settings as project_settings

    module: types.ModuleType = project_settings
    return frozenset(name for name in vars(module) if name.startswith(PREFIX))


def check_names(settings: BaseSettings) -> None:
    """Refuse a ``PRESSCLIPS_*`` setting that is not declared, suggesting the nearest one."""
    known = declared_names()
    for name in sorted(str(n) for n in settings):
        if name.startswith(PREFIX) and name not in known:
            # Compared without the shared prefix, which would make every name look close.
            close = difflib.get_close_matches(name[len(PREFIX):], sorted(k[len(PREFIX):] for k in known), n=1)
            if close:
                raise ConfigError(f"unknown setting {name} (did you mean {PREFIX}{close[0]}?)")
            raise ConfigError(f"unknown setting {name}",
                              hint="the PRESSCLIPS_* settings are listed in crawler/settings.py")


def check_scrapy_settings(settings: BaseSettings) -> None:
    """The Scrapy settings we rely on must parse, and be in range."""
    read = _Reader(settings)
    for name in POSITIVE_INTS:
        read.integer(name, minimum=1)
    for name in NON_NEGATIVE_INTS:
        read.integer(name, minimum=0)
    for name in NON_NEGATIVE_FLOATS:
        read.number(name, minimum=0.0)
    for name in POSITIVE_FLOATS:
        read.number(name, minimum=1e-9)
    for name in BOOLS:
        read.boolean(name)
    level = settings.get("LOG_LEVEL")
    if isinstance(level, str) and level.upper() not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL={level!r}: expected one of {', '.join(LOG_LEVELS)}")


class _Reader:
    """Typed reads of single settings, each failure a one-line ``ConfigError`` naming the setting."""

    def __init__(self, settings: BaseSettings) -> None:
        self.settings = settings

    def text(self, name: str) -> str:
        value = self.settings.get(name)
        return "" if value is None else str(value).strip()

    def boolean(self, name: str) -> bool:
        try:
            return self.settings.getbool(name)
        except ValueError:
            raise ConfigError(f"{name}={self.settings.get(name)!r}: expected true or false (1 or 0)") from None

    def integer(self, name: str, *, minimum: int) -> int:
        try:
            value = self.settings.getint(name)
        except (TypeError, ValueError):
            raise ConfigError(f"{name}={self.settings.get(name)!r}: expected a whole number") from None
        if value < minimum:
            raise ConfigError(f"{name}={value}: must be at least {minimum}")
        return value

    def number(self, name: str, *, minimum: float) -> float:
        try:
            value = self.settings.getfloat(name)
        except (TypeError, ValueError):
            raise ConfigError(f"{name}={self.settings.get(name)!r}: expected a number of seconds") from None
        if not math.isfinite(value) or value < minimum:
            kind = "positive" if minimum > 0 else "zero or more"
            raise ConfigError(f"{name}={self.settings.get(name)!r}: must be {kind}")
        return value

    def share(self, name: str) -> float:
        """A fraction from 0 to 1."""
        try:
            value = self.settings.getfloat(name)
        except (TypeError, ValueError):
            value = math.nan
        if not 0.0 <= value <= 1.0:
            raise ConfigError(f"{name}={self.settings.get(name)!r}: expected a number from 0 to 1")
        return value

    def instant(self, name: str) -> datetime | None:
        raw = self.text(name)
        if not raw:
            return None
        when = parse_aware(raw, assume_utc=True)
        if when is None:
            raise ConfigError(f"{name}={raw!r}: expected an ISO date or date-time (2024-05-01, 2024-05-01T08:00Z)")
        return when

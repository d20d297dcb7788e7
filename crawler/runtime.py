"""Per-crawl shared resources: archive config, store, WARC writer, DB writer thread, extraction pool.

One ``ArchiveRuntime`` is attached to each Scrapy crawler and shared by the WARC middleware, the
spider, the pipeline and the run extension, so they write to the same WARC file and database.
Blocking work never runs on the reactor thread: database writes go to one writer thread (SQLite
has one writer anyway, and FIFO order means a capture row exists before its page is stored), and
trafilatura runs in a process pool (it holds the GIL; DESIGN §4).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from twisted.internet import reactor
from twisted.internet.defer import Deferred, DeferredSemaphore
from twisted.python.failure import Failure

from archive import __version__
from archive.config import ArchiveConfig
from archive.db.engine import make_engine
from archive.errors import ConfigError
from archive.extract.pool import extraction_pool
from archive.outlets import Outlet, load_outlets
from archive.db.store import Store
from archive.urls import netloc_of
from archive.warc.writer import WarcWriter

logger = logging.getLogger(__name__)

_ATTR = "_pressclips_runtime"


def archive_config_from_settings(settings: BaseSettings) -> ArchiveConfig:
    return ArchiveConfig.build(
        settings.get("PRESSCLIPS_ARCHIVE") or None,
        settings.get("PRESSCLIPS_DATABASE_URL") or None,
        settings.getint("PRESSCLIPS_WARC_MAX_SIZE") or None,
    )


def outlets_from_settings(settings: BaseSettings) -> list[Outlet]:
    """The outlets file is required: no default may send the crawler to the internet."""
    path = settings.get("PRESSCLIPS_OUTLETS")
    if not path:
        raise ConfigError("no outlets file: set PRESSCLIPS_OUTLETS (scrapy crawl press -s PRESSCLIPS_OUTLETS=FILE)")
    return load_outlets(path)


def deferred_from_future(future: Future[Any]) -> Deferred[Any]:
    """Bridge a concurrent.futures Future to a Deferred fired on the reactor thread."""
    d: Deferred[Any] = Deferred()

    def done(fut: Future[Any]) -> None:
        exc = fut.exception()
        if exc is not None:
            reactor.callFromThread(d.errback, Failure(exc))  # type: ignore[attr-defined]
        else:
            reactor.callFromThread(d.callback, fut.result())  # type: ignore[attr-defined]

    future.add_done_callback(done)
    return d


class ArchiveRuntime:
    """Opened once per crawl; closed by the run extension when the spider closes."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.config = archive_config_from_settings(settings)
        self.config.ensure_dirs()
        self.outlets = outlets_from_settings(settings)
        self.outlets_file = settings.get("PRESSCLIPS_OUTLETS") or "(bundled)"
        self.engine = make_engine(self.config.database_url)
        self.store = Store(self.engine)
        self.store.ensure_outlets((o.name, o.homepage, o.domains) for o in self.outlets)
        self.warc = WarcWriter(
            self.config.warc_dir,
            prefix=settings.get("PRESSCLIPS_WARC_PREFIX", "pressclips"),
            max_size=self.config.warc_max_size,
            warcinfo={
                "software": f"pressclips/{__version__} (Scrapy)",
                "hostname": socket.gethostname(),
                "http-header-user-agent": str(settings.get("USER_AGENT")),
                "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
                "operator": str(settings.get("PRESSCLIPS_CONTACT") or ""),
            },
        )
        self._by_netloc = {d: o for o in self.outlets for d in o.domains}
        self._db: Executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pressclips-db")
        workers = settings.getint("PRESSCLIPS_EXTRACT_WORKERS") or os.cpu_count() or 1
        self._pool: Executor = extraction_pool(workers)
        # Pages wait here, not as pickled copies in the pool's queue: memory stays bounded
        # by a few pages per worker however far downloads run ahead of extraction.
        self._extract_slots = DeferredSemaphore(2 * workers + 2)
        self.run_id: int | None = None
        self.failures: list[str] = []
        self.closed = False

    @classmethod
    def of(cls, crawler: Crawler) -> "ArchiveRuntime":
        runtime = getattr(crawler, _ATTR, None)
        if runtime is None:
            runtime = cls(crawler)
            setattr(crawler, _ATTR, runtime)
        return runtime

    def outlet_for_url(self, url: str) -> Outlet | None:
        netloc = netloc_of(url)
        if netloc in self._by_netloc:
            return self._by_netloc[netloc]
        for outlet in self.outlets:
            if outlet.allows(url):
                return outlet
        return None

    def db(self, fn: Callable[..., Any], *args: Any) -> Deferred[Any]:
        """Run a store call on the single writer thread."""
        return deferred_from_future(self._db.submit(fn, *args))

    def extract(self, fn: Callable[..., Any], *args: Any) -> Deferred[Any]:
        """Run a picklable extraction function in the process pool."""
        return self._extract_slots.run(lambda: deferred_from_future(self._pool.submit(fn, *args)))

    def note_failure(self, message: str) -> None:
        logger.error(message)
        self.failures.append(message)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._db.shutdown(wait=True)
        self.warc.close()
        self.engine.dispose()

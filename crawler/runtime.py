"""The run's shared resources, owned by one Scrapy extension: ``ArchiveRuntime``.

Registered in ``EXTENSIONS`` (``crawler.settings``), it holds the archive lock, the store, the
WARC writer, the database writer thread and the extraction pool for the WARC middleware, the
spider, the pipeline and the run recorder, so they write to the same WARC file and database.
They reach it with ``runtime_of(crawler)`` (``Crawler.get_extension``), as Scrapy's own
components reach each other.

Lifecycle, like HttpCacheMiddleware's storage: ``from_crawler`` only reads and validates the
settings (``crawler.config``); everything opens on ``spider_opened`` and closes on
``spider_closed``. The lock comes first: when another run holds the archive (or the archive
cannot be opened) the spider is closed before the engine starts, so nothing is fetched and
nothing of the other run is touched; ``refusal`` then says why. The spider's ``start()`` runs
only after every ``spider_opened`` handler, so the store is open by the time it needs it.

Blocking work never runs on the reactor thread: database writes go to one writer thread (SQLite
has one writer anyway, and FIFO order means a capture row exists before its page is stored), and
trafilatura runs in a process pool (it holds the GIL; DESIGN §4).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from sqlalchemy.engine import Engine
from twisted.internet import reactor
from twisted.internet.defer import Deferred, DeferredSemaphore
from twisted.python.failure import Failure

from archive import __version__
from archive.cluster.workers import this_worker
from archive.db.engine import make_engine
from archive.db.store import Store
from archive.errors import ArchiveLockedError, ConfigError, PressclipsError
from archive.extract.pool import extraction_pool
from archive.ops.lock import ArchiveLock
from archive.outlets import Outlet
from archive.urls import netloc_of
from archive.warc.writer import WarcWriter
from crawler.config import CrawlConfig

logger = logging.getLogger(__name__)

# Finish reasons of a run that never started (see ``ArchiveRuntime.refusal``).
LOCKED_REASON = "archive_locked"
UNAVAILABLE_REASON = "archive_unavailable"

ClosingStep = Callable[[str], Awaitable[None]]


def deferred_from_future(future: Future[Any]) -> Deferred[Any]:
    """Bridge a concurrent.futures Future to a Deferred fired on the reactor thread."""
    d: Deferred[Any] = Deferred()

    def done(fut: Future[Any]) -> None:
        exc = fut.exception()
        if exc is not None:
            reactor.callFromThread(d.errback, Failure(exc))
        else:
            reactor.callFromThread(d.callback, fut.result())

    future.add_done_callback(done)
    return d


class OutletIndex:
    """Which outlet a URL belongs to: by exact host first, then by the outlets' own rules."""

    def __init__(self, outlets: Iterable[Outlet]) -> None:
        self.outlets = tuple(outlets)
        self.by_netloc = {d: o for o in self.outlets for d in o.domains}

    def outlet_for(self, url: str) -> Outlet | None:
        outlet = self.by_netloc.get(netloc_of(url))
        if outlet is not None:
            return outlet
        return next((o for o in self.outlets if o.allows(url)), None)


class _Open:
    """What exists only between spider_opened and spider_closed."""

    def __init__(self, lock: ArchiveLock | None, engine: Engine, store: Store, warc: WarcWriter,
                 db: Executor, pool: Executor, extract_slots: DeferredSemaphore) -> None:
        self.lock = lock
        self.engine = engine
        self.store = store
        self.warc = warc
        self.db = db
        self.pool = pool
        self.extract_slots = extract_slots


class ArchiveRuntime:
    """Scrapy extension owning the archive lock and the run's archive resources."""

    def __init__(self, crawler: Crawler, config: CrawlConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.outlets: list[Outlet] = list(config.outlets)
        self.outlet_index = OutletIndex(self.outlets)
        self.run_id: int | None = None
        # A distributed worker (PRESSCLIPS_REDIS_URL) is named ``host-pid`` in its captures, WARC
        # file names and heartbeat; it shares the archive, so it takes no archive lock.
        self.worker: str | None = this_worker() if config.redis_url else None
        self.failures: list[str] = []
        self.refusal: PressclipsError | None = None  # why the run did not start, if it did not
        self._open: _Open | None = None
        self._closing_steps: list[ClosingStep] = []
        self.closed = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveRuntime:
        return cls(crawler, CrawlConfig.from_settings(crawler.settings))

    # -- lifecycle -----------------------------------------------------------------------------
    def spider_opened(self, spider: Spider) -> None:
        """Take the lock, then open the archive; close the spider unstarted when either fails."""
        if self._open is not None or self.closed:
            return
        try:
            self._open = self._open_resources()
        except PressclipsError as exc:
            self.refusal = exc
            logger.error("pressclips: not crawling: %s", exc)
            raise CloseSpider(LOCKED_REASON if isinstance(exc, ArchiveLockedError) else UNAVAILABLE_REASON) from exc

    def _open_resources(self) -> _Open:
        cfg = self.config
        cfg.archive.ensure_dirs()
        lock = None if self.worker else ArchiveLock.for_run(cfg.archive.root)
        engine: Engine | None = None
        try:
            engine = make_engine(cfg.archive.database_url)
            store = Store(engine)
            store.frontier.shared_claims = self.worker is not None
            store.ensure_outlets(((o.name, o.homepage, o.domains) for o in self.outlets),
                                 timezones={o.name: o.timezone for o in self.outlets})
            warc = WarcWriter(cfg.archive.warc_dir, prefix=cfg.warc_prefix, max_size=cfg.archive.warc_max_size,
                              warcinfo=self._warcinfo(), worker=self.worker)
        except BaseException:
            if engine is not None:
                engine.dispose()
            if lock is not None:
                lock.release()
            raise
        workers = cfg.extract_workers or os.cpu_count() or 1
        return _Open(
            lock=lock, engine=engine, store=store, warc=warc,
            db=ThreadPoolExecutor(max_workers=1, thread_name_prefix="pressclips-db"),
            pool=extraction_pool(workers),
            # Pages wait here, not as pickled copies in the pool's queue: memory stays bounded
            # by a few pages per worker however far downloads run ahead of extraction.
            extract_slots=DeferredSemaphore(2 * workers + 2),
        )

    def _warcinfo(self) -> dict[str, str]:
        return {
            "software": f"pressclips/{__version__} (Scrapy)",
            "hostname": socket.gethostname(),
            "http-header-user-agent": str(self.crawler.settings.get("USER_AGENT")),
            "robots": "obey" if self.config.robots_obey else "ignore",
            "operator": self.config.contact,
        }

    def add_closing_step(self, step: ClosingStep, *, first: bool = False) -> None:
        """Run ``await step(reason)`` when the spider closes, in the order added, while the
        resources are still open (the run recorder completes the run's row this way: Scrapy
        runs ``spider_closed`` handlers concurrently, so their order alone would not do);
        ``first`` puts it before every step added so far."""
        if first:
            self._closing_steps.insert(0, step)
        else:
            self._closing_steps.append(step)

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        try:
            if self._open is not None:
                for step in self._closing_steps:
                    await step(reason)
        finally:
            self.close()

    def close(self) -> None:
        """Release everything; idempotent. The lock goes last, once nothing writes any more."""
        self.closed = True
        opened, self._open = self._open, None
        if opened is None:
            return
        try:
            opened.pool.shutdown(wait=True, cancel_futures=True)
            opened.db.shutdown(wait=True)
            opened.warc.close()
            opened.engine.dispose()
        finally:
            if opened.lock is not None:
                opened.lock.release()

    @property
    def is_open(self) -> bool:
        return self._open is not None

    def _resources(self) -> _Open:
        if self._open is None:
            raise RuntimeError("the archive runtime is not open (it opens on spider_opened)")
        return self._open

    # -- what the components use ---------------------------------------------------------------
    @property
    def store(self) -> Store:
        return self._resources().store

    @property
    def warc(self) -> WarcWriter:
        return self._resources().warc

    def outlet_for_url(self, url: str) -> Outlet | None:
        return self.outlet_index.outlet_for(url)

    def db(self, fn: Callable[..., Any], *args: Any) -> Deferred[Any]:
        """Run a store call on the single writer thread."""
        return deferred_from_future(self._resources().db.submit(fn, *args))

    def extract(self, fn: Callable[..., Any], *args: Any) -> Deferred[Any]:
        """Run a picklable extraction function in the process pool."""
        res = self._resources()
        return res.extract_slots.run(lambda: deferred_from_future(res.pool.submit(fn, *args)))

    def note_failure(self, message: str) -> None:
        logger.error(message)
        self.failures.append(message)


def runtime_of(crawler: Crawler) -> ArchiveRuntime:
    """The crawl's ``ArchiveRuntime`` extension. Not ``NotConfigured`` when it is missing: that
    would silently disable the asking component (the WARC recorder, the pipeline)."""
    runtime = crawler.get_extension(ArchiveRuntime)
    if runtime is None:
        raise ConfigError("crawler.runtime.ArchiveRuntime must be enabled in EXTENSIONS")
    return runtime

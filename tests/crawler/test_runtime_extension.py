"""The ArchiveRuntime extension on a real Crawler (get_crawler, no crawl): settings only in
from_crawler, the archive and its lock opened on spider_opened and released on spider_closed,
both idempotent; a held lock closes the spider unstarted; an inherited lock is adopted."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from scrapy import Request, signals
from scrapy.core.downloader import Slot
from scrapy.core.engine import ExecutionEngine
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from archive.errors import ArchiveLockedError
from archive.ops.lock import LOCK_FD_ENV, ArchiveLock
from crawler.middlewares.slots import OutletSlotMiddleware
from crawler.runtime import LOCKED_REASON, ArchiveRuntime, runtime_of
from crawler.throttle import configured_delays
from tests.backends import archive_exists
from tests.crawler.crawlerkit import a_spider, project_crawler


def test_from_crawler_reads_settings_and_opens_nothing(tmp_path: Path) -> None:
    crawler = project_crawler(tmp_path)
    runtime = crawler.get_extension(ArchiveRuntime)
    assert runtime is runtime_of(crawler)
    assert not runtime.is_open and runtime.config.outlets[0].name == "local"
    assert not (tmp_path / "archive").exists()  # no directory, database or lock yet
    with pytest.raises(RuntimeError, match="not open"):
        runtime.store  # noqa: B018


def test_opens_on_spider_opened_and_closes_on_spider_closed_idempotently(tmp_path: Path) -> None:
    crawler = project_crawler(tmp_path)
    runtime = runtime_of(crawler)
    spider = a_spider()
    runtime.spider_opened(spider)
    store, warc = runtime.store, runtime.warc
    runtime.spider_opened(spider)  # a second open keeps the same resources
    assert runtime.store is store and runtime.warc is warc
    archive = tmp_path / "archive"
    assert archive_exists(archive)
    assert ArchiveLock.holder(archive) is not None  # the run holds the archive
    assert runtime.outlet_for_url("http://127.0.0.1:9/news/x") is runtime.config.outlets[0]

    asyncio.run(runtime.spider_closed(spider, "finished"))
    assert not runtime.is_open and runtime.closed
    assert ArchiveLock.holder(archive) is None  # released
    asyncio.run(runtime.spider_closed(spider, "finished"))  # closing twice is harmless
    runtime.close()
    runtime.spider_opened(spider)  # nor does a closed runtime open again
    assert not runtime.is_open


def test_signal_order_runtime_first_then_run_recorder(tmp_path: Path) -> None:
    """Through the real signal: the run recorder finds the store open and starts the run row."""
    crawler = project_crawler(tmp_path)
    runtime = runtime_of(crawler)
    try:
        crawler.signals.send_catch_log(signals.spider_opened, spider=a_spider())
        assert runtime.is_open and runtime.run_id == 1
    finally:
        runtime.close()
    assert ArchiveLock.holder(tmp_path / "archive") is None


def test_a_held_lock_closes_the_spider_before_anything_opens(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    crawler = project_crawler(tmp_path)
    runtime = runtime_of(crawler)
    with ArchiveLock(archive):
        with pytest.raises(CloseSpider) as closed:
            runtime.spider_opened(a_spider())
        assert closed.value.reason == LOCKED_REASON
        assert isinstance(runtime.refusal, ArchiveLockedError)
        assert not runtime.is_open
        assert not archive_exists(archive)
        asyncio.run(runtime.spider_closed(a_spider(), LOCKED_REASON))
        assert ArchiveLock.holder(archive) is not None  # the other run still holds it


def test_an_inherited_lock_is_adopted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    with ArchiveLock(archive) as parent:
        # What `pressclips crawl` hands its child: a descriptor of the same open file description.
        monkeypatch.setenv(LOCK_FD_ENV, str(os.dup(parent.fileno())))
        runtime = runtime_of(project_crawler(tmp_path))
        runtime.spider_opened(a_spider())
        assert runtime.is_open
        runtime.close()
        assert ArchiveLock.holder(archive) is not None  # the parent keeps the archive locked


# -- the outlet delay floor under AutoThrottle ------------------------------------------------------
SLOTS_TOML = ('[[outlets]]\nname = "slow"\nhomepage = "http://127.0.0.1:9/"\n'
              '[outlets.politeness]\ndownload_delay = 1.0\nconcurrency = 1\n\n'
              '[[outlets]]\nname = "plain"\nhomepage = "http://127.0.0.1:10/"\n')


def test_autothrottle_cannot_undercut_an_outlet_delay(tmp_path: Path) -> None:
    crawler = project_crawler(tmp_path, outlets=SLOTS_TOML, DOWNLOAD_DELAY=0)
    crawler.engine = ExecutionEngine(crawler, lambda _: None)
    spider = a_spider()
    crawler.signals.send_catch_log(signals.spider_opened, spider=spider)  # AutoThrottle reads its limits here
    try:
        slots = crawler.engine.downloader.slots
        slots["outlet:slow"] = Slot(concurrency=1, delay=1.0, jitter=0.0)
        slots["outlet:plain"] = Slot(concurrency=2, delay=0.5, jitter=0.5)
        for key in ("outlet:slow", "outlet:plain"):
            url = "http://127.0.0.1:9/news/a"
            request = Request(url, meta={"download_slot": key, "download_latency": 0.01})
            # A response not yet bound to its request, as in Scrapy 2.19's response_downloaded.
            results = crawler.signals.send_catch_log(signals.response_downloaded, response=Response(url, status=200),
                                                     request=request, spider=spider)
            assert not [r for _, r in results if isinstance(r, Failure)], results  # no handler raised
        assert slots["outlet:slow"].delay == 1.0  # AutoThrottle moved it to ~0.5; the floor put it back
        assert slots["outlet:plain"].delay < 0.5  # no floor of its own: AutoThrottle adapts it
        assert crawler.stats.get_value("pressclips/throttle_clamped") == 1
    finally:
        runtime_of(crawler).close()


FAST_TOML = ('[[outlets]]\nname = "fast"\nhomepage = "http://127.0.0.1:9/"\n'
             '[outlets.politeness]\ndownload_delay = 0.05\nconcurrency = 2\n')


def test_an_outlet_may_ask_for_less_than_the_global_delay(tmp_path: Path) -> None:
    """AutoThrottle alone never goes below DOWNLOAD_DELAY: an outlet asking for 0.05 s would be
    held at the global 0.5 s after its first response. Other hosts keep the global floor."""
    crawler = project_crawler(tmp_path, outlets=FAST_TOML, DOWNLOAD_DELAY=0.5)
    crawler.engine = ExecutionEngine(crawler, lambda _: None)
    spider = a_spider()
    crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
    try:
        slots = crawler.engine.downloader.slots
        slots["outlet:fast"] = Slot(concurrency=2, delay=0.05, jitter=0.0)
        slots["cdn.example"] = Slot(concurrency=2, delay=0.5, jitter=0.5)
        for url, meta in (("http://127.0.0.1:9/news/a", {"download_slot": "outlet:fast"}),
                          ("http://cdn.example/logo.png", {})):
            for _ in range(6):  # fast answers: AutoThrottle keeps lowering the delay
                request = Request(url, meta={**meta, "download_latency": 0.001})
                crawler.signals.send_catch_log(signals.response_downloaded, response=Response(url, status=200),
                                               request=request, spider=spider)
        assert 0.05 <= slots["outlet:fast"].delay < 0.1
        assert slots["cdn.example"].delay == 0.5
    finally:
        runtime_of(crawler).close()


def test_outlet_slots_declare_their_delay_without_jitter(tmp_path: Path) -> None:
    """An outlet's own delay is a minimum: Scrapy's ±50 % jitter must not apply below it."""
    crawler = project_crawler(tmp_path, outlets=SLOTS_TOML, DOWNLOAD_DELAY=0.25)
    slots = crawler.settings.getdict("DOWNLOAD_SLOTS")
    assert slots["outlet:slow"] == {"concurrency": 1, "delay": 1.0, "jitter": 0.0}
    assert slots["outlet:plain"] == {"concurrency": 2, "delay": 0.25}
    assert configured_delays(slots) == {"outlet:slow": 1.0, "outlet:plain": 0.25}


def test_requests_scrapy_makes_itself_wait_in_their_outlets_slot(tmp_path: Path) -> None:
    crawler = project_crawler(tmp_path, outlets=SLOTS_TOML)
    mw = OutletSlotMiddleware.from_crawler(crawler)
    robots = Request("http://127.0.0.1:9/robots.txt", meta={"dont_obey_robotstxt": True})  # as RobotsTxtMiddleware
    mw.process_request(robots)
    assert robots.meta["download_slot"] == "outlet:slow"
    own = Request("http://127.0.0.1:10/robots.txt", meta={"download_slot": "custom"})
    mw.process_request(own)
    assert own.meta["download_slot"] == "custom"  # a slot already chosen is kept
    stranger = Request("http://127.0.0.1:11/")
    mw.process_request(stranger)
    assert "download_slot" not in stranger.meta  # not an outlet: Scrapy's per-host slot

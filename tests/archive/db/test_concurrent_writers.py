"""Uniqueness under concurrent writers: 4 processes store the same outlets, URLs, pages and
articles at once (what several crawler workers on one archive do), on PostgreSQL and SQLite. The
unique constraints and the upserts of ``archive.db`` must leave one row per thing and lose no write."""

from __future__ import annotations

import multiprocessing
import traceback
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select, text

from archive.db import migrate
from archive.db.engine import make_engine
from archive.db.kinds import RunStatus
from archive.db.models import Article, ArticleVersion, Capture, CrawlRun, Outlet, UrlState
from archive.db.records import CaptureRecord, PageResult, UrlSighting
from archive.db.store import Store
from archive.extract.markup import content_hash
from archive.extract.result import Extraction
from archive.warc.reader import WarcPointer

WRITERS = 4
PAGES = 6  # articles per outlet
OUTLETS = (("Alpha", "http://127.0.0.1/alpha/", ["alpha.example"]), ("Beta", "http://127.0.0.1/beta/", ["beta.example"]))
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)


def page_url(outlet: int, n: int) -> str:
    return f"http://{OUTLETS[outlet][2][0]}/news/story-{n}/"


def text_of(outlet: int, n: int, edition: int) -> str:
    """Writers 0 and 1 see the first text of a page, 2 and 3 an edited one: two versions each."""
    return f"Story {n} of outlet {outlet}, edition {edition}. " + "Body words for the extractor. " * 20


def writer(url: str, index: int, barrier: Any, results: Any) -> None:
    try:
        results.put((index, write_pages(url, index, barrier)))
    except BaseException:  # the parent reports it at once instead of waiting for a result
        results.put((index, traceback.format_exc()))
        raise


def write_pages(url: str, index: int, barrier: Any) -> list[str]:
    engine = make_engine(url)
    store = Store(engine)
    barrier.wait(timeout=60)  # all four start writing together
    store.ensure_outlets(OUTLETS)
    run_id = store.start_run(f"writer-{index}")
    edition = index // 2
    outcomes: list[str] = []
    for n in range(PAGES):
        for outlet in (0, 1):
            name, target = OUTLETS[outlet][0], page_url(outlet, n)
            store.record_urls(name, [UrlSighting(target, "sitemap"), UrlSighting(target + "?utm_source=x", "link")])
            fetched_at = T0 + timedelta(minutes=index)
            record_id = f"<urn:uuid:{index:08d}-0000-0000-{outlet:04d}-{n:012d}>"
            store.add_capture(CaptureRecord(url=target, fetched_at=fetched_at, status=200, mime="text/html",
                                            pointer=WarcPointer(f"w{index}.warc.gz", n * 2000 + outlet, 900, record_id,
                                                                f"sha1:W{index}O{outlet}N{n}"), outlet=name))
            body = text_of(outlet, n, edition)
            extraction = Extraction(is_article=True, reason=None, title=f"Story {n}", authors=["Ann Writer"],
                                    published="2026-11-19T09:30:00+00:00", language="en", canonical_url=target,
                                    text=body, content_hash=content_hash(body))
            outcomes.append(store.record_page(PageResult(
                outlet=name, warc_record_id=record_id, requested_url=target, final_url=target, fetched_at=fetched_at,
                status=200, extraction=extraction, recrawl=(timedelta(hours=1),))))
    store.finish_run(run_id, status=RunStatus.OK, finish_reason="finished", counts={"pages_fetched": len(outcomes)},
                     warc_files=[f"w{index}.warc.gz"], stats={})
    engine.dispose()
    return outcomes


def open_archive(url: str, index: int, barrier: Any, results: Any) -> None:
    try:
        barrier.wait(timeout=60)
        make_engine(url).dispose()
        results.put((index, "ok"))
    except BaseException:
        results.put((index, traceback.format_exc()))
        raise


def race(target: Any, url: str) -> dict[int, Any]:
    """Run ``target(url, index, barrier, results)`` in 4 fresh processes released together."""
    ctx = multiprocessing.get_context("spawn")  # no engine or connection crosses a fork
    barrier, results = ctx.Barrier(WRITERS), ctx.Queue()
    procs = [ctx.Process(target=target, args=(url, i, barrier, results)) for i in range(WRITERS)]
    for proc in procs:
        proc.start()
    outcomes = dict(results.get(timeout=180) for _ in procs)
    for proc in procs:
        proc.join(timeout=60)
    failed = {i: o for i, o in outcomes.items() if isinstance(o, str) and o != "ok"}
    assert not failed, failed
    assert [proc.exitcode for proc in procs] == [0] * WRITERS
    return outcomes


def test_four_processes_creating_one_archive_at_once(database_url: str) -> None:
    """Workers started together on an empty database: one creates the schema, the others wait for it."""
    race(open_archive, database_url)
    engine = make_engine(database_url, create=False)
    assert migrate.current(engine).revision == migrate.head()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM meta")).scalar() == 1
    engine.dispose()


def count(store: Store, model: type, *where: Any) -> int:
    with store.db.reading("counting") as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_four_writers_never_duplicate_a_row_nor_lose_a_write(database_url: str) -> None:
    make_engine(database_url).dispose()  # the schema exists before the race (workers start on an archive)
    outcomes = race(writer, database_url)

    store = Store(make_engine(database_url))
    articles = len(OUTLETS) * PAGES
    assert count(store, Outlet) == len(OUTLETS)
    assert count(store, CrawlRun) == WRITERS and count(store, CrawlRun, CrawlRun.status == RunStatus.OK) == WRITERS
    assert count(store, Capture) == WRITERS * articles  # every writer's captures, none lost
    assert count(store, Capture, Capture.article_id.is_(None)) == 0  # each linked to its article
    assert count(store, Article) == articles  # one article per page, whoever came first
    assert count(store, ArticleVersion) == 2 * articles  # two editions each, each stored once
    assert count(store, UrlState) == 2 * articles  # the page and its utm_ variant, once each
    assert count(store, Article, Article.current_version_id.is_(None)) == 0
    # exactly one writer saw each article as new; everything else joined it
    assert sum(o.count("new") for o in outcomes.values()) == articles
    assert all(set(o) <= {"new", "updated", "unchanged"} for o in outcomes.values())
    # no lost update: last_seen is the latest writer's fetch, first_seen the earliest
    latest, earliest = T0 + timedelta(minutes=WRITERS - 1), T0
    assert count(store, Article, Article.last_seen != latest) == 0
    assert count(store, Article, Article.first_seen != earliest) == 0
    store.engine.dispose()

"""The archive's read side for export and reports: articles as plain dicts, per-outlet stats, runs.

Queries stream (``yield_per``), so exporting a large archive keeps memory flat. Full-text search
lives in ``archive.query.search`` and one article's full record in ``archive.query.detail``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, func, select
from sqlalchemy.orm import Session, aliased

from archive.db.kinds import CaptureKind
from archive.db.models import Article, ArticleVersion, Capture, CrawlRun, Outlet, UrlState
from archive.db.session import reading
from archive.times import iso
from archive.warc.reader import WarcPointer

# author_orgs: organisations credited when no person is; published_day: the local day the page
# printed (the date filters use it); date_source: where the date was read (issue 12).
EXPORT_FIELDS = ("id", "url", "urls", "outlet", "title", "authors", "author_orgs", "published", "published_day",
                 "date_source", "language", "text", "versions", "first_seen", "last_seen", "warc", "story_id",
                 "similarity")


def warc_fields(pointer: WarcPointer, *, with_record_id: bool = True) -> dict[str, Any]:
    """A WARC pointer as the JSON answers show it: file, offset, length (and record id)."""
    fields: dict[str, Any] = {"file": pointer.file, "offset": pointer.offset, "length": pointer.length}
    if with_record_id:
        fields["record_id"] = pointer.record_id
    return fields


@dataclass(frozen=True)
class ArticleFilter:
    outlet: str | None = None
    since: datetime | None = None  # first_seen >= since
    limit: int | None = None


def iter_articles(engine: Engine, flt: ArticleFilter = ArticleFilter(), *, batch: int = 500,
                  where: ColumnElement[bool] | None = None) -> Iterator[dict[str, Any]]:
    """Articles with their current version, every URL seen, version count and latest capture, by id.

    ``where`` is an extra condition over ``Article`` and its current ``ArticleVersion``, e.g.
    ``archive.query.search.article_condition`` for an export of a search."""
    # A correlated count per row streams; a grouped subquery over all versions had to be built first.
    every = aliased(ArticleVersion)
    versions = (select(func.count()).select_from(every).where(every.article_id == Article.id)
                .correlate(Article).scalar_subquery())
    # Plain columns, not ORM entities: building two objects per row cost more than the query.
    stmt = (select(Article.id, Article.canonical_url, Article.first_seen, Article.last_seen, Article.gone,
                   Article.story_id, Article.story_similarity,
                   ArticleVersion.title, ArticleVersion.authors, ArticleVersion.author_orgs,
                   ArticleVersion.published_at, ArticleVersion.published_day, ArticleVersion.date_source,
                   ArticleVersion.language, ArticleVersion.text, Outlet.name.label("outlet"),
                   versions.label("n_versions"))
            .select_from(Article).join(ArticleVersion, ArticleVersion.id == Article.current_version_id)
            .outerjoin(Outlet, Outlet.id == Article.outlet_id)
            .order_by(Article.id))
    if where is not None:
        stmt = stmt.where(where)
    if flt.outlet:
        stmt = stmt.where(Outlet.name == flt.outlet)
    if flt.since:
        stmt = stmt.where(Article.first_seen >= flt.since)
    if flt.limit:
        stmt = stmt.limit(flt.limit)
    with reading(engine, "exporting articles") as session:
        rows = session.execute(stmt.execution_options(yield_per=batch))
        for chunk in rows.partitions():
            ids = [row.id for row in chunk]
            urls = _urls_by_article(session, ids)
            latest = _latest_capture_by_article(session, ids)
            for row in chunk:
                pointer = latest.get(row.id)
                yield {
                    "id": row.id,
                    "url": row.canonical_url,
                    "urls": sorted(set(urls.get(row.id, [])) | {row.canonical_url}),
                    "outlet": row.outlet,
                    "title": row.title,
                    "authors": list(row.authors or []),
                    "author_orgs": list(row.author_orgs or []),
                    "published": iso(row.published_at),
                    "published_day": row.published_day,
                    "date_source": row.date_source,
                    "language": row.language,
                    "text": row.text,
                    "versions": int(row.n_versions),
                    "first_seen": iso(row.first_seen),
                    "last_seen": iso(row.last_seen),
                    "warc": None if pointer is None else warc_fields(pointer, with_record_id=False),
                    "gone": row.gone,
                    "story_id": row.story_id,  # archive.stories: the story this article is a pickup of
                    "similarity": row.story_similarity,  # of the link that joined it (None: the first)
                }


def _urls_by_article(session: Session, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for article_id, url in session.execute(
            select(UrlState.article_id, UrlState.url).where(UrlState.article_id.in_(ids))):
        if article_id is not None:  # always, by the WHERE clause; the column is nullable
            out.setdefault(article_id, []).append(url)
    return out


def _latest_capture_by_article(session: Session, ids: list[int]) -> dict[int, WarcPointer]:
    latest = (select(Capture.article_id, func.max(Capture.id).label("cid"))
              .where(Capture.article_id.in_(ids)).group_by(Capture.article_id).subquery())
    rows = session.execute(select(Capture.article_id, Capture.warc_file, Capture.warc_offset, Capture.warc_length,
                                  Capture.warc_record_id, Capture.payload_digest)
                           .join(latest, latest.c.cid == Capture.id))
    return {aid: WarcPointer(file, offset, length, record_id, digest)
            for aid, file, offset, length, record_id, digest in rows if aid is not None}


def outlet_stats(engine: Engine) -> list[dict[str, Any]]:
    """Per outlet: articles, versions, captures, non-article and blocked captures, last capture time."""
    with reading(engine, "reading outlet statistics") as session:
        names = dict(session.execute(select(Outlet.id, Outlet.name)).all())
        articles = dict(session.execute(select(Article.outlet_id, func.count()).group_by(Article.outlet_id)).all())
        versions = dict(session.execute(
            select(Article.outlet_id, func.count()).join(ArticleVersion, ArticleVersion.article_id == Article.id)
            .group_by(Article.outlet_id)).all())
        captures = dict(session.execute(select(Capture.outlet_id, func.count()).group_by(Capture.outlet_id)).all())
        non_articles = dict(session.execute(
            select(Capture.outlet_id, func.count()).where(Capture.kind == CaptureKind.NOT_ARTICLE)
            .group_by(Capture.outlet_id)).all())
        blocked = dict(session.execute(  # challenge/CAPTCHA/consent/paywall pages (archive.extract.blockpage)
            select(Capture.outlet_id, func.count()).where(Capture.kind == CaptureKind.BLOCKED)
            .group_by(Capture.outlet_id)).all())
        last = dict(session.execute(select(Capture.outlet_id, func.max(Capture.fetched_at))
                                    .group_by(Capture.outlet_id)).all())
    rows = []
    for oid, name in sorted(names.items(), key=lambda kv: kv[1]):
        rows.append({"outlet": name, "articles": articles.get(oid, 0), "versions": versions.get(oid, 0),
                     "captures": captures.get(oid, 0), "not_articles": non_articles.get(oid, 0),
                     "blocked": blocked.get(oid, 0),
                     "last_capture": iso(last[oid]) if last.get(oid) else None})
    return rows


RUN_FIELDS = ("id", "started_at", "finished_at", "status", "finish_reason", "requests", "pages_fetched",
              "articles_new", "articles_updated", "articles_unchanged", "articles_gone", "revisits", "not_articles",
              "errors", "bytes", "assets", "assets_skipped", "warc_files", "causes")
# Derived from the run's stats, not columns: page requisites archived, and skipped by the byte budgets.
_STATS_FIELDS = ("assets", "assets_skipped", "causes")


def _run_row(run: CrawlRun) -> dict[str, Any]:
    row = {f: getattr(run, f) for f in RUN_FIELDS if f not in _STATS_FIELDS}
    stats = run.stats or {}
    row["assets"] = int(stats.get("pressclips/assets/responses", 0))
    row["assets_skipped"] = int(stats.get("pressclips/assets/budget_skipped_page", 0)) + int(
        stats.get("pressclips/assets/budget_skipped_run", 0))
    # One line per outlet and cause of failed requests, kept by the run recorder in the stats.
    row["causes"] = list(stats.get("causes") or [])
    row["started_at"] = iso(run.started_at)
    row["finished_at"] = iso(run.finished_at)
    return row


def list_runs(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    with reading(engine, "listing crawl runs") as session:
        runs = session.execute(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)).scalars().all()
    return [_run_row(run) for run in runs]


def last_run_id(engine: Engine) -> int:
    with reading(engine, "reading the last crawl run") as session:
        return int(session.scalar(select(func.coalesce(func.max(CrawlRun.id), 0))) or 0)


def get_run(engine: Engine, run_id: int) -> dict[str, Any] | None:
    with reading(engine, "reading a crawl run") as session:
        run = session.get(CrawlRun, run_id)
        return _run_row(run) if run else None


def totals(engine: Engine) -> dict[str, int]:
    with reading(engine, "counting the archive") as session:
        return {
            "articles": int(session.scalar(select(func.count()).select_from(Article)) or 0),
            "versions": int(session.scalar(select(func.count()).select_from(ArticleVersion)) or 0),
            "captures": int(session.scalar(select(func.count()).select_from(Capture)) or 0),
            "urls": int(session.scalar(select(func.count()).select_from(UrlState)) or 0),
        }

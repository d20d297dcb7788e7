"""The archive's write side: captures, URL state, articles and versions, crawl runs.

Deduplication is done by the database: unique constraints plus ``INSERT … ON CONFLICT``, never a
lookup followed by an insert, so two writers cannot create the same article twice. One call of
``record_page`` is one transaction: URL state, article, version and capture link land together.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from archive.extract.blockpage import BLOCK_REASONS
from archive.errors import DatabaseError
from archive.db.models import Article, ArticleVersion, Capture, CrawlRun, Outlet, UrlState
from archive.db.frontier import UrlSighting, next_due, record_failure
from archive.urls import canonicalize, same_site, strip_tracking
from archive.times import parse_aware, utcnow


class ExtractionLike(Protocol):
    is_article: bool
    reason: str | None
    title: str | None
    authors: list[str]
    published: str | None
    modified: str | None
    language: str | None
    canonical_url: str | None
    description: str | None
    site_name: str | None
    text: str
    content_hash: str
    extractor: str


@dataclass(frozen=True)
class CaptureRecord:
    """An archived response as the crawler saw it, with its WARC pointer."""

    url: str
    fetched_at: datetime
    status: int
    mime: str | None
    payload_digest: str
    warc_file: str
    warc_offset: int
    warc_length: int
    warc_record_id: str
    outlet: str | None = None
    run_id: int | None = None
    kind: str | None = None
    reason: str | None = None
    refers_to_id: int | None = None  # revisit records: the capture holding the payload


@dataclass(frozen=True)
class PageResult:
    """What a fetched page turned out to be, ready to store in one transaction."""

    outlet: str
    warc_record_id: str
    requested_url: str
    final_url: str
    fetched_at: datetime
    status: int
    extraction: ExtractionLike
    redirect_urls: Sequence[str] = ()
    etag: str | None = None
    last_modified: str | None = None
    discovered_via: str | None = None
    discovery: dict[str, Any] = field(default_factory=dict)
    # The outlet's recrawl delays after publication; empty = never revisit.
    recrawl: Sequence[timedelta] = ()
    # Set when the WARC holds a revisit record (304, or the same payload as this capture).
    revisit_of: int | None = None


OUTCOMES = ("new", "updated", "unchanged", "not-article", "gone")
GONE_STATUSES = (404, 410)
__all__ = ["CaptureRecord", "PageResult", "Store", "UrlSighting", "article_url"]


def article_url(final_url: str, canonical_url: str | None, domains: Iterable[str]) -> tuple[str, str]:
    """(identity key, display URL) of an article: its own ``rel=canonical`` when that stays on
    the outlet (AMP and tracking variants point there), else the fetched URL. The key is
    canonicalised; the display URL only loses tracking parameters and the fragment. A canonical
    pointing at another outlet (syndication) is not trusted as identity."""
    url = canonical_url if canonical_url and same_site(canonical_url, domains) else final_url
    return canonicalize(url), strip_tracking(url)


class Store:
    """Write access to one archive database. Thread-safe per call; use one writer thread for SQLite."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name
        # Two-argument max/min: SQLite spells them max()/min(), PostgreSQL greatest()/least().
        self._greatest = func.max if self._dialect == "sqlite" else func.greatest
        self._least = func.min if self._dialect == "sqlite" else func.least
        self._outlet_ids: dict[str, int] = {}
        self._outlet_domains: dict[str, tuple[str, ...]] = {}

    # -- helpers -------------------------------------------------------------------------------
    def _insert(self, table: Any) -> Any:
        if self._dialect == "postgresql":
            return postgresql.insert(table)
        if self._dialect == "sqlite":
            return sqlite.insert(table)
        raise DatabaseError(f"unsupported database dialect {self._dialect!r}", hint="use SQLite or PostgreSQL")

    def insert(self, table: Any) -> Any:
        """This dialect's INSERT, with ``on_conflict_do_*`` (for modules sharing the store's engine)."""
        return self._insert(table)

    def transaction(self, what: str, fn: Any, *args: Any) -> Any:
        """Run ``fn(session, *args)`` in one transaction; database errors become DatabaseError."""
        return self._run(what, fn, *args)

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def _run(self, what: str, fn: Any, *args: Any) -> Any:
        try:
            with self._session() as session, session.begin():
                return fn(session, *args)
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()
            raise DatabaseError(f"{what} failed: {reason[0] if reason else type(exc).__name__}") from exc

    # -- outlets and runs ----------------------------------------------------------------------
    def ensure_outlets(self, outlets: Iterable[tuple[str, str, Sequence[str]]]) -> dict[str, int]:
        """Upsert (name, homepage, domains) rows; returns name → id."""

        def work(session: Session, rows: list[tuple[str, str, Sequence[str]]]) -> dict[str, int]:
            for name, homepage, domains in rows:
                stmt = self._insert(Outlet).values(name=name, homepage=homepage, domains=list(domains),
                                                   created_at=utcnow())
                stmt = stmt.on_conflict_do_update(index_elements=[Outlet.name],
                                                  set_={"homepage": homepage, "domains": list(domains)})
                session.execute(stmt)
            return dict(session.execute(select(Outlet.name, Outlet.id)).all())

        rows = list(outlets)
        ids = self._run("saving outlets", work, rows)
        self._outlet_ids.update(ids)
        for name, _home, domains in rows:
            self._outlet_domains[name] = tuple(domains)
        return ids

    def outlet_id(self, name: str | None) -> int | None:
        if name is None:
            return None
        if name not in self._outlet_ids:
            self._outlet_ids.update(self._run("reading outlets", lambda s: dict(
                s.execute(select(Outlet.name, Outlet.id)).all())))
        return self._outlet_ids.get(name)

    def outlet_domains(self, name: str) -> tuple[str, ...]:
        if name not in self._outlet_domains:
            domains = self._run("reading outlets", lambda s: s.scalar(select(Outlet.domains).where(Outlet.name == name)))
            self._outlet_domains[name] = tuple(domains or ())
        return self._outlet_domains[name]

    def start_run(self, outlets_file: str | None = None) -> int:
        def work(session: Session) -> int:
            run = CrawlRun(started_at=utcnow(), status="running", outlets_file=outlets_file,
                           warc_files=[], stats={}, pid=os.getpid())
            session.add(run)
            session.flush()
            return run.id

        return self._run("starting the crawl run", work)

    def finish_run(self, run_id: int, *, status: str, finish_reason: str | None, counts: dict[str, int],
                   warc_files: list[str], stats: dict[str, Any]) -> None:
        allowed = {"pages_fetched", "articles_new", "articles_updated", "articles_unchanged", "not_articles",
                   "errors", "bytes", "articles_gone", "revisits", "requests"}
        values = {k: int(v) for k, v in counts.items() if k in allowed}

        def work(session: Session) -> None:
            session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(
                finished_at=utcnow(), status=status, finish_reason=finish_reason, warc_files=warc_files,
                stats=stats, **values))

        self._run("finishing the crawl run", work)

    # -- captures and URLs ---------------------------------------------------------------------
    def add_capture(self, rec: CaptureRecord) -> None:
        """Insert a capture row; re-adding the same WARC record is a no-op."""

        def work(session: Session) -> None:
            stmt = self._insert(Capture).values(
                url=rec.url, outlet_id=self.outlet_id(rec.outlet), run_id=rec.run_id, fetched_at=rec.fetched_at,
                status=rec.status, mime=rec.mime, payload_digest=rec.payload_digest, warc_file=rec.warc_file,
                warc_offset=rec.warc_offset, warc_length=rec.warc_length, warc_record_id=rec.warc_record_id,
                kind=rec.kind, reason=rec.reason, refers_to_id=rec.refers_to_id,
            ).on_conflict_do_nothing(index_elements=[Capture.warc_record_id])
            session.execute(stmt)

        self._run("saving a capture", work)

    def set_capture_kind(self, warc_record_id: str, kind: str, reason: str | None = None) -> None:
        self._run("updating a capture", lambda s: s.execute(
            update(Capture).where(Capture.warc_record_id == warc_record_id).values(kind=kind, reason=reason)))

    def record_urls(self, outlet: str, sightings: Sequence[UrlSighting], seen_at: datetime | None = None) -> int:
        """Remember discovered URLs on the frontier (see ``archive.db.frontier``); returns how many became due."""
        from archive.db.frontier import Frontier

        return Frontier(self).add(outlet, sightings, seen_at)

    # -- pages ---------------------------------------------------------------------------------
    def record_page(self, page: PageResult) -> str:
        """Store a fetched page; returns one of ``OUTCOMES``."""
        return self._run(f"saving {page.final_url}", self._record_page, page)

    def _record_page(self, session: Session, page: PageResult) -> str:
        now = page.fetched_at
        outlet_id = self.outlet_id(page.outlet)
        capture_id = session.scalar(select(Capture.id).where(Capture.warc_record_id == page.warc_record_id))
        fetched = list(dict.fromkeys([page.requested_url, *page.redirect_urls, page.final_url]))
        self._record_fetched_urls(session, page, fetched, outlet_id, capture_id)

        if page.revisit_of is not None:
            return self._record_revisit(session, page, fetched, capture_id)
        ext = page.extraction
        if not ext.is_article:
            if page.status in GONE_STATUSES and self._mark_gone(session, fetched, capture_id, now):
                return "gone"
            blocked = ext.reason in BLOCK_REASONS  # challenge, captcha, consent, paywall (archive.extract.blockpage)
            if capture_id is not None:
                session.execute(update(Capture).where(Capture.id == capture_id).values(
                    kind="blocked" if blocked else "not-article", reason=ext.reason))
            if page.status >= 500 or blocked or ext.reason == "truncated":
                record_failure(session, page.requested_url, now)  # worth another try later
            return "not-article"

        key, display_url = article_url(page.final_url, ext.canonical_url, self.outlet_domains(page.outlet))
        article_id = session.scalar(
            self._insert(Article).values(url_key=key, canonical_url=display_url, outlet_id=outlet_id,
                                         first_seen=now, last_seen=now)
            .on_conflict_do_nothing(index_elements=[Article.url_key]).returning(Article.id))
        is_new_article = article_id is not None
        if article_id is None:
            article_id = session.scalar(select(Article.id).where(Article.url_key == key))

        version_id = session.scalar(
            self._insert(ArticleVersion).values(
                article_id=article_id, content_hash=ext.content_hash, title=ext.title, authors=list(ext.authors),
                published_at=parse_aware(ext.published), published_raw=ext.published,
                modified_at=parse_aware(ext.modified), language=ext.language, canonical_url=ext.canonical_url,
                description=ext.description, site_name=ext.site_name, text=ext.text, extractor=ext.extractor,
                capture_id=capture_id, first_seen=now, last_seen=now,
                changes=[],
            ).on_conflict_do_nothing(index_elements=[ArticleVersion.article_id, ArticleVersion.content_hash])
            .returning(ArticleVersion.id))
        is_new_version = version_id is not None
        if is_new_version and not is_new_article:  # an edit: record what changed (the article
            # still points at the version it had, so the comparison is with the text it replaces)
            previous = session.scalar(select(ArticleVersion).join(
                Article, Article.current_version_id == ArticleVersion.id).where(Article.id == article_id))
            if previous is not None:
                session.execute(update(ArticleVersion).where(ArticleVersion.id == version_id)
                                .values(changes=_changes(previous, ext)))
        if version_id is None:
            version_id = session.scalar(select(ArticleVersion.id).where(
                ArticleVersion.article_id == article_id, ArticleVersion.content_hash == ext.content_hash))
            session.execute(update(ArticleVersion).where(ArticleVersion.id == version_id).values(
                last_seen=self._greatest(ArticleVersion.last_seen, now)))

        session.execute(update(Article).where(Article.id == article_id).values(
            last_seen=self._greatest(Article.last_seen, now), first_seen=self._least(Article.first_seen, now),
            current_version_id=version_id, gone=False, gone_at=None,
            outlet_id=func.coalesce(Article.outlet_id, outlet_id)))

        # Every URL variant that led here belongs to the article: the fetched chain, the canonical
        # link, and any discovered variant with the same canonical form (utm_*, #fragment, slash).
        canon = {canonicalize(u) for u in fetched} | {key}
        session.execute(update(UrlState).where(UrlState.canonical_url.in_(canon)).values(article_id=article_id))
        if is_new_article:  # its first sight is now: no need to read the dates back
            self._set_due(session, page, parse_aware(ext.published) or now)
        else:
            self._schedule_recrawl(session, page, article_id)
        if capture_id is not None:
            session.execute(update(Capture).where(Capture.id == capture_id).values(
                kind="article", reason=None, article_id=article_id, version_id=version_id))
        if is_new_article:
            return "new"
        return "updated" if is_new_version else "unchanged"

    def _record_fetched_urls(self, session: Session, page: PageResult, fetched: list[str], outlet_id: int | None,
                             capture_id: int | None) -> None:
        """URL state of every URL of the fetch. Only the requested URL (the frontier's row) keeps a
        schedule; the other hops of a redirect chain were fetched now and are not due on their own."""
        now = page.fetched_at
        for url in fetched:
            values: dict[str, Any] = {"last_seen": now, "last_fetched_at": now}
            if url in (page.final_url, page.requested_url):  # the frontier row needs the validators too
                values.update(last_status=page.status, last_capture_id=capture_id)
                if page.revisit_of is None or page.etag or page.last_modified:
                    values.update(etag=page.etag, last_modified=page.last_modified)
            if url == page.requested_url:
                values.update(fetch_count=func.coalesce(UrlState.fetch_count, 0) + 1, next_due_at=None)
                if page.status < 500:
                    values["failures"] = 0
            else:
                values["next_due_at"] = None
            insert_values = {k: v for k, v in values.items() if k not in ("fetch_count",)}
            stmt = self._insert(UrlState).values(
                url=url, canonical_url=canonicalize(url), outlet_id=outlet_id, first_seen=now,
                discovered_via=page.discovered_via if url == page.requested_url else "redirect",
                discovery=page.discovery if url == page.requested_url else {},
                fetch_count=1 if url == page.requested_url else 0, **insert_values)
            session.execute(stmt.on_conflict_do_update(index_elements=[UrlState.url], set_=values))

    def _schedule_recrawl(self, session: Session, page: PageResult, article_id: int) -> None:
        """Next visit from the decaying schedule, counted from publication (else first sight)."""
        if not page.recrawl:
            return
        published, first_seen = session.execute(
            select(ArticleVersion.published_at, Article.first_seen)
            .join(ArticleVersion, ArticleVersion.id == Article.current_version_id, isouter=True)
            .where(Article.id == article_id)).one()
        self._set_due(session, page, published or first_seen)

    @staticmethod
    def _set_due(session: Session, page: PageResult, anchor: datetime) -> None:
        due = next_due(anchor, page.fetched_at, page.recrawl)
        if due is not None:  # the fetch itself already cleared next_due_at
            session.execute(update(UrlState).where(UrlState.url == page.requested_url).values(next_due_at=due))

    def _record_revisit(self, session: Session, page: PageResult, fetched: list[str], capture_id: int | None) -> str:
        """A 304 or an identical payload: the capture stands for the one it refers to; no new version."""
        now = page.fetched_at
        original = session.get(Capture, page.revisit_of)
        if original is None:
            raise DatabaseError(f"revisit of {page.final_url} refers to capture {page.revisit_of}, which is missing")
        if capture_id is not None:
            session.execute(update(Capture).where(Capture.id == capture_id).values(
                kind="revisit", reason=None, refers_to_id=original.id, article_id=original.article_id,
                version_id=original.version_id))
        if original.article_id is None:
            return "not-article"
        if original.version_id is not None:
            session.execute(update(ArticleVersion).where(ArticleVersion.id == original.version_id).values(
                last_seen=self._greatest(ArticleVersion.last_seen, now)))
        session.execute(update(Article).where(Article.id == original.article_id).values(
            last_seen=self._greatest(Article.last_seen, now), gone=False, gone_at=None))
        self._schedule_recrawl(session, page, original.article_id)
        return "unchanged"

    def _mark_gone(self, session: Session, fetched: list[str], capture_id: int | None, now: datetime) -> bool:
        """A known article now answering 404/410 is marked gone; nothing of it is deleted."""
        article_id = session.scalar(select(UrlState.article_id).where(
            UrlState.canonical_url.in_({canonicalize(u) for u in fetched}), UrlState.article_id.is_not(None)).limit(1))
        if article_id is None:
            return False
        session.execute(update(Article).where(Article.id == article_id, Article.gone.is_(False))
                        .values(gone=True, gone_at=now))
        if capture_id is not None:
            session.execute(update(Capture).where(Capture.id == capture_id).values(
                kind="gone", reason="http-gone", article_id=article_id))
        return True

    # -- re-extraction -------------------------------------------------------------------------
    def reextract_capture(self, capture_id: int, extraction: ExtractionLike) -> str:
        """Apply a fresh extraction of an archived capture; returns refreshed|changed|new|not-article.

        The version that capture produced is updated in place (a better extractor is not an
        edit). When the new text equals another version of the same article, the capture is
        pointed at that version instead. Nothing archived is ever deleted.
        """
        return self._run(f"re-extracting capture {capture_id}", self._reextract, capture_id, extraction)

    def _reextract(self, session: Session, capture_id: int, ext: ExtractionLike) -> str:
        capture = session.get(Capture, capture_id)
        if capture is None:
            raise DatabaseError(f"capture {capture_id} does not exist")
        if capture.version_id is None:
            if not ext.is_article:
                capture.reason = ext.reason
                return "not-article"
            outlet = session.scalar(select(Outlet.name).where(Outlet.id == capture.outlet_id)) or ""
            page = PageResult(outlet=outlet, warc_record_id=capture.warc_record_id, requested_url=capture.url,
                              final_url=capture.url, fetched_at=capture.fetched_at, status=capture.status,
                              extraction=ext)
            return "new" if self._record_page(session, page) == "new" else "changed"
        if not ext.is_article:
            return "not-article"
        version = session.get(ArticleVersion, capture.version_id)
        assert version is not None
        fields = dict(title=ext.title, authors=list(ext.authors), published_at=parse_aware(ext.published),
                      published_raw=ext.published, modified_at=parse_aware(ext.modified), language=ext.language,
                      canonical_url=ext.canonical_url, description=ext.description, site_name=ext.site_name,
                      text=ext.text, extractor=ext.extractor)
        if version.content_hash == ext.content_hash:
            session.execute(update(ArticleVersion).where(ArticleVersion.id == version.id).values(**fields))
            return "refreshed"
        twin = session.scalar(select(ArticleVersion.id).where(
            ArticleVersion.article_id == version.article_id, ArticleVersion.content_hash == ext.content_hash))
        if twin is None:
            session.execute(update(ArticleVersion).where(ArticleVersion.id == version.id).values(
                content_hash=ext.content_hash, **fields))
        else:
            session.execute(update(Capture).where(Capture.id == capture_id).values(version_id=twin))
            session.execute(update(Article).where(
                Article.id == version.article_id, Article.current_version_id == version.id)
                .values(current_version_id=twin))
        return "changed"


def _changes(previous: ArticleVersion, ext: ExtractionLike) -> list[str]:
    """What an edit changed, in the terms users ask about: title, byline, text, date."""
    changed = []
    if (previous.title or "") != (ext.title or ""):
        changed.append("title")
    if list(previous.authors or []) != list(ext.authors):
        changed.append("byline")
    if previous.text != ext.text:
        changed.append("text")
    if previous.published_at != parse_aware(ext.published):
        changed.append("date")
    return changed

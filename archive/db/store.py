"""The archive's write side: captures, articles and versions, crawl runs.

Deduplication is done by the database: unique constraints plus ``INSERT … ON CONFLICT``, never a
lookup followed by an insert, so two writers cannot create the same article twice. One call of
``record_page`` is one transaction: URL state (written by the frontier, in that transaction),
article, version and capture link land together.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from archive.db.assets import AssetLedger
from archive.db.frontier import Frontier, next_due
from archive.db.identity import existing_article
from archive.db.kinds import CaptureKind, PageOutcome, ReextractOutcome, RunStatus
from archive.db.models import Article, ArticleVersion, Capture, CrawlRun, Outlet, UrlState
from archive.db.records import CaptureRecord, ExtractionLike, PageResult, UrlSighting
from archive.db.session import Database
from archive.errors import DatabaseError
from archive.extract.blockpage import BLOCK_REASONS
from archive.times import parse_aware, utcnow
from archive.urls import canonicalize, identity_key, same_site, strip_tracking

if TYPE_CHECKING:
    from archive.stories.linker import NewText, StoryLinker

GONE_STATUSES = (404, 410)
RUN_COUNTS = frozenset({"pages_fetched", "articles_new", "articles_updated", "articles_unchanged", "not_articles",
                        "errors", "bytes", "articles_gone", "revisits", "requests"})
__all__ = ["CaptureRecord", "PageResult", "Store", "UrlSighting", "article_url"]


def article_url(final_url: str, canonical_url: str | None, domains: Iterable[str]) -> tuple[str, str]:
    """(identity key, display URL) of an article: its own ``rel=canonical`` when that stays on
    the outlet (AMP and tracking variants point there), else the fetched URL. The key is
    canonicalised; the display URL only loses tracking parameters and the fragment. A canonical
    pointing at another outlet (syndication) is not trusted as identity."""
    url = canonical_url if canonical_url and same_site(canonical_url, domains) else final_url
    return canonicalize(url), strip_tracking(url)


class Store:
    """Write access to one archive database. Thread-safe per call; use one writer thread for SQLite.

    Each public method is one transaction of ``db``; every write to the ``urls`` table goes through
    ``frontier``, inside that same transaction."""

    def __init__(self, engine: Engine, stories: StoryLinker | None = None) -> None:
        self.db = Database(engine)
        self.frontier = Frontier(self.db)
        self.assets = AssetLedger(self.db)  # page requisites: never the frontier, never articles
        self.stories = stories or _story_linker()

    @property
    def engine(self) -> Engine:
        return self.db.engine

    # -- outlets and runs ----------------------------------------------------------------------
    def ensure_outlets(self, outlets: Iterable[tuple[str, str, Sequence[str]]],
                       timezones: Mapping[str, str | None] | None = None) -> dict[str, int]:
        """Upsert (name, homepage, domains) rows, and their timezones when given; returns name → id."""
        rows = list(outlets)
        with self.db.transaction("saving outlets") as session:
            ids = self.db.save_outlets(session, rows, timezones)
        self.db.remember_outlets(ids, {name: tuple(domains) for name, _home, domains in rows})
        return ids

    def start_run(self, outlets_file: str | None = None) -> int:
        with self.db.transaction("starting the crawl run") as session:
            run = CrawlRun(started_at=utcnow(), status=RunStatus.RUNNING, outlets_file=outlets_file,
                           warc_files=[], stats={}, pid=os.getpid())
            session.add(run)
            session.flush()
            return run.id

    def finish_run(self, run_id: int, *, status: RunStatus, finish_reason: str | None, counts: dict[str, int],
                   warc_files: list[str], stats: dict[str, Any]) -> None:
        values = {k: int(v) for k, v in counts.items() if k in RUN_COUNTS}
        with self.db.transaction("finishing the crawl run") as session:
            session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(
                finished_at=utcnow(), status=status, finish_reason=finish_reason,
                warc_files=warc_files, stats=stats, **values))

    # -- captures and URLs ---------------------------------------------------------------------
    def add_capture(self, rec: CaptureRecord) -> None:
        """Insert a capture row; re-adding the same WARC record is a no-op."""
        p = rec.pointer
        with self.db.transaction("saving a capture") as session:
            session.execute(self.db.insert(Capture).values(
                url=rec.url, outlet_id=self.db.outlet_id(session, rec.outlet), run_id=rec.run_id,
                fetched_at=rec.fetched_at, status=rec.status, mime=rec.mime, payload_digest=p.payload_digest,
                warc_file=p.file, warc_offset=p.offset, warc_length=p.length, warc_record_id=p.record_id,
                kind=rec.kind, reason=rec.reason, refers_to_id=rec.refers_to_id, worker=rec.worker,
            ).on_conflict_do_nothing(index_elements=[Capture.warc_record_id]))

    def set_capture_kind(self, warc_record_id: str, kind: CaptureKind, reason: str | None = None) -> None:
        with self.db.transaction("updating a capture") as session:
            session.execute(update(Capture).where(Capture.warc_record_id == warc_record_id)
                            .values(kind=CaptureKind(kind), reason=reason))

    def record_urls(self, outlet: str, sightings: Sequence[UrlSighting], seen_at: datetime | None = None) -> int:
        """Remember discovered URLs on the frontier (see ``archive.db.frontier``); returns how many became due."""
        return self.frontier.add(outlet, sightings, seen_at)

    # -- pages ---------------------------------------------------------------------------------
    def record_page(self, page: PageResult) -> PageOutcome:
        """Store a fetched page in one transaction; returns what it turned out to be."""
        with self.db.transaction(f"saving {page.final_url}") as session:
            return self._record_page(session, page)

    def _record_page(self, session: Session, page: PageResult) -> PageOutcome:
        now = page.fetched_at
        outlet_id = self.db.outlet_id(session, page.outlet)
        capture_id = session.scalar(select(Capture.id).where(Capture.warc_record_id == page.warc_record_id))
        fetched = page.fetched_urls()
        self.frontier.note_fetch(session, page, outlet_id, capture_id)

        if page.revisit_of is not None:
            return self._record_revisit(session, page, capture_id)
        ext = page.extraction
        if not ext.is_article:
            if page.status in GONE_STATUSES and self._mark_gone(session, fetched, capture_id, now):
                return PageOutcome.GONE
            blocked = ext.reason in BLOCK_REASONS  # challenge, captcha, consent, paywall (archive.extract.blockpage)
            if capture_id is not None:
                session.execute(update(Capture).where(Capture.id == capture_id).values(
                    kind=CaptureKind.BLOCKED if blocked else CaptureKind.NOT_ARTICLE, reason=ext.reason))
            if page.status >= 500 or blocked or ext.reason == "truncated":
                self.frontier.note_failure(session, page.requested_url, now)  # worth another try later
            return PageOutcome.NOT_ARTICLE

        key, display_url = article_url(page.final_url, ext.canonical_url,
                                       self.db.outlet_domains(session, page.outlet))
        # A variant of a known article (same canonical link, a URL already joined, or the same
        # text on the same outlet) joins it; only a page none of these know is a new article.
        article_id = existing_article(session, key, fetched, outlet_id, ext.content_hash)
        is_new_article = article_id is None
        if article_id is None:
            article_id = session.scalar(
                self.db.insert(Article).values(url_key=key, canonical_url=display_url, outlet_id=outlet_id,
                                               first_seen=now, last_seen=now)
                .on_conflict_do_nothing(index_elements=[Article.url_key]).returning(Article.id))
            if article_id is None:  # another writer stored it since: url_key is unique
                is_new_article = False
                article_id = session.scalar(select(Article.id).where(Article.url_key == key))
        assert article_id is not None  # inserted, or there already

        version_id = session.scalar(
            self.db.insert(ArticleVersion).values(
                article_id=article_id, content_hash=ext.content_hash, title=ext.title, authors=list(ext.authors),
                published_at=parse_aware(ext.published), published_raw=ext.published,
                published_day=ext.published_day, date_source=ext.date_source, author_orgs=list(ext.author_orgs) or None,
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
                last_seen=self.db.greatest(ArticleVersion.last_seen, now)))

        session.execute(update(Article).where(Article.id == article_id).values(
            last_seen=self.db.greatest(Article.last_seen, now), first_seen=self.db.least(Article.first_seen, now),
            current_version_id=version_id, gone=False, gone_at=None,
            outlet_id=func.coalesce(Article.outlet_id, outlet_id)))
        if is_new_version and version_id is not None:  # a new current text: signed; a new article gets a story
            self.stories.link(session, _new_text(article_id, version_id, ext.text, ext.content_hash,
                                                 parse_aware(ext.published), now), is_new=is_new_article)

        # Every URL variant that led here belongs to the article: the fetched chain, the canonical
        # link, and any discovered variant with the same identity key (utm_*, #fragment, AMP, print).
        self.frontier.note_article(session, {identity_key(u) for u in fetched} | {identity_key(key)}, article_id,
                                   display_url, outlet_id, now)
        if is_new_article:  # its first sight is now: no need to read the dates back
            self._set_due(session, page, parse_aware(ext.published) or now, article_id)
        else:
            self._schedule_recrawl(session, page, article_id)
        if capture_id is not None:
            session.execute(update(Capture).where(Capture.id == capture_id).values(
                kind=CaptureKind.ARTICLE, reason=None, article_id=article_id, version_id=version_id))
        if is_new_article:
            return PageOutcome.NEW
        return PageOutcome.UPDATED if is_new_version else PageOutcome.UNCHANGED

    def _schedule_recrawl(self, session: Session, page: PageResult, article_id: int) -> None:
        """Next visit from the decaying schedule, counted from publication (else first sight)."""
        if not page.recrawl:
            return
        published, first_seen = session.execute(
            select(ArticleVersion.published_at, Article.first_seen)
            .join(ArticleVersion, ArticleVersion.id == Article.current_version_id, isouter=True)
            .where(Article.id == article_id)).one()
        self._set_due(session, page, published or first_seen, article_id)

    def _set_due(self, session: Session, page: PageResult, anchor: datetime, article_id: int) -> None:
        """The next visit goes to the article's fetch row (its canonical URL), whichever variant
        was fetched now; the fetch itself already cleared the fetched row's next_due_at."""
        due = next_due(anchor, page.fetched_at, page.recrawl)
        if due is not None:
            self.frontier.note_due(session, article_id, due)

    def _record_revisit(self, session: Session, page: PageResult, capture_id: int | None) -> PageOutcome:
        """A 304 or an identical payload: the capture stands for the one it refers to; no new version."""
        now = page.fetched_at
        original = session.get(Capture, page.revisit_of)
        if original is None:
            raise DatabaseError(f"revisit of {page.final_url} refers to capture {page.revisit_of}, which is missing")
        if capture_id is not None:
            session.execute(update(Capture).where(Capture.id == capture_id).values(
                kind=CaptureKind.REVISIT, reason=None, refers_to_id=original.id, article_id=original.article_id,
                version_id=original.version_id))
        if original.article_id is None:
            return PageOutcome.NOT_ARTICLE
        if original.version_id is not None:
            session.execute(update(ArticleVersion).where(ArticleVersion.id == original.version_id).values(
                last_seen=self.db.greatest(ArticleVersion.last_seen, now)))
        session.execute(update(Article).where(Article.id == original.article_id).values(
            last_seen=self.db.greatest(Article.last_seen, now), gone=False, gone_at=None))
        self._schedule_recrawl(session, page, original.article_id)
        return PageOutcome.UNCHANGED

    @staticmethod
    def _mark_gone(session: Session, fetched: list[str], capture_id: int | None, now: datetime) -> bool:
        """A known article now answering 404/410 is marked gone; nothing of it is deleted."""
        article_id = session.scalar(select(UrlState.article_id).where(
            UrlState.canonical_url.in_({identity_key(u) for u in fetched}), UrlState.article_id.is_not(None)).limit(1))
        if article_id is None:
            return False
        session.execute(update(Article).where(Article.id == article_id, Article.gone.is_(False))
                        .values(gone=True, gone_at=now))
        if capture_id is not None:
            session.execute(update(Capture).where(Capture.id == capture_id).values(
                kind=CaptureKind.GONE, reason="http-gone", article_id=article_id))
        return True

    # -- re-extraction -------------------------------------------------------------------------
    def reextract_capture(self, capture_id: int, extraction: ExtractionLike) -> ReextractOutcome:
        """Apply a fresh extraction of an archived capture.

        The version that capture produced is updated in place (a better extractor is not an
        edit). When the new text equals another version of the same article, the capture is
        pointed at that version instead. Nothing archived is ever deleted.
        """
        with self.db.transaction(f"re-extracting capture {capture_id}") as session:
            return self._reextract(session, capture_id, extraction)

    def _reextract(self, session: Session, capture_id: int, ext: ExtractionLike) -> ReextractOutcome:
        capture = session.get(Capture, capture_id)
        if capture is None:
            raise DatabaseError(f"capture {capture_id} does not exist")
        if capture.version_id is None:
            if not ext.is_article:
                capture.reason = ext.reason
                return ReextractOutcome.NOT_ARTICLE
            outlet = session.scalar(select(Outlet.name).where(Outlet.id == capture.outlet_id)) or ""
            page = PageResult(outlet=outlet, warc_record_id=capture.warc_record_id, requested_url=capture.url,
                              final_url=capture.url, fetched_at=capture.fetched_at, status=capture.status,
                              extraction=ext)
            new = self._record_page(session, page) == PageOutcome.NEW
            return ReextractOutcome.NEW if new else ReextractOutcome.CHANGED
        if not ext.is_article:
            return ReextractOutcome.NOT_ARTICLE
        version = session.get(ArticleVersion, capture.version_id)
        assert version is not None
        fields = dict(title=ext.title, authors=list(ext.authors), published_at=parse_aware(ext.published),
                      published_raw=ext.published, published_day=ext.published_day, date_source=ext.date_source,
                      author_orgs=list(ext.author_orgs) or None,
                      modified_at=parse_aware(ext.modified), language=ext.language,
                      canonical_url=ext.canonical_url, description=ext.description, site_name=ext.site_name,
                      text=ext.text, extractor=ext.extractor)
        if version.content_hash == ext.content_hash:
            session.execute(update(ArticleVersion).where(ArticleVersion.id == version.id).values(**fields))
            return ReextractOutcome.REFRESHED
        twin = session.scalar(select(ArticleVersion.id).where(
            ArticleVersion.article_id == version.article_id, ArticleVersion.content_hash == ext.content_hash))
        if twin is None:
            session.execute(update(ArticleVersion).where(ArticleVersion.id == version.id).values(
                content_hash=ext.content_hash, **fields))
            article = session.get(Article, version.article_id)
            if article is not None and article.current_version_id == version.id:  # its current text changed
                self.stories.link(session, _new_text(article.id, version.id, ext.text, ext.content_hash,
                                                     parse_aware(ext.published), article.first_seen), is_new=False)
        else:
            session.execute(update(Capture).where(Capture.id == capture_id).values(version_id=twin))
            session.execute(update(Article).where(
                Article.id == version.article_id, Article.current_version_id == version.id)
                .values(current_version_id=twin))
        return ReextractOutcome.CHANGED


# archive.stories is imported when first used, not with this module: it reads archive.db's models,
# and importing it first would load this package's __init__ (and so this module) half-way through.
def _story_linker() -> StoryLinker:
    from archive.stories.linker import StoryLinker

    return StoryLinker()


def _new_text(article_id: int, version_id: int, text: str, content_hash: str, published_at: datetime | None,
              first_seen: datetime) -> NewText:
    from archive.stories.linker import NewText

    return NewText(article_id, version_id, text, content_hash, published_at, first_seen)


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

"""The crawl frontier, kept in the database (the ``urls`` table), never in JOBDIR or memory.

A URL is *due* when ``next_due_at <= now``. Discovery makes a new URL due at once; a fetch sets
its next visit from the outlet's decaying recrawl schedule (or none); failures back off. A run
*claims* due URLs in batches (``claimed_run_id``), so a URL is fetched once per run, and a run
killed half-way leaves its unfetched URLs due for the next one: nothing is lost but time.

Variants are one page: ``urls.canonical_url`` holds the identity key (``archive.urls.identity_key``:
canonical form with AMP and print copies folded in), and a URL whose key is known or due is
recorded but not made due. Which rows are one article, and which of them a re-fetch goes to, is
``archive.db.identity``; re-checks of known articles within a share of the budget are
``archive.db.recheck``.

Discovery documents (sitemaps, feeds) are rows too, never due: they remember ETag,
Last-Modified and the ``lastmod`` an index gave them, so a later run skips an unchanged child
sitemap without fetching it (the per-outlet watermark) and asks for the rest conditionally.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from archive.db.identity import due_when_redated, join_article, join_known_articles, plan_article_visit, source_dates
from archive.db.kinds import CaptureKind, RunStatus
from archive.db.models import Capture, CrawlRun, UrlState
from archive.db.recheck import RecheckQuota, recheck_dropped, recheck_ids
from archive.db.records import DocumentState, DueUrl, PageResult, PreviousCapture, UrlSighting, Window
from archive.db.session import Database
from archive.times import parse_aware, utcnow
from archive.urls import canonicalize, identity_key

DOCUMENT_VIA = "document"  # urls.discovered_via of sitemap/feed rows: never fetched as pages
REDIRECT_VIA = "redirect"  # urls.discovered_via of the hops of a redirect chain
MAX_FAILURES = 6
BACKOFF_START = timedelta(hours=1)
BACKOFF_MAX = timedelta(days=7)
LISTING_REASON = "listing"  # captures.reason of a homepage or section page (``crawler.pipelines``)


@dataclass(frozen=True)
class DocumentRead:
    """A sitemap or feed read this run (200) or confirmed unchanged (304), to be remembered."""

    url: str
    status: int
    etag: str | None
    last_modified: str | None
    lastmod: datetime | None  # as the parent sitemap index gave it
    windowed: bool  # read with --published-since/--published-until: entries outside the window were skipped
    read_at: datetime | None = None  # when the response arrived (before its URLs were recorded)


@dataclass(frozen=True)
class KnownPage:
    """A listing page's, sitemap's or feed's last good capture and its ``urls`` row's validators."""

    previous: PreviousCapture
    etag: str | None
    last_modified: str | None


def _previous(capture: Capture | None) -> PreviousCapture | None:
    """What a conditional request and a revisit record may refer to: a good (200) capture."""
    if capture is None or capture.status != 200:
        return None
    return PreviousCapture(capture.id, capture.url, capture.fetched_at, capture.status, capture.pointer)


def next_due(anchor: datetime, fetched_at: datetime, delays: Sequence[timedelta]) -> datetime | None:
    """The first point of the schedule (``anchor`` + delay) after ``fetched_at``; None once past it."""
    for delay in sorted(delays):
        due = anchor + delay
        if due > fetched_at:
            return due
    return None


def backoff(failures: int, now: datetime) -> datetime | None:
    """1 h, 2 h, 4 h … capped at 7 days; give up (None) after ``MAX_FAILURES`` failures."""
    if failures >= MAX_FAILURES:
        return None
    delay: timedelta = min(BACKOFF_START * (2 ** max(failures - 1, 0)), BACKOFF_MAX)
    return now + delay


class Frontier:
    """Every write to the ``urls`` table. Methods without a session argument are one transaction
    each; those taking ``session`` work inside the caller's transaction (the store's
    ``record_page``), so a page and its URL state land together, with no second session."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # Several crawl processes claim from this frontier at once (``pressclips crawl
        # --distributed``): a URL another *running* run claimed is theirs, not due for us, and
        # claims lock their rows so two workers never take the same URL (archive.cluster).
        self.shared_claims = False

    # -- discovery ---------------------------------------------------------------------------
    def add(self, outlet: str, sightings: Sequence[UrlSighting], now: datetime | None = None) -> int:
        """Record sightings; new URLs become due now unless a variant (same identity key: tracking
        parameters, AMP or print copy) is known or due already. A known page whose source now
        dates it later than before (sitemap lastmod, news publication date, feed updated, a
        teaser's time) makes its article's canonical URL due again, whichever variant was fetched
        (``archive.db.identity``). Returns how many URLs became due."""
        if not sightings:
            return 0
        with self.db.transaction("saving discovered URLs") as session:
            return self._add(session, outlet, sightings, now or utcnow())

    def _add(self, session: Session, outlet: str, sightings: Sequence[UrlSighting], now: datetime) -> int:
        outlet_id = self.db.outlet_id(session, outlet)
        first: dict[str, UrlSighting] = {}
        for s in sightings:
            first.setdefault(s.url, s)  # the first sighting's metadata is kept
        # One identity key for every variant of a page: tracking parameters, AMP and print copies.
        canon = {url: identity_key(url) for url in first}
        known_canon = set(session.scalars(select(UrlState.canonical_url).where(
            UrlState.canonical_url.in_(set(canon.values())))))
        rows: list[dict[str, Any]] = []
        claimed_canon: set[str] = set()
        # The page itself is the one to fetch when a batch holds it and its AMP or print copies.
        for url, s in sorted(first.items(), key=lambda item: canonicalize(item[0]) != canon[item[0]]):
            c = canon[url]
            due = c not in known_canon and c not in claimed_canon
            claimed_canon.add(c)
            rows.append({"url": url, "canonical_url": c, "outlet_id": outlet_id, "first_seen": now,
                         "last_seen": now, "discovered_via": s.via, "discovery": s.discovery,
                         "next_due_at": now if due else None, "fetch_count": 0, "failures": 0})
        stmt = self.db.insert(UrlState)
        session.execute(stmt.on_conflict_do_update(index_elements=[UrlState.url], set_={"last_seen": now}), rows)
        became_due = sum(1 for r in rows if r["next_due_at"] is not None and r["canonical_url"] not in known_canon)
        became_due += due_when_redated(session, source_dates(first.values()), now)
        join_known_articles(session, list(first))  # a variant seen after its article was stored joins it
        return became_due

    # -- the run's work list -----------------------------------------------------------------
    def claim(self, outlet: str, run_id: int, limit: int, now: datetime | None = None,
              rechecks: RecheckQuota | None = None) -> list[DueUrl]:
        """Take up to ``limit`` due URLs of ``outlet`` for this run, oldest due first. With a
        ``rechecks`` quota, part of the batch (its share, and whatever due URLs leave free, within
        the run's quota) goes to known articles least recently fetched (``archive.db.recheck``)."""
        if limit <= 0:
            return []
        with self.db.transaction("claiming due URLs") as session:
            return self._claim(session, outlet, run_id, limit, now or utcnow(), rechecks)

    def _claim(self, session: Session, outlet: str, run_id: int, limit: int, now: datetime,
               rechecks: RecheckQuota | None) -> list[DueUrl]:
        outlet_id = self.db.outlet_id(session, outlet)
        reserved = rechecks.reserved(limit) if rechecks is not None else 0
        if self.shared_claims:
            running = select(CrawlRun.id).where(CrawlRun.status == RunStatus.RUNNING)
            unclaimed = or_(UrlState.claimed_run_id.is_(None), UrlState.claimed_run_id.not_in(running))
        else:
            unclaimed = or_(UrlState.claimed_run_id.is_(None), UrlState.claimed_run_id != run_id)
        due = (select(UrlState.id).where(UrlState.outlet_id == outlet_id, UrlState.next_due_at <= now, unclaimed)
               .order_by(UrlState.next_due_at, UrlState.id).limit(limit - reserved))
        if self.shared_claims:  # PostgreSQL: rows another worker is claiming right now are skipped
            due = due.with_for_update(of=UrlState, skip_locked=True)
        ids = list(session.scalars(due))
        if rechecks is not None:
            room = min(rechecks.left(), limit - len(ids))
            extra = recheck_ids(session, outlet_id, run_id, room, now - rechecks.after)
            rechecks.used += len(extra)
            ids += extra
        if not ids:
            return []
        session.execute(update(UrlState).where(UrlState.id.in_(ids)).values(claimed_run_id=run_id)
                        .execution_options(synchronize_session=False))
        rows = session.execute(
            select(UrlState.id, UrlState.url, UrlState.discovered_via, UrlState.discovery, UrlState.etag,
                   UrlState.last_modified, Capture)
            .outerjoin(Capture, Capture.id == UrlState.last_capture_id)
            .where(UrlState.id.in_(ids))).all()
        position = {row_id: n for n, row_id in enumerate(ids)}  # due first, oldest first; then re-checks
        out = []
        for _row_id, url, via, discovery, etag, last_modified, capture in sorted(rows, key=lambda r: position[r[0]]):
            previous = None
            if capture is not None and capture.kind != CaptureKind.REVISIT:
                previous = _previous(capture)
            elif capture is not None and capture.refers_to_id is not None:
                # the last capture was a revisit: refer to what it refers to
                previous = _previous(session.get(Capture, capture.refers_to_id))
            out.append(DueUrl(url, via, dict(discovery or {}), etag if previous else None,
                              last_modified if previous else None, previous))
        return out

    def fetch_failed(self, url: str, now: datetime | None = None, give_up: bool = False) -> None:
        """A claimed URL could not be fetched (timeout, refused, robots): back off, or give up."""
        with self.db.transaction(f"recording a failed fetch of {url}") as session:
            self.note_failure(session, url, now or utcnow(), give_up)

    # -- inside the store's transaction ------------------------------------------------------
    @staticmethod
    def note_failure(session: Session, url: str, now: datetime, give_up: bool = False) -> None:
        """One more failure for ``url``: due again after the back-off, or never when giving up."""
        failures = (session.scalar(select(UrlState.failures).where(UrlState.url == url)) or 0) + 1
        session.execute(update(UrlState).where(UrlState.url == url).values(
            failures=failures, next_due_at=None if give_up else backoff(failures, now), last_seen=now))

    def note_fetch(self, session: Session, page: PageResult, outlet_id: int | None, capture_id: int | None) -> None:
        """URL state of every URL of the fetch. Only the requested URL (the frontier's row) keeps a
        schedule; the other hops of a redirect chain were fetched now and are not due on their own."""
        now = page.fetched_at
        for url in page.fetched_urls():
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
            insert_values = {k: v for k, v in values.items() if k != "fetch_count"}
            stmt = self.db.insert(UrlState).values(
                url=url, canonical_url=identity_key(url), outlet_id=outlet_id, first_seen=now,
                discovered_via=page.discovered_via if url == page.requested_url else REDIRECT_VIA,
                discovery=page.discovery if url == page.requested_url else {},
                fetch_count=1 if url == page.requested_url else 0, **insert_values)
            session.execute(stmt.on_conflict_do_update(index_elements=[UrlState.url], set_=values))

    def note_article(self, session: Session, keys: Collection[str], article_id: int, display_url: str,
                     outlet_id: int | None, now: datetime) -> None:
        """Every URL variant with one of these identity keys, and the article's canonical URL
        (given a row if it had none), belongs to the article (``archive.db.identity``)."""
        join_article(session, self.db.insert(UrlState), article_id, keys, display_url, outlet_id, now)

    @staticmethod
    def note_due(session: Session, article_id: int, due: datetime) -> None:
        """The next planned visit of an article (a recrawl), on its fetch row."""
        plan_article_visit(session, article_id, due)

    # -- discovery documents -----------------------------------------------------------------
    def document_states(self, outlet: str) -> dict[str, DocumentState]:
        with self.db.reading("reading sitemap state") as session:
            rows = session.execute(select(UrlState.url, UrlState.etag, UrlState.last_modified, UrlState.discovery)
                                   .where(and_(UrlState.outlet_id == self.db.outlet_id(session, outlet),
                                               UrlState.discovered_via == DOCUMENT_VIA)))
            return {url: DocumentState(etag, lm, parse_aware((disc or {}).get("lastmod")),
                                       bool((disc or {}).get("windowed")))
                    for url, etag, lm, disc in rows}

    def record_document(self, outlet: str, url: str, *, status: int, etag: str | None,
                        last_modified: str | None, lastmod: datetime | None, windowed: bool,
                        now: datetime | None = None) -> None:
        """Remember a sitemap or feed as read (200) or confirmed unchanged (304)."""
        self.record_documents(outlet, [DocumentRead(url, status, etag, last_modified, lastmod, windowed)], now)

    def record_documents(self, outlet: str, documents: Sequence[DocumentRead], now: datetime | None = None) -> None:
        """Remember sitemaps and feeds as read, in one transaction and in the order given (a child
        sitemap before the index that listed it). The caller commits what a document listed
        first: a document is only ever marked read once its URLs are on the frontier."""
        if not documents:
            return
        now = now or utcnow()
        with self.db.transaction(f"recording sitemap state of {documents[0].url}") as session:
            outlet_id = self.db.outlet_id(session, outlet)
            for doc in documents:
                self._record_document(session, outlet_id, doc, now)

    def _record_document(self, session: Session, outlet_id: int | None, doc: DocumentRead, now: datetime) -> None:
        discovery: dict[str, Any] = {"lastmod": doc.lastmod.isoformat() if doc.lastmod else None,
                                     "windowed": doc.windowed}
        # The last full read; a full read re-checks what it no longer lists (archive.db.recheck).
        before = session.scalar(select(UrlState.discovery).where(UrlState.url == doc.url)) or {}
        discovery["read_at"] = before.get("read_at")
        if doc.status == 200 and not doc.windowed and doc.read_at is not None:
            recheck_dropped(session, outlet_id, doc.url, parse_aware(before.get("read_at")), doc.read_at, now)
            discovery["read_at"] = doc.read_at.isoformat()
        values: dict[str, Any] = {"last_seen": now, "last_fetched_at": now, "last_status": doc.status,
                                  "etag": doc.etag, "last_modified": doc.last_modified, "discovery": discovery,
                                  "discovered_via": DOCUMENT_VIA}
        if doc.status == 304:  # unchanged: keep the validators and what we knew
            values = {"last_seen": now, "last_fetched_at": now, "last_status": doc.status}
        stmt = self.db.insert(UrlState).values(
            url=doc.url, canonical_url=canonicalize(doc.url), outlet_id=outlet_id, first_seen=now, next_due_at=None,
            **{**values, "discovered_via": DOCUMENT_VIA, "discovery": values.get("discovery", discovery)})
        session.execute(stmt.on_conflict_do_update(index_elements=[UrlState.url], set_=values))

    def revisitable_pages(self, outlet: str) -> dict[str, KnownPage]:
        """Listing pages, sitemaps and feeds of ``outlet`` with a good earlier capture, by canonical
        URL: what their next request may ask for conditionally (the ``urls`` row's validators) and
        what a 304 or an identical body becomes a revisit of. Articles are not here: the frontier's
        claims carry theirs."""
        with self.db.reading("reading listing and sitemap captures") as session:
            outlet_id = self.db.outlet_id(session, outlet)
            latest = (select(func.max(Capture.id).label("id"))
                      .where(Capture.outlet_id == outlet_id, Capture.status == 200,
                             or_(Capture.kind.in_([CaptureKind.SITEMAP, CaptureKind.FEED, CaptureKind.LISTING]),
                                 and_(Capture.kind == CaptureKind.NOT_ARTICLE, Capture.reason == LISTING_REASON)))
                      .group_by(Capture.url).subquery())
            rows = session.execute(
                select(Capture, UrlState.etag, UrlState.last_modified)
                .join(latest, Capture.id == latest.c.id)
                .outerjoin(UrlState, UrlState.url == Capture.url)).all()
            known: dict[str, KnownPage] = {}
            for capture, etag, last_modified in rows:
                previous = _previous(capture)
                if previous is not None:
                    known[canonicalize(capture.url)] = KnownPage(previous, etag, last_modified)
            return known


__all__ = ["DOCUMENT_VIA", "LISTING_REASON", "MAX_FAILURES", "DocumentRead", "DocumentState", "DueUrl", "Frontier",
           "KnownPage", "PreviousCapture", "RecheckQuota", "UrlSighting", "Window", "backoff", "next_due"]

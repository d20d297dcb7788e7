"""URL identity on the frontier: which ``urls`` rows are one article, which of them is fetched for
it, and when a source's newer date makes that article due again.

A *group* is every ``urls`` row with the same identity key (``archive.urls.identity_key``:
canonical form with AMP/print copies folded in, stored in ``urls.canonical_url``) or the same
``article_id``. Whatever is decided about "fetched before" or "changed upstream" is decided over
the whole group, never over the one row a sitemap happens to name: an article first fetched
through ``?ref=x`` or its AMP copy is still known when the sitemap lists its canonical URL.

The *fetch row* of an article is the row that a re-fetch goes to: the article's own canonical
URL (as the page names it), else the row of its identity key fetched last. Validators and the
last good capture of the group travel to it when it is made due, so the re-fetch is conditional
and a 304 still becomes a revisit of what we hold.

Every function here runs inside the caller's transaction (``Frontier.add``, ``Store.record_page``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, aliased

from archive.db.models import Article, ArticleVersion, UrlState
from archive.db.records import UrlSighting
from archive.urls import canonicalize, identity_key

CANONICAL_VIA = "canonical"  # urls.discovered_via of a row first named by a page's rel=canonical


@dataclass(frozen=True)
class GroupRow:
    """One ``urls`` row as identity decisions need it."""

    id: int
    url: str
    key: str  # urls.canonical_url: the identity key
    article_id: int | None
    discovery: Mapping[str, Any]
    fetch_count: int
    last_fetched_at: datetime | None
    next_due_at: datetime | None
    etag: str | None
    last_modified: str | None
    last_capture_id: int | None

    @property
    def source_date(self) -> datetime | None:
        """The newest date a source gave for this URL when it was last sighted."""
        return UrlSighting(self.url, "", dict(self.discovery)).dated()


_COLUMNS = (UrlState.id, UrlState.url, UrlState.canonical_url, UrlState.article_id, UrlState.discovery,
            UrlState.fetch_count, UrlState.last_fetched_at, UrlState.next_due_at, UrlState.etag,
            UrlState.last_modified, UrlState.last_capture_id)


def _rows(session: Session, *where: Any) -> list[GroupRow]:
    return [GroupRow(r[0], r[1], r[2], r[3], r[4] or {}, r[5] or 0, *r[6:])
            for r in session.execute(select(*_COLUMNS).where(*where)).all()]


def load_groups(session: Session, keys: Collection[str], article_ids: Collection[int]) -> list[GroupRow]:
    """Every row sharing one of ``keys`` or belonging to one of ``article_ids`` (both indexed)."""
    if not keys and not article_ids:
        return []
    return _rows(session, or_(UrlState.canonical_url.in_(set(keys)), UrlState.article_id.in_(set(article_ids))))


def group_of(row: GroupRow, rows: Iterable[GroupRow]) -> list[GroupRow]:
    return [r for r in rows if r.key == row.key or (row.article_id is not None and r.article_id == row.article_id)]


# -- which article a fetched page is --------------------------------------------------------------
def existing_article(session: Session, key: str, fetched: Iterable[str], outlet_id: int | None,
                     content_hash: str) -> int | None:
    """The article a fetched page belongs to, if it is known already: by identity key (its
    canonical link), by a URL of the fetch already joined to an article, or by an identical text
    on the same outlet (a variant reached before its canonical URL was known)."""
    found = session.scalar(select(Article.id).where(Article.url_key == key))
    if found is None:
        found = session.scalar(select(UrlState.article_id).where(
            UrlState.canonical_url.in_({identity_key(u) for u in fetched}),
            UrlState.article_id.is_not(None)).order_by(UrlState.article_id).limit(1))
    if found is None and outlet_id is not None:
        found = session.scalar(select(ArticleVersion.article_id).join(Article, Article.id == ArticleVersion.article_id)
                               .where(ArticleVersion.content_hash == content_hash, Article.outlet_id == outlet_id)
                               .order_by(ArticleVersion.article_id).limit(1))
    return found


def join_article(session: Session, insert: Any, article_id: int, keys: Collection[str], display_url: str,
                 outlet_id: int | None, now: datetime) -> None:
    """Every row of ``keys`` (the fetch chain's and the canonical link's identity keys) joins the
    article; the canonical URL gets a row if it had none, so sighting it later finds it known;
    and variants of the article that were due but never fetched are due no longer."""
    session.execute(insert.values(
        url=display_url, canonical_url=identity_key(display_url), outlet_id=outlet_id, article_id=article_id,
        first_seen=now, last_seen=now, discovered_via=CANONICAL_VIA, discovery={}, next_due_at=None,
        fetch_count=0, failures=0).on_conflict_do_nothing(index_elements=[UrlState.url]))
    keys = set(keys) | {identity_key(display_url)}
    session.execute(update(UrlState).where(UrlState.canonical_url.in_(keys)).values(article_id=article_id)
                    .execution_options(synchronize_session=False))
    session.execute(update(UrlState).where(
        UrlState.article_id == article_id, UrlState.last_fetched_at.is_(None), UrlState.next_due_at.is_not(None))
        .values(next_due_at=None).execution_options(synchronize_session=False))


def join_known_articles(session: Session, urls: Collection[str]) -> None:
    """Rows just sighted whose identity key already belongs to an article join that article."""
    other = aliased(UrlState)
    article = (select(other.article_id).where(other.canonical_url == UrlState.canonical_url,
                                              other.article_id.is_not(None))
               .order_by(other.article_id).limit(1).scalar_subquery())
    session.execute(update(UrlState).where(UrlState.url.in_(list(urls)), UrlState.article_id.is_(None))
                    .values(article_id=article).execution_options(synchronize_session=False))


# -- which row is fetched, and making it due ----------------------------------------------------------
def fetch_row(group: list[GroupRow], article: tuple[str, str] | None) -> GroupRow | None:
    """The row a re-fetch of the group goes to. ``article``: its (url_key, canonical_url)."""
    if not group:
        return None
    newest_first = sorted(group, key=lambda r: (r.last_fetched_at is not None, r.last_fetched_at or 0, -r.id),
                          reverse=True)
    if article is not None:
        key, display = article
        for row in group:
            if row.url == display:
                return row
        for row in newest_first:
            if canonicalize(row.url) == key:
                return row
    return newest_first[0]


def make_due(session: Session, target: GroupRow, group: list[GroupRow], due: datetime) -> bool:
    """Make ``target`` due at ``due`` (unless due sooner already), carrying the group's newest
    validators and good capture onto it so the request is conditional. True if it became due."""
    values: dict[str, Any] = {}
    if target.next_due_at is None or target.next_due_at > due:
        values["next_due_at"] = due
    held = [r for r in group if r.last_capture_id is not None and r.last_fetched_at is not None]
    source = max(held, key=lambda r: r.last_fetched_at or due, default=None)
    if source is not None and source.id != target.id and (
            target.last_fetched_at is None or (source.last_fetched_at or due) > target.last_fetched_at
            or target.last_capture_id is None):
        values.update(etag=source.etag, last_modified=source.last_modified, last_capture_id=source.last_capture_id)
    if values:
        session.execute(update(UrlState).where(UrlState.id == target.id).values(**values)
                        .execution_options(synchronize_session=False))
    return "next_due_at" in values


def plan_article_visit(session: Session, article_id: int, due: datetime) -> None:
    """Schedule the next visit of an article (a recrawl) on its fetch row."""
    article = session.execute(select(Article.url_key, Article.canonical_url).where(Article.id == article_id)).one()
    group = load_groups(session, {article.url_key}, {article_id})
    target = fetch_row(group, (article.url_key, article.canonical_url))
    if target is not None:
        make_due(session, target, group, due)


# -- upstream dates ----------------------------------------------------------------------------------
def due_when_redated(session: Session, dated: Mapping[str, datetime], now: datetime) -> int:
    """A source dates a known URL later than before (sitemap lastmod, news publication date, feed
    updated, a teaser's time): the new date is remembered, and if any URL of its group was
    fetched, the group's fetch row is due now. "Later" is against the source's own earlier date
    for the group (a site whose clock lags still has its edits found) or, when no source ever
    dated it, against our last fetch. Returns how many rows became due."""
    if not dated:
        return 0
    sighted = _rows(session, UrlState.url.in_(list(dated)))
    rows = load_groups(session, {r.key for r in sighted}, {r.article_id for r in sighted if r.article_id})
    became_due = 0
    for row in sighted:
        group = group_of(row, rows)
        before = max((d for r in group if (d := r.source_date) is not None), default=None)
        when = dated[row.url]
        if before is not None and when <= before:
            continue
        session.execute(update(UrlState).where(UrlState.id == row.id)
                        .values(discovery={**row.discovery, "lastmod": when.isoformat()})
                        .execution_options(synchronize_session=False))
        fetched = [r.last_fetched_at for r in group if r.fetch_count and r.last_fetched_at is not None]
        if not fetched or (before is None and when <= max(fetched)):
            continue  # never fetched (new rows are due anyway), or not newer than what we hold
        article = None
        if row.article_id is not None:
            article = session.execute(select(Article.url_key, Article.canonical_url)
                                      .where(Article.id == row.article_id)).one()
        target = fetch_row(group, (article[0], article[1]) if article else None)
        if target is not None and make_due(session, target, group, now):
            became_due += 1
    return became_due


def source_dates(sightings: Iterable[UrlSighting]) -> dict[str, datetime]:
    return {s.url: d for s in sightings if (d := s.dated()) is not None}


__all__ = ["CANONICAL_VIA", "GroupRow", "due_when_redated", "existing_article", "fetch_row", "join_article",
           "join_known_articles", "load_groups", "make_due", "plan_article_visit", "source_dates"]

"""The pieces a coverage report counts: every article matching any of the report's queries, one row each.

Matching is ``archive.query.search``'s own (``article_condition``: the same syntax and index as
``pressclips search``), so a report counts exactly what a search finds. The date window filters the
publication date of the article's current version. A piece's story is ``COALESCE(story_id,
-article_id)``: an article no story has claimed counts as a story of its own, so story figures stay
right whether or not stories have been built.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, func, or_, select

from archive.db.models import Article, ArticleVersion, Capture, Outlet
from archive.db.session import reading

NO_OUTLET = "(none)"


@dataclass(frozen=True)
class Window:
    """Publication dates from ``since`` (inclusive) to ``until`` (exclusive); None is open."""

    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Piece:
    """One article in a report, as its current version describes it."""

    article_id: int
    outlet: str
    title: str | None
    url: str
    authors: tuple[str, ...]
    published_at: datetime | None
    first_seen: datetime
    story: int  # the story id, or -article_id for an article in no story
    capture_url: str | None  # the capture its current text came from: what replay shows
    captured_at: datetime | None

    @property
    def when(self) -> datetime:
        """When it appeared: its publication date, else when the archive first saw it."""
        return self.published_at or self.first_seen

    @property
    def day(self) -> date:
        return publication_day(self.published_at, self.first_seen)


def publication_day(published_at: datetime | None, first_seen: datetime) -> date:
    """The day a piece counts on in timelines: its publication date (UTC), else its first-seen day.

    The one place that decides it, so the outlet's local publication day can replace the UTC date here."""
    return (published_at or first_seen).date()


def collect_pieces(engine: Engine, queries: tuple[str, ...] | list[str], window: Window = Window()) -> list[Piece]:
    """Every article matching any of ``queries`` (search syntax) published inside ``window``, by article id."""
    from archive.query.search import SearchFilters, article_condition

    filters = SearchFilters(published_from=window.since, published_to=window.until)
    story = func.coalesce(Article.story_id, -Article.id)
    with reading(engine, "collecting the report's articles") as session:
        matches = [article_condition(engine, session, query, filters) for query in queries]
        rows = session.execute(
            select(Article.id, Outlet.name, ArticleVersion.title, Article.canonical_url, ArticleVersion.authors,
                   ArticleVersion.published_at, Article.first_seen, story.label("story"), Capture.url,
                   Capture.fetched_at)
            .select_from(Article)
            .join(ArticleVersion, ArticleVersion.id == Article.current_version_id)
            .outerjoin(Outlet, Outlet.id == Article.outlet_id)
            .outerjoin(Capture, Capture.id == ArticleVersion.capture_id)
            .where(or_(*matches))
            .order_by(Article.id)).all()
    return [Piece(article_id=int(r[0]), outlet=r[1] or NO_OUTLET, title=r[2], url=r[3],
                  authors=tuple(a.strip() for a in (r[4] if isinstance(r[4], list) else []) if str(a).strip()),
                  published_at=r[5], first_seen=r[6], story=int(r[7]), capture_url=r[8], captured_at=r[9])
            for r in rows]

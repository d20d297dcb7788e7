"""The read side of stories: ``pressclips stories`` (stories with their pickups) and an article's
story siblings (``pressclips show``, the web UI's article page).

A story's pickups are its articles (one per outlet and URL: dedup keeps an article one row); its
first outlet is the outlet of its first article, the earliest published (``archive.stories``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, func, select
from sqlalchemy.orm import Session

from archive.db.models import Article, ArticleVersion, Outlet, Story
from archive.db.session import reading
from archive.times import iso

STORY_FIELDS = ("id", "pickups", "outlets", "first_outlet", "title", "url", "first_published", "first_seen",
                "last_seen", "outlet_names")
SIBLING_FIELDS = ("id", "outlet", "title", "url", "published", "first_seen", "similarity", "first")
MAX_SIBLINGS = 200


@dataclass(frozen=True)
class StoryFilter:
    min_pickups: int = 2  # a story of one article is not coverage anyone asks to list
    outlet: str | None = None  # stories with a pickup on this outlet (case-insensitive)
    seen_from: datetime | None = None  # a pickup first seen at or after (story.last_seen >= seen_from)
    seen_to: datetime | None = None  # the story began before (story.first_seen < seen_to)
    limit: int = 50
    offset: int = 0


def list_stories(engine: Engine, flt: StoryFilter = StoryFilter(),
                 where: ColumnElement[bool] | None = None) -> list[dict[str, Any]]:
    """Stories, most pickups first (then the most recent), as JSON-ready dicts.

    ``where`` is an extra condition over ``Article`` and its current ``ArticleVersion`` (a search:
    ``archive.query.search.article_condition``): only stories with a matching pickup are listed."""
    stmt: Select[Any] = select(Story).where(Story.article_count >= flt.min_pickups)
    if flt.seen_from is not None:
        stmt = stmt.where(Story.last_seen >= flt.seen_from)
    if flt.seen_to is not None:
        stmt = stmt.where(Story.first_seen < flt.seen_to)
    if where is not None or flt.outlet:
        members = (select(Article.story_id).join(ArticleVersion, ArticleVersion.id == Article.current_version_id)
                   .where(Article.story_id.is_not(None)))
        if where is not None:
            members = members.where(where)
        if flt.outlet:
            members = members.join(Outlet, Outlet.id == Article.outlet_id).where(
                func.lower(Outlet.name) == flt.outlet.lower())
        stmt = stmt.where(Story.id.in_(members))
    stmt = stmt.order_by(Story.article_count.desc(), Story.last_seen.desc(), Story.id.desc())
    stmt = stmt.limit(flt.limit).offset(flt.offset)
    with reading(engine, "listing stories") as session:
        stories = list(session.scalars(stmt))
        outlets = _outlets_by_story(session, [s.id for s in stories])
        firsts = _articles(session, [s.first_article_id for s in stories])
    rows = []
    for story in stories:
        first = firsts.get(story.first_article_id, {})
        names = outlets.get(story.id, [])
        rows.append({"id": story.id, "pickups": story.article_count, "outlets": len(names),
                     "first_outlet": first.get("outlet"), "title": first.get("title"), "url": first.get("url"),
                     "first_published": iso(story.first_published_at), "first_seen": iso(story.first_seen),
                     "last_seen": iso(story.last_seen), "outlet_names": names})
    return rows


def _outlets_by_story(session: Session, story_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    if story_ids:
        for story_id, name in session.execute(
                select(Article.story_id, Outlet.name).join(Outlet, Outlet.id == Article.outlet_id)
                .where(Article.story_id.in_(story_ids)).distinct().order_by(Article.story_id, Outlet.name)):
            if story_id is not None:  # always, by the condition; for the type checker
                found.setdefault(story_id, []).append(name)
    return found


def _articles(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = session.execute(
        select(Article.id, Article.canonical_url, Article.first_seen, Article.story_similarity,
               Outlet.name.label("outlet"), ArticleVersion.title, ArticleVersion.published_at)
        .outerjoin(Outlet, Outlet.id == Article.outlet_id)
        .outerjoin(ArticleVersion, ArticleVersion.id == Article.current_version_id)
        .where(Article.id.in_(ids)))
    return {row.id: {"id": row.id, "outlet": row.outlet, "title": row.title, "url": row.canonical_url,
                     "published": iso(row.published_at), "first_seen": iso(row.first_seen),
                     "similarity": row.story_similarity} for row in rows}


def story_of(session: Session, article_id: int) -> dict[str, Any] | None:
    """The story of one article: its id, pickups, the similarity of the article's own link, and its
    siblings (the story's other articles, earliest published first), or None without a story."""
    story_id, similarity = session.execute(
        select(Article.story_id, Article.story_similarity).where(Article.id == article_id)).one_or_none() \
        or (None, None)
    if story_id is None:
        return None
    story = session.get(Story, story_id)
    sibling_ids = list(session.scalars(select(Article.id).where(Article.story_id == story_id, Article.id != article_id)
                                       .order_by(Article.id).limit(MAX_SIBLINGS)))
    found = _articles(session, sibling_ids)
    first_id = story.first_article_id if story is not None else None
    siblings = sorted(({**found[i], "first": i == first_id} for i in sibling_ids if i in found),
                      key=lambda s: (s["published"] is None, s["published"] or "", s["first_seen"] or "", s["id"]))
    return {"id": story_id, "pickups": story.article_count if story is not None else len(sibling_ids) + 1,
            "similarity": similarity, "first": first_id == article_id, "siblings": siblings}


def story_siblings(engine: Engine, article_id: int) -> dict[str, Any] | None:
    with reading(engine, f"reading the story of article {article_id}") as session:
        return story_of(session, article_id)

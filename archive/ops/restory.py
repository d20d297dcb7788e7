"""``pressclips restory``: rebuild every story from scratch, under the archive lock.

Stories are derived data: the signatures, bands and stories are dropped and every article's
current version is linked again, oldest first sighting first (the order a crawl met them), with
the archive's thresholds (new ones, when given, are saved first). It all happens in one
transaction, so an interrupted rebuild leaves the previous stories as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, delete, func, select, update

from archive.db.models import Article, ArticleVersion, Story, StoryBand, StorySignature
from archive.db.session import Database
from archive.ops.lock import ArchiveLock
from archive.stories import NewText, StoryLinker, StoryThresholds

BATCH = 500  # texts read per query: bounds memory on a large archive


@dataclass(frozen=True)
class RestoryReport:
    articles: int
    stories: int
    linked: int  # articles that joined another article's story
    thresholds: StoryThresholds


def restory(engine: Engine, root: Path, thresholds: StoryThresholds | None = None) -> RestoryReport:
    """Rebuild the stories of the archive at ``root`` (``ArchiveLockedError`` if a run holds it)."""
    db = Database(engine)
    with ArchiveLock(root).acquire(), db.transaction("rebuilding stories") as session:
        if thresholds is None:
            thresholds = StoryThresholds.load(session)
        else:
            thresholds.save(session)
        for table in (StoryBand, StorySignature, Story):
            session.execute(delete(table))
        session.execute(update(Article).values(story_id=None, story_similarity=None))
        linker = StoryLinker(thresholds)
        ids = list(session.scalars(select(Article.id).where(Article.current_version_id.is_not(None))
                                   .order_by(Article.first_seen, Article.id)))
        linked = 0
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            rows = {row.id: row for row in session.execute(
                select(Article.id, Article.first_seen, ArticleVersion.id.label("version_id"), ArticleVersion.text,
                       ArticleVersion.content_hash, ArticleVersion.published_at)
                .join(ArticleVersion, ArticleVersion.id == Article.current_version_id)
                .where(Article.id.in_(chunk)))}
            for article_id in chunk:
                row = rows[article_id]
                match = linker.link(session, NewText(article_id, row.version_id, row.text, row.content_hash,
                                                     row.published_at, row.first_seen), is_new=True)
                linked += match is not None
        stories = session.scalar(select(func.count()).select_from(Story)) or 0
    return RestoryReport(len(ids), stories, linked, thresholds)

"""The story check run on each new article text, inside the store's transaction.

A new article joins the story of its best match among the archive's other articles, else starts
a story of its own:

1. exact copy: another article's current version has the same content hash (similarity 1.0);
2. else the LSH bands (``archive.stories.signature``) name the candidates, by index lookups only
   (``ix_story_bands_band_hash``), so the cost stays flat as the archive grows; each candidate is
   verified on its stored signature: estimated Jaccard ≥ ``similarity`` (syndicated copies,
   edited rewrites), or leads alike and estimated containment ≥ ``containment`` (truncated copies).

The best match's story is joined. When the new text also matches articles of other stories, those
stories were one all along (an edited rewrite and a syndicated copy met before their original
did) and are merged into it; each link was verified on its own, above the thresholds.

What is signed is the article's current version: an edit
replaces the signature and bands (later articles are compared with the text as it is now) and
leaves the article in its story: it was a pickup when it was published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Select, Table, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from archive.db.models import Article, ArticleVersion, Story, StoryBand, StorySignature
from archive.stories.signature import BAND_COUNT, Signature, agreement, containment
from archive.stories.thresholds import StoryThresholds

MAX_CANDIDATES = 24  # the articles sharing the most bands; a story's copies come first
# The band rows as a Core table: inserting 58 rows per text through the ORM's bulk path cost more.
_BAND_ROWS = cast(Table, StoryBand.__table__)


def _candidates_query() -> Select[tuple[int, int]]:
    """Articles sharing a band with a text, most shared bands first: one ``band = ? AND hash = ?``
    term per band (SQLite uses the (band, hash) index for that, not for a row-value IN), built once
    with bound parameters, so each check only binds values (building it per check cost ~10 ms)."""
    bands = _BAND_ROWS.c
    shared = func.count().label("shared")
    terms = [and_(bands.band == bindparam(f"b{i}"), bands.hash == bindparam(f"h{i}")) for i in range(BAND_COUNT)]
    return (select(bands.article_id, shared).where(or_(*terms), bands.article_id != bindparam("article_id"))
            .group_by(bands.article_id).order_by(shared.desc(), bands.article_id).limit(MAX_CANDIDATES))


_CANDIDATES = _candidates_query()


@dataclass(frozen=True)
class NewText:
    """What the check needs of an article's current version."""

    article_id: int
    version_id: int
    text: str
    content_hash: str
    published_at: datetime | None
    first_seen: datetime


@dataclass(frozen=True)
class Match:
    article_id: int
    story_id: int
    similarity: float


class StoryLinker:
    """Links article texts into stories; one per ``Store``. The thresholds are read from the archive
    once (``StoryThresholds.load``) unless given."""

    def __init__(self, thresholds: StoryThresholds | None = None) -> None:
        self._thresholds = thresholds

    def thresholds(self, session: Session) -> StoryThresholds:
        if self._thresholds is None:
            self._thresholds = StoryThresholds.load(session)
        return self._thresholds

    def link(self, session: Session, new: NewText, *, is_new: bool) -> Match | None:
        """Sign ``new`` (replacing an older signature) and, unless the article already belongs to a
        story, join or start one. Returns the best match, whose story it joined, if any."""
        story_id = None
        if not is_new:
            story_id = session.scalar(select(Article.story_id).where(Article.id == new.article_id))
            session.execute(delete(StoryBand).where(StoryBand.article_id == new.article_id))
            session.execute(delete(StorySignature).where(StorySignature.article_id == new.article_id))
        signature = Signature.of(new.text)
        matches: list[Match] = []
        if story_id is None:
            exact = self._exact_copy(session, new)
            matches = [exact] if exact is not None else self._matches(session, new, signature)
        if signature is not None:
            session.execute(insert(StorySignature).values(
                article_id=new.article_id, version_id=new.version_id, shingles=signature.shingles,
                minhash=signature.minhash, lead=signature.lead))
            session.execute(insert(_BAND_ROWS), [{"band": band, "hash": value, "article_id": new.article_id}
                                                          for band, value in signature.bands()])
        if story_id is not None:
            return None
        if not matches:
            self._start_story(session, new)
            return None
        best = matches[0]
        self._join_story(session, new, best)
        bridged = {m.story_id for m in matches} - {best.story_id}
        if bridged:  # the new text is a copy of articles in several stories: they were one all along
            _merge(session, best.story_id, bridged)
        return best

    # -- finding the matches ------------------------------------------------------------------
    @staticmethod
    def _exact_copy(session: Session, new: NewText) -> Match | None:
        row = session.execute(
            select(Article.id, Article.story_id)
            .join(ArticleVersion, ArticleVersion.id == Article.current_version_id)
            .where(ArticleVersion.content_hash == new.content_hash, Article.id != new.article_id,
                   Article.story_id.is_not(None))
            .order_by(Article.id).limit(1)).first()
        if row is None or row.story_id is None:
            return None
        return Match(row.id, row.story_id, 1.0)

    def _matches(self, session: Session, new: NewText, signature: Signature | None) -> list[Match]:
        """The verified matches among the band candidates, best first."""
        if signature is None:
            return []
        thresholds = self.thresholds(session)
        params: dict[str, int] = {"article_id": new.article_id}
        for i, (band, value) in enumerate(signature.bands()):
            params[f"b{i}"], params[f"h{i}"] = band, value
        candidates = [row[0] for row in session.execute(_CANDIDATES, params)]
        if not candidates:
            return []
        scores = {}
        for other in session.scalars(select(StorySignature).where(StorySignature.article_id.in_(candidates))):
            score = similarity(signature, other, thresholds)
            if score is not None:
                scores[other.article_id] = round(score, 4)
        if not scores:
            return []
        stories = session.execute(select(Article.id, Article.story_id).where(Article.id.in_(scores)))
        found = [Match(article_id, story_id, scores[article_id]) for article_id, story_id in stories
                 if story_id is not None]
        return sorted(found, key=lambda m: (-m.similarity, m.article_id))

    # -- writing the story ----------------------------------------------------------------------
    # Core statements, not ORM objects: a flush per new article cost more than the whole check.
    @staticmethod
    def _start_story(session: Session, new: NewText) -> None:
        story_id = session.scalar(insert(Story).values(
            first_article_id=new.article_id, first_published_at=new.published_at, first_seen=new.first_seen,
            last_seen=new.first_seen, article_count=1).returning(Story.id))
        session.execute(update(Article).where(Article.id == new.article_id)
                        .values(story_id=story_id, story_similarity=None))

    @staticmethod
    def _join_story(session: Session, new: NewText, match: Match) -> None:
        story = session.execute(select(Story.first_seen, Story.last_seen, Story.first_published_at)
                                .where(Story.id == match.story_id)).first()
        if story is None:  # the match's story row is missing (a damaged archive): start afresh
            StoryLinker._start_story(session, new)
            return
        values: dict[str, object] = {"article_count": Story.article_count + 1,
                                     "first_seen": min(story.first_seen, new.first_seen),
                                     "last_seen": max(story.last_seen, new.first_seen)}
        if new.published_at is not None and (story.first_published_at is None
                                             or new.published_at < story.first_published_at):
            values.update(first_article_id=new.article_id, first_published_at=new.published_at)
        session.execute(update(Story).where(Story.id == match.story_id).values(values))
        session.execute(update(Article).where(Article.id == new.article_id)
                        .values(story_id=match.story_id, story_similarity=match.similarity))


def _merge(session: Session, into: int, stories: set[int]) -> None:
    """Fold ``stories`` into story ``into`` and recompute its figures from its articles."""
    session.execute(update(Article).where(Article.story_id.in_(stories)).values(story_id=into))
    session.execute(delete(Story).where(Story.id.in_(stories)))
    count, first_seen, last_seen = session.execute(
        select(func.count(), func.min(Article.first_seen), func.max(Article.first_seen))
        .where(Article.story_id == into)).one()
    first_id, published = session.execute(
        select(Article.id, ArticleVersion.published_at)
        .outerjoin(ArticleVersion, ArticleVersion.id == Article.current_version_id)
        .where(Article.story_id == into)
        .order_by(ArticleVersion.published_at.is_(None), ArticleVersion.published_at, Article.first_seen, Article.id)
        .limit(1)).one()
    session.execute(update(Story).where(Story.id == into).values(
        article_count=count, first_seen=first_seen, last_seen=last_seen, first_article_id=first_id,
        first_published_at=published))


def similarity(new: Signature, other: StorySignature, thresholds: StoryThresholds) -> float | None:
    """The estimated similarity of two texts when it is high enough to share a story, else None:
    their Jaccard, or for a truncated copy (leads alike) the containment of the shorter text."""
    jaccard = agreement(new.minhash, other.minhash)
    if jaccard >= thresholds.similarity:
        return jaccard
    if agreement(new.lead, other.lead) >= LEAD_AGREEMENT:
        contained = containment(jaccard, new.shingles, other.shingles)
        if contained >= thresholds.containment:
            return contained
    return None


# Leads "alike": half their shingles shared. A truncated copy shares its whole lead (a dateline
# or a changed first word lowers that a little); unrelated articles share almost none of theirs.
LEAD_AGREEMENT = 0.5
__all__ = ["Match", "NewText", "StoryLinker", "similarity"]

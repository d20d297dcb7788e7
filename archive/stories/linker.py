"""The story check run on each new article text, inside the store's transaction.

A new article joins the story of its best match among the archive's other articles, else starts
a story of its own:

1. exact copy: another article's current version has the same content hash (similarity 1.0);
2. else the LSH bands (``archive.stories.signature``) name the candidates, by index lookups only
   (``ix_story_bands_band_hash``), so the cost stays flat as the archive grows; each candidate is
   verified on its stored signature: estimated Jaccard ≥ ``similarity`` (syndicated copies,
   edited rewrites), or leads alike and estimated containment ≥ ``containment`` (truncated copies).

The best match's story is joined; stories are never merged by a chain of matches, so one false
link cannot glue two stories together. What is signed is the article's current version: an edit
replaces the signature and bands (later articles are compared with the text as it is now) and
leaves the article in its story: it was a pickup when it was published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from archive.db.models import Article, ArticleVersion, Story, StoryBand, StorySignature
from archive.stories.signature import Signature, agreement, containment
from archive.stories.thresholds import StoryThresholds

MAX_CANDIDATES = 24  # the articles sharing the most bands; a story's copies are the first ones


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
        story, join or start one. Returns the match it joined, if any."""
        story_id = None
        if not is_new:
            story_id = session.scalar(select(Article.story_id).where(Article.id == new.article_id))
            session.execute(delete(StoryBand).where(StoryBand.article_id == new.article_id))
            session.execute(delete(StorySignature).where(StorySignature.article_id == new.article_id))
        signature = Signature.of(new.text)
        match = None
        if story_id is None:
            match = self._exact_copy(session, new) or self._best_match(session, new, signature)
        if signature is not None:
            session.add(StorySignature(article_id=new.article_id, version_id=new.version_id,
                                       shingles=signature.shingles, minhash=signature.minhash, lead=signature.lead))
            session.execute(insert(StoryBand), [{"band": band, "hash": value, "article_id": new.article_id}
                                                for band, value in signature.bands()])
        if story_id is None:
            if match is None:
                self._start_story(session, new)
            else:
                self._join_story(session, new, match)
        return match

    # -- finding the match ------------------------------------------------------------------
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

    def _best_match(self, session: Session, new: NewText, signature: Signature | None) -> Match | None:
        if signature is None:
            return None
        thresholds = self.thresholds(session)
        shared = func.count().label("shared")
        candidates = [row[0] for row in session.execute(
            select(StoryBand.article_id, shared)
            .where(tuple_(StoryBand.band, StoryBand.hash).in_(signature.bands()),
                   StoryBand.article_id != new.article_id)
            .group_by(StoryBand.article_id).order_by(shared.desc(), StoryBand.article_id)
            .limit(MAX_CANDIDATES))]
        if not candidates:
            return None
        best: tuple[float, int] | None = None
        for other in session.scalars(select(StorySignature).where(StorySignature.article_id.in_(candidates))):
            score = similarity(signature, other, thresholds)
            if score is not None and (best is None or (score, -other.article_id) > (best[0], -best[1])):
                best = (score, other.article_id)
        if best is None:
            return None
        story_id = session.scalar(select(Article.story_id).where(Article.id == best[1]))
        return None if story_id is None else Match(best[1], story_id, round(best[0], 4))

    # -- writing the story ----------------------------------------------------------------------
    @staticmethod
    def _start_story(session: Session, new: NewText) -> None:
        story = Story(first_article_id=new.article_id, first_published_at=new.published_at,
                      first_seen=new.first_seen, last_seen=new.first_seen, article_count=1)
        session.add(story)
        session.flush()
        session.execute(update(Article).where(Article.id == new.article_id)
                        .values(story_id=story.id, story_similarity=None))

    @staticmethod
    def _join_story(session: Session, new: NewText, match: Match) -> None:
        story = session.get(Story, match.story_id)
        if story is None:  # the match's story row is missing (a damaged archive): start afresh
            StoryLinker._start_story(session, new)
            return
        story.article_count += 1
        story.first_seen = min(story.first_seen, new.first_seen)
        story.last_seen = max(story.last_seen, new.first_seen)
        if new.published_at is not None and (story.first_published_at is None
                                             or new.published_at < story.first_published_at):
            story.first_article_id, story.first_published_at = new.article_id, new.published_at
        session.execute(update(Article).where(Article.id == new.article_id)
                        .values(story_id=match.story_id, story_similarity=match.similarity))


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

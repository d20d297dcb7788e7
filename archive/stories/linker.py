"""The story check run on each new article text, inside the store's transaction.

A new article joins the story of its best match among the archive's other articles, else starts
a story of its own:

1. exact copy: another article's current version has the same content hash (similarity 1.0);
2. else the LSH bands (``archive.stories.signature``) name the candidates, by index lookups only
   (``ix_story_bands_band_hash``), so the cost does not grow with the archive as such, only with
   the rows sharing a band with the text (bench/stories.py's generated articles, whose leads come
   from one pool of sentences, share ~34 band rows at 10k articles and ~430 at 100k: ~1 µs each
   on SQLite); each candidate is verified on its stored signature: estimated Jaccard ≥
   ``similarity`` (syndicated copies, edited rewrites), or leads alike and estimated containment
   ≥ ``containment`` (truncated copies).

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

from sqlalchemy import Connection, Select, Table, and_, bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from archive.db.models import Article, ArticleVersion, Story, StoryBand, StorySignature
from archive.stories.signature import BAND_COUNT, Signature, agreement, containment
from archive.stories.thresholds import StoryThresholds

MAX_CANDIDATES = 24  # the articles sharing the most bands; a story's copies come first

# The check's statements are Core statements on the tables, built once with bound parameters and
# run on the session's connection: each check then only binds values and reuses the compiled SQL.
# Built per check, through the ORM, the SQLAlchemy work cost more than the check's SQL and signing
# together (~60-80 µs a statement against ~20 µs, ORM bulk/sync paths included).
_ARTICLES = cast(Table, Article.__table__)
_VERSIONS = cast(Table, ArticleVersion.__table__)
_STORIES = cast(Table, Story.__table__)
_SIGNATURES = cast(Table, StorySignature.__table__)
_BANDS = cast(Table, StoryBand.__table__)


def _exact_copy_query() -> Select[int, int | None]:
    """Another article whose current version has the text's content hash, with a story. Joined on
    the version's article as well: without that, PostgreSQL walked every article in id order
    (articles.current_version_id has no index), ~10 ms at 100k articles."""
    a, v = _ARTICLES.c, _VERSIONS.c
    return (select(a.id, a.story_id).join(_VERSIONS, and_(v.article_id == a.id, v.id == a.current_version_id))
            .where(v.content_hash == bindparam("content_hash"), a.id != bindparam("article_id"),
                   a.story_id.is_not(None))
            .order_by(a.id).limit(1))


def _candidates_query() -> Select[int, int | None, int, bytes, bytes]:
    """The articles sharing the most bands with a text, with their story and stored signature, in
    one statement. One ``band = ? AND hash = ?`` term per band: SQLite uses the (band, hash) index
    for that, not for a row-value IN."""
    bands = _BANDS.c
    shared = func.count().label("shared")
    terms = [and_(bands.band == bindparam(f"b{i}"), bands.hash == bindparam(f"h{i}")) for i in range(BAND_COUNT)]
    best = (select(bands.article_id, shared).where(or_(*terms), bands.article_id != bindparam("article_id"))
            .group_by(bands.article_id).order_by(shared.desc(), bands.article_id).limit(MAX_CANDIDATES)
            .subquery("candidates"))
    sig = _SIGNATURES.c
    return (select(best.c.article_id, _ARTICLES.c.story_id, sig.shingles, sig.minhash, sig.lead)
            .join(_SIGNATURES, sig.article_id == best.c.article_id)
            .join(_ARTICLES, _ARTICLES.c.id == best.c.article_id))


_EXACT_COPY = _exact_copy_query()
_CANDIDATES = _candidates_query()
_INSERT_SIGNATURE = insert(_SIGNATURES)
# A text's band rows. SQLite takes them fastest as an executemany of the one-row INSERT (~0.36 ms
# CPU at 10k articles, the multi-row one ~0.47); PostgreSQL as one multi-row INSERT taking the
# candidate query's parameters (~0.33 ms, the executemany ~0.66). The latter is text(): SQLAlchemy
# does not cache a multi-row insert() and would compile it on every check (~2 ms).
_INSERT_BAND = insert(_BANDS)
_INSERT_BANDS = text(f"INSERT INTO {_BANDS.name} (band, hash, article_id) VALUES "
                     + ", ".join(f"(:b{i}, :h{i}, :article_id)" for i in range(BAND_COUNT)))
_INSERT_STORY = insert(_STORIES).returning(_STORIES.c.id)
_SET_STORY = (update(_ARTICLES).where(_ARTICLES.c.id == bindparam("article_id"))
              .values(story_id=bindparam("story_id"), story_similarity=bindparam("similarity")))


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
        story, join or start one. Returns the best match, whose story it joined, if any.

        Writes through the session's connection, not its ORM objects: an ``Article`` already loaded
        in ``session`` keeps its old ``story_id`` until it is expired (the commit does)."""
        thresholds = self.thresholds(session)
        session.flush()  # what the session holds is visible to the statements below (no autoflush)
        conn = session.connection()
        story_id = None
        if not is_new:
            story_id = conn.scalar(select(_ARTICLES.c.story_id).where(_ARTICLES.c.id == new.article_id))
            conn.execute(delete(_BANDS).where(_BANDS.c.article_id == new.article_id))
            conn.execute(delete(_SIGNATURES).where(_SIGNATURES.c.article_id == new.article_id))
        signature = Signature.of(new.text)
        bands = signature.bands() if signature is not None else []
        params = _band_params(new.article_id, bands)
        matches: list[Match] = []
        if story_id is None:
            exact = _exact_copy(conn, new)
            matches = [exact] if exact is not None else _matches(conn, signature, params, thresholds)
        if signature is not None:
            conn.execute(_INSERT_SIGNATURE, {"article_id": new.article_id, "version_id": new.version_id,
                                             "shingles": signature.shingles, "minhash": signature.minhash,
                                             "lead": signature.lead})
            _insert_bands(conn, new.article_id, bands, params)
        if story_id is not None:
            return None
        if not matches:
            _start_story(conn, new)
            return None
        best = matches[0]
        _join_story(conn, new, best)
        bridged = {m.story_id for m in matches} - {best.story_id}
        if bridged:  # the new text is a copy of articles in several stories: they were one all along
            _merge(conn, best.story_id, bridged)
        return best


# -- finding the matches ----------------------------------------------------------------------
def _exact_copy(conn: Connection, new: NewText) -> Match | None:
    row = conn.execute(_EXACT_COPY, {"content_hash": new.content_hash, "article_id": new.article_id}).first()
    if row is None or row.story_id is None:
        return None
    return Match(row.id, row.story_id, 1.0)


def _band_params(article_id: int, bands: list[tuple[int, int]]) -> dict[str, int]:
    """The parameters of ``_CANDIDATES`` and ``_INSERT_BANDS``: the text's bands and its article."""
    params = {"article_id": article_id}
    for i, (band, value) in enumerate(bands):
        params[f"b{i}"], params[f"h{i}"] = band, value
    return params


def _matches(conn: Connection, signature: Signature | None, params: dict[str, int],
             thresholds: StoryThresholds) -> list[Match]:
    """The verified matches among the band candidates, best first."""
    if signature is None:
        return []
    found = []
    for article_id, story_id, shingles, minhash, lead in conn.execute(_CANDIDATES, params):
        if story_id is None:
            continue
        score = similarity(signature, Signature(shingles, minhash, lead), thresholds)
        if score is not None:
            found.append(Match(article_id, story_id, round(score, 4)))
    return sorted(found, key=lambda m: (-m.similarity, m.article_id))


# -- writing the signature and the story -----------------------------------------------------------
def _insert_bands(conn: Connection, article_id: int, bands: list[tuple[int, int]], params: dict[str, int]) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(_INSERT_BAND, [{"band": band, "hash": value, "article_id": article_id} for band, value in bands])
    else:
        conn.execute(_INSERT_BANDS, params)


def _start_story(conn: Connection, new: NewText) -> None:
    story_id = conn.scalar(_INSERT_STORY, {
        "first_article_id": new.article_id, "first_published_at": new.published_at,
        "first_seen": new.first_seen, "last_seen": new.first_seen, "article_count": 1})
    conn.execute(_SET_STORY, {"article_id": new.article_id, "story_id": story_id, "similarity": None})


def _join_story(conn: Connection, new: NewText, match: Match) -> None:
    s = _STORIES.c
    story = conn.execute(select(s.first_seen, s.last_seen, s.first_published_at)
                         .where(s.id == match.story_id)).first()
    if story is None:  # the match's story row is missing (a damaged archive): start afresh
        _start_story(conn, new)
        return
    values: dict[str, object] = {"article_count": s.article_count + 1,
                                 "first_seen": min(story.first_seen, new.first_seen),
                                 "last_seen": max(story.last_seen, new.first_seen)}
    if new.published_at is not None and (story.first_published_at is None
                                         or new.published_at < story.first_published_at):
        values.update(first_article_id=new.article_id, first_published_at=new.published_at)
    conn.execute(update(_STORIES).where(s.id == match.story_id).values(values))
    conn.execute(_SET_STORY, {"article_id": new.article_id, "story_id": match.story_id,
                              "similarity": match.similarity})


def _merge(conn: Connection, into: int, stories: set[int]) -> None:
    """Fold ``stories`` into story ``into`` and recompute its figures from its articles."""
    a, v, s = _ARTICLES.c, _VERSIONS.c, _STORIES.c
    conn.execute(update(_ARTICLES).where(a.story_id.in_(stories)).values(story_id=into))
    conn.execute(delete(_STORIES).where(s.id.in_(stories)))
    count, first_seen, last_seen = conn.execute(
        select(func.count(), func.min(a.first_seen), func.max(a.first_seen)).where(a.story_id == into)).one()
    first_id, published = conn.execute(
        select(a.id, v.published_at)
        .select_from(_ARTICLES.outerjoin(_VERSIONS, v.id == a.current_version_id))
        .where(a.story_id == into)
        .order_by(v.published_at.is_(None), v.published_at, a.first_seen, a.id)
        .limit(1)).one()
    conn.execute(update(_STORIES).where(s.id == into).values(
        article_count=count, first_seen=first_seen, last_seen=last_seen, first_article_id=first_id,
        first_published_at=published))


def similarity(new: Signature, other: Signature, thresholds: StoryThresholds) -> float | None:
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

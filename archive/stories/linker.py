"""The story check run on each new article text, inside the store's transaction.

A new article joins the story of its best match among the archive's other articles, else starts
a story of its own:

1. exact copy: another article's current version has the same content hash (similarity 1.0);
2. else the LSH bands (``archive.stories.signature``) name the candidates, by range scans of the
   ``story_bands`` key (band, hash, article_id): per band of the text, the ``BUCKET_LIMIT`` most
   recent articles of its (band, hash) bucket, counted per article, the ``MAX_CANDIDATES`` sharing
   the most bands (the most recent first among equals). A bucket shared by very many articles is
   boilerplate (a newsletter prompt, an outlet's standard opening), not evidence, and read in
   full it made the cost grow with the archive (bench/stories.py's generated articles, whose leads
   come from one pool of sentences, shared ~34 band rows with a new text at 10k articles and ~430
   at 100k). Story copies are published close in time, so the most recent members of a hot bucket
   are the ones that matter, and a true copy also shares the buckets of its own text, which are
   small: an older article's copy is still found through those. So a check reads at most
   50 × ``BUCKET_LIMIT`` index entries and verifies at most ``MAX_CANDIDATES`` signatures, whatever
   the archive's size; only the B-tree depth grows, and the share of those pages that are no
   longer in SQLite's cache. bench/stories.py, SQLite, median CPU per check, its sizes probed
   interleaved: 0.83 / 1.41 / 1.22 ms at 10k / 100k / 300k articles (2.2 / 3.3 / 3.0 before
   revision 0011, the prepared statements and the late story lookup, in a slower hour). At 100k:
   signing ~0.28 ms, candidate query and verification ~0.5 (much of it reading pages SQLite no
   longer caches), band inserts ~0.15, the rest under 0.06 each.
   Each candidate is verified on its stored signature: estimated Jaccard ≥ ``similarity``
   (syndicated copies, edited rewrites), or leads alike and estimated containment ≥
   ``containment`` (truncated copies).

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
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from archive.db.models import Article, ArticleVersion, Story, StoryBand, StorySignature
from archive.db.prepared import PreparedStatement
from archive.stories.signature import BAND_COUNT, Signature, agreement, containment
from archive.stories.thresholds import StoryThresholds

MAX_CANDIDATES = 24  # the articles sharing the most bands; a story's copies come first
# The most recent articles taken from one (band, hash) bucket. A bucket shared by very many articles
# is boilerplate (a newsletter prompt, an outlet's standard lead), not evidence; reading all of it
# made the check's cost grow with the archive. A story's copies are published close in time, so
# the most recent members of a hot bucket are the relevant ones, and a true copy shares more
# buckets than the boilerplate one (its own text's), which are small.
BUCKET_LIMIT = 32

# The check's statements are Core statements on the tables, built once with bound parameters and
# run on the session's connection: each check then only binds values and reuses the compiled SQL.
# Built per check, through the ORM, the SQLAlchemy work cost more than the check's SQL and signing
# together (~60-80 µs a statement against ~20 µs, ORM bulk/sync paths included). The hottest ones
# go further (``archive.db.prepared``): compiled once per dialect, run on the driver's cursor.
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


def _candidates_query() -> Select[int, int, bytes, bytes]:
    """The articles sharing the most bands with a text, with their stored signature, in one
    statement (their stories are read for the verified ones only: most checks verify none, and
    the candidates' article rows are pages the check would read for nothing): per band of the
    text, the ``BUCKET_LIMIT`` most recent articles in its (band, hash) bucket (a range scan of
    the table's key each, read backwards), all of them counted per article. One sub-select per
    band: SQLite uses the key for ``band = ? AND hash = ?``, not for a row-value IN, and a
    compound select takes ORDER BY/LIMIT only in a sub-query (50 arms; SQLite allows 500)."""
    bands = _BANDS.c
    arms = [select(bands.article_id)
            .where(bands.band == bindparam(f"b{i}"), bands.hash == bindparam(f"h{i}"),
                   bands.article_id != bindparam("article_id"))
            .order_by(bands.article_id.desc()).limit(literal_column(str(BUCKET_LIMIT), Integer)).subquery(f"bucket{i}")
            for i in range(BAND_COUNT)]
    rows = union_all(*(select(arm.c.article_id) for arm in arms)).subquery("rows")
    shared = func.count().label("shared")
    best = (select(rows.c.article_id, shared).group_by(rows.c.article_id)
            .order_by(shared.desc(), rows.c.article_id.desc()).limit(MAX_CANDIDATES)
            .subquery("candidates"))
    sig = _SIGNATURES.c
    return (select(best.c.article_id, sig.shingles, sig.minhash, sig.lead)
            .join(_SIGNATURES, sig.article_id == best.c.article_id))


_EXACT_COPY = PreparedStatement(_exact_copy_query())
_CANDIDATES = PreparedStatement(_candidates_query())
# PostgreSQL: the same, the text's bands as two arrays, one LATERAL index scan per band. psycopg
# parses a statement's placeholders on every run once it has more than 50 (the 50 sub-selects'
# 101: ~0.6 ms CPU a check) and caches that work for shorter ones.
_PG_CANDIDATES = PreparedStatement(text(f"""
    SELECT candidates.article_id, sig.shingles, sig.minhash, sig.lead
    FROM (SELECT bucket.article_id, count(*) AS shared
          FROM unnest(CAST(:bands AS INTEGER[]), CAST(:hashes AS BIGINT[])) AS text_bands (band, hash)
          CROSS JOIN LATERAL (
              SELECT article_id FROM {_BANDS.name}
              WHERE band = text_bands.band AND hash = text_bands.hash AND article_id != :article_id
              ORDER BY article_id DESC LIMIT {BUCKET_LIMIT}) AS bucket
          GROUP BY bucket.article_id ORDER BY shared DESC, bucket.article_id DESC LIMIT {MAX_CANDIDATES}
         ) AS candidates
    JOIN {_SIGNATURES.name} AS sig ON sig.article_id = candidates.article_id"""))
_INSERT_SIGNATURE = PreparedStatement(insert(_SIGNATURES).values(
    {name: bindparam(name) for name in ("article_id", "version_id", "shingles", "minhash", "lead")}))
# A text's band rows. SQLite takes them fastest as an executemany of the one-row INSERT (~0.36 ms
# CPU at 10k articles, the multi-row one ~0.47, measured with 58 rows a text before revision 0011);
# PostgreSQL as one INSERT of the arrays the candidate query takes (a multi-row VALUES list has
# 151 placeholders, which psycopg parses anew on every run).
_INSERT_BAND = PreparedStatement(insert(_BANDS).values(
    {name: bindparam(name) for name in ("band", "hash", "article_id")}))
_PG_INSERT_BANDS = PreparedStatement(text(
    f"INSERT INTO {_BANDS.name} (band, hash, article_id) SELECT band, hash, :article_id "
    "FROM unnest(CAST(:bands AS INTEGER[]), CAST(:hashes AS BIGINT[])) AS text_bands (band, hash)"))
# An edited article's old bands, found by their keys (recomputed from its stored signature): the
# table is keyed by (band, hash, article_id) alone, with no index on article_id to keep up on
# every insert for the rare edit.
_DELETE_BAND = PreparedStatement(delete(_BANDS).where(
    _BANDS.c.band == bindparam("band"), _BANDS.c.hash == bindparam("hash"),
    _BANDS.c.article_id == bindparam("article_id")))
_PG_DELETE_BANDS = PreparedStatement(text(
    f"DELETE FROM {_BANDS.name} USING unnest(CAST(:bands AS INTEGER[]), CAST(:hashes AS BIGINT[])) "
    f"AS text_bands (band, hash) WHERE {_BANDS.name}.band = text_bands.band "
    f"AND {_BANDS.name}.hash = text_bands.hash AND {_BANDS.name}.article_id = :article_id"))
_OLD_SIGNATURE = PreparedStatement(select(_SIGNATURES.c.shingles, _SIGNATURES.c.minhash, _SIGNATURES.c.lead)
                                  .where(_SIGNATURES.c.article_id == bindparam("article_id")))
_DELETE_SIGNATURE = PreparedStatement(delete(_SIGNATURES).where(_SIGNATURES.c.article_id == bindparam("article_id")))
_INSERT_STORY = PreparedStatement(insert(_STORIES).values(
    {name: bindparam(name) for name in ("first_article_id", "first_published_at", "first_seen", "last_seen",
                                        "article_count")}).returning(_STORIES.c.id))
_SET_STORY = PreparedStatement(update(_ARTICLES).where(_ARTICLES.c.id == bindparam("article_id"))
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
            _unsign(conn, new.article_id)
        signature = Signature.of(new.text)
        bands = signature.bands() if signature is not None else []
        params = _band_params(conn, new.article_id, bands)
        matches: list[Match] = []
        if story_id is None:
            exact = _exact_copy(conn, new)
            matches = [exact] if exact is not None else _matches(conn, signature, params, thresholds)
        if signature is not None:
            _INSERT_SIGNATURE.run(conn, {"article_id": new.article_id, "version_id": new.version_id,
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
    row = _EXACT_COPY.first(conn, {"content_hash": new.content_hash, "article_id": new.article_id})
    if row is None or row[1] is None:
        return None
    return Match(row[0], row[1], 1.0)


def _band_params(conn: Connection, article_id: int, bands: list[tuple[int, int]]) -> dict[str, Any]:
    """The parameters of the candidate query and the band insert: the text's bands and its article
    (PostgreSQL: as two arrays)."""
    params: dict[str, Any] = {"article_id": article_id}
    if conn.dialect.name == "postgresql":
        params["bands"], params["hashes"] = [band for band, _ in bands], [value for _, value in bands]
        return params
    for i, (band, value) in enumerate(bands):
        params[f"b{i}"], params[f"h{i}"] = band, value
    return params


def _matches(conn: Connection, signature: Signature | None, params: dict[str, Any],
             thresholds: StoryThresholds) -> list[Match]:
    """The verified matches among the band candidates, best first."""
    if signature is None:
        return []
    scores = {}
    candidates = _PG_CANDIDATES if conn.dialect.name == "postgresql" else _CANDIDATES
    for article_id, shingles, minhash, lead in candidates.rows(conn, params):
        score = similarity(signature, Signature(shingles, minhash, lead), thresholds)
        if score is not None:
            scores[article_id] = round(score, 4)
    if not scores:
        return []
    stories = conn.execute(select(_ARTICLES.c.id, _ARTICLES.c.story_id)
                           .where(_ARTICLES.c.id.in_(scores), _ARTICLES.c.story_id.is_not(None)))
    found = [Match(article_id, story_id, scores[article_id]) for article_id, story_id in stories]
    return sorted(found, key=lambda m: (-m.similarity, m.article_id))


# -- writing the signature and the story -----------------------------------------------------------
def _for_each_band(conn: Connection, one_row: PreparedStatement, as_arrays: PreparedStatement, article_id: int,
                   bands: list[tuple[int, int]], params: dict[str, Any]) -> None:
    """Run a statement on each of an article's band rows: SQLite as an executemany of the one-row
    statement, PostgreSQL as one statement over the arrays ``_band_params`` gives (``params``)."""
    if conn.dialect.name == "postgresql":
        as_arrays.run(conn, params)
    else:
        one_row.run_many(conn, [{"band": band, "hash": value, "article_id": article_id} for band, value in bands])


def _insert_bands(conn: Connection, article_id: int, bands: list[tuple[int, int]], params: dict[str, Any]) -> None:
    _for_each_band(conn, _INSERT_BAND, _PG_INSERT_BANDS, article_id, bands, params)


def _unsign(conn: Connection, article_id: int) -> None:
    """Remove an article's signature and its bands (before its edited text is signed)."""
    old = _OLD_SIGNATURE.first(conn, {"article_id": article_id})
    if old is None:
        return
    bands = Signature(*old).bands()
    _for_each_band(conn, _DELETE_BAND, _PG_DELETE_BANDS, article_id, bands, _band_params(conn, article_id, bands))
    _DELETE_SIGNATURE.run(conn, {"article_id": article_id})


def _start_story(conn: Connection, new: NewText) -> None:
    (story_id,), = _INSERT_STORY.rows(conn, {
        "first_article_id": new.article_id, "first_published_at": new.published_at,
        "first_seen": new.first_seen, "last_seen": new.first_seen, "article_count": 1})
    _SET_STORY.run(conn, {"article_id": new.article_id, "story_id": story_id, "similarity": None})


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
    _SET_STORY.run(conn, {"article_id": new.article_id, "story_id": match.story_id,
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
    # the containment first: it is arithmetic, the leads' agreement is not, and most candidates
    # (buckets shared by chance or by boilerplate) fail it
    contained = containment(jaccard, new.shingles, other.shingles)
    if contained >= thresholds.containment and agreement(new.lead, other.lead) >= LEAD_AGREEMENT:
        return contained
    return None


# Leads "alike": half their shingles shared. A truncated copy shares its whole lead (a dateline
# or a changed first word lowers that a little); unrelated articles share almost none of theirs.
LEAD_AGREEMENT = 0.5
__all__ = ["Match", "NewText", "StoryLinker", "similarity"]

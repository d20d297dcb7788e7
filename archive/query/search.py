"""Full-text search over the archive: ranked articles with highlighted snippets, filters and facets.

One ``search()`` for both backends. The user's query is parsed by ``archive.query.syntax`` and only
its rendering (``archive.query.matching``) reaches the database: an FTS5 MATCH string on SQLite
(ranked by ``bm25``, snippets by ``snippet()``), a tsquery built from bound parameters on PostgreSQL
(``ts_rank``, ``ts_headline``), plus SQL conditions for what neither can say (outlets, CJK substrings
in the second, substring index, ``a OR -b`` on FTS5).
Highlights are marked with ``HIGHLIGHT`` on both. A search hits an article through its *current*
version, so every article appears at most once. A blank query lists the articles matching the
filters, newest first (publication date, else first seen).

A search looks at no more than the newest ``COUNT_CAP`` matching articles (newest by current-version
id: the texts stored last). Up to that many, ``total``, the facets and the ranking are exact. Past it,
``total_capped`` is set, ``total`` is ``COUNT_CAP`` ("5,000+"), and facets and ranking cover the
newest ``COUNT_CAP`` matches, so the best bm25 match among older articles of a very broad query is
not on the first page. Why: on a million articles one common word matches hundreds of thousands of
texts, and scoring, joining and counting every one of them took 0.3–2 s on SQLite; FTS5 walks its
matches newest first and can stop (bench/archive_scale.py has the figures). Narrow the query or add
filters to see further back.

Stories (clusters of syndicated copies) do not exist in the schema yet, so there is no story filter.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Engine,
    and_,
    exists,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import Join

from archive.db import fts
from archive.db.models import Article, ArticleVersion, Outlet
from archive.db.session import reading
from archive.errors import ConfigError, DatabaseError
from archive.query import matching
from archive.query.matching import FTS as _FTS
from archive.query.matching import FTS_NAME as _FTS_NAME
from archive.query.snippets import substring_snippet
from archive.query.syntax import Query, parse

HIGHLIGHT = ("⟦", "⟧")  # around matched words in snippets; rare in press text, easy to turn into <mark>
ELLIPSIS = "…"
COUNT_CAP = 5_000
SNIPPET_WORDS = 32
LISTING_SNIPPET_CHARS = 240
_WEIGHTS = (10.0, 5.0, 1.0)  # bm25 column weights: title, authors, text


@dataclass(frozen=True)
class SearchFilters:
    outlet: str | None = None  # outlet name, case-insensitive
    author: str | None = None  # substring of any author of the current version, case-insensitive
    published_from: datetime | None = None  # from inclusive, to exclusive (naive = UTC)
    published_to: datetime | None = None
    seen_from: datetime | None = None  # the article's first_seen
    seen_to: datetime | None = None
    language: str | None = None  # "en" also matches "en-GB"
    has_versions: bool | None = None  # True: edited (more than one version); False: never edited


@dataclass(frozen=True)
class SearchHit:
    article_id: int
    title: str | None
    url: str
    outlet: str | None
    published_at: datetime | None
    first_seen: datetime
    snippet: str
    rank: float  # higher is better; 0.0 when listing without a query
    versions: int


@dataclass(frozen=True)
class SearchResult:
    hits: list[SearchHit]
    total: int
    facets: dict[str, dict[str, int]]  # {"outlet": {name: n}, "month": {"2026-11": n}}
    total_capped: bool = field(default=False)  # total (and facets) stopped at COUNT_CAP
    warnings: tuple[str, ...] = field(default=())  # syntax read differently than typed (Query.warnings)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _published_conditions(low: datetime | None, high: datetime | None) -> list[ColumnElement[bool]]:
    """Publication bounds on the local day the page printed (``published_day``), so an article
    filed at 23:30 in Los Angeles counts on that day, not on the next UTC day; versions stored
    before that column existed are compared by their instant. A bound at midnight is a day
    boundary; one with a time of day includes that whole day."""
    conds: list[ColumnElement[bool]] = []
    day, instant = ArticleVersion.published_day, ArticleVersion.published_at
    if low is not None:
        conds.append(or_(day >= low.date().isoformat(), and_(day.is_(None), instant >= _utc(low))))
    if high is not None:
        at_midnight = (high.hour, high.minute, high.second, high.microsecond) == (0, 0, 0, 0)
        by_day = day < high.date().isoformat() if at_midnight else day <= high.date().isoformat()
        conds.append(or_(by_day, and_(day.is_(None), instant < _utc(high))))
    return conds


def _dialect(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise DatabaseError(f"search is not supported on {name}", hint="use SQLite or PostgreSQL")
    return name


def resolve_outlet(session: Session, name: str) -> int:
    """Outlet id by name (case-insensitive); ``ConfigError`` naming the known outlets otherwise."""
    outlets = dict(session.execute(select(Outlet.name, Outlet.id)).all())
    for known, oid in outlets.items():
        if known.casefold() == name.strip().casefold():
            return oid
    listed = ", ".join(sorted(outlets)[:10]) + (", …" if len(outlets) > 10 else "")
    raise ConfigError(f"unknown outlet {name!r}",
                      hint=f"known outlets: {listed}" if outlets else "the archive has no outlets yet")


def _condition(fragment: TextClause) -> ColumnElement[bool]:
    """A boolean SQL fragment as a WHERE condition: SQLAlchemy takes a ``TextClause`` wherever a
    condition goes, its type hints only say ``ColumnElement``."""
    return cast(ColumnElement[bool], fragment)


def filter_conditions(session: Session, dialect: str, flt: SearchFilters) -> list[ColumnElement[bool]]:
    """WHERE conditions over ``Article`` and its current ``ArticleVersion`` (joined by the caller)."""
    conds: list[ColumnElement[bool]] = []
    if flt.outlet:
        conds.append(Article.outlet_id == resolve_outlet(session, flt.outlet))
    if flt.author:
        pattern = "%" + flt.author.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        if dialect == "sqlite":  # LIKE folds ASCII case only (SQLite has no Unicode lower())
            conds.append(_condition(text(
                "EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(article_versions.authors) "
                "THEN article_versions.authors ELSE '[]' END) WHERE value LIKE :author_pattern ESCAPE '\\')"
            ).bindparams(author_pattern=pattern)))
        else:
            conds.append(_condition(text(
                "EXISTS (SELECT 1 FROM json_array_elements_text(CASE WHEN json_typeof(article_versions.authors)"
                " = 'array' THEN article_versions.authors ELSE '[]'::json END) AS author(name) "
                "WHERE author.name ILIKE :author_pattern ESCAPE '\\')").bindparams(author_pattern=pattern)))
    conds.extend(_published_conditions(flt.published_from, flt.published_to))
    for col, low, high in ((Article.first_seen, flt.seen_from, flt.seen_to),):
        if low is not None:
            conds.append(col >= _utc(low))
        if high is not None:
            conds.append(col < _utc(high))
    if flt.language:
        lang = flt.language.strip().lower()
        conds.append(or_(func.lower(ArticleVersion.language) == lang,
                         func.substr(func.lower(ArticleVersion.language), 1, len(lang) + 1) == lang + "-"))
    if flt.has_versions is not None:
        older = aliased(ArticleVersion)
        edited = exists().where(older.article_id == Article.id, older.id != Article.current_version_id)
        conds.append(edited if flt.has_versions else ~edited)
    return conds


def parse_query(query: str | Query) -> Query | None:
    """A query as ``search`` takes it: text (parsed; blank gives None) or an already parsed ``Query``,
    so callers that run one query many times (watchlists, reports) parse it once."""
    if isinstance(query, Query):
        return query
    return parse(query) if query.strip() else None


def article_condition(engine: Engine, session: Session, query: str | Query,
                      flt: SearchFilters) -> ColumnElement[bool]:
    """One condition selecting every article ``search`` matches, without a window (streaming export);
    expects ``Article`` joined to its current ``ArticleVersion``."""
    dialect = _dialect(engine)
    conds = filter_conditions(session, dialect, flt)
    parsed = parse_query(query)
    if parsed is not None:
        conds.append(matching.condition(parsed.root, dialect, lambda name: resolve_outlet(session, name),
                                        cjk_table=_cjk_table(session, dialect, parsed)))
    return and_(true(), *conds)


def _cjk_table(session: Session, dialect: str, parsed: Query) -> bool:
    if dialect != "sqlite" or not any(t.cjk for t in parsed.terms()):
        return True
    return fts.has_cjk_table(session.connection())


class _CrossJoin(Join):
    """A join SQLite must run left to right (``CROSS JOIN``); a plain JOIN elsewhere. Without it the
    planner would walk an outlet's or a date range's articles and probe FTS5 per article: seconds."""

    inherit_cache = True


@compiles(_CrossJoin, "sqlite")
def _compile_cross_join(join: _CrossJoin, compiler: Any, **kw: Any) -> str:
    kw["asfrom"] = True
    on = {k: v for k, v in kw.items() if k != "asfrom"}
    assert join.onclause is not None  # every _CrossJoin is built with its ON clause
    right = join.right._compiler_dispatch(compiler, **kw)
    if join.right is ArticleVersion.__table__:
        # The covering index answers published_at/language per match without reading the (large)
        # version row; SQLite would otherwise pick the rowid lookup, several times slower here.
        right += f" INDEXED BY {fts.VERSION_META_INDEX}"
    return (join.left._compiler_dispatch(compiler, **kw) + " CROSS JOIN " + right
            + " ON " + join.onclause._compiler_dispatch(compiler, **on))


def _month(dialect: str) -> Any:
    when = func.coalesce(ArticleVersion.published_at, Article.first_seen)
    return func.substr(when, 1, 7) if dialect == "sqlite" else func.to_char(when, "YYYY-MM")


def search(engine: Engine, query: str | Query, filters: SearchFilters = SearchFilters(), *, limit: int = 20,
           offset: int = 0, facets: bool = True) -> SearchResult:
    """Ranked articles for ``query`` (text in the syntax of ``archive.query.syntax``, or a parsed
    ``Query``) under ``filters``. ``SearchResult.warnings`` says what syntax was read as words."""
    dialect = _dialect(engine)
    parsed = parse_query(query)
    limit, offset = max(0, int(limit)), max(0, int(offset))
    with reading(engine, "searching the archive") as session:
        conds = filter_conditions(session, dialect, filters)
        if parsed is None:
            page, total, capped, facet_counts = _listing(session, dialect, conds, limit, offset, facets)
        else:
            page, total, capped, facet_counts = _ranked(session, dialect, parsed, conds, limit, offset, facets)
        hits = _hits(session, dialect, parsed, page)
    return SearchResult(hits=hits, total=total, facets=facet_counts if facets else {}, total_capped=capped,
                        warnings=parsed.warnings if parsed else ())


Counted = tuple[list[tuple[int, float]], int, bool, dict[str, dict[str, int]]]


def _ranked(session: Session, dialect: str, parsed: Query, conds: list[ColumnElement[bool]], limit: int,
            offset: int, facets: bool) -> Counted:
    """One pass over the newest COUNT_CAP + 1 matches: they give the total, the facets and the ranking.

    Without a part FTS5 can drive (only CJK substrings or outlets looked for, or ``a OR -b``), SQLite
    walks the articles newest first instead, and every hit ranks 0.0."""
    plan = matching.plan(parsed, dialect, lambda name: resolve_outlet(session, name),
                         cjk_table=_cjk_table(session, dialect, parsed))
    conds = [*conds, *plan.conditions]
    articles, versions = Article.__table__, ArticleVersion.__table__
    source: Join
    match: ColumnElement[bool] = true()
    relevance: Any = literal_column("0.0")
    if plan.fts5 is not None:  # FTS5 walks its matches newest first and stops at the window's end
        # bm25() is negative, better matches more so; it reads the MATCH of the same query.
        match, relevance = _FTS_NAME.op("MATCH")(plan.fts5), -func.bm25(_FTS_NAME, *_WEIGHTS)
        source = _CrossJoin(_CrossJoin(_FTS, articles, Article.current_version_id == _FTS.c.rowid),
                            versions, ArticleVersion.id == _FTS.c.rowid)
        newest = _FTS.c.rowid.desc()
    else:
        source = articles.join(versions, ArticleVersion.id == Article.current_version_id)
        newest = ArticleVersion.id.desc()
    columns = [Article.id, Article.outlet_id, _month(dialect).label("month")]
    conn = session.connection()  # Core rows, not ORM ones: the window can hold thousands
    window: list[Any]
    if dialect == "sqlite" or plan.rank_tsquery is None:
        window = list(conn.execute(select(*columns, relevance.label("score")).select_from(source)
                                   .where(match, *conds).order_by(newest).limit(COUNT_CAP + 1)))
    else:  # rank only the window: ts_rank reads the whole tsvector of every row it scores
        inner = (select(*columns, ArticleVersion.id.label("vid")).select_from(source).where(match, *conds)
                 .order_by(newest).limit(COUNT_CAP + 1).subquery())
        scored = versions.alias("scored")
        rank = func.ts_rank(literal_column(f"scored.{fts.PG_COLUMN}"), plan.rank_tsquery)
        window = list(conn.execute(select(inner.c.id, inner.c.outlet_id, inner.c.month, rank.label("score"))
                                   .select_from(inner.join(scored, scored.c.id == inner.c.vid))
                                   .order_by(inner.c.vid.desc())))  # the +1 row to drop stays last
    capped = len(window) > COUNT_CAP
    del window[COUNT_CAP:]
    best = heapq.nsmallest(offset + limit, window, key=lambda r: (-(r[3] or 0.0), -r[0]))[offset:]
    page = [(int(r[0]), float(r[3] or 0.0)) for r in best]
    groups = Counter((r[1], r[2]) for r in window) if facets else Counter()
    return page, len(window), capped, _facets(session, ((o, m, n) for (o, m), n in groups.items()))


def _listing(session: Session, dialect: str, conds: list[ColumnElement[bool]], limit: int, offset: int,
             facets: bool) -> Counted:
    """No query: the filtered articles newest first (publication date, else first seen).

    Sorting every candidate by coalesce(published_at, first_seen) meant reading all of an outlet's
    articles. Instead two index walks that stop early are merged: dated articles by the published_at
    index, and the (few) undated ones by first_seen. A second pass counts the newest COUNT_CAP + 1 by id."""
    articles, versions = Article.__table__, ArticleVersion.__table__
    want = offset + limit
    dated = (select(Article.id, ArticleVersion.published_at.label("key"))
             .select_from(_CrossJoin(versions, articles, Article.current_version_id == ArticleVersion.id))
             .where(ArticleVersion.published_at.is_not(None), *conds)
             .order_by(ArticleVersion.published_at.desc(), Article.id.desc()).limit(want))
    undated = (select(Article.id, Article.first_seen.label("key"))
               .select_from(_CrossJoin(versions, articles, Article.current_version_id == ArticleVersion.id))
               .where(ArticleVersion.published_at.is_(None), *conds)
               .order_by(Article.first_seen.desc(), Article.id.desc()).limit(want))
    conn = session.connection()
    merged = sorted([*conn.execute(dated), *conn.execute(undated)], key=lambda r: (r.key, r.id), reverse=True)
    page = [(int(r.id), 0.0) for r in merged[offset:want]]
    window = list(conn.execute(select(Article.outlet_id, _month(dialect))
                               .select_from(_CrossJoin(articles, versions,
                                                       ArticleVersion.id == Article.current_version_id))
                               .where(*conds).order_by(Article.id.desc()).limit(COUNT_CAP + 1)))
    capped = len(window) > COUNT_CAP
    del window[COUNT_CAP:]
    groups = Counter((o, m) for o, m in window) if facets else Counter()
    return page, len(window), capped, _facets(session, ((o, m, n) for (o, m), n in groups.items()))


def _facets(session: Session, groups: Iterable[tuple[int | None, str | None, int]]) -> dict[str, dict[str, int]]:
    """Per-outlet and per-month counts from (outlet_id, month, count) triples."""
    names = dict(session.execute(select(Outlet.id, Outlet.name)).all())
    by_outlet: dict[str, int] = {}
    by_month: dict[str, int] = {}
    for outlet_id, month, n in groups:
        name = names.get(outlet_id, "(none)") if outlet_id is not None else "(none)"
        by_outlet[name] = by_outlet.get(name, 0) + n
        by_month[str(month)] = by_month.get(str(month), 0) + n
    return {"outlet": dict(sorted(by_outlet.items(), key=lambda kv: (-kv[1], kv[0]))),
            "month": dict(sorted(by_month.items(), reverse=True))}


def _hits(session: Session, dialect: str, parsed: Query | None, page: list[tuple[int, float]]) -> list[SearchHit]:
    if not page:
        return []
    ids = [aid for aid, _ in page]
    other = aliased(ArticleVersion)
    n_versions = (select(func.count()).select_from(other).where(other.article_id == Article.id)
                  .correlate(Article).scalar_subquery())
    rows = {r.id: r for r in session.execute(
        select(Article.id, ArticleVersion.id.label("vid"), ArticleVersion.title, Article.canonical_url,
               Outlet.name.label("outlet"), ArticleVersion.published_at, Article.first_seen,
               n_versions.label("versions"))
        .join(ArticleVersion, ArticleVersion.id == Article.current_version_id)
        .outerjoin(Outlet, Outlet.id == Article.outlet_id).where(Article.id.in_(ids)))}
    snippets = _snippets(session, dialect, parsed, [rows[a].vid for a in ids if a in rows])
    return [SearchHit(article_id=aid, title=rows[aid].title, url=rows[aid].canonical_url, outlet=rows[aid].outlet,
                      published_at=rows[aid].published_at, first_seen=rows[aid].first_seen,
                      snippet=snippets.get(rows[aid].vid, ""), rank=score,
                      versions=int(rows[aid].versions))
            for aid, score in page if aid in rows]


def _snippets(session: Session, dialect: str, parsed: Query | None, version_ids: list[int]) -> dict[int, str]:
    if parsed is None:
        listed = session.execute(select(ArticleVersion.id, func.substr(ArticleVersion.text, 1,
                                                                       LISTING_SNIPPET_CHARS + 1))
                                 .where(ArticleVersion.id.in_(version_ids)))
        return {vid: _listing_snippet(body or "") for vid, body in listed}
    start, stop = HIGHLIGHT
    found: dict[int, str] = {}
    if dialect == "sqlite" and (wanted := matching.wanted_fts5(parsed)) is not None:
        stmt = (select(_FTS.c.rowid, func.snippet(_FTS_NAME, 2, start, stop, ELLIPSIS, SNIPPET_WORDS))
                .where(_FTS_NAME.op("MATCH")(wanted), _FTS.c.rowid.in_(version_ids)))
        found = {int(vid): " ".join((snip or "").split()) for vid, snip in session.execute(stmt)}
    elif dialect == "postgresql" and (tsquery := matching.wanted_tsquery(parsed)) is not None:
        options = (f"StartSel={start}, StopSel={stop}, MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, "
                   f'MaxFragments=2, FragmentDelimiter=" {ELLIPSIS} "')
        stmt = select(ArticleVersion.id, func.ts_headline(
            literal_column(f"'{fts.PG_CONFIG}'::regconfig"), func.left(ArticleVersion.text, fts.PG_MAX_CHARS),
            tsquery, options)).where(ArticleVersion.id.in_(version_ids))
        found = {int(vid): " ".join((snip or "").split()) for vid, snip in session.execute(stmt)}
    # No indexed word to mark (CJK substrings, outlets) or none in this text: mark substrings here.
    missing = [vid for vid in version_ids if not found.get(vid)]
    if missing:
        needles = [w for t in parsed.wanted() if t.field != "outlet" for w in t.words]
        texts = session.execute(select(ArticleVersion.id, ArticleVersion.text).where(ArticleVersion.id.in_(missing)))
        for vid, body in texts:
            found[int(vid)] = substring_snippet(body or "", needles, HIGHLIGHT, LISTING_SNIPPET_CHARS, ELLIPSIS)
    return found


def _listing_snippet(body: str) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= LISTING_SNIPPET_CHARS else flat[:LISTING_SNIPPET_CHARS].rsplit(" ", 1)[0] + ELLIPSIS

"""A parsed ``Query`` (``archive.query.syntax``) rendered for SQLite FTS5 and PostgreSQL tsquery.

Every term reaches the database either as a string made only of its words (FTS5: each term one
double-quoted string, so no character the user typed can be FTS5 syntax) or as a bound parameter
(PostgreSQL). The parts of a query:

- terms in the word index (anywhere, ``title:``, ``author:``): FTS5 MATCH strings with column
  filters and ``*`` prefixes on SQLite; on PostgreSQL ``phraseto_tsquery`` of the term as typed, or,
  for a prefix or a field, ``to_tsquery`` of its quoted words with ``:*`` and the field's weight
  (title A, authors B: the weights ``archive.db.fts`` gives them);
- CJK terms: substrings, in the trigram index on SQLite (``LIKE`` for one or two characters, which
  a trigram cannot hold), ``ILIKE`` over the ``pg_trgm``-indexed document on PostgreSQL;
- ``outlet:NAME``: the outlet's id, resolved like ``--outlet``.

``plan`` splits the top-level AND: the members FTS5 can express become the one MATCH that drives the
search (ranked by bm25, walked newest first); the rest become SQL conditions. FTS5 cannot express
everything (a NOT needs a positive side, ``a OR -b``; outlets; CJK), and neither can a tsquery
(outlets, CJK): those subtrees become SQL boolean logic over per-term sub-queries, which is always
correct and only slower.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, column, func, literal_column, not_, or_, select, table

from archive.db import fts
from archive.db.models import Article, ArticleVersion
from archive.query.syntax import And, Node, Not, Or, Query, Term

FTS = table(fts.FTS_TABLE, column("rowid"))
FTS_NAME: Any = literal_column(fts.FTS_TABLE)  # FTS5 wants the bare table name in MATCH, bm25(), snippet()
_CJK = table(fts.CJK_TABLE, column("rowid"))
_CJK_NAME: Any = literal_column(fts.CJK_TABLE)
_CJK_DOCS = table(f"{fts.CJK_TABLE}_docsize", column("id"))  # FTS5's own list of the rows it holds
_FTS5_COLUMNS = {None: "", "title": "title : ", "author": "authors : "}
_PG_WEIGHTS = {None: "", "title": "A", "author": "B"}
_AUTHORS = fts.authors_sql("article_versions.authors")  # the JSON list as plain names, as indexed
_CJK_LIKE_COLUMNS = {None: ("article_versions.title", _AUTHORS, "article_versions.text"),
                     "title": ("article_versions.title",), "author": (_AUTHORS,)}
_PG_CJK_TARGETS = {None: fts.PG_CJK_DOCUMENT, "title": "coalesce(article_versions.title, '')",
                   "author": "pressclips_authors_text(article_versions.authors)"}
OutletResolver = Callable[[str], int]


def indexed(term: Term) -> bool:
    """In the word index (FTS5 / tsvector), rather than an outlet or a CJK substring."""
    return term.field != "outlet" and not term.cjk


def _only_indexed(node: Node) -> bool:
    if isinstance(node, Term):
        return indexed(node)
    if isinstance(node, Not):
        return _only_indexed(node.node)
    return all(_only_indexed(child) for child in node.children)


# -- SQLite FTS5 ----------------------------------------------------------------------------------
def fts5_term(term: Term) -> str:
    # Only the term's words, space-separated, inside one FTS5 string: the tokenizer sees the same
    # words, and no character FTS5 could read as syntax remains. Quotes are doubled regardless.
    string = '"' + " ".join(term.words).replace('"', '""') + '"'
    return _FTS5_COLUMNS[term.field] + string + (" *" if term.prefix else "")


def to_fts5(node: Node) -> str | None:
    """The FTS5 MATCH expression for a (sub)tree, or None when FTS5 cannot express it."""
    if isinstance(node, Term):
        return fts5_term(node) if indexed(node) else None
    if isinstance(node, Not):  # FTS5's NOT is binary: it needs a positive side (handled by And)
        return None
    if isinstance(node, Or):
        alternatives = [to_fts5(child) for child in node.children]
        return None if None in alternatives else "(" + " OR ".join(cast(list[str], alternatives)) + ")"
    wanted: list[str] = []
    excluded: list[str] = []
    for child in node.children:
        rendered = to_fts5(child.node if isinstance(child, Not) else child)
        if rendered is None:
            return None
        (excluded if isinstance(child, Not) else wanted).append(rendered)
    if not wanted:
        return None
    return "(" + " AND ".join(wanted) + "".join(" NOT " + e for e in excluded) + ")"


def _fts5_rows(expression: str) -> Any:
    return select(FTS.c.rowid).where(FTS_NAME.op("MATCH")(expression))


# -- PostgreSQL tsquery ---------------------------------------------------------------------------
def _pg_config() -> Any:
    return literal_column(f"'{fts.PG_CONFIG}'::regconfig")


def _pg_term(term: Term) -> Any:
    if not term.prefix and term.field is None:
        # As typed: PostgreSQL's parser then splits it exactly as it split the indexed documents
        # (it keeps ``e-mails`` and ``a@b.com`` as tokens of their own).
        return func.phraseto_tsquery(_pg_config(), term.raw)
    # Words are letters and digits only, so quoting each one cannot break to_tsquery's syntax.
    weight = _PG_WEIGHTS[term.field]
    lexemes = [f"'{word}'" + (":" + weight if weight else "") for word in term.words]
    if term.prefix:
        lexemes[-1] = f"'{term.words[-1]}':*{weight}"
    return func.to_tsquery(_pg_config(), " <-> ".join(lexemes))


def to_tsquery(node: Node) -> Any:
    """A tsquery expression for a tree of indexed terms (every term a bound parameter)."""
    if isinstance(node, Term):
        return _pg_term(node)
    if isinstance(node, Not):
        return func.tsquery_not(to_tsquery(node.node))
    combine = func.tsquery_and if isinstance(node, And) else func.tsquery_or
    expr = to_tsquery(node.children[0])
    for child in node.children[1:]:
        expr = combine(expr, to_tsquery(child))
    return expr


def wanted_tsquery(query: Query) -> Any | None:
    """Relevance and headlines count what is looked for: the OR of the wanted indexed terms."""
    terms = [t for t in query.wanted() if indexed(t)]
    if not terms:
        return None
    return to_tsquery(terms[0] if len(terms) == 1 else Or(tuple(terms)))


def wanted_fts5(query: Query) -> str | None:
    terms = [fts5_term(t) for t in query.wanted() if indexed(t)]
    return " OR ".join(terms) if terms else None


# -- any tree as SQL ------------------------------------------------------------------------------
def condition(node: Node, dialect: str, resolve: OutletResolver, *, cjk_table: bool = True) -> ColumnElement[bool]:
    """A WHERE condition (over ``Article`` joined to its current ``ArticleVersion``) for any tree.
    ``cjk_table``: SQLite's trigram table exists (an archive opened read-only before its upgrade
    has none; CJK terms then scan with LIKE)."""
    if _only_indexed(node):
        if dialect == "postgresql":
            vector: Any = literal_column(f"article_versions.{fts.PG_COLUMN}")
            return cast(ColumnElement[bool], vector.op("@@")(to_tsquery(node)))
        rendered = to_fts5(node)
        if rendered is not None:
            return ArticleVersion.id.in_(_fts5_rows(rendered))
    if isinstance(node, Term):  # an indexed term always rendered above: this one is an outlet or CJK
        if node.field == "outlet":
            return func.coalesce(Article.outlet_id, 0) == resolve(node.raw)
        return _cjk_condition(node, dialect, cjk_table)
    if isinstance(node, Not):
        return not_(condition(node.node, dialect, resolve, cjk_table=cjk_table))
    parts = [condition(child, dialect, resolve, cjk_table=cjk_table) for child in node.children]
    return and_(*parts) if isinstance(node, And) else or_(*parts)


def _cjk_condition(term: Term, dialect: str, cjk_table: bool) -> ColumnElement[bool]:
    """Every word of the term occurs as a substring (words are letters and digits: no LIKE wildcards)."""
    parts: list[ColumnElement[bool]] = []
    for word in term.words:
        if dialect == "postgresql":
            target: Any = literal_column(_PG_CJK_TARGETS[term.field])
            if term.field is None:  # the partial index's own predicate, so the planner can use it
                parts.append(target.op("~")(literal_column(f"'{fts.CJK_CLASS}'")))
            parts.append(target.ilike(f"%{word}%"))
        elif len(word) >= 3 and cjk_table:  # a trigram index lookup
            prefix = _FTS5_COLUMNS[term.field]
            parts.append(ArticleVersion.id.in_(
                select(_CJK.c.rowid).where(_CJK_NAME.op("MATCH")(prefix + '"' + word.replace('"', '""') + '"'))))
        else:  # too short for a trigram: LIKE, over only the versions in the CJK table when it exists
            like = or_(*(literal_column(c).like(f"%{word}%") for c in _CJK_LIKE_COLUMNS[term.field]))
            parts.append(and_(ArticleVersion.id.in_(select(_CJK_DOCS.c.id)), like) if cjk_table else like)
    return and_(*parts)


@dataclass(frozen=True)
class Plan:
    """How one query runs: ``fts5`` drives an SQLite search (None: no part of it can), and
    ``conditions`` must hold as well (on PostgreSQL, the whole query is there)."""

    fts5: str | None
    conditions: list[ColumnElement[bool]]
    rank_tsquery: Any | None  # PostgreSQL relevance; None when nothing indexed is looked for


def plan(query: Query, dialect: str, resolve: OutletResolver, *, cjk_table: bool = True) -> Plan:
    if dialect == "postgresql":
        return Plan(None, [condition(query.root, dialect, resolve)], wanted_tsquery(query))
    members = query.conjuncts()
    in_fts5 = [m for m in members
               if _only_indexed(m) and to_fts5(m.node if isinstance(m, Not) else m) is not None]
    driver = to_fts5(And(tuple(in_fts5))) if in_fts5 else None
    rest = [m for m in members if driver is None or m not in in_fts5]
    return Plan(driver, [condition(m, dialect, resolve, cjk_table=cjk_table) for m in rest], None)

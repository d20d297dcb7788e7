"""The one search syntax users type, parsed into a small AST and rendered safely per backend.

Syntax (web-search style, as in PostgreSQL's ``websearch_to_tsquery``):

    oscars red carpet          every word must occur (AND), in any order
    "red carpet"               a phrase: these words, adjacent, in this order
    -golden  -"golden globes"  exclude a word or a phrase
    oscars OR baftas           either; OR (upper case) binds tighter than AND, as in Google:
                               ``stone OR gosling lanthimos`` = (stone OR gosling) AND lanthimos
                               (PostgreSQL's own websearch_to_tsquery groups it the other way)

Everything else is text. Punctuation splits words exactly as the index does (``e-mails:`` is the
phrase "e mails"), so FTS5 operators (``NEAR(``, ``*``, ``^``, ``col:``) and stray quotes are never
syntax. An unbalanced ``"`` runs to the end of the query. ``OR`` that is not between two words
(``OR OR``, ``a OR``, ``-a OR b``) is the word "or". A lone ``-`` and terms without any letter or
digit are ignored. There is no prefix search.

Errors (``QuerySyntaxError``): a query with words only in exclusions (``-gossip``), a non-blank query
with nothing searchable in it (``***``), or more than ``MAX_TERMS`` terms / ``MAX_LENGTH`` characters.
A blank query is not parsed at all: ``search()`` then lists by filters.

Rendering: ``to_fts5`` gives an FTS5 MATCH string in which every term is a double-quoted string
made only of the term's words; ``to_tsquery`` gives a SQLAlchemy expression that feeds each term
as a bound parameter to ``phraseto_tsquery`` (which cannot fail on any text) and combines them with
``tsquery_and/or/not``. Raw user text never reaches a query parser on either backend.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from archive.errors import QuerySyntaxError

MAX_TERMS = 64
MAX_LENGTH = 2000
_HINT = 'use words, "phrases", -exclude and OR, e.g. oscars "red carpet" -golden'


@dataclass(frozen=True)
class Term:
    """A word or phrase as typed (``raw``) and the words it stands for (``words``, never empty)."""

    raw: str
    words: tuple[str, ...]
    phrase: bool = False


@dataclass(frozen=True)
class Query:
    """AND of ``groups`` (each an OR of terms), minus every term in ``exclude``."""

    groups: tuple[tuple[Term, ...], ...]
    exclude: tuple[Term, ...] = ()

    def terms(self) -> list[Term]:
        return [t for g in self.groups for t in g] + list(self.exclude)


def words(value: str) -> tuple[str, ...]:
    """Split like the FTS5 ``unicode61`` tokenizer: runs of letters and digits (categories L*, N*)."""
    out, current = [], []
    for ch in value:
        if unicodedata.category(ch)[0] in "LN":
            current.append(ch)
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return tuple(out)


def _clean(value: str) -> str:
    # NUL ends strings in C APIs and PostgreSQL text; control characters and lone surrogates
    # (unencodable as UTF-8) are never meaningful in a query: they become spaces.
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in value)


def _lex(text: str) -> list[tuple[str, str, bool]]:
    """Items as (kind, text, negated): kind is 'term', 'phrase' or 'or'."""
    items: list[tuple[str, str, bool]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        negated = False
        if ch == "-" and i + 1 < n and not text[i + 1].isspace():
            negated, i = True, i + 1
        if text[i] == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end
            items.append(("phrase", text[i + 1:end], negated))
            i = end + 1
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] != '"':
            i += 1
        word = text[start:i]
        items.append(("or" if word == "OR" and not negated else "term", word, negated))
    return items


def parse(text: str) -> Query:
    """Parse user input; raises ``QuerySyntaxError`` (never anything else) when there is nothing to find."""
    if len(text) > MAX_LENGTH:
        raise QuerySyntaxError(f"search query too long ({len(text)} characters, at most {MAX_LENGTH})",
                               hint="shorten the query")
    items = _lex(_clean(text))
    # An OR is an operator only between two positive items (``OR OR`` is two words "or").
    kinds: list[tuple[str, str, bool]] = []
    for k, (kind, value, neg) in enumerate(items):
        if kind == "or":
            before = kinds[-1] if kinds else None
            after = items[k + 1] if k + 1 < len(items) else None
            if before and before[0] != "or" and not before[2] and after and after[0] != "or" and not after[2]:
                kinds.append(("or", value, False))
                continue
            kind = "term"
        kinds.append((kind, value, neg))
    groups: list[list[Term]] = []
    exclude: list[Term] = []
    join_next = False
    for kind, value, neg in kinds:
        if kind == "or":
            join_next = True
            continue
        found = words(value)
        if not found:  # "-", "*", '""': nothing to look for; an OR that pointed here falls away
            join_next = False
            continue
        term = Term(raw=value, words=found, phrase=kind == "phrase")
        if neg:
            exclude.append(term)
        elif join_next and groups:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
    query = Query(groups=tuple(tuple(g) for g in groups), exclude=tuple(exclude))
    if len(query.terms()) > MAX_TERMS:
        raise QuerySyntaxError(f"search query has {len(query.terms())} terms, at most {MAX_TERMS}",
                               hint="use fewer words or a phrase")
    if not groups:
        if exclude:
            raise QuerySyntaxError(f"search query {text.strip()[:80]!r} only excludes words",
                                   hint="add a word to look for, e.g. oscars -golden")
        raise QuerySyntaxError(f"search query {text.strip()[:80]!r} has no words to look for", hint=_HINT)
    return query


# -- rendering -----------------------------------------------------------------------------------
def _fts5_string(term: Term) -> str:
    # Only the term's words, space-separated, inside one FTS5 string: the tokenizer sees the same
    # words, and no character FTS5 could read as syntax remains. Quotes are doubled regardless.
    return '"' + " ".join(term.words).replace('"', '""') + '"'


def to_fts5(query: Query) -> str:
    """The FTS5 MATCH expression for a parsed query."""
    parts = []
    for group in query.groups:
        alts = [_fts5_string(t) for t in group]
        parts.append(alts[0] if len(alts) == 1 else "(" + " OR ".join(alts) + ")")
    expr = " AND ".join(parts)
    for term in query.exclude:
        expr += " NOT " + _fts5_string(term)
    return expr


def to_tsquery(query: Query, config: str) -> Any:
    """A PostgreSQL tsquery expression (SQLAlchemy) for a parsed query, every term a bound parameter.

    Terms go in as typed (minus quotes): PostgreSQL's parser then splits them exactly as it split
    the indexed documents (it keeps ``e-mails`` and ``a@b.com`` as tokens of their own)."""
    from sqlalchemy import func, literal_column

    cfg: Any = literal_column(f"'{config}'::regconfig")

    def one(term: Term) -> Any:
        return func.phraseto_tsquery(cfg, term.raw)

    expr = None
    for group in query.groups:
        alt = one(group[0])
        for term in group[1:]:
            alt = func.tsquery_or(alt, one(term))
        expr = alt if expr is None else func.tsquery_and(expr, alt)
    for term in query.exclude:
        expr = func.tsquery_and(expr, func.tsquery_not(one(term)))
    return expr


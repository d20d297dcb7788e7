"""The one search syntax users type, parsed into a small boolean tree (``Query``).

Syntax (what researchers type into news databases and web search engines):

    climate warming            every word must occur (AND), in any order
    "red carpet"               a phrase: these words, adjacent, in this order
    gos*  "red carp*"          a prefix: gosling, gossip, ...; a phrase ending in a prefix
    emma NOT stone, -stone     exclude a word, a phrase or a group (NOT and -, the same)
    stone OR gosling           either
    a AND b                    the same as ``a b``
    (stone OR gosling) -emma   parentheses group
    title:oscars  author:"ann writer"  outlet:variety   field filters (also on a group: title:(a OR b))

Operators are upper case (``and``, ``or``, ``not`` are words). Precedence, tightest first: NOT/-,
then OR, then AND, so ``stone OR gosling lanthimos`` is ``(stone OR gosling) AND lanthimos`` as in
web search engines; parentheses override. ``title:`` and ``author:`` look in that part of the
index, ``outlet:NAME`` is the outlet's name (case-insensitive), like ``--outlet``.

Words are runs of letters and digits, split exactly as the index splits them (``e-mails`` is the
phrase "e mails"), so characters the backends read as syntax never reach them as syntax. A term
with Chinese, Japanese or Korean characters (which are written without spaces) matches as a
substring: ``トランプ`` finds ``トランプ戦術の成否``.

Nothing is a syntax error that a reader can guess: an unbalanced ``(`` or ``"`` runs to the end, a
stray ``)`` or an operator with nothing on one side is dropped, and syntax this parser does not
support (``NEAR(``, ``word~2``, ``^boost``, ``*`` inside a word, an unknown ``field:``) is searched
as plain words. Each of these adds one line to ``Query.warnings``, so a user never gets a silent
empty result for syntax we ignored.

Errors (``QuerySyntaxError``, the only exception ``parse`` raises): a query with words only in
exclusions (``-gossip``), a non-blank query with nothing searchable in it (``***``), or more than
``MAX_TERMS`` terms / ``MAX_LENGTH`` characters. A blank query is not parsed: ``search()`` then
lists by filters. Rendering for the backends lives in ``archive.query.matching``; raw user text
never reaches a query parser on either backend.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from archive.errors import QuerySyntaxError

MAX_TERMS = 64
MAX_LENGTH = 2000
MAX_DEPTH = 16  # nested parentheses; deeper pairs are dropped (so parsing never recurses deeper)
FIELDS = {"title": "title", "author": "author", "authors": "author", "outlet": "outlet"}
_HINT = 'use words, "phrases", prefix*, -exclude, OR and (groups), e.g. oscars "red carpet" -golden'
# Scripts written without spaces between words: a term in them matches as a substring.
_CJK = re.compile("[\u1100-\u11ff\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf"
                  "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0002ffff]")


@dataclass(frozen=True)
class Term:
    """A word or phrase: as typed (``raw``, quotes and a final ``*`` removed) and the words it
    stands for (``words``, never empty). ``field`` is None (anywhere), "title", "author" or "outlet"."""

    raw: str
    words: tuple[str, ...]
    phrase: bool = False
    prefix: bool = False
    field: str | None = None

    @property
    def cjk(self) -> bool:
        """Written in a script without spaces: matched as a substring, not as whole words."""
        return bool(_CJK.search(self.raw))


@dataclass(frozen=True)
class Not:
    node: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Term | Not | And | Or


@dataclass(frozen=True)
class Query:
    """A parsed query: its tree and the warnings about syntax that was read differently than typed."""

    root: Node
    warnings: tuple[str, ...] = field(default=())

    def terms(self) -> list[Term]:
        return [t for t, _ in walk(self.root)]

    def wanted(self) -> list[Term]:
        """The terms looked for (not under a NOT): what relevance and highlights count."""
        return [t for t, negated in walk(self.root) if not negated]

    def conjuncts(self) -> tuple[Node, ...]:
        """The top-level AND's members: each must hold on its own."""
        return self.root.children if isinstance(self.root, And) else (self.root,)


def walk(node: Node, negated: bool = False) -> Iterator[tuple[Term, bool]]:
    """Every term with whether it sits under an odd number of NOTs."""
    if isinstance(node, Term):
        yield node, negated
    elif isinstance(node, Not):
        yield from walk(node.node, not negated)
    else:
        for child in node.children:
            yield from walk(child, negated)


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


# -- lexing ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "phrase", "(", ")", "AND", "OR", "NOT", "field"
    text: str = ""


_FIELD = re.compile(r"^([A-Za-z]+):(.*)$", re.S)
_OPERATORS = ("AND", "OR", "NOT")


def _lex(text: str, warn: list[str]) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    depth = dropped = 0  # open parentheses kept / dropped for being nested deeper than MAX_DEPTH
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            if ch == "(" and depth >= MAX_DEPTH:
                dropped += 1
                warn.append(f"parentheses nested deeper than {MAX_DEPTH}: the inner ones are ignored")
            elif ch == ")" and dropped:
                dropped -= 1
            else:
                depth += 1 if ch == "(" else -1 if depth else 0
                tokens.append(_Token(ch))
            i += 1
        elif ch == "-" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] != "-":
            tokens.append(_Token("NOT", "-"))
            i += 1
        elif ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                warn.append('unbalanced " : the phrase runs to the end of the query')
                end = n
            star = end + 1 < n and text[end + 1] == "*"  # "red carp"* is "red carp*"
            tokens.append(_Token("phrase", text[i + 1:end] + ("*" if star else "")))
            i = end + 1 + star
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in '"()':
                i += 1
            tokens.extend(_word_tokens(text[start:i], text[i:i + 1], warn))
    return tokens


def _word_tokens(word: str, following: str, warn: list[str]) -> list[_Token]:
    if word in _OPERATORS:
        return [_Token(word, word)]
    match = _FIELD.match(word)
    if match:
        name, rest = match.group(1), match.group(2)
        if name.lower() in FIELDS:
            return [_Token("field", FIELDS[name.lower()]), *([_Token("word", rest)] if rest else [])]
        if rest or following in ('"', "("):
            warn.append(f"unknown field {name + ':'!r} searched as words (fields: title:, author:, outlet:)")
    if word == "NEAR" and following == "(":
        warn.append("NEAR(...) is not supported: its words are searched anywhere in the text")
        return []
    if "*" in word.rstrip("*") and words(word):
        warn.append(f"'*' works only at the end of a word (prefix search): {word[:40]!r} searched as words")
    elif re.search(r"[~^]\S", word) or word.endswith("~"):
        warn.append(f"'~' and '^' (proximity, boost) are not supported: {word[:40]!r} searched as words")
    return [_Token("word", word)]


# -- parsing --------------------------------------------------------------------------------------
class _Parser:
    def __init__(self, tokens: list[_Token], warn: list[str]) -> None:
        self.tokens, self.pos, self.depth, self.warn = tokens, 0, 0, warn

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def conjunction(self) -> Node | None:
        items: list[Node] = []
        while (token := self.peek()) is not None:
            if token.kind == ")":
                if self.depth:
                    break
                self.take()
                self.warn.append("unmatched ')' ignored")
                continue
            if token.kind in ("AND", "OR") and not items:
                self.take()
                self.warn.append(f"{token.text} needs words on both sides: ignored")
                continue
            if token.kind == "AND":
                self.take()
                after = self.peek()
                if after is None or after.kind in (")", "AND", "OR"):
                    self.warn.append("AND needs words on both sides: ignored")
                continue
            item = self.disjunction()
            if item is not None:
                items.append(item)
        return _flat(And, items)

    def disjunction(self) -> Node | None:
        alternatives: list[Node] = []
        first = self.unary()
        if first is not None:
            alternatives.append(first)
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            after = self.peek()
            if after is None or after.kind in (")", "AND", "OR") or not alternatives:
                self.warn.append("OR needs words on both sides: ignored")
                if not alternatives:
                    break
                continue
            other = self.unary()
            if other is not None:
                alternatives.append(other)
        return _flat(Or, alternatives)

    def unary(self) -> Node | None:
        negations, field_name = 0, None
        while (token := self.peek()) is not None and token.kind in ("NOT", "field"):
            self.take()
            if token.kind == "NOT":
                negations += 1
            else:
                field_name = field_name or token.text
        node = self.atom()
        if node is None:
            if negations or field_name:
                self.warn.append(("NOT / -" if negations else f"{field_name}:") + " with nothing after it: ignored")
            return None
        if field_name:
            node = _with_field(node, field_name)
        return Not(node) if negations % 2 else node

    def atom(self) -> Node | None:
        token = self.peek()
        if token is None or token.kind in (")", "AND", "OR"):
            return None
        self.take()
        if token.kind == "(":
            self.depth += 1
            inner = self.conjunction()
            self.depth -= 1
            if (closing := self.peek()) is not None and closing.kind == ")":
                self.take()
            else:
                self.warn.append("unbalanced '(': the group runs to the end of the query")
            return inner
        return _term(token)


def _term(token: _Token) -> Term | None:
    raw, prefix = token.text.strip(), False
    if raw.endswith("*"):  # gos*, "red carp*": the last word is a prefix
        raw, prefix = raw.rstrip("*"), True
    found = words(raw)
    if not found:  # "-", "*", '""': nothing to look for
        return None
    return Term(raw=raw, words=found, phrase=token.kind == "phrase", prefix=prefix and not _CJK.search(raw))


def _with_field(node: Node, name: str) -> Node:
    """``title:(a OR b)``: the field applies to every term inside that has none of its own."""
    if isinstance(node, Term):
        return node if node.field else replace(node, field=name)
    if isinstance(node, Not):
        return Not(_with_field(node.node, name))
    return type(node)(tuple(_with_field(child, name) for child in node.children))


def _flat(kind: type[And] | type[Or], items: list[Node]) -> Node | None:
    """One node for a list: nothing, the item itself, or an AND/OR with nested same-kind nodes merged."""
    merged: list[Node] = []
    for item in items:
        merged.extend(item.children if isinstance(item, kind) else (item,))
    if not merged:
        return None
    return merged[0] if len(merged) == 1 else kind(tuple(merged))


def parse(text: str) -> Query:
    """Parse user input; raises ``QuerySyntaxError`` (never anything else) when there is nothing to find."""
    if len(text) > MAX_LENGTH:
        raise QuerySyntaxError(f"search query too long ({len(text)} characters, at most {MAX_LENGTH})",
                               hint="shorten the query")
    warn: list[str] = []
    parser = _Parser(_lex(_clean(text), warn), warn)
    root = parser.conjunction()
    shown = " ".join(text.split())[:80]
    if root is None:
        raise QuerySyntaxError(f"search query {shown!r} has no words to look for", hint=_HINT)
    query = Query(root=root, warnings=tuple(dict.fromkeys(warn)))
    count = len(query.terms())
    if count > MAX_TERMS:
        raise QuerySyntaxError(f"search query has {count} terms, at most {MAX_TERMS}",
                               hint="use fewer words or a phrase")
    if not query.wanted():
        raise QuerySyntaxError(f"search query {shown!r} only excludes words",
                               hint="add a word to look for, e.g. oscars -golden")
    return query

"""URLs a stylesheet needs: ``@import`` targets and every ``url()`` (fonts, background images).

Tokenised with tinycss2 rather than matched with regular expressions: comments, escapes, quoted
and unquoted ``url()`` forms and ``url()`` inside ``@font-face``, ``@media`` and ``@supports``
blocks are all read the way a browser reads them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urljoin

import tinycss2

from archive.requisites.urls import fetchable

# A stylesheet beyond this is not scanned for more requisites (DOWNLOAD_MAXSIZE still archives it).
MAX_CSS_CHARS = 4 * 1024 * 1024


def _urls_in(tokens: Iterable[Any]) -> Iterator[str]:
    for token in tokens:
        kind = getattr(token, "type", None)
        if kind == "url":
            yield str(token.value)
        elif kind == "function" and token.lower_name == "url":
            strings = [t.value for t in token.arguments if getattr(t, "type", None) == "string"]
            if strings:
                yield str(strings[0])
        if kind == "declaration":  # a style attribute parses into declarations
            yield from _urls_in(token.value)
        elif kind == "function":
            yield from _urls_in(token.arguments)  # image-set(url(a) 1x, ...), nested functions
        elif kind in ("() block", "[] block", "{} block"):
            yield from _urls_in(token.content)


def _import_target(prelude: Iterable[Any]) -> str | None:
    for token in prelude:
        kind = getattr(token, "type", None)
        if kind in ("string", "url"):
            return str(token.value)
        if kind == "function" and token.lower_name == "url":
            return next((str(t.value) for t in token.arguments if getattr(t, "type", None) == "string"), None)
    return None


def _rules(rules: Iterable[Any]) -> Iterator[tuple[str, bool]]:
    """(reference, is_import) pairs of a parsed rule list, nested blocks included."""
    for rule in rules:
        kind = getattr(rule, "type", None)
        if kind == "at-rule" and rule.lower_at_keyword == "import":
            target = _import_target(rule.prelude)
            if target:
                yield target, True
            continue
        if kind in ("at-rule", "qualified-rule"):
            # Nested rules (@media, @supports) are tokens of their block: one walk finds them all.
            yield from ((url, False) for url in _urls_in([*(rule.prelude or []), *(rule.content or [])]))


def _resolved(references: Iterable[str], base_url: str) -> list[str]:
    found: dict[str, None] = {}
    for reference in references:
        url = fetchable(urljoin(base_url, reference.strip()))
        if url:
            found[url] = None
    return list(found)


def css_references(css: str, base_url: str) -> list[str]:
    """Absolute URLs a stylesheet refers to (``@import`` first, then ``url()``), each once, in
    order; ``base_url`` is the stylesheet's own URL (or the page's, for a ``<style>`` block)."""
    rules = tinycss2.parse_stylesheet(css[:MAX_CSS_CHARS], skip_comments=True, skip_whitespace=True)
    pairs = list(_rules(rules))
    return _resolved([ref for ref, imp in pairs if imp] + [ref for ref, imp in pairs if not imp], base_url)


def style_attribute_references(style: str, base_url: str) -> list[str]:
    """``url()`` references of an inline ``style="…"`` attribute."""
    return _resolved(_urls_in(tinycss2.parse_blocks_contents(style[:MAX_CSS_CHARS])), base_url)

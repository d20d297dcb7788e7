"""The article's language: what the page declares, else detected from its text.

Declared first (``<html lang>``, og:locale, content-language...), because a page knows its own
language better than a statistical guess on a few sentences; detection (py3langid, a compact
n-gram model shipped inside the package, the one trafilatura itself uses) covers the pages that
declare nothing, short ones included: title and description are added to a short text.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

DETECT_CHARS = 2000  # enough text for a stable guess; the rest only costs time
_CODE = re.compile(r"[-_,;\s]")


def _declared_tags(tree: HtmlElement, meta: dict[str, list[str]]) -> list[list[str]]:
    """The language tags the page declares, split into subtags ("en-GB" → ["en", "gb"])."""
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    for key in ("og:locale", "content-language", "language", "dc.language", "inlanguage"):
        candidates.extend(meta.get(key, ()))
    return [_CODE.split(value.strip().lower()) for value in candidates if value and value.strip()]


def _is_code(code: str) -> bool:
    return len(code) == 2 and code.isascii() and code.isalpha()


def declared_language(tree: HtmlElement, meta: dict[str, list[str]]) -> str | None:
    for tag in _declared_tags(tree, meta):
        if _is_code(tag[0]):
            return tag[0]
    return None


def declared_region(tree: HtmlElement, meta: dict[str, list[str]]) -> str | None:
    """The region of the first declared tag that names one ("en-GB", og:locale "en_GB" → "gb"):
    English dates are written day first in Britain and month first in the United States."""
    for tag in _declared_tags(tree, meta):
        if _is_code(tag[0]) and len(tag) > 1 and _is_code(tag[1]):
            return tag[1]
    return None


def detect_language(*texts: str | None) -> str | None:
    """py3langid's guess on the given texts joined, or None for text without letters."""
    sample = "\n".join(t for t in texts if t)[:DETECT_CHARS]
    if not any(ch.isalpha() for ch in sample):
        return None
    import py3langid  # loaded on first use: its model costs ~2 s once per process

    code, _score = py3langid.classify(sample)
    return str(code) if code else None

"""An element's text as a reader sees it, and a title string cleaned: shared by the title and
byline readers.

Child elements are kept apart where they would run together, style/script (and, in headings, the
fine print of ``<small>``) left out; CJK text gets no layout spaces around full-width
punctuation; entities, soft hyphens and other invisibles go, whitespace collapses.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

from lxml.html import HtmlElement

_SKIPPED = frozenset({"style", "script", "noscript", "template", "button", "svg"})
# In a headline, <small> holds fine print beside it ("Updated 5 March"), not the headline.
HEADING_SKIPPED = _SKIPPED | {"small"}
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_WS = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.)])")
# CJK typography puts no space around full-width punctuation: a space there is layout (one put
# between child elements, or the markup's line breaks and indentation), while a space the page
# types itself ("使える！ 家具の…") is kept, as are spaces between ideographs (Chinese titles
# use them as pauses).
_CJK_PUNCTUATION = "\u3001-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
_LAID_OUT = "\x01"  # a space this function puts between child elements
_LAYOUT_SPACE = r"[ \x01]*[\n\r\t\x01][\s\x01]*"  # a laid-out space, a line break or a tab, and around it
_CJK_SPACE = re.compile(rf"{_LAYOUT_SPACE}(?=[{_CJK_PUNCTUATION}])|(?<=[{_CJK_PUNCTUATION}]){_LAYOUT_SPACE}")


def clean_title(value: Any) -> str | None:
    """Entities decoded (also double-escaped ones in meta tags), invisibles dropped, whitespace collapsed."""
    if not isinstance(value, str):
        return None
    text = html.unescape(value) if "&" in value else value
    text = unicodedata.normalize("NFC", text).translate(INVISIBLE)
    return _WS.sub(" ", text).strip() or None


_BOUNDARY = "\x00"  # where a child element starts or ends, resolved once the text is joined
BLOCK_TAGS = frozenset("br div p h2 h3 h4 h5 h6 li ul ol section header figure figcaption".split())
_RUN_ON = re.compile(rf"(?<=[^\W_])(?<![A-Z]){_BOUNDARY}+(?=[A-Z])|(?<=[.!?:;,]){_BOUNDARY}+(?=\w)")


def element_text(el: HtmlElement, *, always_separate: bool = False, skipped: frozenset[str] = _SKIPPED) -> str:
    """Text of an element with style/script dropped and child elements kept apart where they
    would run together: ``<h1><span>Nationale Demo</span><span>Der 9. Juli</span></h1>`` reads as
    two phrases, while inline markup inside a word or before punctuation stays joined
    (``<em>New</em>-found``, ``Bugonia<i>'s</i>``). ``always_separate``: a space at every child
    boundary (bylines, where adjacent links are separate names). ``skipped``: the child elements
    left out (style, script, ...; ``HEADING_SKIPPED`` for headlines)."""
    parts: list[str] = []

    def walk(node: HtmlElement) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            tag = child.tag.lower() if isinstance(child.tag, str) else ""
            if tag not in skipped:
                mark = _LAID_OUT if always_separate or tag in BLOCK_TAGS else _BOUNDARY
                parts.append(mark)
                walk(child)
                parts.append(mark)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    # A lower-case letter or digit then a capital ("DemoDer"), or a sentence mark then a word, were
    # two phrases laid out apart; any other boundary was inside a phrase.
    text = _RUN_ON.sub(_LAID_OUT, "".join(parts)).replace(_BOUNDARY, "")
    text = _CJK_SPACE.sub("", text).replace(_LAID_OUT, " ")
    if always_separate:  # only spaces this function put there are taken back out
        text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
    return text

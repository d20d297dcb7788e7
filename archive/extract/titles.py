"""The headline as a reader sees it, chosen by agreement among the page's title candidates.

Candidates: each ``<h1>`` (text of child elements kept apart, ``<style>``/``<script>`` and the
fine print of ``<small>`` dropped, its last lines that the declared titles mostly lack, a byline
laid out inside it, and parts after the confirmed headline that no declared title holds with it,
a dek or a button), og:title, twitter:title, the JSON-LD headline, ``<title>``. Each is
cleaned (entities, soft hyphens and other invisibles, whitespace) and loses leading/trailing
segments that name the site ("… | Site", "Site - …", "Site: …"). Words are compared as words,
and CJK text, which has no spaces between words, as character pairs. Site names come from
og:site_name, the JSON-LD publisher, the host name, the outlet's names learned across its pages
(``hints["site_names"]``) and the ``<title>`` pattern itself: what ``<title>`` adds around
og:title is the site's suffix, and a logo ``<h1>`` that is the last of its segments is the
site's name. A ``<title>`` that is the page's only title
also loses the short section labels between the headline and the site ("Headline | Politics |
Site"), and any candidate a one-word section just before the site's name ("Headline - Politik |
Site"). Segments and site names are ``archive.extract.titlesites``'s.

When the only <h1> is a breadcrumb's, a headline the page shows in an <h2> or an element marked as
one that a declared title repeats word for word is the headline (the search headline of JSON-LD and
<title> is not what the reader sees).

A candidate is supported by every candidate that is the same text, or the same text with a
kicker or section in front or a suffix behind ("Kultur : …", "Local News | …"): the best
supported wins, the visible ``<h1>`` first among equals. An ``<h1>`` that is only the site name or
a generic word ("News") is never a candidate.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from lxml.html import HtmlElement

from archive.extract.elementtext import BLOCK_TAGS, HEADING_SKIPPED, INVISIBLE, clean_title, element_text
from archive.extract.markup import _is_article_type
from archive.extract.titlesites import (
    CJK_RUN,
    KICKER,
    SEPARATORS,
    SITE_NAME_MAX_WORDS,
    names_site,
    segments,
    site_keys,
    strip_sections,
    strip_site,
    title_pattern_sites,
)

TITLE_META_KEYS = ("og:title", "twitter:title")
_WORD = re.compile(r"\w+")
# One-word headings that are page furniture, not headlines (h1 of a section, a logo's alt text).
_GENERIC_HEADINGS = frozenset(
    "news home article articles story blog latest menu search politics sport sports business "
    "nachrichten startseite actualités noticias notizie nieuws".split()
)
TITLE_MIN_OVERLAP = 0.6  # share of words an <h1> and a declared title must have in common
MAX_HEADINGS = 20  # logo and section <h1>s come first on some pages; the headline may be far down
KICKER_MAX_WORDS = 4  # "Kultur", "Local News", "Changing Channels": a kicker is a label, not a clause


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().translate(INVISIBLE).strip(" .!?\"'“”‘’")


def _is_heading_furniture(text: str, keys: set[str]) -> bool:
    words = _WORD.findall(text.casefold())
    if not words:
        return True
    # Only a heading about as short as a site name is one: "Why I left The New York Times" is news.
    return (len(words) == 1 and words[0] in _GENERIC_HEADINGS) or \
        (len(words) <= SITE_NAME_MAX_WORDS and names_site(text, keys))


def _supports(longer: str, shorter: str) -> bool:
    """``longer`` is ``shorter`` with whole segments (a kicker, a section, a suffix) around it."""
    if longer == shorter:
        return True
    if len(shorter) < 8 or shorter not in longer or 2 * len(shorter) < len(longer):
        return False  # the main part of a title is most of it: "Title | Section | Site", not "Site"
    parts, _ = segments(longer)
    keys = [_key(p) for p in parts]
    for start in range(len(keys)):
        for end in range(start + 1, len(keys) + 1):
            if (start, end) != (0, len(keys)) and _key(" ".join(parts[start:end])) == shorter:
                return True
    # "Kicker : Title" where the separator has no spaces on the left ("Kultur: Title").
    match = KICKER.match(longer)
    return match is not None and _key(longer[match.end():]) == shorter


def _is_kicker(text: str) -> bool:
    return 0 < len(_WORD.findall(text)) <= KICKER_MAX_WORDS


def _confirmed_part(h1_parts: list[list[str]], others: list[str], keys: set[str]) -> str | None:
    """A part of an <h1> that the declared titles confirm on its own, when the other parts are
    only the site's name or a short kicker in front, or after it what no declared title holds
    together with it (a dek, an "Add to ..." button): never a headline cut from a subtitle that a
    declared title keeps."""
    other_keys = [_key(t) for t in others]
    for parts in h1_parts:
        for index, text in enumerate(parts):
            if len(text) < 8:
                continue
            key = _key(text)
            if not any(other_key == key or _supports(other_key, key) for other_key in other_keys):
                continue
            before, after = parts[:index], parts[index + 1:]
            if all(names_site(p, keys) or _is_kicker(p) for p in before) and \
                    all(names_site(p, keys) or not _declared_with(key, p, other_keys) for p in after):
                return text
    return None


def _kicker_cut(heading_key: str, other_key: str) -> bool:
    """The <h1> is the declared title with a short kicker in front ("Kultur : Title"): what the
    declared title leaves out comes before it, never after (that is a subtitle)."""
    if other_key == heading_key or not heading_key.endswith(other_key) or not _supports(heading_key, other_key):
        return False
    return _is_kicker(heading_key[: len(heading_key) - len(other_key)])


def _untruncated(title: str | None, others: list[str]) -> str | None:
    """A title the declared ones agree on that another candidate continues within its segment is
    cut short: og:title "… Sieger und " where the page's unescaped quote ended the attribute, and
    ``<title>`` "… Sieger und "royaler Besuch"". (A continuation after a separator is a suffix.)"""
    if title is None or len(title.split()) < 3:
        return title
    cut = title.rstrip()
    for other in others:
        # The continuation starts a word of its own ("Trump" is no cut "Trumpet …") and no segment.
        if len(other) > len(cut) and other.startswith(cut) and other[len(cut)].isspace() and \
                not SEPARATORS.match(other, len(cut)):
            return other
    return title


def _without_kicker(title: str | None, others: list[str]) -> str | None:
    """A title the declared ones agree on, without the short kicker another of them leaves out
    (JSON-LD and ``<title>`` say "SVP-Sonderparteitag zur Migration: Chiesa ruft …", og:title
    "Chiesa ruft …")."""
    if title is None:
        return None
    return next((other for other in others if _kicker_cut(_key(title), _key(other))), title)


def _anchored_on_heading(headings: list[str], others: list[str]) -> str | None:
    """The visible headline when the declared titles confirm it, without a kicker they lack: the
    first <h1> they confirm as a whole, else the first that shares most of its words with one
    (an <h1> that is only a few words of the headline, a widget's "津波注意報", comes first on
    some pages)."""
    other_keys = [_key(t) for t in others]
    for text in headings:
        key = _key(text)
        for other, other_key in zip(others, other_keys):
            if _kicker_cut(key, other_key):
                return other  # "Kultur : Title" on the page, "Title" declared: the kicker goes
        if key in other_keys:
            return text  # the same text
        if any(_supports(other_key, key) for other_key in other_keys):
            return text  # "Title | Section" declared
    for text in headings:
        words = _title_words(_key(text))
        for other_key in other_keys:
            # Sites shorten og:title for sharing: mostly the same words. (Kickers were handled
            # above, so the smaller set is the fair measure here.)
            other_words = _title_words(other_key)
            if min(len(words), len(other_words)) >= 3 and \
                    len(words & other_words) >= TITLE_MIN_OVERLAP * min(len(words), len(other_words)):
                return text
    return None


def _title_words(key: str) -> set[str]:
    """The words of a title to measure overlap with: its Latin words, and for CJK script, which
    has no spaces between words, its character pairs ("市議会が" → 市議, 議会, 会が)."""
    words = set(_WORD.findall(CJK_RUN.sub(" ", key)))
    for run in CJK_RUN.findall(key):
        words.update(run[i:i + 2] for i in range(max(len(run) - 1, 1)))
    return words


def _declared_with(key: str, part: str, other_keys: list[str]) -> bool:
    """A declared title holds the part together with the headline ``key`` ("<title>" with the
    subtitle that og:title leaves out)."""
    part_key = _key(part)
    return any(key in other and part_key in other for other in other_keys)


def _declared_words(others: list[str]) -> set[str]:
    return set().union(*(_title_words(_key(t)) for t in others))


MOSTLY = 0.5  # share of a part's words that the declared titles must hold to keep it in the headline


def _mostly_declared(part: str, declared: set[str]) -> bool:
    """Most of the part's content words (three letters or more; CJK pairs) are in the declared
    titles: "A letter to a young liberal" after the headline is a dek when only "young" is."""
    words = {w for w in _title_words(_key(part)) if len(w) >= 3 or CJK_RUN.fullmatch(w)}
    return bool(words) and len(words & declared) >= MOSTLY * len(words)


def _agreed(others: list[str]) -> str | None:
    """A declared title that another declares word for word (og:title and the JSON-LD headline,
    say): exact agreement, so a sharing variant alone does not outvote it."""
    keys = [_key(t) for t in others]
    for text, key in zip(others, keys):
        if keys.count(key) >= 2:
            return text
    return None


def pick_title(tree: HtmlElement, meta: dict[str, list[str]], ld: list[dict[str, Any]], url: str,
               site_names: list[str | None], fallback: str | None, hints: dict[str, Any]) -> str | None:
    """The page's headline (see the module docstring), or None."""
    declared, title_el = _declared_titles(meta, ld), tree.find(".//title")
    page_title = clean_title(title_el.text_content()) if title_el is not None else None
    title = _headline(tree, declared, page_title, url, site_names, fallback, hints)
    return _as_declared_case(_without_marked_kicker(title, tree), [*declared, page_title or ""]) if title else title


def _as_declared_case(title: str, written: list[str]) -> str:
    """An <h1> typed in capitals ("COUNCIL PASSES THE BUDGET"), written as a declared title or the
    ``<title>`` writes the same words: the capitals are the page's styling, the words the headline."""
    if not title.isupper() or len(title.split()) < 2 or len(title.lower()) != len(title):
        return title
    for text in written:
        if text.isupper() or len(text.lower()) != len(text):  # lower() must keep the offsets
            continue
        at = text.lower().find(title.lower())
        if at >= 0:
            return text[at:at + len(title)]
    return title


# Class names (or their parts) of a kicker element, the label over a headline ("content__kicker",
# German "Dachzeile", "overline", "eyebrow", the Economist's "fly-title", French "surtitre",
# Italian "occhiello").
KICKER_CLASSES = ("kicker", "dachzeile", "spitzmarke", "overline", "eyebrow", "topline", "roofline", "supertitle",
                  "surtitre", "antetitulo", "occhiello", "fly-title", "flytitle")
_TEXT_IS = "//*[text()[normalize-space(.) = $text]]"  # elements whose own text is exactly $text
# A kicker the markup marks may stand before any separator: "Genetik: …", "Eskalation im Nahen Osten
# - «…»" (SRF's overline, parted from the headline by a hidden " - ").
_MARKED_KICKER = re.compile(r"^([^:|]{2,40}?)(?:\s*[:|]|\s+[-–—/•·»])\s+(?=\S)")


def _without_marked_kicker(title: str, tree: HtmlElement) -> str:
    """"Genetik: Das Geheimnis …" without "Genetik: " when the page shows "Genetik" in a kicker
    element: every title candidate may carry the kicker, the markup says what it is."""
    match = _MARKED_KICKER.match(title)
    if match is None or not _is_kicker(match[1]):
        return title
    shown = tree.xpath(_TEXT_IS, text=match[1].strip())[:MAX_HEADINGS]
    return title[match.end():] if any(_marked_kicker(el) for el in shown) else title


def _marked_kicker(el: HtmlElement) -> bool:
    """The element, or the one it sits in, has a kicker's class."""
    for node in (el, el.getparent()):
        classes = (node.get("class") or "").lower() if node is not None else ""
        if any(name in classes for name in KICKER_CLASSES):
            return True
    return False


def _declared_titles(meta: dict[str, list[str]], ld: list[dict[str, Any]]) -> list[str]:
    """The titles the page declares for sharing and search: og:title, twitter:title, JSON-LD headline."""
    declared = [t for t in (clean_title(v) for key in TITLE_META_KEYS for v in meta.get(key, ())) if t]
    return declared + [t for t in (clean_title(o.get("headline")) for o in ld if _is_article_type(o)) if t]


def _headline(tree: HtmlElement, declared: list[str], page_title: str | None, url: str,
              site_names: list[str | None], fallback: str | None, hints: dict[str, Any]) -> str | None:
    learned = [clean_title(n) for n in hints.get("site_names") or ()]
    h1_elements = [h for h in tree.iter("h1") if not _in_breadcrumb(h) and not _marked_not_headline(h)][:MAX_HEADINGS]
    read = [(clean_title(element_text(h, skipped=HEADING_SKIPPED)), _heading_lines(h)) for h in h1_elements]
    h1s = [t for t, _ in read if t]
    keys = site_keys(url, [*site_names, *learned, *title_pattern_sites(page_title, declared),
                           *_logo_headings(h1s, page_title)])
    others = [strip_site(t, keys) for t in declared + ([page_title] if page_title else [])]
    others = [t for t in others if t and not _is_heading_furniture(t, keys)]
    headings = [strip_site(_without_unshared_tail(t, lines, others), keys) for t, lines in read
                if t and not _is_heading_furniture(t, keys)]
    # An <h1> made of parts (headline + site link, kicker + headline): a part the declared titles
    # confirm on its own is the headline.
    h1_parts = [parts for parts in map(_heading_parts, h1_elements) if len(parts) >= 2]
    shown = None if headings else _shown_headline(tree, others)  # only a breadcrumb's <h1>, or none
    chosen = _confirmed_part(h1_parts, others, keys) or _anchored_on_heading(headings, others) or shown or \
        _without_kicker(_untruncated(_agreed(others), others), others)
    if chosen:
        return chosen
    if declared:
        return strip_site(declared[0], keys)
    if page_title:
        return strip_sections(page_title, keys)
    # Nothing declared: the feed's or sitemap's title, else the <h1> as read here (style dropped,
    # its parts kept apart), before trafilatura's reading of the same <h1>, which keeps both.
    for candidate in (clean_title(hints.get("title")), *headings, clean_title(fallback)):
        if candidate:
            return strip_site(candidate, keys)
    return None


MAX_MARKED_HEADLINES = 10  # elements marked as a headline read when the page has no usable <h1>


def _shown_headline(tree: HtmlElement, others: list[str]) -> str | None:
    """With no <h1> to read (only a breadcrumb's), a headline the page shows in an <h2> or an element
    marked as one ("title__headline", itemprop=headline) and a declared title repeats word for word:
    Stern's og:title is its visible headline, while JSON-LD and <title> carry the search headline."""
    other_keys = {_key(t) for t in others}
    marked = tree.xpath('//h2 | //*[@itemprop="headline" or contains(translate(@class, "HEADLINE", "headline"), '
                        '"headline")][not(self::meta)]')
    for el in marked[:MAX_MARKED_HEADLINES]:
        text = clean_title(element_text(el, skipped=HEADING_SKIPPED))
        if text and _key(text) in other_keys and not _in_breadcrumb(el):
            return text
    return None


def _marked_not_headline(heading: HtmlElement) -> bool:
    """An <h1> the page marks as something beside the headline: itemprop=alternativeHeadline
    (popsugar's short title over the itemprop=headline <h2>) or a kicker's class (a fly-title)."""
    if (heading.get("itemprop") or "").lower() == "alternativeheadline":
        return True
    classes = (heading.get("class") or "").lower()
    return any(name in classes for name in KICKER_CLASSES)


def _in_breadcrumb(el: HtmlElement) -> bool:
    """The <h1> names the current page in a breadcrumb trail ("Home › Biologie › <h1>…</h1>"), a
    navigation label, not the article's headline."""
    for node in [el, *el.iterancestors()]:
        marks = " ".join((node.get(attr) or "") for attr in ("class", "id", "itemtype", "aria-label")).lower()
        if "breadcrumb" in marks or any("breadcrumb" in str(name).lower() for name in node.attrib):
            return True  # also by an attribute's name: <h1 data-breadcrumb-headline>
    return False


def _without_unshared_tail(text: str, lines: list[str], others: list[str]) -> str:
    """An <h1> without its last lines that share no word with any declared title: a byline or
    date laid out on a line of its own inside the heading ("… 戦術の成否<br><span>編集委員 中沢克二
    </span>"). Only when titles are declared, and never the first line."""
    if not others:
        return text
    declared = _declared_words(others)
    while len(lines) > 1 and not _mostly_declared(lines[-1], declared) and text.endswith(lines[-1]):
        text = text[: -len(lines[-1])].rstrip()
        lines = lines[:-1]
    return text


def _heading_lines(heading: HtmlElement) -> list[str]:
    """The lines of an <h1>: its text split at <br> and at block-level children."""
    lines: list[str] = []
    current = [heading.text or ""]
    for child in heading:
        tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if tag == "br" or tag in BLOCK_TAGS:
            lines.append("".join(current))
            current = []
            if tag != "br" and tag not in HEADING_SKIPPED:
                lines.append(element_text(child, skipped=HEADING_SKIPPED))
        elif tag not in HEADING_SKIPPED:
            current.append(element_text(child, skipped=HEADING_SKIPPED))
        current.append(child.tail or "")
    lines.append("".join(current))
    return [t for t in (clean_title(line) for line in lines) if t]


def _heading_parts(heading: HtmlElement) -> list[str]:
    """The pieces of an <h1>: its child elements' texts and the text between them, so that a
    kicker in a <span> before the headline's bare text ("<span>Kultur</span> Das neue …") is a
    part of its own."""
    pieces = [heading.text]
    for child in heading:
        tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if tag not in HEADING_SKIPPED:
            pieces.append(element_text(child, skipped=HEADING_SKIPPED))
        pieces.append(child.tail)
    return [t for t in (clean_title(p) for p in pieces if p) if t]


def _logo_headings(h1s: list[str], page_title: str | None) -> list[str]:
    """An <h1> that is exactly the last of three or more segments of ``<title>`` is the site's
    logo heading ("好奇心日报" on "…_智能_好奇心日报"): its text is the site's name. (The first
    segment is the headline, and of two segments either may be it.)"""
    if not page_title:
        return []
    parts, _ = segments(page_title)
    if len(parts) < 3:
        return []
    return [h for h in h1s if _key(h) == _key(parts[-1]) and len(h.split()) <= SITE_NAME_MAX_WORDS]


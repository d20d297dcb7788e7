"""Authors: the people who wrote the article, apart from organisations credited with it.

Sources, first that names a person wins:
  1. the article's JSON-LD ``author``: ``Person`` entries are people, ``Organization`` entries
     (and names that are the outlet's brand) are organisations;
  2. ``<meta name=author>`` and its relatives (what the publisher declares for this article);
  3. the visible byline: ``itemprop=author`` elements, ``rel=author`` links, a ``byline`` element
     (class or id), then elements of an author class ("author", "post-author", "author-name"), then
     links to author pages ("/author/", "/people/", "/staff/"...), then a short
     line of plain text that starts with "By"/"Von"/"Par" or with a label element ("<strong>Autor
     </strong> Name"); none from a sidebar, related-stories
     widget, comments, navigation or the page's own <aside>/<footer> (other stories' bylines);
  4. trafilatura's byline reader;
  5. a wire service's closing credit line ("(Reporting by Ann Writer; Editing by Bob Smith)").
Organisation-only credits ("BBC News", "Reuters") are kept only when no source names a person,
and then apart (``Credits.organisations``), never mixed into the names. When JSON-LD or meta
names people, the byline shown on the page wins if it names them all and more (co-authors the
declaration left out).

A byline string becomes people and organisations in ``archive.extract.credits``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from lxml.html import HtmlElement

from archive.extract.credits import PARTICLES, Credits, classify, is_role
from archive.extract.elementtext import element_text
from archive.extract.markup import TEASER_CLASSES, _is_article_type, article_elements, in_furniture, text_before
from archive.extract.titlesites import brand_key
from archive.extract.wordlists import WordLists, word_lists

AUTHOR_META_KEYS = ("author", "article:author", "og:article:author", "byl", "byline", "author_name",
                    "article:author_name", "parsely-author", "sailthru.author", "cxenseparse:author", "dc.creator",
                    "dcterms.creator", "citation_author")
_WS = re.compile(r"\s+")
_ORG_TYPES = ("organization", "organisation", "newsmediaorganization", "corporation", "brand")


def _ld_credits(ld: list[dict[str, Any]], language: str | None, brands: set[str], declared: set[str]) -> Credits:
    """The article's JSON-LD authors. A typed ``Person`` is an outlet only by the names the outlet
    declares (``declared``: og:site_name, the publisher), not by its host: the Person "Simon Sarris"
    writes simonsarris.substack.com."""
    people: list[str] = []
    organisations: list[str] = []
    for obj in ld:
        authors = obj.get("author") if _is_article_type(obj) else None
        if authors is None:
            continue
        for entry in authors if isinstance(authors, list) else [authors]:
            person = False  # a typed Person: one capitalised word is a name ("Paul")
            if isinstance(entry, dict):
                kind = entry.get("@type")
                kinds = " ".join(k for k in (kind if isinstance(kind, list) else [kind]) if isinstance(k, str))
                name = entry.get("name")
                if isinstance(name, str) and any(t in kinds.lower() for t in _ORG_TYPES):
                    organisations.append(name.strip())
                    continue
                person = "person" in kinds.lower()
                entry = _ld_names(entry)
            credits = classify(entry if isinstance(entry, list) else [entry], language,
                               declared if person else brands, marked=person)
            people += credits.people
            organisations += credits.organisations
        if people or organisations:
            break
    return Credits(people, organisations)


def _ld_names(entry: dict[str, Any]) -> list[str]:
    """A JSON-LD author entry's names: ``name`` (a string or a list), else given and family name."""
    name = entry.get("name")
    if isinstance(name, list):
        return [n for n in name if isinstance(n, str)]
    if isinstance(name, str):
        return [name]
    parts = [entry.get("givenName"), entry.get("familyName")]
    return [" ".join(p for p in parts if isinstance(p, str) and p.strip())]


# Author pages: WordPress "/author/ann-writer/", "/autor/", "/auteur/", "/journalist/", and the
# "/people/", "/profile/", "/staff/", "/by/", "/writer/", "/reporter/" pages of news sites.
_AUTHOR_PATHS = ("author", "authors", "autor", "autoren", "autores", "auteur", "auteurs", "autore", "autori",
                 "journalist", "journalisten", "journalists", "giornalisti", "periodistas", "redacteur", "redactie",
                 "people", "profile", "profiles", "staff", "by", "writer", "writers", "reporter", "reporters",
                 "columnist", "columnists", "contributor", "contributors")
_AUTHOR_HREF = " or ".join(f'contains(@href, "/{path}/")' for path in _AUTHOR_PATHS)
MAX_LINKED_AUTHORS = 4  # more distinct author links than this is a list of the site's writers


def _distinct(texts: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(t for t in (_WS.sub(" ", x).strip() for x in texts) if t))


def _visible_bylines(tree: HtmlElement) -> list[str]:
    """Byline texts shown on the page: itemprop=author, rel=author links, a byline element; none
    from the page's furniture (``in_furniture``)."""
    found = [e for e in tree.xpath('//*[@itemprop="author"]') if not in_furniture(e) and not _credits_another(e)]
    marked = _distinct(text for el in _same_block(found) for text in _itemprop_names(el))
    if 0 < len(marked) <= MAX_LINKED_AUTHORS:
        return marked
    linked = [a for a in tree.xpath('//a[@rel="author"]') if not in_furniture(a) and not _credits_another(a)]
    distinct = _distinct(element_text(a, always_separate=True) for a in _before_next_headline(linked))
    if 0 < len(distinct) <= MAX_LINKED_AUTHORS:
        return distinct
    bylines = [e for e in tree.xpath('//*[contains(translate(@class, "BYLINE", "byline"), "byline") '
                                     'or translate(@id, "BYLINE", "byline") = "byline"]')
               if (_class_says(e, _BYLINE_PARTS) or (e.get("id") or "").lower() == "byline") and _byline_sized(e)]
    # One byline element per co-author ("<span class=byline>Ann Writer</span><span class=byline>Bob
    # Smith</span>"): the outermost, those beside the first and made like it (NPR's audio player
    # has a "byline" of its own, the show's name).
    found = [e for e in bylines if not in_furniture(e)]
    found = [e for e in found if not any(a in found for a in e.iterancestors())]
    alike = [e for e in _same_block(found) if (e.tag, e.get("class")) == (found[0].tag, found[0].get("class"))]
    texts = list(dict.fromkeys(t for t in (_shown_name(el, MAX_BYLINE_CHARS) for el in alike) if t.strip()))
    return texts if len(texts) <= MAX_LINKED_AUTHORS else []


MAX_BYLINE_CHARS = 200  # a byline element longer than this holds a biography too
BIOGRAPHY_CHARS = 5000  # longer than a name and a biography (with markup's scripts): no byline at all


def _byline_sized(el: HtmlElement) -> bool:
    """Small enough to be a byline, with a biography at most: not the page or a section of it
    whose class mentions the byline or author ("flag-simpleExtendedByline-on" on <html>,
    "s-author-" on <body>)."""
    return el.tag not in ("html", "body") and len(el.text_content()) <= BIOGRAPHY_CHARS  # lxml's C: cheap


def _shown_name(el: HtmlElement, limit: int) -> str:
    """The text of a byline or author element, or when it is longer than ``limit`` (a biography
    beside the name) the first name-shaped text inside it of an element whose class says
    "author" or "name" ("byline__name"), else of a link."""
    text = element_text(el, always_separate=True)
    if len(text.strip()) <= limit:
        return text
    inside = [node for node in el.iterdescendants() if isinstance(node.tag, str)]
    # An element that says it holds the author or the name first ("byline-author" after a
    # "byline-column" link to the column "Deal Professor"), then any link.
    for marked in (True, False):
        for node in inside:
            if (_class_says(node, ("author", "authors", "name")) if marked else node.tag == "a"):
                name = element_text(node).strip()
                if _name_shaped(name):
                    return name
    return ""


# Parts of a class name that mark the byline or the author ("article_byline", "css-1wkce1i-Byline",
# "post-author", "author__name", "authorname-txt"), and parts that mark a picture or biography
# or the role, date and place beside them instead ("byline__image", "author-bio", "author-title",
# "author_location": the dateline "Sevilla, Los Gallardos" under the names, "author-follow": a
# widget of columnists to follow).
_BYLINE_PARTS = ("byline", "bylines")
_AUTHOR_PARTS = ("author", "authors", "authorname")
_NOT_NAME_PARTS = frozenset("bio bios image img avatar photo pic picture description desc thumb thumbnail icon title "
                            "role job position date time location place city dateline follow".split())
_CLASS_PARTS = re.compile(r"[-_]+")


def _class_says(el: HtmlElement, marks: tuple[str, ...]) -> bool:
    """One of the element's classes has a part that is, or ends in, one of ``marks``, and is no
    commenter's, teaser's, picture's or biography's class ("sf_comment_author", "author-bio")."""
    for token in (el.get("class") or "").lower().split():
        if any(word in token for word in TEASER_CLASSES):
            continue
        parts = _CLASS_PARTS.split(token)
        if any(part.endswith(marks) for part in parts) and not _NOT_NAME_PARTS.intersection(parts):
            return True
    return False


CREDIT_LABEL_CHARS = 40  # the text just before an author element that can label it
CREDIT_LABEL_DEPTH = 3  # a name's link and span inside the labelled element


def _credits_another(el: HtmlElement) -> bool:
    """An author element labelled as another person's credit: "Illustration by <span
    itemprop=author>…</span>", "Photos: <a rel=author>…</a>" (the label ends with one of the
    ``other_credits``), before it or before one of the elements it sits in (the name inside the
    labelled author element)."""
    phrases = [phrase.rstrip(":") for phrase in word_lists().other_credits]
    for node in [el, *list(el.iterancestors())[:CREDIT_LABEL_DEPTH]]:
        label = " ".join(text_before(node, CREDIT_LABEL_CHARS).split()).casefold().rstrip(" :")
        if label and any(label.endswith(phrase) for phrase in phrases):
            return True
    return False


_HEADLINE_TAGS = frozenset(("h1", "h2", "h3"))


def _before_next_headline(found: list[HtmlElement]) -> list[HtmlElement]:
    """The first author element and those after it with no headline between: a byline that
    follows another story's headline is that story's (a list of teasers under the article)."""
    if len(found) < 2:
        return found
    wanted = {id(el) for el in found}
    kept = []
    for el in found[0].getroottree().getroot().iter():
        if id(el) in wanted:
            kept.append(el)
        elif kept and el.tag in _HEADLINE_TAGS:
            break
    return kept


def _same_block(found: list[HtmlElement]) -> list[HtmlElement]:
    """The first author element and those in the same block (inside its grandparent): co-authors
    each have their own ("<span itemprop=author>Ann Writer</span> and <span itemprop=author>Bob
    Smith</span>"), while author elements elsewhere on the page belong to teasers of other
    stories."""
    if not found:
        return []
    block = found[0].getparent()
    if block is not None and block.getparent() is not None:
        block = block.getparent()
    return [found[0], *(e for e in found[1:] if any(a is block for a in e.iterancestors()))]


# A class that names an author element: "author", "post-author", "article__author", "author-name",
# "author__name", "authors"; not "author-bio", "author-image" or "authored".
MAX_AUTHOR_ELEMENT_CHARS = 80  # longer, it holds a biography: its first name-shaped link is the name


def _author_class_bylines(tree: HtmlElement) -> list[str]:
    """Names in elements whose class says "author" (``_class_says``), outside the page's
    furniture, those beside the first only: a name, or in a longer element with a biography
    the name-shaped link it holds."""
    found = [e for e in tree.xpath('//*[contains(translate(@class, "AUTHOR", "author"), "author")]')
             if _class_says(e, _AUTHOR_PARTS) and _byline_sized(e) and not in_furniture(e) and not _credits_another(e)]
    found = [e for e in found if not any(a in found for a in e.iterancestors())]  # the outermost
    names = _distinct(_shown_name(el, MAX_AUTHOR_ELEMENT_CHARS) for el in _same_block(found))
    return names if len(names) <= MAX_LINKED_AUTHORS else []


def _itemprop_names(el: HtmlElement) -> list[str]:
    """The names an itemprop=author element gives: its itemprop=name children, else its content
    attribute or text."""
    names = [element_text(n, always_separate=True) for n in el.xpath('.//*[@itemprop="name"]')]
    found = [n for n in names if n.strip()] or [el.get("content") or element_text(el, always_separate=True)]
    return [t for t in found if t and t.strip()]


def _author_page_links(tree: HtmlElement) -> list[str]:
    """Names linked to author pages inside the article (outside it only the first link: a sidebar
    lists other writers), up to the next headline (teasers of other stories follow). Only link
    texts shaped like a name, capitalised words and no link labels ("View Author Page", "Articles")."""
    linked = [a for a in tree.xpath(f"//article//a[{_AUTHOR_HREF}]") if not in_furniture(a)] or \
        [a for a in tree.xpath(f"//a[{_AUTHOR_HREF}]") if not in_furniture(a)][:1]
    names = [t for t in _distinct(element_text(a, always_separate=True) for a in _before_next_headline(linked))
             if _name_shaped(t)]
    return names if len(names) <= MAX_LINKED_AUTHORS else []


_TEXT_BYLINE_TAGS = ("p", "div", "span", "strong", "b", "em", "small", "address", "li", "h2", "h3", "h4", "h5", "h6")
MAX_TEXT_BYLINE_CHARS = 100  # "By Ann Writer and Bob Smith, Washington": a line, not a paragraph
TEXT_BYLINE_SCAN = 60  # elements with text read for it: a byline stands at the top (politico's: the 16th)


def _text_bylines(tree: HtmlElement) -> list[str]:
    """A byline printed as plain text with no marking element: the first short line in the
    article (else in the page after its first <h1>: a byline follows the headline) that starts
    with a capitalised by-word ("By Ann Writer", "Von Anna Schmidt", "Par <a>Jean Dupont</a>"),
    among the first lines only; never one in the page's furniture."""
    words = word_lists()
    scopes = article_elements(tree)
    whole_page = not scopes
    headline_seen = whole_page and tree.find(".//h1") is None
    for scope in (scopes or [tree])[:1]:
        scanned = 0
        for el in scope.iter("h1", *_TEXT_BYLINE_TAGS):
            if el.tag == "h1":
                headline_seen = True
                continue
            lead = (el.text or "").lstrip()
            labelled = not lead and len(el) > 0 and _credit_label(el[0], words)
            if labelled:
                lead = element_text(el, always_separate=True).lstrip()
            if (whole_page and not headline_seen) or not lead:
                continue
            scanned += 1
            if scanned > TEXT_BYLINE_SCAN:
                break
            if not (labelled or _byline_lead(lead, bool(len(el)), words)):
                continue
            text = element_text(el, always_separate=True)
            if len(text.strip()) <= MAX_TEXT_BYLINE_CHARS and not in_furniture(el):
                return [text]
    return []


_LABEL_TAGS = ("strong", "b", "em", "i", "span", "label", "small", "dt")


def _credit_label(el: HtmlElement, words: WordLists) -> bool:
    """A label element that is only a credit word, before the name in its line's text ("<li><strong>
    Autorin/Autor</strong> Roman Goncharenko</li>", "<p><b>Author:</b> Jane Doe</p>"): the markup
    parts label and name, so no colon is needed. A name must follow: "<em>By</em> the time …" is a
    sentence."""
    if el.tag not in _LABEL_TAGS or len(el):
        return False
    label = " ".join((el.text or "").split()).casefold().rstrip(" :\uff1a")
    if label not in words.by_prefixes:
        return False
    after = (el.tail or "").strip()
    if not after and el.getnext() is not None:
        after = element_text(el.getnext()).strip()
    return after[:1].isalpha() and not after[:1].islower()


MAX_WIRE_CREDIT_CHARS = 250  # "(Reporting by …; Additional reporting by …; Editing by …)", not a paragraph


def _wire_credit_lines(tree: HtmlElement) -> list[str]:
    """A wire story's closing credit line ("(Reporting by Ann Writer in London; Editing by Bob
    Smith)"): the one byline of many agency pickups. The last such line of the article (else the
    page); ``classify`` keeps the reporters and writers and drops the editors."""
    words = word_lists()
    scope = (article_elements(tree) or [tree])[0]
    found = ""
    for el in scope.iter("p", "div", "span", "em", "i", "small"):
        lead = (el.text or "").lstrip(" \n\t(").casefold()
        if not lead.startswith(words.wire_credits):
            continue
        text = element_text(el, always_separate=True).strip()
        if len(text) <= MAX_WIRE_CREDIT_CHARS and not in_furniture(el):
            found = text.strip("()[] ")
    return [found] if found else []


def _byline_lead(lead: str, has_children: bool, words: WordLists) -> bool:
    """The line opens as a byline: a by-word before a name ("By Ann Writer", "von Anna Schmidt",
    "di Mario Rossi"), a longer lead-in ("Written by", "Story by"), or any credit word before a
    colon ("Autor: Max Mustermann", "Автор: Иван Иванов", "文：山田太郎"), or before a name in a
    script without spaces between words ("记者 张三"). "By the time …" is a sentence; "By <a>Ann
    Writer</a>" (the name in a child element) a byline. A bare name particle ("De Gaulle said") is
    no lead-in."""
    folded = lead.casefold()
    for prefix in words.by_prefixes:  # longest first
        if not folded.startswith(prefix):
            continue
        rest = lead[len(prefix):]
        if rest.lstrip()[:1] in (":", "\uff1a"):
            rest = rest.lstrip()[1:]
        elif not rest[:1].isspace():
            continue  # "Bylines", "Textiles": another word
        elif " " not in prefix and prefix not in words.inner_by and prefix not in words.line_by and prefix.isascii():
            continue
        name = rest.lstrip()
        return (name[:1].isalpha() and not name[:1].islower()) or (not name and has_children)
    return False


_LINK_LABELS = frozenset("view see all more author authors page profile articles posts stories bio by sign log login "
                         "register subscribe account".split())


def _name_shaped(text: str) -> bool:
    tokens = text.split()
    return 2 <= len(tokens) <= 4 and all(
        (t[:1].isupper() or t.casefold() in PARTICLES) and t.casefold().strip(".,") not in _LINK_LABELS
        for t in tokens)


def pick_authors(tree: HtmlElement, meta: dict[str, list[str]], ld: list[dict[str, Any]], language: str | None,
                 brands: set[str], declared_brands: set[str], trafilatura_author: Callable[[], str | None]) -> Credits:
    """People first from the best source that names one; organisations only when nobody is named.
    ``brands`` are the outlet's keys by host and by name, ``declared_brands`` those by the names it
    declares only (``titlesites.name_keys``). An organisation one source credits is a brand for the
    sources after it: JSON-LD's ``Organization`` "Mic" makes the byline "Mic" no person."""
    organisations: list[str] = []
    known = set(brands)
    sources: list[Callable[[], Credits]] = [
        lambda: _ld_credits(ld, language, known, declared_brands),
        lambda: classify((v for key in AUTHOR_META_KEYS for v in meta.get(key, ())), language, known),
        lambda: classify(_visible_bylines(tree), language, known, marked=True),
        lambda: classify(_author_class_bylines(tree), language, known, marked=True),
        lambda: classify(_author_page_links(tree), language, known),
        lambda: classify(_text_bylines(tree), language, known),
        lambda: classify((trafilatura_author() or "").split(";"), language, known),
        lambda: classify(_wire_credit_lines(tree), language, known),
    ]
    for index, source in enumerate(sources):
        credits = source()
        if credits.people:
            return Credits(_with_coauthors(credits.people, sources[index + 1:MARKED_SOURCES]), [])
        organisations = organisations or credits.organisations
        known.update(brand_key(name) for name in credits.organisations)
    return Credits([], organisations)


MARKED_SOURCES = 4  # JSON-LD, meta, and the two kinds of author elements shown on the page


def _with_coauthors(people: list[str], shown: list[Callable[[], Credits]]) -> list[str]:
    """The declared authors, or the byline shown on the page when it names them all and more: a
    page's JSON-LD or meta author often holds only the first of its writers."""
    if len(people) >= MAX_LINKED_AUTHORS:
        return people
    named = {p.casefold() for p in people}
    words = word_lists()
    for source in shown:
        more = source().people
        added = [p for p in more if p.casefold() not in named]
        # The names it adds are names, not a role the byline shows beside the name ("Culture Writer"),
        # nor a declared name with a lead-in the byline kept ("Kommentar von Nicole Opitz").
        if added and named <= {p.casefold() for p in more} and \
                not any(is_role(t, words.roles) for name in added for t in name.split()) and \
                not any(_holds_name(name, people) for name in added):
            return more
    return people


def _holds_name(text: str, names: list[str]) -> bool:
    """One of ``names`` is a run of whole words in ``text``."""
    padded = f" {text.casefold()} "
    return any(f" {name.casefold()} " in padded for name in names)

"""Authors: the people who wrote the article, apart from organisations credited with it.

Sources, first that names a person wins:
  1. the article's JSON-LD ``author``: ``Person`` entries are people, ``Organization`` entries
     (and names that are the outlet's brand) are organisations;
  2. ``<meta name=author>`` and its relatives (what the publisher declares for this article);
  3. the visible byline: ``itemprop=author`` elements, ``rel=author`` links, a ``byline`` element
     (class or id), then elements of an author class ("author", "post-author", "author-name"), then
     links to author pages ("/author/", "/people/", "/staff/"...), then a short
     line of plain text that starts with "By"/"Von"/"Par"; none from a sidebar, related-stories
     widget, comments, navigation or the page's own <aside>/<footer> (other stories' bylines);
  4. trafilatura's byline reader.
Organisation-only credits ("BBC News", "Reuters") are kept only when no source names a person,
and then apart (``Credits.organisations``), never mixed into the names. When JSON-LD or meta
names people, the byline shown on the page wins if it names them all and more (co-authors the
declaration left out).

Cleaning a byline: a "By"/"Von"/"Par" prefix, e-mails, URLs, handles ("@annwriter") and
parentheses ("(obe)") are removed; it is split on commas, semicolons, "&", the page language's
conjunction ("und", "et", "y", "og"...) and line breaks between lines of two words or more (an
outlet on its own line; what follows an outlet after a name is a place); "Last, First" is turned
round; roles are cut from the end only when at least two name words stay ("Sam Stein Senior
Politics Editor" → "Sam Stein", but "Ann Writer" stays whole), and from the start when two
capitalised words follow ("Senior Editor Ann Writer", "FOCUS-Online-Experte Jonas Weber"); a
credit of roles around an outlet ("Guardian staff reporter") names nobody; a
single all-caps surname stays ("André Oliver KLEIN") while a longer all-caps tail is an outlet
("Meg Wagner NEW YORK DAILY NEWS"). A name ends where a sentence or a connector starts ("Ann
Writer is a reporter at …", "Ann Writer for The Guardian", "Jean Dupont avec AFP") and starts
after a lead-in that ends in a by-word ("Story by", "Ein Kommentar von"); an editor's,
photographer's or illustrator's credit names nobody ("Editing by", "Photos:", "Illustration by
<span itemprop=author>"); CJK roles are cut on either side ("新华社记者 王小明", "山田太郎記者") and
Chinese names parted at spaces. Clutter phrases, role words, by-words, other people's credits and
conjunctions are in ``archive/data/extraction.toml``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

from archive.extract.markup import _is_article_type, text_before
from archive.extract.titles import element_text
from archive.extract.wordlists import WordLists, word_lists

AUTHOR_META_KEYS = ("author", "article:author", "og:article:author", "byl", "byline", "author_name",
                    "article:author_name", "parsely-author", "sailthru.author", "cxenseparse:author", "dc.creator",
                    "dcterms.creator", "citation_author")
MAX_NAMES = 12  # more "authors" than this is a list of contributors to the whole site
_WS = re.compile(r"\s+")
_EMAIL = re.compile(r"\S+@\S+\.\w+|https?://\S+|www\.\S+")
_HANDLE = re.compile(r"(?<!\S)@\w+")  # a social-media handle after the name: "Jane Smith @janesmith"
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]|（[^）]*）|【[^】]*】")
# CJK commas too ("[田中宏昌，ITmedia]"); a dash only with spaces around it ("Ann Writer - Staff
# Writer"), never inside a name ("Mary-Jane", "Jean-Luc").
_SPLIT = re.compile(r"\s*(?:[;,|·/•，、；]|&|\band\b|\n)\s*|\s+[-–—]+\s+", re.I)
_WRAPPED = re.compile(r"^\s*[\[（(【]([^\[\]（）()【】]+)[\]）)】]\s*$")  # a whole byline in brackets is the byline
_PREFIX_PUNCTUATION = " :-–—：/／"  # after "By", "Auteur :", "文/", "記者："
_NOT_A_NAME = re.compile(r"://|@|\.com\b|\d|[<>{}\[\]=#]")
_LATIN = re.compile(r"[A-Za-zÀ-ɏ]")
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")  # kana, Han, Hangul
_POSSESSIVE = re.compile(r"['’ʼ]s$")
_HAN_NAME = re.compile(r"^[\u3400-\u9fff]{2,4}$")  # a Chinese name: two to four characters
_MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thurs fri sat sun"
                      .split())
_ORG_TYPES = ("organization", "organisation", "newsmediaorganization", "corporation", "brand")


@dataclass(frozen=True)
class Credits:
    people: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)


@dataclass
class _Collected:
    people: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)

    def add(self, bucket: list[str], name: str) -> None:
        if name.casefold() not in {n.casefold() for n in bucket} and len(bucket) < MAX_NAMES:
            bucket.append(name)


def _key(text: str) -> str:
    return re.sub(r"\W", "", text.casefold())


def _is_brand(name: str, brands: set[str], words: WordLists) -> bool:
    key = _key(name)
    if any(key == b or (len(b) >= 4 and b in key) for b in brands):
        return True
    tokens = [t.strip(".,").casefold() for t in name.split()]
    if len(tokens) == 1 and name.isupper() and _LATIN.search(name):
        return True  # "TNN", "CNN", "AP"
    if len(tokens) >= 2 and tokens[0] == "the":
        return True  # "The Globe": no person's name starts with the article
    if not _LATIN.search(name) and (name.endswith(words.cjk_organisation_suffixes) or
                                    any(w in name for w in words.cjk_organisation_words)):
        return True  # "朝日新聞社", "新华社", "朝日新聞デジタル"
    return any(t in words.organisation_words for t in tokens)


def _strip_prefix(text: str, words: WordLists) -> str:
    lowered = text.casefold()
    for prefix in words.by_prefixes:
        if lowered.startswith(prefix) and len(text) > len(prefix) and not text[len(prefix)].isalnum():
            return text[len(prefix):].lstrip(_PREFIX_PUNCTUATION)
    return text


def _lines(value: str) -> str:
    """A line break separates credits ("Kelli Miller" / "WebMD Health News") when every line holds
    at least two words; a markup line break inside one credit ("By" / "Kelli Miller", "Kelli" /
    "Miller") is only whitespace."""
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    if len(lines) > 1 and all(len(line.split()) >= 2 for line in lines):
        return "; ".join(lines)
    return " ".join(lines)


def _split(value: str, language: str | None, words: WordLists) -> list[str]:
    value = _lines(_WRAPPED.sub(r"\1", value))
    value = _before_sentence(_PARENS.sub(" ", _HANDLE.sub(" ", _EMAIL.sub(" ", value))), words)
    # "Last, First": one comma between two single capitalised words.
    parts = [p.strip() for p in value.split(",")]
    if len(parts) == 2 and all(len(p.split()) == 1 and p[:1].isupper() for p in parts) and "," not in parts[1]:
        value = f"{parts[1]} {parts[0]}"
    pieces = _SPLIT.split(_strip_prefix(_WS.sub(" ", value).strip(), words))
    conjunctions = words.conjunctions_for(language) - {"and"}
    out: list[str] = []
    for piece in pieces:
        cjk = _cjk_names(piece, language, words)
        if cjk is not None:
            out += cjk
            continue
        tokens = piece.split()
        current: list[str] = []
        for i, token in enumerate(tokens):
            # A conjunction of the page's language between two capitalised words splits names.
            if token.casefold() in conjunctions and current and i + 1 < len(tokens) and tokens[i + 1][:1].isupper():
                out.append(" ".join(current))
                current = []
            else:
                current.append(token)
        out.append(" ".join(current))
    stripped = (_strip_prefix(p.strip(" .:-–—|·•\"'"), words) for p in out if p.strip())
    return [name for name in (_name_span(p, words) for p in stripped) if name]


def _before_sentence(value: str, words: WordLists) -> str:
    """A byline that runs on into a sentence ends where the sentence starts, before it is split
    at its "and"s and commas: "Duncan Bell is a Reader in the Department of Politics and
    International Studies" names Duncan Bell alone. The first lower-case word that is neither a
    name particle nor a conjunction, after two capitalised words, starts the sentence when
    ``SENTENCE_WORDS`` such words follow (fewer are a label: "Account You're logged in")."""
    conjunctions = set().union(*words.conjunctions.values())
    tokens = value.split(" ")

    def plain(token: str) -> bool:
        word = token.strip(",;.")
        return word[:1].islower() and word.casefold() not in _PARTICLES and word.casefold() not in conjunctions

    named = 0
    for at, token in enumerate(tokens):
        if token[:1].isupper():
            named += 1
        elif plain(token):
            if named >= 2 and sum(map(plain, tokens[at:])) >= SENTENCE_WORDS:
                return " ".join(tokens[:at])
            return value
    return value


SENTENCE_WORDS = 3  # lower-case words after a name that make a sentence rather than a label


def _name_span(part: str, words: WordLists) -> str:
    """The words of a byline part that can name its writer: nothing for another person's credit
    ("Editing by Bob Smith", "Photos: …"), the name before a connector ("Ann Writer for The
    Guardian") or after a lead-in ("Story by Ann Writer"). Cut here, before the part is judged
    a person or an outlet: "Ann Writer is a reporter at The Daily Planet" names a person. Clutter
    goes first: "Account You're logged in" is no name cut at "logged"."""
    part = _drop_clutter(part, words)
    if _other_credit(part, words):
        return ""
    tokens = _after_lead_in(_before_connector(part.split()), words)
    if tokens and all(_date_word(t) for t in tokens):
        return ""  # "Wednesday January" (of "Wednesday January 18, 2017 … by Juli Clover")
    while len(tokens) >= 3 and _date_word(tokens[-1]) and tokens[-1].casefold().strip(".,") != "may":
        tokens = tokens[:-1]  # a date after the credit: "Apartment Therapy Submissions Oct" ("May" is a surname)
    return " ".join(tokens)


def _date_word(token: str) -> bool:
    word = token.casefold().strip(".,")
    return word in _MONTHS or word in _WEEKDAYS


_PARTICLES = frozenset("de da di del della der den van von le la du do dos das y bin ibn al el zu zum zur vom ter ten"
                       .split())


def _drop_clutter(part: str, words: WordLists) -> str:
    """Cut a clutter phrase and what follows it ("Steven Shepard Link Copied"), or, when it opens
    the part, the phrase itself ("View all posts by Ann Writer"). The phrase found first in the
    part counts ("Account You're logged in": "you're logged", not "logged in")."""
    lowered = part.casefold()
    found = sorted((lowered.find(phrase), phrase) for phrase in words.author_clutter_phrases if phrase in lowered)
    for at, phrase in found[:1]:
        if at > 0 and not part[:at].strip().count(" ") and not part[at - 1].isspace() and " " in part[at:]:
            # inside the first word, a title before the name: "FOCUS-Online-Experte Hans Meier"
            return _drop_clutter(part[at:].split(" ", 1)[1].strip(), words)
        if at > 0:
            return part[:at].strip(" .:-–—|")
        if at == 0:
            return _strip_prefix(part[len(phrase):].strip(" .:-–—|"), words)
    return part


def _other_credit(part: str, words: WordLists) -> bool:
    """The part credits an editor, photographer or illustrator ("Editing by …", "Photos: …")."""
    lowered = part.casefold()
    return any(lowered.startswith(phrase) and (len(lowered) == len(phrase) or not lowered[len(phrase)].isalnum())
               for phrase in words.other_credits)


def _after_lead_in(tokens: list[str], words: WordLists) -> list[str]:
    """The name after a lead-in that ends in a by-word: "Story by Ann Writer", "Ein Kommentar von
    Anna Schmidt", "Publié le 5 mars par Jean Dupont". The name is at least two capitalised words;
    "von", a name particle too, needs two words before it ("Carl von Ossietzky" is a name)."""
    for at in range(len(tokens) - 2, 0, -1):
        word = tokens[at].casefold()
        if word not in words.inner_by or not _capitalised_name(tokens[at + 1:]):
            continue
        if word in _PARTICLES and at < 2:
            continue
        return tokens[at + 1:]
    return tokens


def _capitalised_name(tokens: list[str]) -> bool:
    return len(tokens) >= 2 and tokens[0][:1].isupper() and \
        all(t[:1].isupper() or t.casefold() in _PARTICLES for t in tokens)


def _before_connector(tokens: list[str]) -> list[str]:
    """A name of two or more capitalised words ends at a lower-case word that is no name particle,
    or at a number: "Ann Writer for The Guardian", "Jean Dupont avec AFP", "Ann Writer is a
    reporter at …", "Ann Writer in Washington", "Ann Writer March 5, 2024", and at a possessive
    ("Ann Writer ’s Discussions")."""
    for at, token in enumerate(tokens):
        if (token[:1].islower() and token.casefold() not in _PARTICLES) or token[:1].isdigit() or \
                token[:1] in "'’ʼ":
            named = [t for t in tokens[:at] if t[:1].isupper()]
            return tokens[:at] if len(named) >= 2 else tokens
        possessive = _POSSESSIVE.search(token)
        if possessive and at >= 1 and at + 1 < len(tokens):
            return [*tokens[:at], token[: possessive.start()]]  # "Ann Writer’s Discussions"
    return tokens


def _cjk_names(piece: str, language: str | None, words: WordLists) -> list[str] | None:
    """The names in a byline part written in CJK or Hangul, None for other scripts: roles cut
    from either end ("新华社记者 王小明", "山田太郎記者", "김철수 기자"); in Chinese, spaces
    separate names ("王小明 李四"), while in Japanese a space parts family and given name."""
    if _LATIN.search(piece) or not _CJK_CHAR.search(piece):
        return None
    roles = words.cjk_role_suffixes
    tokens = piece.split()
    while len(tokens) > 1 and tokens[0].endswith(roles):
        tokens = tokens[1:]  # the outlet and role before the name
    while len(tokens) > 1 and tokens[-1] in roles:
        tokens = tokens[:-1]
    tokens = [_without_role_suffix(t, roles) for t in tokens]
    if (language or "").startswith("zh") and len(tokens) > 1 and all(_HAN_NAME.match(t) for t in tokens):
        return tokens
    return [" ".join(tokens)]


def _without_role_suffix(token: str, roles: tuple[str, ...]) -> str:
    for suffix in roles:
        if token.endswith(suffix) and len(token) > len(suffix) + 1:
            return token[: -len(suffix)]
    return token


def _role(token: str, roles: frozenset[str]) -> bool:
    word = token.casefold().strip(".,:")
    # German compounds end in the role: "Auslandskorrespondent", "Chefredakteurin".
    return word in roles or any(len(r) >= 7 and word.endswith(r) for r in roles)


def _person(part: str, words: WordLists, single_word: bool = False) -> str | None:
    """The person named by one split byline part, or None (clutter, a role credit, not a name).
    ``single_word``: the part comes from an element that marks an author (itemprop, rel, class),
    where one capitalised word is a name ("Paul"), not a handle guessed from the page."""
    part = _drop_clutter(part, words)
    if not part or part.casefold() in words.author_clutter:
        return None
    tokens = part.split()
    while tokens and tokens[0][:1].islower():
        tokens = tokens[1:]  # "on Deadspin", "and more", "do Rio": not the start of a name
    if len(tokens) == 2 and tokens[-1].casefold().strip(".,") in _MONTHS and _role(tokens[0], words.roles):
        tokens = tokens[:1]  # "Editor December" (a role, then the date): the role alone, no person
    lead = 0
    while lead < len(tokens) and _role(tokens[lead], words.roles):
        lead += 1
    if 0 < lead and len(tokens) - lead >= 2 and all(t[:1].isupper() for t in tokens[lead:]):
        tokens = tokens[lead:]  # "Senior Editor Jane Smith", "Chefredakteur Hans Meier": the title first
    roles = [i for i, t in enumerate(tokens) if _role(t, words.roles)]
    if roles:
        lower_role = any(tokens[i].islower() for i in roles)
        if roles[0] >= 2:
            tokens = tokens[: roles[0]]  # "Sam Stein Senior Politics Editor"
        elif lower_role or len(roles) >= 2 or len(roles) == len(tokens) or \
                all(i in roles or _is_acronym(t) for i, t in enumerate(tokens)):
            return None  # "Guardian staff reporter", "Staff Writer", "Editor", "CH Contributor": a credit
    half = len(tokens) // 2
    if len(tokens) >= 4 and len(tokens) % 2 == 0 and tokens[:half] == tokens[half:]:
        tokens = tokens[:half]  # a byline that prints the name twice (link text and image alt)
    # An all-caps tail of two or more words after a mixed-case name is an outlet.
    caps_tail = 0
    while caps_tail < len(tokens) and tokens[len(tokens) - 1 - caps_tail].isupper():
        caps_tail += 1
    if caps_tail >= 2 and caps_tail < len(tokens) and not tokens[0].isupper():
        tokens = tokens[: len(tokens) - caps_tail]
    if tokens and tokens[-1].casefold().strip(".,") in _MONTHS and len(tokens) >= 3:
        tokens = tokens[:-1]  # a date fragment ("Joshua Sokol May"); "Theresa May" keeps hers
    name = " ".join(tokens).strip(" .,")
    if not name or len(name) > 60 or len(tokens) > 6 or _NOT_A_NAME.search(name):
        return None
    if not any(ch.isalpha() for ch in name) or (name.islower() and _LATIN.search(name)):
        return None  # no letters, or a lower-case handle ("staff", "admin")
    if _LATIN.search(name) and len(tokens[-1].strip(".")) < 2:
        return None  # a name ends in a surname, not an initial ("A A A" of a text-size widget)
    if len(tokens) == 1 and _LATIN.search(name) and not name.isupper() and \
            not (single_word and name[:1].isupper() and name[1:].islower() and len(name) >= 3):
        return None  # a single Latin word is a handle ("Bparis"), not a byline name
    return name


def _is_acronym(token: str) -> bool:
    """An outlet's initials beside a role ("CH Contributor"): two to four capitals."""
    return 2 <= len(token) <= 4 and token.isupper() and token.isalpha()


_OUTLET_ARTICLES = frozenset("the der die das le la les el il lo".split())


def _person_then_outlet(part: str, words: WordLists) -> tuple[str, str] | None:
    """"Joe Davidson Washington Post" → ("Joe Davidson", "Washington Post"): a name of at least
    two words followed by an outlet whose name has an organisation word in it."""
    tokens = part.split()
    at = next((i for i, t in enumerate(tokens) if t.casefold().strip(".,") in words.organisation_words), None)
    if at is None or at < 2:
        return None
    # An acronym is the outlet alone ("Ann Writer CNN"); a word usually has one before it
    # ("Washington Post", "Daily News").
    named = tokens[at].isupper() or tokens[at].casefold().strip(".,") in words.named_outlets
    cut = at if named or (at == 2 and at + 1 < len(tokens)) else at - 1
    while cut > 2 and tokens[cut - 1].casefold() in _OUTLET_ARTICLES:
        cut -= 1  # "Ann Writer The Washington Post": the article opens the outlet's name
    if cut < 2 or not all(t[:1].isupper() for t in tokens[cut:]) or tokens[0].casefold() == "the":
        return None
    if all(t.casefold().strip(".,") in words.collectives for t in tokens[cut:]):
        return None  # "Smart Shopping Team": a team's name, not a person and an outlet
    if part.isupper():
        return None  # "THE NEW YORK TIMES" is all outlet; "ANN WRITER Associated Press" is not
    return " ".join(tokens[:cut]), " ".join(tokens[cut:])


def classify(values: Iterable[Any], language: str | None, brands: set[str], marked: bool = False) -> Credits:
    """Split and clean byline strings into people and organisations (``marked``: the strings come
    from elements that mark an author, see ``_person``)."""
    words = word_lists()
    found = _Collected()
    for value in values:
        if not isinstance(value, str) or not value.strip():
            continue
        named = False  # this byline has named a person: an outlet after that ends the names
        parts = _split(value, language, words)
        # One capitalised word from an author element is a name ("Paul") when it is the whole
        # byline; after a name it is a place ("Juan Pérez | Madrid").
        single_word = marked and len(parts) == 1
        for part in parts:
            split = _person_then_outlet(part, words)
            if split is not None and not _is_brand(split[0], brands, words):
                person = _person(split[0], words)
                if person:
                    found.add(found.people, person)
                    break  # what follows "Name Outlet" in a byline is a place: "BBC Brasil, Santa Maria"
            if _is_brand(part, brands, words) and not _NOT_A_NAME.search(part):
                if part.casefold() not in words.author_clutter and len(part) <= 60:
                    found.add(found.organisations, part)
                if named:
                    break  # "Caio Quero / BBC Brasil, Santa Maria": what follows the outlet is a place
                continue
            name = _person(part, words, single_word=single_word)
            if name and _is_brand(name, brands, words):
                found.add(found.organisations, name)
            elif name:
                found.add(found.people, name)
                named = True
    return Credits(found.people, found.organisations)


def _ld_credits(ld: list[dict[str, Any]], language: str | None, brands: set[str]) -> Credits:
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
            credits = classify(entry if isinstance(entry, list) else [entry], language, brands, marked=person)
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


# Containers of other stories' teasers, and "comment" (readers' names, not the writer's).
_TEASER_CLASSES = ("sidebar", "related", "widget", "comment", "teaser", "promo", "recirc", "summary-item",
                   "more-stories", "most-popular", "trending")
_MEDIA_TYPES = ("ImageObject", "VideoObject", "Photograph", "MediaObject")  # their author is the photographer


def _in_teaser(el: HtmlElement) -> bool:
    """The element sits in page furniture around the article: navigation, a sidebar or related-
    stories widget or the comments (by class or a schema.org Comment), or an <aside>/<footer> of
    the page itself. A byline there is another story's or a reader's. A picture's credit (in a
    <figure>, or a schema.org ImageObject's author) is the photographer's. (An <aside> or <footer>
    inside the <article>/<main> is the article's own meta column: the Guardian's byline, a
    WordPress article footer.)"""
    page_level = False  # inside an <aside>/<footer> that no <article>/<main> holds
    for node in el.iterancestors():
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if tag in ("body", "html"):
            break  # "layout--with-sidebar" on <body> describes the page, not a teaser
        if tag in ("figure", "figcaption") or (node.get("itemtype") or "").endswith(_MEDIA_TYPES):
            return True
        if tag in ("article", "main"):
            page_level = False
        elif tag in ("aside", "footer"):
            page_level = True
        if tag == "nav" or any(t.startswith(_TEASER_CLASSES) for t in (node.get("class") or "").lower().split()):
            return True
        if (node.get("itemtype") or "").endswith("Comment"):
            return True
    return page_level


def _visible_bylines(tree: HtmlElement) -> list[str]:
    """Byline texts shown on the page: itemprop=author, rel=author links, a byline element; none
    from the page's furniture (``_in_teaser``)."""
    found = [e for e in tree.xpath('//*[@itemprop="author"]') if not _in_teaser(e) and not _credits_another(e)]
    marked = _distinct(text for el in _same_block(found) for text in _itemprop_names(el))
    if 0 < len(marked) <= MAX_LINKED_AUTHORS:
        return marked
    distinct = _distinct(element_text(a, always_separate=True) for a in tree.xpath('//a[@rel="author"]')
                         if not _in_teaser(a) and not _credits_another(a))
    if 0 < len(distinct) <= MAX_LINKED_AUTHORS:
        return distinct
    bylines = [e for e in tree.xpath('//*[contains(translate(@class, "BYLINE", "byline"), "byline") '
                                     'or translate(@id, "BYLINE", "byline") = "byline"]')
               if (_class_says(e, _BYLINE_PARTS) or (e.get("id") or "").lower() == "byline") and _byline_sized(e)]
    # One byline element per co-author ("<span class=byline>Ann Writer</span><span class=byline>Bob
    # Smith</span>"): the outermost, those beside the first and made like it (NPR's audio player
    # has a "byline" of its own, the show's name).
    found = [e for e in bylines if not _in_teaser(e)]
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
# or the role and date beside them instead ("byline__image", "author-bio", "author-title").
_BYLINE_PARTS = ("byline", "bylines")
_AUTHOR_PARTS = ("author", "authors", "authorname")
_NOT_NAME_PARTS = frozenset("bio bios image img avatar photo pic picture description desc thumb thumbnail icon title "
                            "role job position date time".split())
_CLASS_PARTS = re.compile(r"[-_]+")


def _class_says(el: HtmlElement, marks: tuple[str, ...]) -> bool:
    """One of the element's classes has a part that is, or ends in, one of ``marks``, and is no
    commenter's, teaser's, picture's or biography's class ("sf_comment_author", "author-bio")."""
    for token in (el.get("class") or "").lower().split():
        if any(word in token for word in _TEASER_CLASSES):
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
             if _class_says(e, _AUTHOR_PARTS) and _byline_sized(e) and not _in_teaser(e) and not _credits_another(e)]
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
    lists other writers). Only link texts shaped like a name, capitalised words and no link
    labels ("View Author Page", "Articles")."""
    linked = [a for a in tree.xpath(f"//article//a[{_AUTHOR_HREF}]") if not _in_teaser(a)] or \
        [a for a in tree.xpath(f"//a[{_AUTHOR_HREF}]") if not _in_teaser(a)][:1]
    names = [t for t in _distinct(element_text(a, always_separate=True) for a in linked) if _name_shaped(t)]
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
    scopes = tree.xpath('//*[@itemprop="articleBody"]') or tree.xpath("//article")
    whole_page = not scopes
    headline_seen = whole_page and tree.find(".//h1") is None
    for scope in (scopes or [tree])[:1]:
        scanned = 0
        for el in scope.iter("h1", *_TEXT_BYLINE_TAGS):
            if el.tag == "h1":
                headline_seen = True
                continue
            lead = (el.text or "").lstrip()
            if (whole_page and not headline_seen) or not lead:
                continue
            scanned += 1
            if scanned > TEXT_BYLINE_SCAN:
                break
            first, _, rest = lead.partition(" ")
            if not first[:1].isupper() or first.casefold().rstrip(":") not in words.inner_by:
                continue
            if not (rest.lstrip()[:1].isupper() or (not rest.strip() and len(el))):
                continue  # "By the time …" is a sentence; "By <a>Ann Writer</a>" a byline
            text = element_text(el, always_separate=True)
            if len(text.strip()) <= MAX_TEXT_BYLINE_CHARS and not _in_teaser(el):
                return [text]
    return []


_LINK_LABELS = frozenset("view see all more author authors page profile articles posts stories bio by sign log login "
                         "register subscribe account".split())


def _name_shaped(text: str) -> bool:
    tokens = text.split()
    return 2 <= len(tokens) <= 4 and all(
        (t[:1].isupper() or t.casefold() in _PARTICLES) and t.casefold().strip(".,") not in _LINK_LABELS
        for t in tokens)


def pick_authors(tree: HtmlElement, meta: dict[str, list[str]], ld: list[dict[str, Any]], language: str | None,
                 brands: set[str], trafilatura_author: Callable[[], str | None]) -> Credits:
    """People first from the best source that names one; organisations only when nobody is named."""
    organisations: list[str] = []
    sources: list[Callable[[], Credits]] = [
        lambda: _ld_credits(ld, language, brands),
        lambda: classify((v for key in AUTHOR_META_KEYS for v in meta.get(key, ())), language, brands),
        lambda: classify(_visible_bylines(tree), language, brands, marked=True),
        lambda: classify(_author_class_bylines(tree), language, brands, marked=True),
        lambda: classify(_author_page_links(tree), language, brands),
        lambda: classify(_text_bylines(tree), language, brands),
        lambda: classify((trafilatura_author() or "").split(";"), language, brands),
    ]
    for index, source in enumerate(sources):
        credits = source()
        if credits.people:
            return Credits(_with_coauthors(credits.people, sources[index + 1:MARKED_SOURCES]), [])
        organisations = organisations or credits.organisations
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
        # The names it adds are names, not a role the byline shows beside the name ("Culture Writer").
        if added and named <= {p.casefold() for p in more} and \
                not any(_role(t, words.roles) for name in added for t in name.split()):
            return more
    return people

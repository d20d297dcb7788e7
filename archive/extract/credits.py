"""Credits: byline strings split and cleaned into people and organisations.

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
Chinese names parted at spaces. Whether a part names the outlet is ``archive.extract.outletcredits``'s
to say. Clutter phrases, role words, by-words, other people's credits and conjunctions are in
``archive/data/extraction.toml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from archive.extract.outletcredits import is_brand, names_own_site, person_then_outlet
from archive.extract.wordlists import WordLists, word_lists

MAX_NAMES = 12  # more "authors" than this is a list of contributors to the whole site
_WS = re.compile(r"\s+")
# A link ends before a closing bracket: "Bradley M. Kuhn (http://ebb.org/bkuhn/)".
_EMAIL = re.compile(r"\S+@\S+\.\w+|https?://[^\s)\]]+|www\.[^\s)\]]+")
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
    # "Last, First": one comma between a capitalised surname and the given name, which may end in
    # a name particle ("Jong, Michiel de" → "Michiel de Jong").
    parts = [p.strip() for p in value.split(",")]
    if len(parts) == 2 and len(parts[0].split()) == 1 and parts[0][:1].isupper() and _given_name(parts[1]):
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
    stripped = (_strip_prefix(_trimmed(p), words) for p in out if p.strip())
    return [name for name in (_name_span(p, words) for p in stripped) if name]


def _given_name(text: str) -> bool:
    """One capitalised word or initial, and a name particle after it at most ("Ann", "F.", "Michiel de")."""
    tokens = text.split()
    return 1 <= len(tokens) <= 2 and tokens[0][:1].isupper() and all(t in PARTICLES for t in tokens[1:])


_GENERATION = re.compile(r"\s(?:Jr|Sr)\.$")  # "Jane Doe Jr.": the dot is the name's


def _trimmed(part: str) -> str:
    """The part without the punctuation around it, except the dot of a generational suffix."""
    kept = "." if _GENERATION.search(part.rstrip(" :-–—|·•\"'")) else ""
    return part.strip(" .:-–—|·•\"'") + kept


def _before_sentence(value: str, words: WordLists) -> str:
    """A byline that runs on into a sentence ends where the sentence starts, before it is split
    at its "and"s and commas: "Duncan Bell is a Reader in the Department of Politics and
    International Studies" names Duncan Bell alone, and so does "Johannes Ritter Korrespondent für
    Politik und Wirtschaft" (a role before the lower-case word). The first lower-case word that is
    neither a name particle nor a conjunction, after two capitalised words, starts the sentence
    when ``SENTENCE_WORDS`` such words follow (fewer are a label: "Account You're logged in")."""
    conjunctions = set().union(*words.conjunctions.values())
    tokens = value.split(" ")

    def plain(token: str) -> bool:
        word = token.strip(",;.")
        return word[:1].islower() and word.casefold() not in PARTICLES and word.casefold() not in conjunctions

    named = 0
    for at, token in enumerate(tokens):
        if token[:1].isupper():
            named += 1
        elif plain(token):
            if named >= 2 and sum(map(plain, tokens[at:])) >= SENTENCE_WORDS:
                return " ".join(tokens[:_appositive_start(tokens, at)])
            if named >= 3 and is_role(tokens[at - 1], words.roles):
                # a role that runs on into its description: "Johannes Ritter Korrespondent für
                # Politik und Wirtschaft in der Schweiz" (not two people joined by "und")
                return " ".join(tokens[:at - 1])
            return value
    return value


SENTENCE_WORDS = 3  # lower-case words after a name that make a sentence rather than a label


def _appositive_start(tokens: list[str], at: int) -> int:
    """Where the description that turns into a sentence at ``at`` starts: at the last comma before
    it when only capitalised words stand between (its subject, "Mykolo Romerio" of "Povilas
    Aleksandravičius, Mykolo Romerio universiteto … profesorius"), else at ``at``."""
    for comma in range(at - 1, 0, -1):
        if tokens[comma - 1].endswith(","):
            return comma if all(t[:1].isupper() for t in tokens[comma:at]) else at
    return at


def _name_span(part: str, words: WordLists) -> str:
    """The words of a byline part that can name its writer: nothing for another person's credit
    ("Editing by Bob Smith", "Photos: …"), the name before a connector ("Ann Writer for The
    Guardian") or after a lead-in ("Story by Ann Writer"). Cut here, before the part is judged
    a person or an outlet: "Ann Writer is a reporter at The Daily Planet" names a person. Clutter
    goes first: "Account You're logged in" is no name cut at "logged"."""
    part = _drop_clutter(part, words)
    if _other_credit(part, words):
        return ""
    tokens = _after_lead_in(_before_connector(_before_date_label(part.split(), words)), words)
    if tokens and all(_date_word(t) for t in tokens):
        return ""  # "Wednesday January" (of "Wednesday January 18, 2017 … by Juli Clover")
    while len(tokens) >= 3 and _date_word(tokens[-1]) and tokens[-1].casefold().strip(".,") != "may":
        tokens = tokens[:-1]  # a date after the credit: "Apartment Therapy Submissions Oct" ("May" is a surname)
    return " ".join(tokens)


def _before_date_label(tokens: list[str], words: WordLists) -> list[str]:
    """A name ends at a date label after it: "Mic Updated May 25, 2016" names "Mic"."""
    for at, token in enumerate(tokens[1:], 1):
        if token.casefold().strip(".,:") in words.date_labels:
            return tokens[:at]
    return tokens


def _date_word(token: str) -> bool:
    word = token.casefold().strip(".,")
    return word in _MONTHS or word in _WEEKDAYS


PARTICLES = frozenset("de da di del della der den van von le la du do dos das y bin ibn al el zu zum zur vom ter ten"
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
        if word in PARTICLES and at < 2:
            continue
        return tokens[at + 1:]
    return tokens


def _capitalised_name(tokens: list[str]) -> bool:
    return len(tokens) >= 2 and tokens[0][:1].isupper() and \
        all(t[:1].isupper() or t.casefold() in PARTICLES for t in tokens)


def _before_connector(tokens: list[str]) -> list[str]:
    """A name of two or more capitalised words ends at a lower-case word that is no name particle,
    or at a number: "Ann Writer for The Guardian", "Jean Dupont avec AFP", "Ann Writer is a
    reporter at …", "Ann Writer in Washington", "Ann Writer March 5, 2024", and at a possessive
    ("Ann Writer ’s Discussions")."""
    for at, token in enumerate(tokens):
        if (token[:1].islower() and token.casefold() not in PARTICLES) or token[:1].isdigit() or \
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
    tokens = [t for t in tokens if t not in roles] or tokens  # "张三 通讯员 李四": a role between names
    tokens = [_without_role_suffix(t, roles) for t in tokens]
    if (language or "").startswith("zh") and len(tokens) > 1 and all(_HAN_NAME.match(t) for t in tokens):
        return tokens
    return [" ".join(tokens)]


def _without_role_suffix(token: str, roles: tuple[str, ...]) -> str:
    for suffix in roles:
        if token.endswith(suffix) and len(token) > len(suffix) + 1:
            return token[: -len(suffix)]
    return token


def is_role(token: str, roles: frozenset[str]) -> bool:
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
    if len(tokens) == 2 and tokens[-1].casefold().strip(".,") in _MONTHS and is_role(tokens[0], words.roles):
        tokens = tokens[:1]  # "Editor December" (a role, then the date): the role alone, no person
    lead = 0
    while lead < len(tokens) and is_role(tokens[lead], words.roles):
        lead += 1
    if 0 < lead and len(tokens) - lead >= 2 and all(t[:1].isupper() for t in tokens[lead:]):
        tokens = tokens[lead:]  # "Senior Editor Jane Smith", "Chefredakteur Hans Meier": the title first
    roles = [i for i, t in enumerate(tokens) if is_role(t, words.roles)]
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
    if any(t[:1].isupper() and t.casefold() in words.title_words for t in tokens[1:]):
        return None  # "React For Beginners": a title in title case, not a name
    if any(t[:1].islower() and t not in PARTICLES and "'" not in t and "’" not in t for t in tokens[1:]):
        return None  # "Authority control": a label; in a name only particles ("de", "van") are lower-case
    name = _trimmed(" ".join(tokens).strip(" ,"))
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


def classify(values: Iterable[Any], language: str | None, brands: set[str], marked: bool = False) -> Credits:
    """Split and clean byline strings into people and organisations (``marked``: the strings come
    from elements that mark an author, see ``_person``)."""
    words = word_lists()
    found = _Collected()
    for value in values:
        if not isinstance(value, str) or not value.strip():
            continue
        if names_own_site(value, brands):
            cleaned = _person(_EMAIL.sub(" ", _PARENS.sub(" ", value)).strip(), words, single_word=True)
            if cleaned:
                found.add(found.organisations, cleaned)  # "Deutsche Welle (www.dw.com)": the outlet itself
            continue
        named = False  # this byline has named a person: an outlet after that ends the names
        mixed_case = False  # … a person written in mixed case
        parts = _split(value, language, words)
        # One capitalised word from an author element is a name ("Paul") when it is the whole
        # byline; after a name it is a place ("Juan Pérez | Madrid").
        single_word = marked and len(parts) == 1
        for part in parts:
            if mixed_case and part.isupper() and len(part.split()) >= 2:
                continue  # "David Straub, MDR THÜRINGEN": capitals after a name are an outlet or a place
            split = person_then_outlet(part, words)
            if split is not None and not is_brand(split[0], brands, words):
                person = _person(split[0], words)
                if person:
                    found.add(found.people, person)
                    break  # what follows "Name Outlet" in a byline is a place: "BBC Brasil, Santa Maria"
            if is_brand(part, brands, words) and not _NOT_A_NAME.search(part):
                if part.casefold() not in words.author_clutter and len(part) <= 60:
                    found.add(found.organisations, part)
                if named:
                    break  # "Caio Quero / BBC Brasil, Santa Maria": what follows the outlet is a place
                continue
            name = _person(part, words, single_word=single_word)
            if name and is_brand(name, brands, words):
                found.add(found.organisations, name)
            elif name:
                found.add(found.people, name)
                named = True
                mixed_case = mixed_case or not name.isupper()
    return Credits(found.people, found.organisations)

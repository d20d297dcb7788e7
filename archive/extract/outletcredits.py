"""Outlets in credits: whether a byline part names the outlet (or another organisation) rather
than a person, by the outlet's brand keys (og:site_name, JSON-LD publisher, the host name, names
learned across the outlet) and the organisation words of ``archive/data/extraction.toml``.
"""

from __future__ import annotations

import re

from archive.extract.titlesites import brand_key
from archive.extract.wordlists import WordLists

_LATIN = re.compile(r"[A-Za-zÀ-ɏ]")


BRAND_PREFIX_CHARS = 8  # a credit this long (letters) that starts the outlet's name is the outlet


def is_brand(name: str, brands: set[str], words: WordLists) -> bool:
    key = brand_key(name)
    if any(key == b or (len(b) >= 4 and b in key) for b in brands):
        return True
    if len(key) >= BRAND_PREFIX_CHARS and any(b.startswith(key) for b in brands):
        return True  # "Jewish Business" of "Jewish Business News Correspondent": the outlet's name cut short
    tokens = [t.strip(".,").casefold() for t in name.split()]
    if len(tokens) == 1 and name.isupper() and _LATIN.search(name):
        return True  # "TNN", "CNN", "AP"
    if len(tokens) >= 2 and tokens[0] == "the":
        return True  # "The Globe": no person's name starts with the article
    if not _LATIN.search(name) and (name.endswith(words.cjk_organisation_suffixes) or
                                    any(w in name for w in words.cjk_organisation_words)):
        return True  # "朝日新聞社", "新华社", "朝日新聞デジタル"
    return any(t in words.organisation_words for t in tokens)


_OUTLET_ARTICLES = frozenset("the der die das le la les el il lo".split())


def person_then_outlet(part: str, words: WordLists) -> tuple[str, str] | None:
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


_HOST = re.compile(r"(?:https?://)?(?:www\.)?([a-z0-9-]+)\.[a-z]{2,}(?:/\S*)?$", re.I)


def names_own_site(value: str, brands: set[str]) -> bool:
    """The credit is followed by the outlet's own address: "Deutsche Welle (www.dw.com)"."""
    for inner in re.findall(r"\(([^)]*)\)", value):
        host = _HOST.match(inner.strip())
        if host and brand_key(host[1]) in brands:
            return True
    return False

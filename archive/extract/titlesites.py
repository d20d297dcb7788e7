"""A title's segments and the site's name in them: the separators titles use, the outlet's
name keys (host, og:site_name, the JSON-LD publisher, names learned across the outlet), and the
cutting of the site's name and section labels around a headline ("Headline - Politik | Site").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

# Segment separators of titles: " | ", " - ", " – ", " :: ", " » ", and the forms CJK titles use
# without spaces ("需求-新华网", "…_智能_好奇心日報", "…が受賞：朝日新聞デジタル").
# The unspaced hyphen only between CJK characters (or a closing quote and CJK: '…"-정치'):
# "Санкт-Петербург" and "Süd-Ära" are one word. Korean titles use the letter ㅣ as a bar ("정치ㅣ한국일보").
CJK = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uff00-\uffef"
SEPARATORS = re.compile(rf"\s+[|\-–—•·»:~]+\s+|\s*[|｜_ㅣ]\s*|\s*[：]\s*|(?<=[{CJK}\"”』」])-(?=[{CJK}])")
# In a title that quotes with guillemets ("Ayrault « assume » et …"), » closes a quote.
_SEPARATORS_BESIDE_QUOTES = re.compile(SEPARATORS.pattern.replace("»", ""))
# Separators after a leading section label ("Opinion | Headline"); not a colon, which French
# writes spaced inside a headline ("Le président : « … »"), nor a hyphen.
_SECTION_SEPARATORS = frozenset("| ｜ • · » ::".split())
KICKER = re.compile(r"^([^:|]{2,40}?)\s*[:|]\s+(?=\S)")
_GENERIC_HOST_LABELS = frozenset("www com net org edu gov news blog blogs edition amp mobile co uk de fr".split())
# Short words a host label or site name can be that also start ordinary title segments.
_COMMON_WORDS = frozenset("the les der die das los las een het una uno ein new big top".split())
SITE_NAME_MAX_WORDS = 4  # "Genossenschaftsverband Bayern", "The New York Times"
SECTION_MAX_CHARS = 16  # "Local News", "Wissenschaft", "智能"
CJK_RUN = re.compile(rf"[{CJK}]+")


def brand_key(text: str) -> str:
    """A name as site names and brands are compared: case-folded letters and digits ("The Globe"
    → "theglobe")."""
    return re.sub(r"\W", "", text.casefold())


def name_keys(site_names: Iterable[str | None]) -> set[str]:
    """The keys of the names the outlet declares (og:site_name, the publisher, names learned
    across its pages), without its host's."""
    return {key for key in (brand_key(name) for name in site_names if name) if len(key) >= 2}


def site_keys(url: str, site_names: Iterable[str | None]) -> set[str]:
    """Lower-case alphanumeric forms of the site's names and host, to recognise "… | Site" in titles."""
    host = (urlsplit(url).hostname or "").lower()
    labels = host.split(".")
    keys = {label for label in labels if len(label) >= 3 and label not in _GENERIC_HOST_LABELS}
    # "gv-bayern.de": the parts of a hyphenated label too, when they are long enough to be a name.
    keys.update(part for label in labels if "-" in label for part in label.split("-")
                if len(part) >= 5 and part not in _GENERIC_HOST_LABELS)
    registered = [label for label in labels[:-1] if label not in _GENERIC_HOST_LABELS][-1:]
    keys.update(re.sub(r"\W", "", label) for label in registered)  # "bbc" of bbc.co.uk, never "co"
    return {key for key in keys if len(key) >= 2} | name_keys(site_names)


def segments(title: str) -> tuple[list[str], list[str]]:
    separators = _SEPARATORS_BESIDE_QUOTES if "«" in title else SEPARATORS
    return separators.split(title), separators.findall(title)


def join_segments(parts: list[str], seps: list[str]) -> str:
    rebuilt = parts[0]
    for sep, part in zip(seps, parts[1:]):
        rebuilt += sep + part
    return rebuilt.strip()


def names_site(segment: str, keys: set[str]) -> bool:
    key = brand_key(segment)
    if len(key) < 2 or len(segment.split()) > 6:
        return False
    # "CNN Politics" names the site "cnn": a short segment whose first words spell a key (whole
    # words: "Skyfall review" does not name "sky"), never "The Guardian view on …".
    words = segment.split()
    leading = {brand_key("".join(words[:n])) for n in range(1, len(words))} \
        if len(words) <= 3 else set()
    return any(k == key or (len(k) >= 4 and (k in key or key in k))
               or (len(k) >= 3 and k not in _COMMON_WORDS and k in leading) for k in keys)


def strip_site(title: str, keys: set[str]) -> str:
    """Cut leading/trailing segments that name the site ("… - BBC News", "TechCrunch | …",
    "Example News: …")."""
    lead = KICKER.match(title)
    if lead is not None and ":" in lead.group() and brand_key(lead[1]) in keys:
        # "Site: …" (a colon is no segment separator, so only a lead that is exactly a site name)
        title = title[lead.end():]
    parts, seps = segments(title)
    count = len(parts)
    while len(parts) > 1 and names_site(parts[-1], keys):
        parts.pop()
        seps.pop()
    if len(parts) < count and len(parts) > 1 and _section_before_site(parts[-1], parts[:-1]):
        parts.pop()  # "Headline - Politik | Site", "…-정치ㅣ한국일보": the section before the site's name
        seps.pop()
    while len(parts) > 1 and names_site(parts[0], keys):
        parts.pop(0)
        seps.pop(0)
    return join_segments(parts, seps) or title


def _section_before_site(part: str, before: list[str]) -> bool:
    """One capitalised word (or a CJK word of up to four characters) after a headline of some length."""
    words, headline = part.split(), " ".join(before)
    if CJK_RUN.fullmatch(part.strip()):
        return len(part.strip()) <= 4 and len(headline) >= 8
    return len(words) == 1 and words[0][:1].isupper() and len(headline.split()) >= 4


def title_pattern_sites(page_title: str | None, declared: list[str]) -> list[str]:
    """What ``<title>`` adds after a declared title is the site's name ("X | Site" vs "X"); what
    it adds in front is more often a kicker ("Changing Channels: X"), so it is not learned."""
    if not page_title:
        return []
    found = []
    for other in declared:
        if other and other != page_title and page_title.startswith(other):
            separator = SEPARATORS.match(page_title, len(other))
            if separator is None or ":" in separator.group() or "：" in separator.group():
                continue  # "X: more words" is a subtitle the sharing title left out, not a site
            rest = page_title[separator.end():].strip()
            if 0 < len(rest) <= 60 and len(rest.split()) <= SITE_NAME_MAX_WORDS and not SEPARATORS.search(rest):
                found.append(rest)
    return found


def strip_sections(title: str, keys: set[str]) -> str:
    """A ``<title>`` that is the only title: "Headline | Section | Site" loses the site and then
    the short section labels between them (the headline is the first, longest segment), and
    "Opinion | Headline - Site" its leading section label."""
    parts, seps = segments(title)
    stripped = strip_site(title, keys)
    if len(parts) < 3 or not names_site(parts[-1], keys):
        return stripped
    kept, kept_seps = segments(stripped)
    while len(kept) > 1 and _is_section(kept[-1]) and len(kept[-1]) < len(kept[0]):
        kept.pop()
        kept_seps.pop()
    while len(kept) > 1 and _is_section(kept[0]) and len(kept[0]) < max(map(len, kept[1:])) \
            and kept_seps[0].strip() in _SECTION_SEPARATORS:
        kept.pop(0)
        kept_seps.pop(0)
    return join_segments(kept, kept_seps) or stripped


def _is_section(segment: str) -> bool:
    """A section label: one or two words ("Politics", "Local News", "智能"), not a clause."""
    return 0 < len(segment.split()) <= 2 and len(segment) <= SECTION_MAX_CHARS

"""The extraction word lists (``archive/data/extraction.toml``), read once per process.

Byline clutter, role words, by-prefixes, wire credit lines, other people's credits (editors,
photographers), conjunctions by language, organisation words, newsletter prompts and month names
live in that data file so they can grow without touching the rules in ``archive.extract.bylines``,
``archive.extract.dates`` and ``archive.extract.textclean``.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class WordLists:
    author_clutter: frozenset[str]
    author_clutter_phrases: tuple[str, ...]
    by_prefixes: tuple[str, ...]
    inner_by: frozenset[str]
    line_by: frozenset[str]
    other_credits: tuple[str, ...]
    wire_credits: tuple[str, ...]
    cjk_role_suffixes: tuple[str, ...]
    roles: frozenset[str]
    date_labels: frozenset[str]
    title_words: frozenset[str]
    conjunctions: dict[str, frozenset[str]]
    organisation_words: frozenset[str]
    cjk_organisation_suffixes: tuple[str, ...]
    cjk_organisation_words: tuple[str, ...]
    collectives: frozenset[str]
    named_outlets: frozenset[str]
    prompts: tuple[str, ...]
    update_labels: tuple[str, ...]
    month_names: dict[str, dict[str, int]]  # language → written form → month number
    country_zones: dict[str, str]

    def conjunctions_for(self, language: str | None) -> frozenset[str]:
        """English "and" always, plus the page language's own."""
        return self.conjunctions.get("en", frozenset()) | self.conjunctions.get(language or "", frozenset())


def _lower(values: list[str]) -> tuple[str, ...]:
    return tuple(" ".join(v.split()).casefold() for v in values)


@functools.cache
def word_lists() -> WordLists:
    raw = tomllib.loads((resources.files("archive") / "data" / "extraction.toml").read_text("utf-8"))
    authors = raw["authors"]
    # Longest prefixes first, so "text von" is cut before "text".
    prefixes = tuple(sorted(_lower(authors["by_prefixes"]), key=len, reverse=True))
    return WordLists(
        author_clutter=frozenset(_lower(authors["clutter"])),
        author_clutter_phrases=_lower(authors["clutter_phrases"]),
        by_prefixes=prefixes,
        inner_by=frozenset(_lower(authors["inner_by"])),
        line_by=frozenset(_lower(authors["line_by"])),
        other_credits=tuple(sorted(_lower(authors["other_credits"]), key=len, reverse=True)),
        wire_credits=_lower(authors["wire_credits"]),
        cjk_role_suffixes=_lower(authors["cjk_role_suffixes"]),
        roles=frozenset(_lower(authors["roles"])),
        date_labels=frozenset(_lower(authors["date_labels"]) + _lower(raw["dates"]["update_labels"])),
        title_words=frozenset(_lower(authors["title_words"])),
        conjunctions={lang: frozenset(_lower(words)) for lang, words in authors["conjunctions"].items()},
        organisation_words=frozenset(_lower(raw["organisations"]["words"])),
        cjk_organisation_suffixes=_lower(raw["organisations"]["cjk_suffixes"]),
        cjk_organisation_words=_lower(raw["organisations"]["cjk_words"]),
        collectives=frozenset(_lower(raw["organisations"]["collectives"])),
        named_outlets=frozenset(_lower(raw["organisations"]["named_outlets"])),
        prompts=_lower(raw["text"]["prompts"]),
        update_labels=_lower(raw["dates"]["update_labels"]),
        month_names={lang: {form: number for number, forms in enumerate(months, 1) for form in _lower(forms)}
                     for lang, months in raw["dates"]["months"].items()},
        country_zones={code.casefold(): zone for code, zone in raw["zones"]["by_country_code"].items()},
    )

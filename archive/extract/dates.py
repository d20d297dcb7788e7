"""Publication and modification dates: the instant, the local publication day and their source.

``published`` keeps the instant (tz-aware). The *local day* is the day the page and its URL
print: a value's own UTC offset where it gives one ("2023-11-08T21:30:00-08:00" → Nov 8), else
the outlet's ``timezone`` (``hints["timezone"]``, an IANA name), else the zone of the host's
country code where that country has one civil time (``[zones]`` in ``archive/data/extraction.toml``:
a ".de" page's "2022-07-19" is Berlin's midnight), else the day in the URL when it is within a
day of the instant (a "Z" timestamp of a page filed late in the evening), else UTC.

Candidates, the article's own first: its JSON-LD (article types, the main entity first), the
``article:published_time`` family of meta tags, ``itemprop=datePublished``, a ``<time>`` inside
the one ``<article>`` (never the first ``<time>`` of the page, which is often a sidebar's, nor one
labelled as an update), then htmldate's search of the whole page, then a dateline the article
prints in words with the month names of its language ("3 de abril de 2019"), then the date in the URL. A
discovery date (news sitemap, feed) comes first when the page agrees with it within a day, or when
the page has none.

Text dates are read day-first for languages, regions ("en-GB") and countries that write them so,
and always when dotted ("10.12.2022" is 10 December); a date the URL contradicts is read the other
way round when that matches the URL, and htmldate's reading of "10/12/2022" (always day first) is
turned round on a page that writes the month first. Year-only and year-month values (a copyright
year, a "2019" ``datePublished``), impossible and future dates are rejected.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateparser
from lxml.html import HtmlElement

from archive.extract.markup import _is_article_type, article_elements, in_furniture, text_before
from archive.extract.wordlists import word_lists

PUBLISHED_KEYS = (
    "article:published_time", "og:article:published_time", "og:published_time", "article:published",
    "datepublished", "parsely-pub-date", "sailthru.date", "publish-date", "publishdate",
    "publication_date", "pubdate", "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.created",
    "date", "article.published", "originalpublicationdate",
)
MODIFIED_KEYS = (
    "article:modified_time", "og:article:modified_time", "og:updated_time", "datemodified",
    "dc.date.modified", "dcterms.modified", "article.updated", "lastmod", "last-modified",
)
# Hints from these sources carry a publication date; a plain sitemap's lastmod is not one.
DATED_HINT_SOURCES = frozenset({"news-sitemap", "feed"})
EARLIEST_YEAR = 1990  # the web press
FUTURE_SLACK = timedelta(days=1)  # time zones and clocks: no further ahead of now than this
# Zone abbreviations seen in bylines/meta. US "ET"/"CT"/"MT"/"PT" are ambiguous: standard time.
_TZ_NAMES = {
    name: int(hours * 3600)
    for names, hours in (
        (("UTC", "GMT", "WET"), 0), (("BST", "CET", "WEST"), 1), (("CEST", "EET"), 2), (("EEST", "MSK"), 3),
        (("IST",), 5.5), (("JST", "KST"), 9), (("AEST",), 10), (("AEDT",), 11),
        (("EDT",), -4), (("EST", "ET", "CDT"), -5), (("CST", "CT", "MDT"), -6),
        (("MST", "MT", "PDT"), -7), (("PST", "PT"), -8),
    )
    for name in names
}
# Month-first is American usage; everyone else writing 10.12.2022 or 10/12/2022 means the day first,
# English outside North America too (by the declared region, "en-GB", or the host's country code).
_MONTH_FIRST_LANGUAGES = frozenset({"en"})
_DAY_FIRST_REGIONS = frozenset({"gb", "uk", "au", "nz", "ie", "in", "za", "sg", "my", "ng", "ke", "pk"})
_DAY_FIRST_HOSTS = tuple(f".{region}" for region in sorted(_DAY_FIRST_REGIONS))
_DOTTED_DATE = re.compile(r"(?<!\d)\d{1,2}\.\d{1,2}\.\d{2,4}(?!\d)")  # "10.12.2022": day first in every usage
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}")
_OFFSET = re.compile(r"(?:[+-]\d{2}:?\d{2}|Z|\b(?:UTC|GMT|[A-Z]{2,4}T))\s*$")
_PARTIAL = re.compile(r"^\s*\d{4}(?:-\d{1,2})?\s*$")
_URL_MONTH = re.compile(r"/((?:19|20)\d{2})[/-](0[1-9]|1[0-2])(?:/|-|$)")
_URL_SLASHED_DATE = re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/")  # "/2015/4/6/" (the Verge)
_URL_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?!\d)")


@dataclass(frozen=True)
class FoundDate:
    instant: datetime  # tz-aware
    day: str  # the local day, YYYY-MM-DD
    has_time: bool
    source: str
    has_offset: bool = False  # the value gave its own UTC offset: the instant is known, not assumed


def outlet_zone(name: Any) -> tzinfo | None:
    try:
        return ZoneInfo(name) if isinstance(name, str) and name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def host_zone(url: str) -> tzinfo | None:
    """The zone of the country the host's country-code domain names, where it has one civil time
    ("www.spektrum.de" → Europe/Berlin); None for generic and multi-zone domains."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return outlet_zone(word_lists().country_zones.get(host.rsplit(".", 1)[-1])) if "." in host else None


def url_day(url: str) -> date | None:
    path = urlsplit(url).path
    match = _URL_DATE.search(path) or _URL_SLASHED_DATE.search(path)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def url_month(url: str) -> tuple[int, int] | None:
    match = _URL_MONTH.search(urlsplit(url).path)
    return (int(match[1]), int(match[2])) if match else None


def _agree_with_url(parsed: datetime, url: str) -> datetime:
    """A date whose month is the URL's day-of-month and vice versa was read the wrong way round
    ("2016-04-10" on a /2016/10/ page): swap day and month."""
    month = url_month(url)
    if month is None or (parsed.year, parsed.month) == month or parsed.day > 12:
        return parsed
    if (parsed.year, parsed.day) == month:
        return parsed.replace(month=parsed.day, day=parsed.month)
    return parsed


def day_first(language: str | None, url: str, region: str | None = None) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return (language or "en") not in _MONTH_FIRST_LANGUAGES or host.endswith(_DAY_FIRST_HOSTS) or \
        region in _DAY_FIRST_REGIONS


@dataclass(frozen=True)
class DateReader:
    """Parses date strings of one page: its language decides day-first, its URL and outlet the day."""

    url: str
    language: str | None
    zone: tzinfo | None
    now: datetime
    region: str | None = None  # the declared region ("gb" of "en-GB"): day-first English

    def read(self, value: Any, source: str) -> FoundDate | None:
        if not isinstance(value, str):
            return None
        value = " ".join(value.split())
        if not value or len(value) > 64 or _PARTIAL.match(value):
            return None
        parsed = self._parse(value)
        if parsed is None:
            return None
        parsed = _agree_with_url(parsed, self.url)
        has_time = bool(_HAS_TIME.search(value))
        own_offset = bool(_OFFSET.search(value)) and parsed.tzinfo is not None
        if not has_time:
            local = parsed.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=self.zone or timezone.utc)
            day = local.date()
        elif own_offset:
            local = parsed
            day = self._printed_day(parsed, value)
        else:  # a time without a zone: the outlet's local time, or UTC when we do not know it
            local = parsed.replace(tzinfo=self.zone or timezone.utc)
            day = local.date()
        if local.year < EARLIEST_YEAR or local - self.now > FUTURE_SLACK:
            return None
        return FoundDate(local.replace(microsecond=0), day.isoformat(), has_time, source, has_time and own_offset)

    def _printed_day(self, parsed: datetime, value: str) -> date:
        """The local day of an instant given with an offset: the offset's own day, except that a
        UTC ("Z") instant is moved to the outlet's zone, or to the URL's day when it is one off."""
        offset = parsed.utcoffset()
        if offset is None or offset != timedelta(0):
            return parsed.date()
        if self.zone is not None:
            return parsed.astimezone(self.zone).date()
        in_url = url_day(self.url)
        if in_url is not None and abs((in_url - parsed.date()).days) == 1:
            return in_url
        return parsed.date()

    def _parse(self, value: str) -> datetime | None:
        try:
            iso: datetime = dateparser.isoparse(value)
            return iso
        except (ValueError, OverflowError):
            pass
        first = self.day_first() or bool(_DOTTED_DATE.search(value))
        parsed = self._loose(value, first)
        in_url = url_day(self.url)
        if parsed is not None and in_url is not None and parsed.date() != in_url:
            swapped = self._loose(value, not first)  # the URL says which of day and month came first
            if swapped is not None and swapped.date() == in_url:
                return swapped
        return parsed

    def day_first(self) -> bool:
        return day_first(self.language, self.url, self.region)

    @staticmethod
    def _loose(value: str, first: bool) -> datetime | None:
        return parse_whole_date(value, dayfirst=first, tzinfos=_TZ_NAMES)


# Two defaults that differ in day, month and year: a value that names all three reads the same with both.
_PROBE_DEFAULTS = (datetime(2000, 1, 1), datetime(2001, 2, 2))


def parse_whole_date(value: str, **options: Any) -> datetime | None:
    """``value`` read by dateutil (``options`` are its parser's), or None when it cannot be read or
    lacks a day, month or year: dateutil fills those from its default, so a time alone ("8:38 pm")
    or a month and year ("März 2019") would come out as a date. Read with two defaults that differ
    in all three, such a value comes out as two different days."""
    readings = []
    try:
        with warnings.catch_warnings():  # unknown zone names: dateutil warns, we go naive
            warnings.simplefilter("ignore")
            for default in _PROBE_DEFAULTS:
                readings.append(dateparser.parse(value, default=default, **options))
    except (ValueError, OverflowError, TypeError):
        return None
    whole: datetime = readings[0]
    return whole if whole.date() == readings[1].date() else None


def page_candidates(tree: HtmlElement, meta: dict[str, list[str]], ld: list[dict[str, Any]],
                    reader: DateReader, keys: tuple[str, ...], ld_key: str) -> list[FoundDate]:
    """The page's own dates, best first (see the module docstring)."""
    raw: list[tuple[Any, str]] = [(obj.get(ld_key), "json-ld") for obj in ld if _is_article_type(obj)]
    raw += [(value, f"meta:{key}") for key in keys for value in meta.get(key, ())]
    raw += [(obj.get(ld_key), "json-ld") for obj in ld if obj.get("@type") == "WebPage"]
    # <abbr title="2024-02-03T20:38:00Z">8:38 pm</abbr> (microformats, Blogger): the title is the value.
    raw += [(el.get("datetime") or el.get("content") or el.get("value") or
             (el.get("title") if el.tag == "abbr" else None) or el.text_content(), "itemprop")
            for el in tree.xpath(f'//*[@itemprop="{ld_key}"]')]
    if ld_key == "datePublished":
        raw += [(value, "time") for value in tree.xpath("//time[@pubdate]/@datetime")]
        articles = tree.xpath("//article")
        if len(articles) == 1:  # one article: its first <time> is its own, not a teaser's
            times = [t for t in articles[0].iter("time") if t.get("datetime") and not _labelled_update(t)]
            raw += [(t.get("datetime"), "time") for t in times[:1]]
    found = [reader.read(value, source) for value, source in raw]
    return [f for f in found if f is not None]


UPDATE_LABEL_CHARS = 40  # the text just before a <time> that can label it


def _labelled_update(el: HtmlElement) -> bool:
    """The <time> says when the article was changed: itemprop=dateModified, an "updated" or
    "modified" class, or an update label just before it ("Updated <time>", "Aktualisiert am")."""
    if (el.get("itemprop") or "").lower() == "datemodified":
        return True
    classes = (el.get("class") or "").lower()
    if "updat" in classes or "modif" in classes:
        return True
    label = text_before(el, UPDATE_LABEL_CHARS).casefold()
    return any(word in label for word in word_lists().update_labels)


def pick_published(candidates: list[FoundDate], htmldate: Callable[[], str | None], reader: DateReader,
                   hints: dict[str, Any], printed: Callable[[], FoundDate | None] = lambda: None) -> FoundDate | None:
    """The page's best date (a timestamp over a bare day of the same source order), htmldate's when
    the page has none, then a date printed in words (``printed_date``), the URL's last; a discovery
    date first when the page agrees within a day.
    A full date in the URL beats htmldate's guess when they are more than a day apart: htmldate
    scans the whole page and can take a header's "today" or a sidebar's date."""
    best = next((c for c in candidates if c.has_time), None) or (candidates[0] if candidates else None)
    if best is not None and not best.has_offset:
        # The same publication given with its own offset (within a day: not a teaser's date) beats
        # a naive time, which is the page's unknown local time.
        best = next((c for c in candidates if c.has_offset and abs(c.instant - best.instant) <= timedelta(days=1)),
                    best)
    if best is not None and reader.zone is None:
        best = _on_the_pages_offset(best, candidates)
    in_url = url_day(reader.url)
    if best is None:
        best = _from_htmldate(htmldate(), reader)
        if best is not None and in_url is not None and abs((date.fromisoformat(best.day) - in_url).days) > 1:
            best = None
    if best is None:
        best = printed()
    if best is None and in_url is not None:
        best = reader.read(in_url.isoformat(), "url")
    source = str(hints.get("source") or "news-sitemap")
    hint = reader.read(hints.get("published"), source) if source in DATED_HINT_SOURCES else None
    if hint is not None and (best is None or abs(hint.instant - best.instant) <= timedelta(days=1)):
        if best is None or hint.has_time or not best.has_time:
            return hint
    return best


def _on_the_pages_offset(found: FoundDate, candidates: list[FoundDate]) -> FoundDate:
    """A UTC ("Z") instant's local day in the offset the page gives elsewhere: JSON-LD says
    "2024-03-06T02:30:00Z", article:published_time "2024-03-05T21:30:00-05:00"; the page prints
    5 March. Only for an outlet of unknown zone (a known one decides the day already)."""
    if not found.has_offset or found.instant.utcoffset() != timedelta(0):
        return found
    offset = next((c.instant.utcoffset() for c in candidates if c.has_offset and c.instant.utcoffset()), None)
    if offset is None:
        return found
    return replace(found, day=found.instant.astimezone(timezone(offset)).date().isoformat())


def as_printed(value: str | None, html: str, reader: DateReader) -> str | None:
    """htmldate's answer with day and month the way the page writes them: htmldate reads
    "10/12/2022" day first everywhere, so on a page that writes the month first (American
    English) a date it can only have read from such a numeric form is turned round."""
    if not value or len(value) < 10 or not value[:10].replace("-", "").isdigit() or reader.day_first():
        return value
    year, month, day = int(value[:4]), int(value[5:7]), int(value[8:10])
    if day > 12 or day == month or value[:10] in html:
        return value  # unambiguous, or printed in ISO form somewhere
    if re.search(rf"(?<!\d)0?{day}/0?{month}/{year}(?!\d)", html) is None:
        return value  # not read from "10/12/2022" (dotted "10.12.2022" is day first everywhere)
    return f"{year:04d}-{day:02d}-{month:02d}{value[10:]}"


def _from_htmldate(value: str | None, reader: DateReader) -> FoundDate | None:
    """htmldate's answer, asked for as a timestamp: kept whole only with a UTC offset (a naive
    time is the page's unknown local time), otherwise its day. A 1 January midnight is htmldate's
    copyright-year fallback, not a publication date: dropped."""
    if not value or value[4:10] == "-01-01" and value[10:] in ("", "T00:00:00"):
        return None
    return reader.read(value if _OFFSET.search(value) else value[:10], "htmldate")


PRINTED_DATE_CHARS = 80  # "Publicado el 3 de abril de 2019, 10:15": a dateline, not a sentence
_DATE_MARKS = ("date", "time", "publish", "posted", "dateline", "byline", "fecha", "datum", "data-pub")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
_ENGLISH_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                   "October", "November", "December")
# Whole words: "Mayor" and "Mark" are no months.
_ENGLISH_MONTH = re.compile(r"\b(?:" + "|".join(_ENGLISH_MONTHS) + r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b",
                            re.I)


def printed_date(tree: HtmlElement, reader: DateReader) -> FoundDate | None:
    """A publication date the article prints in words and no markup declares, in a dateline under
    its headline: a ``<time>`` or an element whose class or id says date ("date", "published",
    "byline", "fecha", "datum"), short, in the article (never the page's furniture or an update
    line). Month names of the page's language are read from ``[dates.months]``; a day, a month
    name and a year must all be printed. The last resort before the URL: htmldate found nothing."""
    months = _month_words(reader.language)
    scope = (article_elements(tree) or tree.xpath("//main") or [tree])[0]
    labels = word_lists().update_labels
    for el in scope.iter():
        if not isinstance(el.tag, str):
            continue
        marks = f"{el.get('class') or ''} {el.get('id') or ''}".casefold()
        if el.tag != "time" and not any(mark in marks for mark in _DATE_MARKS):
            continue
        text = " ".join(el.text_content().split())
        if not text or len(text) > PRINTED_DATE_CHARS or not _YEAR.search(text) or in_furniture(el):
            continue
        if text.casefold().startswith(labels) or "updat" in marks or "modif" in marks:
            continue
        found = _read_printed(text, months, reader)
        if found is not None:
            return found
    return None


def _read_printed(text: str, months: re.Pattern[str] | None, reader: DateReader) -> FoundDate | None:
    english = months.sub(lambda m: _ENGLISH_MONTHS[_month_number(m.group(0), reader.language) - 1], text) \
        if months is not None else text
    if not _ENGLISH_MONTH.search(english):
        return None  # numeric dates are htmldate's to read; a year alone is no date
    printed = parse_whole_date(english, fuzzy=True, dayfirst=reader.day_first())
    if printed is None:
        return None  # no day printed ("März 2019"), or the words were read as something else
    value = printed.isoformat() if _HAS_TIME.search(english) else printed.date().isoformat()
    return reader.read(value, "printed")


@functools.cache
def _month_words(language: str | None) -> re.Pattern[str] | None:
    """Month names in the page's language (of every listed language when it is unknown, then only
    forms of four letters or more: "ago" and "set" are English words); None for English."""
    if language == "en":
        return None
    forms = set(_month_table(language))
    if not forms:
        return None
    return re.compile(r"(?<!\w)(" + "|".join(sorted(map(re.escape, forms), key=len, reverse=True)) + r")(?!\w)",
                      re.I)


@functools.cache
def _month_table(language: str | None) -> dict[str, int]:
    tables = word_lists().month_names
    if language is not None:
        return tables.get(language, {})
    return {form: number for table in tables.values() for form, number in table.items() if len(form) >= 4}


def _month_number(word: str, language: str | None) -> int:
    return _month_table(language)[word.casefold()]


def pick_modified(candidates: list[FoundDate]) -> FoundDate | None:
    return candidates[0] if candidates else None

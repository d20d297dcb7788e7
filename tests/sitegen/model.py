"""Records of a generated news site: what each outlet looks like, what it serves, what it logged.

``OutletPlan`` holds the seeded choices for one outlet (URL scheme, link variants, AMP/print
copies, canonical and og:url presence, feed dates, sitemap lastmod, validators); ``GenArticle``
and ``GenPage`` are the real articles and the non-article pages; ``RoundChanges`` is the
ground truth of what ``advance()`` changed; ``LogEntry`` is one served request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

# Every date the site serves derives from this instant (never from the wall clock), so a
# seed always gives the same bytes.
BASE_DATE = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
# Each round of the site happens one day after the previous one (Last-Modified, <lastmod>).
ROUND_STEP = timedelta(days=1)

URL_SCHEMES = ("dated", "numeric", "slug", "html", "query")
# Link variants that a crawler must fold into the clean article URL.
VARIANT_KINDS = ("ref", "utm", "fbclid", "gclid", "mc_cid", "cmpid", "ito", "taid",
                 "fragment", "slash", "absolute")
VALIDATORS = ("etag", "last-modified", "none")
AMP_STYLES = ("none", "path", "query")
NON_ARTICLE_KINDS = ("about", "contact", "legal", "gallery", "video", "author", "tag", "section")


@dataclass(frozen=True)
class OutletPlan:
    """One outlet's seeded shape; see the package docstring for what each choice changes."""

    name: str
    scheme: str  # one of URL_SCHEMES
    variants: tuple[str, ...]  # subset of VARIANT_KINDS used by internal links
    amp_style: str  # one of AMP_STYLES
    print_copies: bool  # articles link a ``?print=1`` copy
    validators: str  # one of VALIDATORS
    sitemap_lastmod: bool  # <lastmod> in the sitemap index and article sitemaps
    feed_dates: bool  # pubDate/updated in RSS/Atom
    feed_kind: str  # "rss" or "atom"
    news_sitemap: bool
    download_delay: float  # [outlets.politeness] download_delay

    @property
    def announces_edits(self) -> bool:
        """Whether some channel carries a modification date: sitemap ``<lastmod>`` or a dated Atom
        ``<updated>`` (RSS has only pubDate, the news sitemap only the publication date)."""
        return self.sitemap_lastmod or (self.feed_kind == "atom" and self.feed_dates)


@dataclass(eq=False)
class GenArticle:
    """A real article: one corpus page with a seeded lead paragraph that makes its text unique."""

    outlet: str
    number: int  # stable id used by the numeric and query schemes
    slug: str
    path: str  # the clean URL's path and query (e.g. ``/news/123456`` or ``/article.php?id=7``)
    corpus_slug: str
    title: str
    lead: str  # the seeded paragraph that makes this copy's text differ from the corpus page
    published: datetime
    lastmod: datetime  # what sitemaps/feeds announce; moves only for announced edits
    has_canonical: bool
    has_og_url: bool
    has_amp: bool
    tags: tuple[str, ...]
    author: str
    charset: str | None = None
    body_hint: str = ""  # the corpus text's start: where the lead and edit paragraphs go
    source: bytes = field(default=b"", repr=False)
    edits: list[str] = field(default_factory=list)
    removed_status: int | None = None  # 404 or 410 once removed
    round_added: int = 1

    @property
    def live(self) -> bool:
        return self.removed_status is None


@dataclass(eq=False)
class GenPage:
    """A non-article page the site links to (and sometimes lists in a sitemap)."""

    outlet: str
    kind: str  # one of NON_ARTICLE_KINDS
    path: str
    title: str


@dataclass
class RoundChanges:
    """Ground truth of one ``advance()``: canonical URLs edited (announced or not), removed, added."""

    round: int
    edited_announced: list[str] = field(default_factory=list)
    edited_silent: list[str] = field(default_factory=list)
    removed: dict[str, int] = field(default_factory=dict)  # canonical URL -> 404/410
    added: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LogEntry:
    """One request as the server saw it."""

    outlet: str
    round: int
    method: str
    path: str
    query: str
    headers: dict[str, str]
    status: int
    bytes_sent: int  # entity body bytes written
    time: float
    in_flight: int  # requests of this outlet in flight when this one arrived (itself included)
    kind: str = ""  # the router's resource kind (article, amp, print, listing, feed, ...)
    article_url: str | None = None  # canonical URL of the article this request reached
    digest: str = ""  # sha1 of the identity body the router produced (sent or not)

    @property
    def target(self) -> str:
        return self.path + ("?" + self.query if self.query else "")

    @property
    def conditional(self) -> bool:
        names = {k.lower() for k in self.headers}
        return "if-none-match" in names or "if-modified-since" in names


@dataclass(eq=False)
class GenOutlet:
    """One outlet's live state: its plan, address, articles and non-article pages."""

    plan: OutletPlan
    articles: list[GenArticle] = field(default_factory=list)
    pages: list[GenPage] = field(default_factory=list)
    base_url: str = ""
    round: int = 1

    @property
    def name(self) -> str:
        return self.plan.name

    @property
    def display_name(self) -> str:
        return self.name.replace("-", " ").title()

    def live(self) -> list[GenArticle]:
        """Articles still published, newest first."""
        return sorted((a for a in self.articles if a.live), key=lambda a: (a.published, a.number),
                      reverse=True)

    def round_date(self) -> datetime:
        return BASE_DATE + ROUND_STEP * (self.round - 1)

"""The local site's records and shared vocabulary.

``SiteArticle`` and ``OutletSite`` hold the state that the page builders, the router and
the HTTP handler read and that ``LocalSite`` mutates; ``RequestLogEntry`` is one served
request.  ``TAGS`` and ``PRIVATE_PATHS`` are named by pages, routes and the site alike.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

TAGS = ("celebrity", "music", "film", "tv", "politics", "style")
PRIVATE_PATHS = ("/private/secret-story/", "/private/news/2016/12/01/secret-story/")


@dataclass
class RequestLogEntry:
    outlet: str
    method: str
    path: str  # request target including the query string
    headers: dict[str, str]
    status: int
    time: float
    content_encoding: str | None = None
    chunked: bool = False


@dataclass(eq=False)
class SiteArticle:
    outlet: str
    path: str  # /news/YYYY/MM/DD/<slug>/
    title: str
    published: datetime  # timezone-aware
    corpus_slug: str
    expected: dict
    canonical_url: str = ""  # set by LocalSite.start() once the port is known
    index: int = 0
    discoverable_via: set[str] = field(default_factory=set)
    tags: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    last_modified: datetime | None = None
    amp_path: str | None = None
    deleted: bool = False
    edits: list[str] = field(default_factory=list)
    last_sent_gzip: bool | None = None
    last_sent_chunked: bool | None = None
    charset: str | None = None
    source: bytes = field(default=b"", repr=False)
    body: bytes = field(default=b"", repr=False)  # identity body currently served
    amp_body: bytes = field(default=b"", repr=False)

    @property
    def gzip_eligible(self) -> bool:
        return self.index % 2 == 0

    @property
    def chunked(self) -> bool:
        return self.index % 3 == 0

    @property
    def content_type(self) -> str:
        return f"text/html; charset={self.charset}" if self.charset else "text/html"

    @property
    def etag(self) -> str:
        return hashlib.sha1(self.body).hexdigest()[:20]


@dataclass(eq=False)
class OutletSite:
    name: str
    articles: list[SiteArticle] = field(default_factory=list)
    base_url: str = ""
    host: str = ""
    last_body_sent: dict[str, bytes] = field(default_factory=dict)  # by path incl. query

    @property
    def display_name(self) -> str:
        return self.name.replace("-", " ").title()

    def article(self, path: str) -> SiteArticle:
        for art in self.articles:
            if art.path == path:
                return art
        raise KeyError(f"{self.name} has no article at {path}")

    def live(self, channel: str | None = None) -> list[SiteArticle]:
        """Not-deleted articles (announced on ``channel`` if given), newest first."""
        arts = [a for a in self.articles if not a.deleted]
        if channel is not None:
            arts = [a for a in arts if channel in a.discoverable_via]
        return sorted(arts, key=lambda a: (a.published, a.index), reverse=True)

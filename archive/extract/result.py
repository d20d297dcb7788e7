"""The result of extracting one page: plain, picklable data.

Kept apart from ``archive.extract.extractor`` so the crawler's main process can receive results from the
extraction pool without importing trafilatura (tens of MB it would never use).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

try:
    EXTRACTOR_VERSION = f"trafilatura/{version('trafilatura')}"
except PackageNotFoundError:  # pragma: no cover - trafilatura is a hard dependency
    EXTRACTOR_VERSION = "trafilatura/unknown"


@dataclass(frozen=True)
class Extraction:
    """What one page yielded; ``reason`` says why it is not an article."""

    is_article: bool
    reason: str | None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None  # the instant, ISO 8601 with its offset
    modified: str | None = None
    # The day the page (and its URL) print as the publication day, "YYYY-MM-DD": the page's own
    # offset, else the outlet's time zone (archive.extract.dates).
    published_day: str | None = None
    date_source: str | None = None  # which candidate gave ``published``: "json-ld", "meta:<key>", ...
    # Organisations credited when no person is: "BBC News", "Reuters" (``authors`` is then empty).
    author_orgs: list[str] = field(default_factory=list)
    language: str | None = None
    canonical_url: str | None = None
    description: str | None = None
    site_name: str | None = None
    text: str = ""
    content_hash: str = ""
    extractor: str = EXTRACTOR_VERSION


def provenance_json(extraction: Extraction) -> bytes:
    """The body of the WARC ``metadata`` record written for an extracted article."""
    return json.dumps({
        "type": "pressclips/extraction",
        "extractor": extraction.extractor,
        "content_hash": extraction.content_hash,
        "title": extraction.title,
        "authors": list(extraction.authors),
        "published": extraction.published,
        "modified": extraction.modified,
        "published_day": extraction.published_day,
        "date_source": extraction.date_source,
        "author_orgs": list(extraction.author_orgs),
        "language": extraction.language,
        "canonical_url": extraction.canonical_url,
        "site_name": extraction.site_name,
        "text": extraction.text,
    }, ensure_ascii=False, sort_keys=True).encode("utf-8")

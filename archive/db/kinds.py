"""The closed vocabularies of the archive, declared once: capture kinds, page outcomes, run statuses.

Each is a ``StrEnum`` whose values are the strings the database has always held, so rows written
before these types existed read back unchanged and no schema change was needed. Compare and store
members, never the bare strings, so a typo is a name error instead of a silent mismatch.
"""

from __future__ import annotations

from enum import StrEnum


class CaptureKind(StrEnum):
    """What an archived response turned out to be (``captures.kind``)."""

    ARTICLE = "article"
    NOT_ARTICLE = "not-article"
    BLOCKED = "blocked"  # a challenge, CAPTCHA, consent wall or paywall (archive.extract.blockpage)
    GONE = "gone"  # 404/410 for an article the archive holds
    REVISIT = "revisit"  # a WARC revisit record: 304 or the same payload as an earlier capture
    REDIRECT = "redirect"
    ERROR = "error"  # a response the crawler retried; kept for the record, never extracted
    # Set by the crawler from the request's purpose before the page is judged:
    PAGE = "page"
    LISTING = "listing"
    SITEMAP = "sitemap"
    FEED = "feed"
    ROBOTS = "robots"
    ASSET = "asset"  # a page requisite


class PageOutcome(StrEnum):
    """What storing one fetched page did (``Store.record_page``); the crawl counts each."""

    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    NOT_ARTICLE = "not-article"
    GONE = "gone"


class ReextractOutcome(StrEnum):
    """What re-extracting one archived capture did (``Store.reextract_capture``)."""

    REFRESHED = "refreshed"  # same text, metadata refreshed in place
    CHANGED = "changed"  # a better text for the same version, or moved to an equal version
    NEW = "new"  # the capture now makes a new article
    NOT_ARTICLE = "not-article"


class RunStatus(StrEnum):
    """``crawl_runs.status``."""

    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    KILLED = "killed"  # found running with no live process holding the archive lock


__all__ = ["CaptureKind", "PageOutcome", "ReextractOutcome", "RunStatus"]

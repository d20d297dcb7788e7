"""SQLAlchemy 2.0 models: the archive's tables (DESIGN §2).

Every timestamp is stored as naive UTC and read back as an aware UTC datetime (``UTCDateTime``),
so SQLite and PostgreSQL agree. Deduplication lives in unique constraints:
``articles.url_key``, ``(article_versions.article_id, content_hash)``, ``urls.url``,
``captures.warc_record_id``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from archive.times import utcnow
from archive.warc.reader import WarcPointer

# The last schema made without Alembic (3: indexes for URL identity and re-checks). It stays in
# ``meta.schema_version``; every change since is an Alembic revision (archive/db/migrations, README).
SCHEMA_VERSION = 3


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in Python, naive UTC in the database (portable across dialects)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Key/value facts about the archive itself (schema version)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Outlet(Base):
    __tablename__ = "outlets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    homepage: Mapped[str] = mapped_column(Text)
    domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The outlets file's IANA ``timezone``, as of the last crawl: ``reextract`` reads pages again
    # without the outlets file and still needs it for the local publication day (issue 12).
    timezone: Mapped[str | None] = mapped_column(String(64))


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="running")  # archive.db.kinds.RunStatus
    finish_reason: Mapped[str | None] = mapped_column(String(100))
    outlets_file: Mapped[str | None] = mapped_column(Text)
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    articles_updated: Mapped[int] = mapped_column(Integer, default=0)
    articles_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    articles_gone: Mapped[int | None] = mapped_column(Integer, default=0)
    revisits: Mapped[int | None] = mapped_column(Integer, default=0)
    requests: Mapped[int | None] = mapped_column(Integer, default=0)
    pid: Mapped[int | None] = mapped_column(Integer)
    not_articles: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    warc_files: Mapped[list[str]] = mapped_column(JSON, default=list)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Capture(Base):
    """One archived HTTP response, pointing at its exact WARC record."""

    __tablename__ = "captures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, index=True)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str | None] = mapped_column(String(200))
    payload_digest: Mapped[str] = mapped_column(String(100))
    warc_file: Mapped[str] = mapped_column(Text)
    warc_offset: Mapped[int] = mapped_column(BigInteger)
    warc_length: Mapped[int] = mapped_column(BigInteger)
    warc_record_id: Mapped[str] = mapped_column(String(100), unique=True)
    # What the capture turned out to be: an ``archive.db.kinds.CaptureKind`` value. A revisit capture's
    # WARC record is a `revisit` (304 or same payload digest); refers_to_id is the capture holding the
    # payload, so replay resolves it in one step.
    kind: Mapped[str | None] = mapped_column(String(30))
    refers_to_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"))
    reason: Mapped[str | None] = mapped_column(String(200))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("article_versions.id"))
    # Set by ``verify --repair`` when this capture's WARC record was found unreadable and its file
    # was quarantined: the row is kept (the capture happened), its pointer then names the damaged
    # original under ``quarantine/`` (offset and length unchanged), and exports leave it out.
    warc_unreadable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The distributed worker (``host-pid``) that wrote the record; NULL for a single-process crawl.
    worker: Mapped[str | None] = mapped_column(String(200))

    @property
    def pointer(self) -> WarcPointer:
        """Where this capture's WARC record is: the one type every reader of a pointer takes."""
        return WarcPointer(self.warc_file, self.warc_offset, self.warc_length, self.warc_record_id,
                           self.payload_digest)


class UrlState(Base):
    """Every URL seen, as seen: the crawl frontier and the record of URL variants."""

    __tablename__ = "urls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    canonical_url: Mapped[str] = mapped_column(Text, index=True)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    discovered_via: Mapped[str | None] = mapped_column(String(30))  # news-sitemap|sitemap|feed|link|start
    discovery: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"))
    # The frontier: NULL next_due_at with NULL last_fetched_at means "seen, never fetched" (a killed run
    # left it); NULL next_due_at after a fetch means "done, no recrawl planned".
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    fetch_count: Mapped[int | None] = mapped_column(Integer, default=0)
    failures: Mapped[int | None] = mapped_column(Integer, default=0)
    # The run that took this URL off the frontier; a killed run's claims lapse with its run id.
    claimed_run_id: Mapped[int | None] = mapped_column(Integer)


class Article(Base):
    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # url_key is the identity (canonicalised: no tracking, no fragment, no trailing slash);
    # canonical_url is the article's own canonical link as the site writes it, for people.
    url_key: Mapped[str] = mapped_column(Text, unique=True)
    canonical_url: Mapped[str] = mapped_column(Text)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"), index=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("article_versions.id", use_alter=True, name="fk_articles_current_version")
    )
    # The story (archive.stories) this article is a pickup of; every article with a text has one,
    # a story of one when nothing else carries it. story_similarity is the estimated similarity of
    # the link that joined it (1.0 for an exact copy, NULL for the story's first article).
    story_id: Mapped[int | None] = mapped_column(Integer, index=True)
    story_similarity: Mapped[float | None] = mapped_column(Float)
    gone: Mapped[bool] = mapped_column(Boolean, default=False)
    gone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ArticleVersion(Base):
    """One distinct text of an article; an edit is a new row, the same text is never stored twice."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "content_hash", name="uq_version_hash"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    published_raw: Mapped[str | None] = mapped_column(String(64))
    # The local publication day as the page prints it, "YYYY-MM-DD" (issue 12): what date
    # filters and exports use; published_at keeps the instant. Which page element gave it.
    published_day: Mapped[str | None] = mapped_column(String(10), index=True)
    date_source: Mapped[str | None] = mapped_column(String(64))
    # Organisations credited when no person is ("BBC News"); authors is then empty.
    author_orgs: Mapped[list[str] | None] = mapped_column(JSON)
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    language: Mapped[str | None] = mapped_column(String(16))
    canonical_url: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    site_name: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    extractor: Mapped[str] = mapped_column(String(64))
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What differs from the previous current version: any of "title", "byline", "text", "date".
    changes: Mapped[list[str] | None] = mapped_column(JSON, default=list)


class Watchlist(Base):
    """A named set of search queries (a film, its cast, its director) that ``pressclips report`` reads;
    ``last_report_at`` is when its last report was made, so the next one can list what is new since."""

    __tablename__ = "watchlists"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    queries: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_report_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AssetState(Base):
    """A page requisite's URL across runs: its validators and last good capture (what the next run
    asks for conditionally and revisits), and the run that claimed it, so each run fetches it once."""

    __tablename__ = "asset_states"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"))
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"))
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    claimed_run_id: Mapped[int | None] = mapped_column(Integer)


class PageRequisite(Base):
    """Which page (or stylesheet) capture used which requisite: an export ships a page with these.
    ``asset_capture_id`` is the requisite's capture in the page's run once it lands (until then,
    and for a requisite skipped this run, its newest earlier capture); NULL when never captured."""

    __tablename__ = "page_requisites"
    __table_args__ = (UniqueConstraint("page_capture_id", "asset_url", name="uq_page_requisite"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"))
    asset_url: Mapped[str] = mapped_column(Text)
    asset_capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"), index=True)


class Story(Base):
    """Articles across outlets carrying one text (syndicated, rewritten, truncated, copied).

    Derivable from ``articles.story_id`` (``pressclips restory`` rebuilds it): the first article is
    the earliest published (else first seen); first_seen/last_seen are when its first and its
    latest pickup were first seen."""

    __tablename__ = "stories"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_article_id: Mapped[int] = mapped_column(Integer)
    first_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    article_count: Mapped[int] = mapped_column(Integer, default=1)


class StorySignature(Base):
    """The MinHash signatures of an article's current text (archive.stories.signature), kept so a
    candidate found through the bands is verified without reading and re-shingling its text."""

    __tablename__ = "story_signatures"
    article_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(Integer)
    shingles: Mapped[int] = mapped_column(Integer)  # distinct word shingles in the text
    minhash: Mapped[bytes] = mapped_column(LargeBinary)  # whole text: uint32 little-endian values
    lead: Mapped[bytes] = mapped_column(LargeBinary)  # its first words only: finds truncated copies


class StoryBand(Base):
    """LSH bands of the signatures: two articles sharing a (band, hash) bucket are candidates.

    Keyed by (band, hash, article_id) and nothing else (SQLite: WITHOUT ROWID), revision 0011: the
    story check reads each bucket's most recent articles as one backward range of the key, and a
    text's insert adds one B-tree entry a band instead of three (a rowid, a lookup index and an
    article_id index). An edit finds an article's old rows by their keys, from its stored
    signature."""

    __tablename__ = "story_bands"
    __table_args__ = {"sqlite_with_rowid": False}
    band: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hash: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    article_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


Index("ix_captures_warc", Capture.warc_file, Capture.warc_offset)
# An identical text on the same outlet is the same article: found by hash before a new article row.
Index("ix_versions_content_hash", ArticleVersion.content_hash)
# Re-checks take an outlet's least recently fetched article URLs first.
Index("ix_urls_outlet_last_fetched", UrlState.outlet_id, UrlState.last_fetched_at)
# Re-visits read an outlet's listing/sitemap/feed captures that answered 200 (revision 0002).
Index("ix_captures_outlet_kind_status", Capture.outlet_id, Capture.kind, Capture.status)
# A requisite's capture fills in the links of the pages that wanted it (by URL).
Index("ix_page_requisites_asset_url", PageRequisite.asset_url)

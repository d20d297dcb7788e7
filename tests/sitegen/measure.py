"""Crawl-quality figures: a generated site's request log and ground truth against an archive.

``traffic(site, round)`` reads the server log of one round (downloads, bytes, variant
downloads, conditional re-requests); ``archive_figures(site, database_url, run_id)`` reads the
archive's ``articles``, ``article_versions`` and ``captures`` tables through SQLAlchemy and joins
them to the ground truth by canonical URL (any variant URL is first attributed to the article
it shows, so a duplicate row made from ``?print=1`` counts against its article).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text

from .model import LogEntry
from .site import GeneratedSite

ARTICLE_KINDS = ("article", "amp", "print")
DOCUMENT_KINDS = ("listing", "feed", "sitemap")


@dataclass
class Traffic:
    """What one round cost the site, from its own log."""

    round: int
    requests: int
    bytes_sent: int
    article_downloads: int  # GETs that sent an article body (any copy, any variant URL)
    articles_downloaded: int  # distinct articles among them
    re_requests: int  # GETs of URLs that answered 200 with validators in an earlier round
    conditional: int  # of those, sent with If-None-Match or If-Modified-Since
    changed_bytes: int = 0  # one body of each article new or edited this round: what any crawler must fetch

    @property
    def overhead_bytes(self) -> int:
        """Bytes beyond one download of each new or edited article: what the crawler could save."""
        return self.bytes_sent - self.changed_bytes

    @property
    def variant_extra(self) -> int:
        """Article downloads beyond one per article: what URL variants and copies cost."""
        return self.article_downloads - self.articles_downloaded

    @property
    def variant_extra_share(self) -> float:
        return self.variant_extra / max(1, self.articles_downloaded)

    @property
    def conditional_share(self) -> float:
        return self.conditional / self.re_requests if self.re_requests else 1.0


def traffic(site: GeneratedSite, round: int) -> Traffic:
    entries = [e for e in site.log if e.round == round and e.method == "GET"]
    downloads = [e for e in entries if e.kind in ARTICLE_KINDS and e.status == 200]
    validated_before = {(e.outlet, e.target) for e in site.log
                        if e.round < round and e.status == 200 and _has_validators(site, e)}
    # robots.txt is fetched by Scrapy's robots middleware, outside the archive's frontier.
    again = [e for e in entries if (e.outlet, e.target) in validated_before and e.path != "/robots.txt"]
    changes = site.changes.get(round)
    changed = set(changes.added + changes.edited_announced + changes.edited_silent) if changes else set()
    first_body: dict[str, int] = {}
    for e in downloads:
        if e.kind == "article" and e.article_url in changed:
            first_body.setdefault(e.article_url, e.bytes_sent)
    return Traffic(round, len(entries), sum(e.bytes_sent for e in entries), len(downloads),
                   len({e.article_url for e in downloads}), len(again), sum(e.conditional for e in again),
                   sum(first_body.values()))


def _has_validators(site: GeneratedSite, entry: LogEntry) -> bool:
    return next(o for o in site.outlets if o.name == entry.outlet).plan.validators != "none"


def unchanged_documents(site: GeneratedSite, round: int) -> set[str]:
    """Listing/feed/sitemap URLs sent in full (200) this round with a body byte-identical to the
    previous round's: each should be archived as a revisit record.  (A 304 sends no body; whether
    it leaves a record is the crawler's choice, not counted here.)"""
    before = {(e.outlet, e.target): e.digest for e in site.log
              if e.round == round - 1 and e.status == 200 and e.method == "GET"}
    bases = {o.name: o.base_url for o in site.outlets}
    return {bases[e.outlet] + e.target for e in site.log
            if e.round == round and e.method == "GET" and e.kind in DOCUMENT_KINDS
            and e.status == 200 and before.get((e.outlet, e.target)) == e.digest}


@dataclass
class ArchiveFigures:
    real_articles: int  # live articles of the site at this round
    article_rows: int
    rows_on_real: int  # rows attributed to a real article (clean URL or a variant of it)
    real_with_rows: int
    lost: list[str] = field(default_factory=list)  # live real articles with no row
    non_article_rows: list[str] = field(default_factory=list)  # rows that are no real article
    versions: dict[str, int] = field(default_factory=dict)  # by real canonical URL
    gone: set[str] = field(default_factory=set)  # real canonical URLs marked gone
    revisits: set[str] = field(default_factory=set)  # URLs with a revisit capture in the run

    @property
    def rows_per_article(self) -> float:
        return self.rows_on_real / max(1, self.real_with_rows)

    @property
    def non_article_share(self) -> float:
        return len(self.non_article_rows) / max(1, self.article_rows)


def archive_figures(site: GeneratedSite, database_url: str, run_id: int) -> ArchiveFigures:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = list(conn.execute(text(
                "SELECT a.canonical_url, a.gone, COUNT(v.id) FROM articles a "
                "LEFT JOIN article_versions v ON v.article_id = a.id GROUP BY a.id, a.canonical_url, a.gone")))
            revisits = {url for url, in conn.execute(text(
                "SELECT url FROM captures WHERE kind = 'revisit' AND run_id = :run"), {"run": run_id})}
    finally:
        engine.dispose()
    live = {url for url, art in site.real_articles().items() if art.live}
    per_article: Counter[str] = Counter()
    figures = ArchiveFigures(len(live), len(rows), 0, 0, revisits=revisits)
    for url, gone, versions in rows:
        real = site.attribute(url)
        if real is None:
            figures.non_article_rows.append(url)
            continue
        per_article[real] += 1
        figures.versions[real] = max(figures.versions.get(real, 0), int(versions))
        if gone:
            figures.gone.add(real)
    figures.rows_on_real = sum(per_article.values())
    figures.real_with_rows = len(per_article)
    figures.lost = sorted(live - set(per_article))
    return figures

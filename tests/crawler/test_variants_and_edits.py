"""URL identity end to end, through the real CLI on the local site, over four runs:

1. the frontier holds only variants of three articles (``?ref=``, AMP, ``?print=1``), as if a
   link had named them; the outlet follows no links and reads no sitemaps, so each article is
   fetched through its variant;
2. full discovery: sitemaps, feeds and links name the canonical URLs. No second article row and
   no second download of any of the three;
3. one article is edited (its sitemap ``lastmod`` moves): it is fetched again at its canonical
   URL, conditionally, and gets a second version;
4. a day later (the archive's clock is moved back), one article is deleted (410): the run's
   re-check share finds it and marks it gone; the others answer 304.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from archive.db.engine import make_engine
from archive.db.records import UrlSighting
from archive.db.store import Store
from archive.urls import identity_key
from tests import conftest
from tests.backends import archive_exists, archive_url
from tests.crawler.test_crawl_e2e import FAST, Crawled, run_cli
from tests.localsite import LocalSite, SiteArticle

# A log line at ERROR or CRITICAL ("... [logger] ERROR: message"), not a setting named *ERROR*.
LOGGED_ERROR = re.compile(r"\] (?:ERROR|CRITICAL):")


@dataclass
class Runs:
    site: LocalSite
    root: Path
    ref: SiteArticle  # first fetched as ?ref=home, edited before run 3
    amp: SiteArticle  # first fetched as its AMP copy
    printed: SiteArticle  # first fetched as ?print=1, deleted before run 4
    crawls: list[Crawled]
    logs: list[int]  # len(site.requests) after each run

    def requests_of_run(self, n: int, path: str) -> list:
        start = self.logs[n - 2] if n > 1 else 0
        return [e for e in self.site.requests[start:self.logs[n - 1]] if e.path.split("?")[0] == path]


def _crawl(site: LocalSite, root: Path, outlets: Path, n: int, *extra: str) -> Crawled:
    log = root / f"run{n}.log"
    result = run_cli("crawl", "--outlets", str(outlets), "--archive", str(root / "archive"), *FAST,
                     "--log-file", str(log), *extra)
    crawled = Crawled(site, root / "archive", result)
    assert result.returncode == 0, result.stderr[-3000:]
    for output in (result.stderr, log.read_text()):
        assert "Traceback" not in output and not LOGGED_ERROR.search(output), output[-3000:]
    return crawled


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    site = LocalSite(outlets=1, pages_per_outlet=12, article_delay=0.0).start()
    root = tmp_path_factory.mktemp("variants")
    try:
        outlet = site.outlets[0]
        amp = next(a for a in outlet.articles if a.amp_path)
        others = [a for a in outlet.articles if a is not amp and "sitemap" in a.discoverable_via]
        ref, printed = others[0], others[1]
        # Run 1 knows only the variants: no links followed, no sitemaps or feeds read.
        (root / "archive").mkdir()
        engine = make_engine(archive_url(root / 'archive'))
        store = Store(engine)
        store.ensure_outlets([(outlet.name, outlet.base_url + "/", [outlet.host])])
        store.record_urls(outlet.name, [UrlSighting(ref.canonical_url + "?ref=home", "link"),
                                        UrlSighting(outlet.base_url + amp.amp_path, "link"),
                                        UrlSighting(printed.canonical_url + "?print=1", "link")])
        engine.dispose()
        narrow = root / "narrow.toml"
        narrow.write_text(site.outlets_toml() + "discover = false\nmax_depth = 0\n")
        full = root / "outlets.toml"
        full.write_text(site.outlets_toml())
        runs = Runs(site, root, ref, amp, printed, [], [])
        for n, outlets in ((1, narrow), (2, full)):
            runs.crawls.append(_crawl(site, root, outlets, n))
            runs.logs.append(len(site.requests))
        site.edit_article(outlet.name, ref.path, "An update: the council has confirmed the figures.")
        runs.crawls.append(_crawl(site, root, full, 3))
        runs.logs.append(len(site.requests))
        site.delete_article(outlet.name, printed.path)
        with runs.crawls[0].engine.begin() as conn:  # a day and a half passes
            earlier = ("datetime(last_fetched_at, '-36 hours')" if conn.dialect.name == "sqlite"
                       else "last_fetched_at - interval '36 hours'")
            conn.execute(text(f"UPDATE urls SET last_fetched_at = {earlier} WHERE last_fetched_at IS NOT NULL"))
        runs.crawls.append(_crawl(site, root, full, 4))
        runs.logs.append(len(site.requests))
        yield runs
    finally:
        site.stop()


def test_variants_fetched_first_are_one_article_each_and_never_downloaded_again(runs: Runs) -> None:
    run1, run2 = runs.crawls[0], runs.crawls[1]
    for art, variant in ((runs.ref, runs.ref.path), (runs.amp, runs.amp.amp_path),
                         (runs.printed, runs.printed.path)):
        assert runs.requests_of_run(1, variant), f"run 1 did not fetch {variant}"
        assert runs.requests_of_run(2, art.path) == [], f"run 2 fetched {art.path} again"
        rows = run2.rows("SELECT a.id, a.canonical_url FROM articles a JOIN urls u ON u.article_id = a.id "
                         "WHERE u.url = :u", u=art.canonical_url)
        assert len(rows) == 1 and rows[0].canonical_url == art.canonical_url
        variants = run2.rows("SELECT url, article_id FROM urls WHERE canonical_url = :u",
                             u=identity_key(art.canonical_url))
        assert len(variants) >= 2 and {v.article_id for v in variants} == {rows[0].id}
    assert runs.requests_of_run(1, runs.printed.path)[0].path.endswith("?print=1")
    # one article row per article of the site, however many URLs named it
    assert run2.rows("SELECT count(*) AS n FROM articles")[0].n == len(runs.site.articles)
    assert run1.rows("SELECT count(*) AS n FROM crawl_runs WHERE status = 'ok'")[0].n == 4


def test_a_moved_lastmod_refetches_the_canonical_url_conditionally(runs: Runs) -> None:
    [request] = runs.requests_of_run(3, runs.ref.path)
    assert request.path == runs.ref.path  # the canonical URL, not the ?ref= variant fetched first
    assert "if-none-match" in {k.lower() for k in request.headers} and request.status == 200
    run3 = runs.crawls[2]
    versions = run3.rows("SELECT v.text FROM article_versions v JOIN articles a ON a.id = v.article_id "
                         "WHERE a.canonical_url = :u ORDER BY v.id", u=runs.ref.canonical_url)
    assert len(versions) == 2 and "council has confirmed the figures" in versions[1].text
    run = run3.rows("SELECT articles_new, articles_updated FROM crawl_runs WHERE id = 3")[0]
    assert (run.articles_new, run.articles_updated) == (0, 1)
    for art in (runs.amp, runs.printed):  # nothing else moved: nothing else fetched
        assert runs.requests_of_run(3, art.path) == []


def test_recheck_marks_a_deleted_article_gone_and_asks_conditionally(runs: Runs) -> None:
    run4 = runs.crawls[3]
    [request] = runs.requests_of_run(4, runs.printed.path)
    assert request.status == 410 and "if-none-match" in {k.lower() for k in request.headers}
    gone = run4.rows("SELECT canonical_url FROM articles WHERE gone")
    assert [g.canonical_url for g in gone] == [runs.printed.canonical_url]
    run = run4.rows("SELECT articles_gone, articles_updated, articles_new, revisits FROM crawl_runs WHERE id = 4")[0]
    assert (run.articles_gone, run.articles_updated, run.articles_new) == (1, 0, 0)
    assert run.revisits >= 1
    for art in runs.site.articles:  # at most one request per article in a run
        assert len(runs.requests_of_run(4, art.path)) <= 1, art.path


@pytest.mark.parametrize("share", ["abc", "1.5", "-0.1"])
def test_a_bad_recheck_share_is_one_line_and_exit_2(tmp_path: Path, share: str) -> None:
    outlets = tmp_path / "outlets.toml"
    outlets.write_text('[[outlets]]\nname = "nowhere"\nhomepage = "http://127.0.0.1:9/"\n')
    archive = tmp_path / "archive"
    result = conftest.run_cli("crawl", "--outlets", str(outlets), "--archive", str(archive),
                              "-s", f"PRESSCLIPS_RECHECK_SHARE={share}")
    conftest.one_line_error(result, 2, "PRESSCLIPS_RECHECK_SHARE", "from 0 to 1")
    # Refused before the crawl started: no run recorded, nothing archived.
    assert not list(archive.glob("warcs/*.warc*"))
    if archive_exists(archive):
        engine = make_engine(archive_url(archive))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM crawl_runs")).scalar() == 0
        engine.dispose()

"""Cron-grade runs over the real local site, changed between runs: run 2 fetches exactly what is
new, edited or due, asks conditionally, writes revisit records, creates versions, marks gone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from archive.warc.reader import read_record
from tests import conftest
from tests.backends import place, stored_json
from tests.crawler.test_crawl_e2e import Crawled, run_cli
from tests.crawlkit import FAST, assert_clean_log, write_outlets
from tests.localsite import LocalSite


def article_requests(site: LocalSite, since: int = 0) -> list:
    paths = {a.path for a in site.articles} | {a.amp_path for a in site.articles if a.amp_path}
    return [e for e in site.requests[since:] if e.path.split("?")[0] in paths]


class TwoRuns:
    def __init__(self, site: LocalSite, root: Path) -> None:
        self.site = site
        self.root = root
        self.archive = root / "archive"
        self.outlets = root / "outlets.toml"
        write_outlets(self.outlets, site.outlets_toml())

    def crawl(self, *extra: str) -> Crawled:
        result = run_cli("crawl", "--outlets", str(self.outlets), "--archive", str(self.archive), *FAST, *extra)
        if result.returncode == 0:
            assert_clean_log(result.stderr)
        return Crawled(self.site, self.archive, result)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    site = LocalSite(outlets=2, article_delay=0.0, reserve=4).start()
    runs = TwoRuns(site, tmp_path_factory.mktemp("incremental"))
    # On PostgreSQL in every run (tests/backends.py): the frontier, validators and counts of an
    # incremental crawl are what the database keeps; the one-off tests below follow the switch.
    place(runs.archive, "postgresql")
    try:
        first = runs.crawl()
        assert first.result.returncode == 0, first.result.stderr[-3000:]
        n_log = len(site.requests)
        outlet = site.outlets[0].name
        linked = [a for a in site.outlets[0].articles if "sitemap" in a.discoverable_via]
        edited, deleted = linked[1:3], linked[3]
        added = [site.add_article(outlet), site.add_article(site.outlets[1].name)]
        for art in edited:
            site.edit_article(outlet, art.path, "An update: the studio has confirmed the release date.")
        site.delete_article(outlet, deleted.path)
        # Time passes: every article's next recrawl from its schedule comes due. (Corpus pages carry
        # old publication dates, so their real schedule is over; this stands for recent news.)
        with first.engine.begin() as conn:
            conn.execute(text("UPDATE urls SET next_due_at = :now WHERE article_id IS NOT NULL "
                              "AND fetch_count > 0"), {"now": datetime.now(timezone.utc).replace(tzinfo=None)})
        second = runs.crawl()
        n_log2 = len(site.requests)
        third = runs.crawl()
        yield {"site": site, "first": first, "second": second, "third": third, "edited": edited,
               "deleted": deleted, "added": added, "log1": n_log, "log2": n_log2}
    finally:
        site.stop()


def test_second_run_counts_exactly_new_edited_and_gone(two_runs: dict) -> None:
    second: Crawled = two_runs["second"]
    assert second.result.returncode == 0, second.result.stderr[-3000:]
    run = second.rows("SELECT articles_new, articles_updated, articles_gone, revisits, status FROM crawl_runs "
                      "WHERE id = 2")[0]
    assert run.status == "ok"
    assert run.articles_new == len(two_runs["added"])
    assert run.articles_updated == len(two_runs["edited"])
    assert run.articles_gone == 1
    n_unchanged = len(second.site.articles) - len(two_runs["added"]) - len(two_runs["edited"]) - 1
    assert run.revisits >= n_unchanged  # every unchanged article answered 304


def test_revisits_are_conditional_and_recorded_as_revisit_records(two_runs: dict) -> None:
    second: Crawled = two_runs["second"]
    site: LocalSite = two_runs["site"]
    added = {a.path for a in two_runs["added"]}
    seen = article_requests(site, two_runs["log1"])[: two_runs["log2"] - two_runs["log1"]]
    assert seen
    for entry in seen:
        if entry.path in added:
            continue
        lowered = {k.lower() for k in entry.headers}
        assert {"if-none-match", "if-modified-since"} & lowered, entry.path
    revisits = second.rows("SELECT c.url, c.warc_file, c.warc_offset, c.warc_length, o.url AS orig_url "
                           "FROM captures c JOIN captures o ON o.id = c.refers_to_id "
                           # articles' revisits: listing pages, sitemaps and feeds have their own (run 3's test)
                           "WHERE c.kind = 'revisit' AND c.run_id = 2 AND c.article_id IS NOT NULL")
    assert len(revisits) >= len(site.articles) - len(added) - len(two_runs["edited"]) - 1
    for row in revisits[:10]:
        record = read_record(second.archive / "warcs", row.warc_file, row.warc_offset, row.warc_length)
        assert record.warc_header("WARC-Type") == "revisit"
        assert record.warc_header("WARC-Profile").endswith("server-not-modified")
        assert record.warc_header("WARC-Refers-To-Target-URI") == row.orig_url
    # a revisit never creates a version: only edited articles have two
    versions = second.rows("SELECT article_id, count(*) AS n FROM article_versions GROUP BY article_id HAVING count(*) > 1")
    assert len(versions) == len(two_runs["edited"])


def test_edits_become_versions_with_what_changed(two_runs: dict) -> None:
    second: Crawled = two_runs["second"]
    for art in two_runs["edited"]:
        rows = second.rows("SELECT v.text, v.changes FROM article_versions v JOIN articles a ON a.id = v.article_id "
                           "WHERE a.canonical_url = :u ORDER BY v.id", u=art.canonical_url)
        assert len(rows) == 2
        assert "studio has confirmed the release date" in rows[1].text
        assert "studio has confirmed" not in rows[0].text
        assert "text" in rows[1].changes


def test_deleted_article_is_gone_but_kept(two_runs: dict) -> None:
    second: Crawled = two_runs["second"]
    art = two_runs["deleted"]
    row = second.rows("SELECT a.gone, a.gone_at, count(v.id) AS n FROM articles a "
                      "JOIN article_versions v ON v.article_id = a.id WHERE a.canonical_url = :u "
                      "GROUP BY a.id", u=art.canonical_url)[0]
    assert row.gone and row.gone_at is not None and row.n == 1
    assert second.rows("SELECT count(*) AS n FROM articles WHERE gone")[0].n == 1


def test_no_article_is_fetched_twice_in_a_run(two_runs: dict) -> None:
    site: LocalSite = two_runs["site"]
    run2 = article_requests(site, two_runs["log1"])[: two_runs["log2"] - two_runs["log1"]]
    counts = Counter(e.path for e in run2 if e.method == "GET")
    assert counts and max(counts.values()) == 1, counts.most_common(3)


def test_third_run_fetches_no_article_when_nothing_is_due_or_changed(two_runs: dict) -> None:
    third: Crawled = two_runs["third"]
    assert third.result.returncode == 0, third.result.stderr[-3000:]
    site: LocalSite = two_runs["site"]
    assert article_requests(site, two_runs["log2"]) == []
    run = third.rows("SELECT articles_new, articles_updated, pages_fetched, stats FROM crawl_runs WHERE id = 3")[0]
    assert (run.articles_new, run.articles_updated) == (0, 0)
    # the watermark: a sitemap index child whose lastmod has not moved is not fetched again
    assert stored_json(run.stats).get("pressclips/sitemaps_unchanged", 0) >= 1


def test_third_run_revisits_every_listing_sitemap_and_feed(two_runs: dict) -> None:
    """Nothing changed since run 2. The local site sends validators for articles only, so its
    homepage, section pages, sitemaps and feeds come back in full: byte-identical, each becomes a
    WARC revisit record (identical-payload-digest) of its last capture, not a second copy. (The
    generated sites, which validate listings too, hold the conditional share: test_crawl_quality.)"""
    third: Crawled = two_runs["third"]
    site: LocalSite = two_runs["site"]
    again = [e for e in site.requests[two_runs["log2"]:] if e.method == "GET" and not e.path.startswith("/robots.txt")]
    captures = third.rows("SELECT c.url, c.kind, c.warc_file, c.warc_offset, c.warc_length, o.url AS orig_url "
                          "FROM captures c LEFT JOIN captures o ON o.id = c.refers_to_id "
                          "WHERE c.run_id = 3 AND c.kind NOT IN ('robots', 'redirect')")
    revisits = [c for c in captures if c.kind == "revisit" and c.orig_url == c.url]
    print(f"\nrun 3: {len(again)} requests, {len(captures)} captures, {len(revisits)} revisit records")
    assert again and {e.status for e in again} == {200}
    assert captures and len(revisits) == len(captures), [(c.url, c.kind) for c in captures if c not in revisits]
    for row in revisits:
        record = read_record(third.archive / "warcs", row.warc_file, row.warc_offset, row.warc_length)
        assert record.warc_header("WARC-Profile").endswith("identical-payload-digest") and record.payload == b""


def test_since_skips_old_sitemap_entries_without_fetching_them(tmp_path: Path) -> None:
    site = LocalSite(outlets=1, article_delay=0.0).start()
    try:
        runs = TwoRuns(site, tmp_path)
        arts = sorted(site.articles, key=lambda a: a.published)
        cut = arts[len(arts) // 2].published
        crawled = runs.crawl("--published-since", cut.date().isoformat())
        assert crawled.result.returncode == 0, crawled.result.stderr[-3000:]
        fetched = {e.path for e in article_requests(site)}
        # only articles announced by a dated sitemap or feed entry can be judged before fetching
        dated_only = [a for a in arts if a.discoverable_via and "links" not in a.discoverable_via]
        old = [a for a in dated_only if a.published.date() < cut.date()]
        new = [a for a in dated_only if a.published.date() >= cut.date()]
        assert old and new
        assert not {a.path for a in old} & fetched
        assert {a.path for a in new} <= fetched
        skipped = stored_json(crawled.rows("SELECT stats FROM crawl_runs")[0].stats)
        assert skipped["pressclips/outside_window"] >= len(old)
    finally:
        site.stop()


def test_time_limit_stops_gracefully_and_the_next_run_continues(tmp_path: Path) -> None:
    site = LocalSite(outlets=1, article_delay=0.3).start()
    try:
        runs = TwoRuns(site, tmp_path)
        log = tmp_path / "logs" / "crawl.log"
        first = runs.crawl("--max-runtime", "3s", "--log-file", str(log), "--quiet")
        assert first.result.returncode == 0, first.result.stderr[-3000:]
        assert first.result.stdout == "" and first.result.stderr == ""  # quiet under cron
        run = first.rows("SELECT finish_reason, status, articles_new FROM crawl_runs")[0]
        assert (run.finish_reason, run.status) == ("closespider_timeout", "ok")
        assert 0 < run.articles_new < len(site.articles)
        logged = log.read_text()
        assert "INFO" in logged and "run 1: ok (closespider_timeout)" in logged
        assert_clean_log(logged)  # the stop at the time limit is not an error
        second = runs.crawl()
        assert second.result.returncode == 0, second.result.stderr[-3000:]
        assert len(second.rows("SELECT id FROM articles")) == len(site.articles)
    finally:
        site.stop()


def test_progress_lines_only_on_a_terminal(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess

    site = LocalSite(outlets=1, article_delay=0.1).start()
    try:
        runs = TwoRuns(site, tmp_path)
        master, slave = pty.openpty()
        proc = subprocess.run(conftest.pressclips_argv("crawl", "--outlets", str(runs.outlets), "--archive", str(runs.archive),
                                                      *FAST, "-s", "PRESSCLIPS_PROGRESS_INTERVAL=0.5"),
                              stderr=slave, stdout=subprocess.PIPE, text=True, timeout=300, env=conftest.cli_env())
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO once the pty is drained and closed
                break
            if not data:
                break
            chunks.append(data)
        os.close(master)
        assert proc.returncode == 0
        shown = b"".join(chunks).decode()
        assert "pressclips: " in shown and " requests, " in shown and " new, " in shown
    finally:
        site.stop()


def test_server_ignoring_validators_gets_identical_payload_revisits(tmp_path: Path) -> None:
    site = LocalSite(outlets=1, article_delay=0.0).start()
    try:
        runs = TwoRuns(site, tmp_path)
        first = runs.crawl()
        assert first.result.returncode == 0, first.result.stderr[-3000:]
        site.conditional_get = False
        with first.engine.begin() as conn:
            conn.execute(text("UPDATE urls SET next_due_at = :now WHERE article_id IS NOT NULL AND fetch_count > 0"),
                         {"now": datetime.now(timezone.utc).replace(tzinfo=None)})
        second = runs.crawl()
        assert second.result.returncode == 0, second.result.stderr[-3000:]
        rows = second.rows("SELECT c.warc_file, c.warc_offset, c.warc_length, c.status FROM captures c "
                           "WHERE c.kind = 'revisit' AND c.run_id = 2")
        assert len(rows) >= len(site.articles) - 2  # every article, same bytes (gzip included: mtime=0)
        for row in rows:
            assert row.status == 200
            record = read_record(second.archive / "warcs", row.warc_file, row.warc_offset, row.warc_length)
            assert record.warc_header("WARC-Profile").endswith("identical-payload-digest")
            assert record.payload == b""  # the body is not stored twice
        assert second.rows("SELECT count(*) AS n FROM article_versions")[0].n == len(site.articles)
        assert second.rows("SELECT articles_updated FROM crawl_runs WHERE id = 2")[0].articles_updated == 0
    finally:
        site.stop()

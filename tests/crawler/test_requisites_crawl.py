"""Page requisites through the real CLI crawl, with the defaults (AutoThrottle, robots.txt obeyed).

One local site (``tests.assetsite``) serves three outlets with the same pages: ``styled`` with the
defaults, ``plain`` with ``assets = false`` and ``robotless`` with ``assets_obey_robots = false``,
plus a CDN on another port. Run 1 archives every requisite once; run 2 (the sitemap re-dates
every page) asks for each once, conditionally, and writes revisit records; a third crawl into a
fresh archive spends tiny byte budgets and counts what they skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from archive.warc.reader import read_record
from tests import conftest
from tests.assetsite import CDN_ASSETS, ROBOTS_DISALLOWED, TRACKER_PIXEL, AssetSite, page_assets
from tests.backends import archive_url, stored_json
from tests.crawlkit import FAST, assert_clean_log, write_outlets
from tests.paths import REPO

PAGES = 4
OUTLET_EXTRA = {"plain": "assets = false", "robotless": "assets_obey_robots = false"}
OWN_ASSETS = sorted({path for i in range(PAGES) for path in page_assets(i)})


@dataclass
class Runs:
    site: AssetSite
    archive: Path
    results: list[Any]
    first: dict[str, Any]  # per server: paths requested in run 1
    second: dict[str, Any]  # ... and in runs 1 and 2
    budget_archive: Path
    budget_log: str

    def rows(self, sql: str, archive: Path | None = None, **params: Any) -> list[Any]:
        engine = create_engine(archive_url(archive or self.archive))
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params))
        finally:
            engine.dispose()


def crawl(outlets: Path, archive: Path, *extra: str) -> Any:
    return conftest.run_cli("crawl", "--outlets", str(outlets), "--archive", str(archive), *FAST, *extra,
                            cwd=REPO, timeout=300)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    root = tmp_path_factory.mktemp("requisites")
    site = AssetSite(("styled", "plain", "robotless"), pages=PAGES).start()
    try:
        outlets = write_outlets(root / "outlets.toml", site.outlets_toml(OUTLET_EXTRA))
        first = crawl(outlets, root / "archive")
        counts = {name: site.paths(name) for name in site.servers}
        site.bump()
        second = crawl(outlets, root / "archive")
        both = {name: site.paths(name) for name in site.servers}
        log = root / "budget.log"
        budget = crawl(outlets, root / "budget", "--outlet", "styled", "--log-file", str(log),
                       "-s", "PRESSCLIPS_ASSET_PAGE_BYTES=1", "-s", "PRESSCLIPS_ASSET_RUN_BYTES=200")
        yield Runs(site, root / "archive", [first, second, budget], counts, both, root / "budget", log.read_text())
    finally:
        site.stop()


def test_runs_are_ok_and_clean(runs: Runs) -> None:
    for result in runs.results:
        assert result.returncode == 0, result.stderr[-3000:]
        assert_clean_log(result.stderr)
    assert f"articles new {3 * PAGES}," in runs.results[0].stdout  # the pages of 3 outlets, and nothing else


def test_every_requisite_is_archived_once_per_run_and_nothing_else(runs: Runs) -> None:
    styled, robotless, cdn = runs.first["styled"], runs.first["robotless"], runs.first["cdn"]
    for path in OWN_ASSETS:
        assert styled[path] == 1 and robotless[path] == 1, path
    for path in CDN_ASSETS:  # a CDN host learned from the pages, shared by two outlets: still once
        assert cdn[path] == 1, path
    assert styled[ROBOTS_DISALLOWED] == 0 and robotless[ROBOTS_DISALLOWED] == 1  # the robots rule
    assert styled[TRACKER_PIXEL] == robotless[TRACKER_PIXEL] == 0
    assert styled["/img/pic-800.webp"] == 0  # only the largest srcset candidate
    plain = runs.first["plain"]
    assert not set(plain) & {*OWN_ASSETS, ROBOTS_DISALLOWED, TRACKER_PIXEL}, plain  # assets = false
    claimed = [url for (url,) in runs.rows("SELECT url FROM asset_states")]
    assert claimed and all(url.startswith("http://127.0.0.1:") for url in claimed)  # no tracker, no internet


def test_assets_are_captures_of_their_own_kind_and_never_articles(runs: Runs) -> None:
    [(assets, distinct)] = runs.rows("SELECT count(*), count(DISTINCT url) FROM captures WHERE kind = 'asset' "
                                     "AND run_id = 1")
    assert assets == distinct == 2 * len(OWN_ASSETS) + 1 + len(CDN_ASSETS)  # + robotless's private image
    assert runs.rows("SELECT count(*) FROM captures c JOIN articles a ON a.id = c.article_id "
                     "WHERE c.kind = 'asset'") == [(0,)]
    assert runs.rows("SELECT count(*) FROM urls WHERE url LIKE '%/img/%' OR url LIKE '%.css'") == [(0,)]
    [(articles,)] = runs.rows("SELECT count(*) FROM articles")
    assert articles == 3 * PAGES
    # A stylesheet's response record holds the CSS as it came off the wire.
    [(file, offset, length)] = runs.rows("SELECT warc_file, warc_offset, warc_length FROM captures "
                                         "WHERE kind = 'asset' AND run_id = 1 AND url LIKE :u",
                                         u=runs.site.url("styled") + "/static/base.css")
    record = read_record(runs.archive / "warcs", file, offset, length)
    assert b"@font-face" in record.decoded_payload()


def test_each_page_is_linked_to_its_requisites_and_stylesheets_to_theirs(runs: Runs) -> None:
    base = runs.site.url("styled")
    page = f"{base}/news/story-3.html"
    linked = {url for (url,) in runs.rows(
        "SELECT p.asset_url FROM page_requisites p JOIN captures c ON c.id = p.page_capture_id "
        "WHERE c.url = :page AND c.run_id = 1 AND p.asset_capture_id IS NOT NULL", page=page)}
    expected = {base + path for path in page_assets(3)} - {base + p for p in ("/static/base.css", "/fonts/body.woff2",
                                                                          "/img/bg.png", "/img/hero.png")}
    assert expected | {runs.site.url("cdn") + p for p in CDN_ASSETS} == linked
    via_css = runs.rows("SELECT c.url, p.asset_url FROM page_requisites p JOIN captures c ON c.id = p.page_capture_id"
                        " WHERE c.kind = 'asset' AND c.run_id = 1 AND c.url LIKE :b ORDER BY 1, 2", b=base + "/%")
    assert [(page.removeprefix(base), asset.removeprefix(base)) for page, asset in via_css] == [
        ("/static/base.css", "/fonts/body.woff2"), ("/static/base.css", "/img/bg.png"),
        ("/static/site.css", "/img/hero.png"), ("/static/site.css", "/static/base.css")]


def test_the_next_run_asks_once_per_asset_conditionally_and_writes_revisits(runs: Runs) -> None:
    for name, paths in (("styled", OWN_ASSETS), ("robotless", [*OWN_ASSETS, ROBOTS_DISALLOWED]), ("cdn", CDN_ASSETS)):
        now = runs.second[name]
        for path in paths:
            assert now[path] == 2, (name, path)
            assert runs.site.conditional[(name, path)] == 1, (name, path)
    rows = runs.rows("SELECT c.warc_file, c.warc_offset, c.warc_length, c.refers_to_id, c.status FROM captures c "
                     "WHERE c.kind = 'asset' AND c.run_id = 2")
    assert len(rows) == 2 * len(OWN_ASSETS) + 1 + len(CDN_ASSETS)
    for file, offset, length, refers_to, status in rows:
        assert refers_to is not None and status == 304
        assert read_record(runs.archive / "warcs", file, offset, length).rec_type == "revisit"
    [(stats,)] = runs.rows("SELECT stats FROM crawl_runs WHERE id = 2")
    assert stored_json(stats)["pressclips/assets/revisits"] == len(rows)


def test_byte_budgets_skip_and_count(runs: Runs) -> None:
    [(stats, pages)] = runs.rows("SELECT stats, pages_fetched FROM crawl_runs", archive=runs.budget_archive)
    stats = stored_json(stats)
    skipped = stats.get("pressclips/assets/budget_skipped_page", 0) + stats.get("pressclips/assets/budget_skipped_run", 0)
    fetched = stats.get("pressclips/assets/responses", 0)
    assert skipped > 0 and fetched + skipped <= len(OWN_ASSETS) + len(CDN_ASSETS) + 1
    assert fetched < len(OWN_ASSETS)
    # robots.txt, sitemap, pages, homepage (and the CDN's robots.txt if a requisite got that far): requisites
    # are not pages.
    assert 2 + PAGES + 1 <= pages <= 2 + PAGES + 2
    # Logged once per kind of cap, at INFO, never per requisite.
    for cap in ("PRESSCLIPS_ASSET_PAGE_BYTES", "PRESSCLIPS_ASSET_RUN_BYTES"):
        assert runs.budget_log.count(cap) <= 1
    assert runs.budget_log.count("requisites:") >= 1
    listed = conftest.run_cli("runs", "--json", "--archive", str(runs.budget_archive), cwd=REPO)
    [run] = json.loads(listed.stdout)
    assert (run["assets"], run["assets_skipped"]) == (fetched, skipped)


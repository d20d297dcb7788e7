"""Politeness with the project's defaults (AutoThrottle on), measured at the server: an outlet's own
``download_delay`` and ``concurrency`` hold for every request it receives, robots.txt included."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

from tests.crawlkit import assert_clean_log
from tests.localsite import LocalSite

SLOW_DELAY = 1.0


@dataclass
class PoliteCrawl:
    site: LocalSite
    result: subprocess.CompletedProcess[str]
    log_file: Path


@pytest.fixture(scope="module")
def polite_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PoliteCrawl]:
    site = LocalSite(outlets=2, article_delay=0.05).start()
    root = tmp_path_factory.mktemp("polite")
    slow, pair = site.outlets
    outlets = root / "outlets.toml"
    # The slow outlet is capped at a few pages: at one request a second a full crawl takes a minute.
    outlets.write_text(f'[[outlets]]\nname = "{slow.name}"\nhomepage = "{slow.base_url}/"\nmax_pages = 6\n'
                       f'[outlets.politeness]\ndownload_delay = {SLOW_DELAY}\nconcurrency = 1\n\n'
                       f'[[outlets]]\nname = "{pair.name}"\nhomepage = "{pair.base_url}/"\n'
                       f'[outlets.politeness]\ndownload_delay = 0.05\nconcurrency = 2\n')
    log_file = root / "crawl.log"
    try:
        # No -s for AutoThrottle or DOWNLOAD_DELAY: the project defaults are what is measured.
        result = subprocess.run(
            [sys.executable, "-m", "crawler.run", "-s", f"PRESSCLIPS_OUTLETS={outlets}",
             "-s", f"PRESSCLIPS_ARCHIVE={root / 'archive'}", "-s", "PRESSCLIPS_EXTRACT_WORKERS=1",
             "-s", f"PRESSCLIPS_LOG_FILE={log_file}"],
            capture_output=True, text=True, timeout=300, check=False)
        yield PoliteCrawl(site, result, log_file)
    finally:
        site.stop()


def test_crawl_runs_with_autothrottle_and_a_clean_log(polite_crawl: PoliteCrawl) -> None:
    result = polite_crawl.result
    assert result.returncode == 0, result.stderr[-3000:]
    assert "scrapy.extensions.throttle.AutoThrottle" in result.stderr  # enabled, by default
    assert_clean_log(result.stderr)
    assert_clean_log(polite_crawl.log_file.read_text())


def test_outlet_delay_holds_between_request_arrivals(polite_crawl: PoliteCrawl) -> None:
    slow = polite_crawl.site.outlets[0]
    arrivals = sorted(r.time for r in polite_crawl.site.requests if r.outlet == slow.name)
    assert len(arrivals) >= 5
    gaps = [later - earlier for earlier, later in pairwise(arrivals)]
    assert min(gaps) >= 0.9 * SLOW_DELAY, [round(g, 3) for g in gaps]
    assert polite_crawl.site.max_in_flight[slow.name] == 1


def test_outlet_concurrency_holds(polite_crawl: PoliteCrawl) -> None:
    pair = polite_crawl.site.outlets[1]
    assert 1 <= polite_crawl.site.max_in_flight[pair.name] <= 2
    assert len([r for r in polite_crawl.site.requests if r.outlet == pair.name]) > 20


def test_an_outlet_allowing_less_than_the_global_delay_gets_it(polite_crawl: PoliteCrawl) -> None:
    """The pair outlet asks for 0.05 s, below the global DOWNLOAD_DELAY of 0.5 s; its server answers
    fast, so AutoThrottle has no reason to slow it down. Scrapy's AutoThrottle alone would hold it
    at 0.5 s between starts after the first response."""
    pair = polite_crawl.site.outlets[1]
    arrivals = sorted(r.time for r in polite_crawl.site.requests if r.outlet == pair.name)
    gaps = sorted(later - earlier for earlier, later in pairwise(arrivals))
    assert gaps[len(gaps) // 2] < 0.25, [round(g, 3) for g in gaps[len(gaps) // 2 - 3:len(gaps) // 2 + 3]]

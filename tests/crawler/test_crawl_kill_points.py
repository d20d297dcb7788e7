"""SIGKILL at seeded random points (issue 10): a generated site is crawled by the real CLI with
default settings, the crawl's whole process group is SIGKILLed after a seeded random delay, twice,
then one run goes to the end.  The archive must then cover exactly what an uninterrupted crawl of
the same site covers, hold no duplicate rows, and pass ``pressclips verify``."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.sitegen import GeneratedSite
from tests.sitegen.crawl import cli, crawl, start_crawl

KILLS = 2
# Seconds after starting the CLI: start-up takes a few seconds and a whole crawl ~30-60, so a
# kill lands anywhere from "database barely created" to "most pages stored".
KILL_WINDOW = (3.0, 25.0)


def archive_rows(archive: Path, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(f"sqlite:///{archive / 'pressclips.sqlite3'}")
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


@pytest.mark.parametrize("seed", [21, 22])
def test_two_sigkills_then_a_full_run_cover_what_an_uninterrupted_crawl_does(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    site = GeneratedSite(seed).start()
    outlets = tmp_path / "outlets.toml"
    outlets.write_text(site.outlets_toml())
    reference, archive = tmp_path / "reference", tmp_path / "archive"
    try:
        uninterrupted = crawl(outlets, reference)
        assert uninterrupted.returncode == 0, uninterrupted.stderr[-3000:]

        delays = [round(rng.uniform(*KILL_WINDOW), 2) for _ in range(KILLS)]
        stored: list[int] = []  # article rows after each kill
        for delay in delays:
            proc = start_crawl(outlets, archive)
            time.sleep(delay)
            assert proc.poll() is None, f"the crawl ended within {delay}s, before it could be killed"
            os.killpg(proc.pid, signal.SIGKILL)  # the CLI, Scrapy and the extraction workers
            proc.wait(timeout=30)
            stored.append(len(archive_rows(archive, "SELECT id FROM articles"))
                          if (archive / "pressclips.sqlite3").exists() else 0)
        final = crawl(outlets, archive)
        assert final.returncode == 0, final.stderr[-3000:]

        coverage_sql = "SELECT canonical_url FROM articles ORDER BY canonical_url"
        expected = archive_rows(reference, coverage_sql)
        got = archive_rows(archive, coverage_sql)
        print(f"\nseed {seed}: kills after {delays} s left {stored} article rows; articles {len(got)} (uninterrupted {len(expected)})")
        assert got == expected
        assert {site.attribute(str(url)) for url, in got} >= set(site.real_articles())
        for sql in ("SELECT canonical_url FROM articles GROUP BY canonical_url HAVING count(*) > 1",
                    "SELECT url FROM urls GROUP BY url HAVING count(*) > 1",
                    "SELECT article_id FROM article_versions GROUP BY article_id HAVING count(*) > 1",
                    "SELECT warc_record_id FROM captures GROUP BY warc_record_id HAVING count(*) > 1"):
            assert archive_rows(archive, sql) == [], sql
        statuses = [status for status, in archive_rows(archive, "SELECT status FROM crawl_runs ORDER BY id")]
        # A kill that lands before the run row exists leaves no row; every row but the last is killed.
        assert statuses[-1] == "ok" and set(statuses[:-1]) <= {"killed"}, statuses
        verify = cli("verify", "--archive", str(archive))
        assert verify.returncode == 0, verify.stdout[-2000:] + verify.stderr[-2000:]
    finally:
        site.stop()

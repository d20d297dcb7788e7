"""A crawl killed with SIGKILL half-way, then run again: complete coverage, no duplicates, every
pointer readable, ``verify`` clean. And the archive lock: a second run exits 75 at once."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from archive.ops.lock import ArchiveLock
from archive.warc.reader import read_record
from tests import conftest
from tests.backends import archive_exists, archive_url
from tests.crawler.test_crawl_e2e import run_cli
from tests.crawlkit import FAST, assert_clean_log, write_outlets
from tests.localsite import LocalSite


def count(engine, sql: str) -> int:  # noqa: ANN001
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar() or 0)
    except Exception:  # noqa: BLE001 - the database may not exist yet while the crawl starts
        return 0


def test_second_run_exits_75_at_once_and_changes_nothing(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    outlets = tmp_path / "outlets.toml"
    outlets.write_text('[[outlets]]\nname = "local"\nhomepage = "http://127.0.0.1:9/"\n')
    with ArchiveLock(archive):
        started = time.monotonic()
        result = run_cli("crawl", "--outlets", str(outlets), "--archive", str(archive))
        elapsed = time.monotonic() - started
    assert result.returncode == 75, result.stderr
    assert "another pressclips run holds the archive lock" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert elapsed < 20  # "at once": no crawl was started (generous bound for a loaded machine)
    assert not archive_exists(archive)
    with ArchiveLock(archive):  # under cron (--quiet) a skipped run says nothing: cron mails output
        quiet = run_cli("crawl", "--outlets", str(outlets), "--archive", str(archive), "--quiet")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (75, "", "")


def test_sigkill_mid_run_then_rerun_completes_without_duplicates(tmp_path: Path) -> None:
    site = LocalSite(outlets=2, article_delay=0.15).start()
    archive = tmp_path / "archive"
    outlets = tmp_path / "outlets.toml"
    write_outlets(outlets, site.outlets_toml())
    try:
        proc = subprocess.Popen(
            conftest.pressclips_argv("crawl", "--outlets", str(outlets), "--archive", str(archive),
                                     *FAST, "-s", "PRESSCLIPS_EXTRACT_WORKERS=1"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=conftest.cli_env())
        engine = create_engine(archive_url(archive))
        deadline = time.monotonic() + 120
        while count(engine, "SELECT count(*) FROM articles") < 10:
            assert proc.poll() is None, "the crawl ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its Scrapy child, mid-run
        proc.wait(timeout=30)
        partial = count(engine, "SELECT count(*) FROM articles")
        assert 10 <= partial < len(site.articles)
        assert list((archive / "warcs").glob("*.open"))  # the killed run left its WARC open

        result = run_cli("crawl", "--outlets", str(outlets), "--archive", str(archive), *FAST)
        assert result.returncode == 0, result.stderr[-3000:]
        assert_clean_log(result.stderr)
        with engine.connect() as conn:
            found = [r[0] for r in conn.execute(text("SELECT canonical_url FROM articles"))]
            assert sorted(found) == sorted(a.canonical_url for a in site.articles)
            assert conn.execute(text("SELECT count(*) FROM article_versions")).scalar() == len(site.articles)
            dupes = conn.execute(text("SELECT url FROM urls GROUP BY url HAVING count(*) > 1")).all()
            assert dupes == []
            statuses = dict(conn.execute(text("SELECT id, status FROM crawl_runs")).all())
            assert statuses[1] == "killed" and statuses[2] == "ok"
            captures = conn.execute(text("SELECT warc_file, warc_offset, warc_length, warc_record_id "
                                         "FROM captures")).all()
        assert not list((archive / "warcs").glob("*.open"))
        for warc_file, offset, length, record_id in captures:
            assert not warc_file.endswith(".open")
            assert read_record(archive / "warcs", warc_file, offset, length).record_id == record_id
        verify = run_cli("verify", "--archive", str(archive))
        assert verify.returncode == 0, verify.stdout[-2000:] + verify.stderr[-2000:]
        engine.dispose()
    finally:
        site.stop()

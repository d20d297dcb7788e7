"""A full disk while writing WARCs: the WARC directory is a real 512 KB tmpfs. The run stops
cleanly with one line and exit 1, the partial record is cut off, no row points at it, and the
archive verifies clean afterwards."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from archive.warc.reader import iter_records, read_record
from tests.backends import archive_url
from tests.crawler.test_crawl_e2e import run_cli
from tests.crawlkit import FAST, assert_clean_log, write_outlets
from tests.localsite import LocalSite


@pytest.fixture
def small_warc_dir(tmp_path: Path) -> Iterator[Path]:
    warcs = tmp_path / "archive" / "warcs"
    warcs.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(warcs)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill up (needs root): {mounted.stderr.strip()}")
    try:
        yield warcs
    finally:
        subprocess.run(["umount", "-l", str(warcs)], check=False)


def test_full_disk_stops_the_run_cleanly_and_keeps_the_archive_consistent(small_warc_dir: Path) -> None:
    site = LocalSite(outlets=1, article_delay=0.0).start()
    archive = small_warc_dir.parent
    outlets = archive.parent / "outlets.toml"
    write_outlets(outlets, site.outlets_toml())
    try:
        result = run_cli("crawl", "--outlets", str(outlets), "--archive", str(archive), *FAST)
    finally:
        site.stop()
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    assert "No space left on device" in result.stderr
    assert "Traceback" not in result.stderr
    # The one expected error is the failed WARC write that stopped the run.
    assert_clean_log(result.stderr, allowed=[r"WARC write failed", r"No space left on device"])
    engine = create_engine(archive_url(archive))
    with engine.connect() as conn:
        run = conn.execute(text("SELECT status, finish_reason FROM crawl_runs")).one()
        captures = conn.execute(text("SELECT warc_file, warc_offset, warc_length, warc_record_id "
                                     "FROM captures")).all()
    engine.dispose()
    assert run.status == "failed" and run.finish_reason == "warc_error"
    assert captures  # some pages were archived before the disk filled up
    for warc_file, offset, length, record_id in captures:
        assert read_record(small_warc_dir, warc_file, offset, length).record_id == record_id
    for path in small_warc_dir.glob("*.warc.gz*"):
        records = list(iter_records(path))  # every file ends on a record boundary
        end = records[-1][0] + records[-1][1]
        assert end == path.stat().st_size
    verify = run_cli("verify", "--archive", str(archive))
    assert verify.returncode == 0, verify.stdout[-2000:] + verify.stderr[-2000:]

"""One crawl per archive whatever the entry point: beside a running crawl, plain ``scrapy crawl
press`` (from the checkout) closes its spider unstarted and fetches nothing, ``python -m
crawler.run`` exits 75 with one line, and the running crawl's row is not touched."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from tests.backends import archive_url
from tests.crawlkit import assert_clean_log, write_outlets
from tests.localsite import LocalSite
from tests.paths import REPO


def run_rows(archive: Path) -> list[Any]:
    engine = create_engine(archive_url(archive))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT * FROM crawl_runs ORDER BY id"))]
    finally:
        engine.dispose()


def test_a_second_crawl_beside_a_running_one_fetches_nothing(tmp_path: Path) -> None:
    site = LocalSite(outlets=1, article_delay=0.2).start()
    archive = tmp_path / "archive"
    outlets = write_outlets(tmp_path / "outlets.toml", site.outlets_toml(), delay=0.3)
    common = ["-s", f"PRESSCLIPS_OUTLETS={outlets}", "-s", f"PRESSCLIPS_ARCHIVE={archive}",
              "-s", "DOWNLOAD_DELAY=0", "-s", "PRESSCLIPS_EXTRACT_WORKERS=1"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    env.pop("PRESSCLIPS_LOCK_FD", None)
    first = subprocess.Popen([sys.executable, "-m", "crawler.run", *common], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 60
        while not any(p.startswith("/news/") for p in site.paths_requested()):
            assert first.poll() is None and time.monotonic() < deadline, "the first crawl ended too soon"
            time.sleep(0.05)
        before = run_rows(archive)
        assert len(before) == 1

        plain = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "press", *common], cwd=REPO, env=env,
                               capture_output=True, text=True, timeout=120, check=False)
        assert "another pressclips run holds the archive lock" in plain.stderr
        assert "'finish_reason': 'archive_locked'" in plain.stderr
        assert "downloader/request_count" not in plain.stderr  # nothing fetched
        assert "Traceback" not in plain.stderr

        runner = subprocess.run([sys.executable, "-m", "crawler.run", *common], env=env,
                                capture_output=True, text=True, timeout=120, check=False)
        assert runner.returncode == 75, runner.stderr[-2000:]
        assert runner.stderr.strip().splitlines() == [runner.stderr.strip()]
        assert runner.stderr.startswith("pressclips: error: another pressclips run holds the archive lock")

        assert first.poll() is None, "the first crawl should still be running"
        assert run_rows(archive) == before  # neither touched the running crawl's row
    finally:
        _out, err = first.communicate(timeout=300)
        site.stop()
    assert first.returncode == 0, err[-3000:]
    assert_clean_log(err)
    [(run_id, status)] = [(r[0], r[3]) for r in run_rows(archive)]
    assert (run_id, status) == (1, "ok")

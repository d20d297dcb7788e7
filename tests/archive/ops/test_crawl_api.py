"""``run_crawl``: the crawl as a Python call (what ``pressclips crawl`` and the benchmarks use),
against the local test site; and ``crawl --json``, its summary for scripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from archive.config import ArchiveConfig
from archive.errors import ArchiveLockedError, ConfigError
from archive.ops.crawl import CrawlOptions, RunSummary, child_command, run_crawl
from archive.ops.lock import ArchiveLock
from tests.backends import archive_url
from tests.conftest import run_cli
from tests.localsite import LocalSite

FAST = ("AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_DELAY=0", "PRESSCLIPS_EXTRACT_WORKERS=1")


def test_run_crawl_returns_the_recorded_run_and_crawl_json_prints_it(local_site: LocalSite, tmp_path: Path) -> None:
    outlets = tmp_path / "outlets.toml"
    outlets.write_text(local_site.outlets_toml())
    notes: list[str] = []
    config = ArchiveConfig.build(tmp_path / "archive", archive_url(tmp_path / "archive"))
    summary = run_crawl(config, CrawlOptions(outlets=outlets, settings=FAST), notify=notes.append)
    assert isinstance(summary, RunSummary) and summary.ok, summary.line()
    assert summary.run["id"] == 1 and summary.run["articles_new"] > 0 and summary.run["errors"] == 0
    engine = create_engine(config.database_url)
    with engine.connect() as conn:
        [(status, new)] = conn.execute(text("SELECT status, articles_new FROM crawl_runs")).fetchall()
    engine.dispose()
    assert (status, new) == ("ok", summary.run["articles_new"])
    assert summary.line().startswith("run 1: ok (finished)") and notes == []

    again = run_cli("crawl", "--outlets", str(outlets), "--archive", str(tmp_path / "archive"), "--json",
                    *(arg for item in FAST for arg in ("-s", item)))
    assert again.returncode == 0, again.stderr[-2000:]
    printed = json.loads(again.stdout)
    assert printed["ok"] is True and printed["exit_status"] == 0 and printed["run"]["id"] == 2
    assert printed["run"]["articles_new"] == 0 and printed["run"]["status"] == "ok"


def test_bad_options_are_refused_before_anything_is_created(tmp_path: Path) -> None:
    outlets = tmp_path / "outlets.toml"
    outlets.write_text('[[outlets]]\nname = "local"\nhomepage = "http://127.0.0.1:9/"\n')
    config = ArchiveConfig.build(tmp_path / "archive")
    for options in (CrawlOptions(outlets=outlets, only=("other",)), CrawlOptions(outlets=outlets, settings=("X",)),
                    CrawlOptions(outlets=outlets, max_runtime=0), CrawlOptions(outlets=tmp_path / "none.toml")):
        with pytest.raises(ConfigError):
            run_crawl(config, options)
    assert not (tmp_path / "archive").exists()


def test_a_held_lock_is_an_archive_locked_error(tmp_path: Path) -> None:
    outlets = tmp_path / "outlets.toml"
    outlets.write_text('[[outlets]]\nname = "local"\nhomepage = "http://127.0.0.1:9/"\n')
    config = ArchiveConfig.build(tmp_path / "archive")
    config.ensure_dirs()
    with ArchiveLock(config.root).acquire(), pytest.raises(ArchiveLockedError):
        run_crawl(config, CrawlOptions(outlets=outlets))


def test_the_child_command_line_is_the_documented_contract(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    config = ArchiveConfig.build(tmp_path, "sqlite:///x.db")
    command = child_command(config, CrawlOptions(
        outlets=Path("o.toml"), only=("a", "b"), since=datetime(2026, 11, 1, tzinfo=UTC), max_runtime=60,
        verbose=1, settings=("DOWNLOAD_DELAY=0",)))
    assert command[1:5] == ["-m", "crawler.run", "--outlet", "a,b"]
    settings = [command[i + 1] for i, arg in enumerate(command) if arg == "-s"]
    assert settings[-1] == "DOWNLOAD_DELAY=0"  # user overrides come last, so they win
    assert {"LOG_LEVEL=INFO", "CLOSESPIDER_TIMEOUT=60", "PRESSCLIPS_SINCE=2026-11-01T00:00:00+00:00",
            "PRESSCLIPS_DATABASE_URL=sqlite:///x.db", f"PRESSCLIPS_ARCHIVE={config.root}"} <= set(settings)

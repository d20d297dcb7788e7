"""A database that fails while being read: search, show and export say so in one line (exit 1).

The archive is real and then damaged the way a bad restore or a hand edit damages one: a column
the read side needs is dropped (the schema check at open time still passes, the first query
fails), or the SQLite file is not a database at all. Nothing is mocked.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from archive.db.engine import make_engine
from archive.db.records import CaptureRecord, PageResult
from archive.db.store import Store
from archive.errors import DatabaseError
from archive.extract.markup import content_hash
from archive.extract.result import Extraction
from archive.query import ArticleFilter, article_detail, iter_articles, list_versions, outlet_stats, search
from archive.warc.reader import WarcPointer
from tests.backends import archive_url, with_database
from tests.paths import REPO

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
URL = "https://www.example-outlet.com/news/2026/11/01/harbour"
BODY = "The harbour bridge reopened on Saturday after two years of repairs. " * 10


def _archive_with_one_article(database_url: str) -> Engine:
    engine = make_engine(database_url)
    store = Store(engine)
    store.ensure_outlets([("outlet", "https://www.example-outlet.com/", ["www.example-outlet.com"])])
    record_id = "<urn:uuid:00000000-0000-0000-0000-000000000001>"
    store.add_capture(CaptureRecord(url=URL, fetched_at=T0, status=200, mime="text/html", outlet="outlet",
                                    pointer=WarcPointer("a.warc.gz", 0, 900, record_id, "sha1:X")))
    ext = Extraction(is_article=True, reason=None, title="Harbour bridge reopens", authors=["Ann Writer"],
                     published="2026-11-01T09:30:00Z", language="en", text=BODY, content_hash=content_hash(BODY))
    store.record_page(PageResult(outlet="outlet", warc_record_id=record_id, requested_url=URL, final_url=URL,
                                 fetched_at=T0, status=200, extraction=ext))
    return engine


def _drop_article_urls(engine: Engine) -> None:
    """Every read of an article selects ``articles.canonical_url``; opening the archive again does
    not put it back (``create_all`` only adds missing tables)."""
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE articles DROP COLUMN canonical_url"))


READS: dict[str, Callable[[Engine], Any]] = {
    "search": lambda engine: search(engine, "harbour"),
    "listing": lambda engine: search(engine, ""),
    "show": lambda engine: article_detail(engine, 1),
    "versions": lambda engine: list_versions(engine, 1),
    "export": lambda engine: list(iter_articles(engine, ArticleFilter())),
    "stats": lambda engine: outlet_stats(engine),
}


@pytest.mark.parametrize("read", sorted(READS))
def test_every_read_function_turns_a_database_failure_into_one_database_error(database_url: str,
                                                                              read: str) -> None:
    engine = _archive_with_one_article(database_url)
    try:
        if read == "stats":  # per-outlet counts read the captures' kinds, not the articles' dates
            with engine.begin() as conn:
                conn.execute(text("DROP INDEX ix_captures_outlet_kind_status"))  # SQLite: it holds the column
                conn.execute(text("ALTER TABLE captures DROP COLUMN kind"))
        else:
            _drop_article_urls(engine)
        with pytest.raises(DatabaseError, match=r" failed: ") as caught:
            READS[read](engine)
        assert "\n" not in str(caught.value)
        assert isinstance(caught.value.__cause__, Exception)  # the driver's error stays attached for logs
    finally:
        engine.dispose()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PRESSCLIPS_DATABASE_URL"}
    return subprocess.run([sys.executable, "-m", "archive.cli.main", *with_database(args)], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=120)


def _assert_one_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


COMMANDS = {"search": ["search", "harbour"], "show": ["show", "1"], "export": ["export"]}


@pytest.fixture
def damaged_archive(tmp_path: Path) -> Path:
    archive = tmp_path / "archive"
    archive.mkdir()
    engine = _archive_with_one_article(archive_url(archive))
    _drop_article_urls(engine)
    engine.dispose()
    return archive


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_cli_read_commands_on_a_damaged_database(damaged_archive: Path, command: str) -> None:
    result = _cli(*COMMANDS[command], "--archive", str(damaged_archive))
    _assert_one_line(result, "pressclips: error:", "failed:", "canonical_url")


@pytest.mark.sqlite_only("the archive's database file holds garbage")
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_cli_read_commands_on_a_file_that_is_not_a_database(tmp_path: Path, command: str) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "pressclips.sqlite3").write_bytes(b"these bytes were never an SQLite database\n" * 200)
    _assert_one_line(_cli(*COMMANDS[command], "--archive", str(archive)), "pressclips: error:", "not a database")

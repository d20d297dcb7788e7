"""Archives the CLI may only read: a read-only mount, a database that is someone else's, an empty
one; and output files that cannot be written. Every refusal is one line with its exit code, and
nothing is created or left half-written anywhere."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.warc.writer import WarcWriter
from tests.archivekit import ArchiveKit, article
from tests.conftest import one_line_error, run_cli

GOOD_OUTLET = '[[outlets]]\nname = "local"\nhomepage = "http://127.0.0.1:9/"\n'


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A closed SQLite archive (WAL checkpointed, no -wal/-shm files): two articles, one edited."""
    root = tmp_path_factory.mktemp("read-only") / "archive"
    kit = ArchiveKit(root)
    with WarcWriter(kit.warc_dir) as writer:
        kit.page(writer, "/news/venice", article("The premiere drew a standing ovation in Venice."))
        kit.page(writer, "/news/review", article("A first cut of the review."))
        kit.page(writer, "/news/review", article("A second, longer cut of the review."))
    kit.finish_run()
    kit.close()
    assert not list(root.glob("*-wal"))
    yield root


def tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))


READS: list[list[str]] = [
    ["stats", "--json"], ["runs", "--json"], ["outlets", "--json"], ["search", "venice", "--json"],
    ["show", "1", "--json"], ["versions", "2", "--json"], ["diff", "2"], ["export"], ["verify", "--json"],
    ["replay", "get", "1"], ["export-cdxj"],
]


@pytest.mark.sqlite_only("a read-only mount of an SQLite archive (its database file included)")
def test_every_read_command_works_on_a_read_only_mount(archive: Path, read_only_copy: Any) -> None:
    ro = read_only_copy(archive)
    with pytest.raises(OSError):
        (ro / "probe").touch()
    for args in READS:
        expected = run_cli(*args, "--archive", str(archive))
        got = run_cli(*args, "--archive", str(ro))
        assert got.returncode == 0, (args, got.stderr)
        assert got.stderr == "", (args, got.stderr)
        assert got.stdout == expected.stdout.replace(str(archive), str(ro)), args
    assert json.loads(run_cli("search", "venice", "--json", "--archive", str(ro)).stdout)["total"] == 1


@pytest.mark.sqlite_only("a read-only mount of an SQLite archive (its database file included)")
def test_writing_commands_on_a_read_only_mount_fail_in_one_line(archive: Path, read_only_copy: Any) -> None:
    ro = read_only_copy(archive)
    outlets = archive.parent / "outlets.toml"
    outlets.write_text(GOOD_OUTLET)
    one_line_error(run_cli("crawl", "--outlets", str(outlets), "--archive", str(ro)), 1, "not writable")
    one_line_error(run_cli("export", "-o", str(ro / "out.jsonl"), "--archive", str(ro)), 2, "read-only")
    one_line_error(run_cli("export-wacz", str(ro / "out.wacz"), "--archive", str(ro)), 2, "read-only")
    one_line_error(run_cli("export-cdxj", "-o", str(ro / "x.cdxj"), "--archive", str(ro)), 2, "read-only")


@pytest.mark.parametrize("args", [["export", "-o"], ["export-cdxj", "-o"], ["export-wacz"]],
                         ids=["export", "export-cdxj", "export-wacz"])
def test_output_into_a_missing_directory_is_one_line_and_creates_nothing(
        archive: Path, tmp_path: Path, args: list[str]) -> None:
    target = tmp_path / "missing" / "out.file"
    one_line_error(run_cli(*args, str(target), "--archive", str(archive)), 2, "does not exist")
    assert list(tmp_path.iterdir()) == []


def test_output_files_are_complete_and_nothing_else_is_left(archive: Path, tmp_path: Path) -> None:
    for args, name in ((["export", "-o"], "a.jsonl"), (["export-cdxj", "-o"], "a.cdxj"), (["export-wacz"], "a.wacz")):
        result = run_cli(*args, str(tmp_path / name), "--archive", str(archive))
        assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.cdxj", "a.jsonl", "a.wacz"]
    assert (tmp_path / "a.jsonl").read_text() == run_cli("export", "--archive", str(archive)).stdout
    assert (tmp_path / "a.jsonl").stat().st_mode & 0o777 == 0o644


@pytest.mark.sqlite_only("a read-only mount of an SQLite archive (its database file included)")
def test_an_unwritable_export_leaves_an_older_file_untouched(archive: Path, tmp_path: Path, read_only_copy: Any) -> None:
    outdir = tmp_path / "out"
    outdir.mkdir()
    (outdir / "old.jsonl").write_text("the previous export\n")
    ro = read_only_copy(outdir)
    one_line_error(run_cli("export", "-o", str(ro / "old.jsonl"), "--archive", str(archive)), 2, "read-only")
    assert (ro / "old.jsonl").read_text() == "the previous export\n"
    assert sorted(p.name for p in ro.iterdir()) == ["old.jsonl"]


@pytest.mark.parametrize("command", [["stats"], ["search", "x"], ["export"], ["runs"], ["verify"], ["show", "1"],
                                     ["replay", "get", "1"], ["reextract"], ["verify", "--repair"]])
def test_a_foreign_database_is_refused_and_left_as_it_was(tmp_path: Path, command: list[str]) -> None:
    foreign = tmp_path / "contacts.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE people (name TEXT)")
        conn.execute("INSERT INTO people VALUES ('Ann')")
    before = foreign.read_bytes()
    line = one_line_error(run_cli(*command, "--database-url", f"sqlite:///{foreign}", "--archive", str(tmp_path)),
                          2, "not a pressclips archive", "people")
    assert "hint:" in line
    assert tables(foreign) == ["people"] and foreign.read_bytes() == before


@pytest.mark.sqlite_only("a foreign SQLite file where the archive's database belongs")
def test_a_foreign_archive_file_is_refused_by_crawl_too(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    root.mkdir()
    with sqlite3.connect(root / "pressclips.sqlite3") as conn:
        conn.execute("CREATE TABLE invoices (n INTEGER)")
    outlets = tmp_path / "outlets.toml"
    outlets.write_text(GOOD_OUTLET)
    one_line_error(run_cli("stats", "--archive", str(root)), 2, "not a pressclips archive", "invoices")
    one_line_error(run_cli("crawl", "--outlets", str(outlets), "--archive", str(root)), 2, "not a pressclips archive")
    assert tables(root / "pressclips.sqlite3") == ["invoices"]


@pytest.mark.sqlite_only("an empty SQLite file where the archive's database belongs (PostgreSQL: the test below)")
def test_an_empty_database_is_no_archive_and_stays_empty(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    root.mkdir()
    (root / "pressclips.sqlite3").touch()
    for command in (["stats"], ["search", "x"], ["export"], ["outlets"], ["verify"]):
        one_line_error(run_cli(*command, "--archive", str(root)), 2, "no archive at")
    assert tables(root / "pressclips.sqlite3") == []
    other = tmp_path / "empty.sqlite3"
    other.touch()
    one_line_error(run_cli("stats", "--database-url", f"sqlite:///{other}"), 2, "no pressclips archive")
    one_line_error(run_cli("stats", "--database-url", f"sqlite:///{tmp_path / 'nope.sqlite3'}"), 2, "does not exist")
    assert not (tmp_path / "nope.sqlite3").exists() and tables(other) == []


def test_an_empty_postgres_schema_is_no_archive_and_stays_empty(postgres_url: str) -> None:
    from sqlalchemy import create_engine, inspect

    one_line_error(run_cli("stats", "--database-url", postgres_url), 2, "no pressclips archive")
    engine = create_engine(postgres_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_output_to_a_device_is_written_in_place(archive: Path) -> None:
    """``-o /dev/null`` (the benchmarks use it) must not become a temp file renamed over the device."""
    before = set(os.listdir("/dev"))
    for args in (["export", "-o"], ["export-cdxj", "-o"]):
        result = run_cli(*args, os.devnull, "--archive", str(archive))
        assert result.returncode == 0, result.stderr
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert set(os.listdir("/dev")) == before


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs filled to the last byte (skipped where mounting is not allowed)."""
    mount = tmp_path / "full"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill: {done.stderr.strip() or done.returncode}")
    try:
        with open(mount / "filler", "wb", buffering=0) as fh:
            try:
                while True:
                    fh.write(b"\0" * 4096)
            except OSError:
                pass  # ENOSPC: full
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True, check=False)


def test_a_full_disk_fails_in_one_line_and_leaves_no_partial_file(archive: Path, full_disk: Path) -> None:
    for args, name in ((["export", "-o"], "a.jsonl"), (["export-cdxj", "-o"], "a.cdxj"), (["export-wacz"], "a.wacz")):
        one_line_error(run_cli(*args, str(full_disk / name), "--archive", str(archive)), 1, "No space left")
        assert sorted(p.name for p in full_disk.iterdir()) == ["filler"]


@pytest.mark.sqlite_only("observed through SQLite's WAL file")
def test_open_archive_disposes_its_engine_when_the_command_ends(archive: Path, tmp_path: Path) -> None:
    """Observable on SQLite: while a connection is open the WAL file exists; the last one to close
    checkpoints and removes it, so it is gone only if the engine's pool was really disposed."""
    from sqlalchemy import text

    from archive.cli.kit import open_archive

    copy = tmp_path / "archive"
    shutil.copytree(archive, copy)
    with open_archive(copy, None, write=True) as opened:
        with opened.engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM articles")).scalar()
        assert (copy / "pressclips.sqlite3-wal").exists()  # the pooled connection is still open
    assert not (copy / "pressclips.sqlite3-wal").exists()
    with open_archive(copy, None) as opened:  # read-only: the same database, and nothing to create
        with opened.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM articles")).scalar() == 2
        with pytest.raises(Exception, match="readonly"), opened.engine.begin() as conn:
            conn.execute(text("DELETE FROM articles"))

"""The CLI as a user meets it: help everywhere, one-line errors with the documented exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.paths import REPO

COMMANDS = ["crawl", "demo", "export", "reextract", "stats", "runs"]


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli.main", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PRESSCLIPS_ARCHIVE": "/nonexistent/never-used"}, timeout=120)


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_documented(command: str) -> None:
    result = cli(command, "--help")
    assert result.returncode == 0 and "Usage:" in result.stdout
    readme = (REPO / "README.md").read_text()
    assert f"pressclips {command}" in readme


def test_malformed_outlets_file(tmp_path: Path) -> None:
    bad = tmp_path / "outlets.toml"
    bad.write_text('[[outlets]]\nname = "variety"\nhomepage = "https://variety.com/"\nsitemap = ["x"]\n')
    assert_one_line_error(cli("crawl", "--outlets", str(bad), "--archive", str(tmp_path / "a")), 2,
                          "outlets.toml", "variety", "sitemap")
    assert not (tmp_path / "a").exists()  # nothing was created for a config error


def test_missing_outlets_file_and_option(tmp_path: Path) -> None:
    assert_one_line_error(cli("crawl", "--outlets", str(tmp_path / "nope.toml")), 2, "nope.toml")
    result = cli("crawl")
    assert result.returncode == 2 and "--outlets" in result.stderr


def test_unknown_outlet_filter_and_bad_setting(tmp_path: Path) -> None:
    good = tmp_path / "o.toml"
    good.write_text('[[outlets]]\nname = "local"\nhomepage = "http://127.0.0.1:9/"\n')
    assert_one_line_error(cli("crawl", "--outlets", str(good), "--outlet", "other"), 2, "other")
    assert_one_line_error(cli("crawl", "--outlets", str(good), "-s", "NOEQUALS"), 2, "NAME=VALUE")


def test_unreachable_database_is_exit_1_before_crawling(tmp_path: Path) -> None:
    good = tmp_path / "o.toml"
    good.write_text('[[outlets]]\nname = "local"\nhomepage = "http://127.0.0.1:9/"\n')
    result = cli("crawl", "--outlets", str(good), "--archive", str(tmp_path / "a"),
                 "--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert_one_line_error(result, 1, "cannot use database")
    assert_one_line_error(cli("crawl", "--outlets", str(good), "--archive", str(tmp_path / "a"),
                              "--database-url", "nosuchdialect://x"), 1, "invalid database URL")


def test_unwritable_archive_directory(tmp_path: Path) -> None:
    good = tmp_path / "o.toml"
    good.write_text('[[outlets]]\nname = "local"\nhomepage = "http://127.0.0.1:9/"\n')
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert_one_line_error(cli("crawl", "--outlets", str(good), "--archive", str(blocker / "archive")), 1,
                          "cannot create archive directory")


def test_read_commands_without_an_archive(tmp_path: Path) -> None:
    for command in ("export", "stats", "runs", "reextract"):
        assert_one_line_error(cli(command, "--archive", str(tmp_path / "none")), 2, "no archive at")


def test_bad_since_date(tmp_path: Path) -> None:
    assert_one_line_error(cli("export", "--since", "last tuesday", "--archive", str(tmp_path)), 2, "--since")


def test_demo_outside_a_checkout(tmp_path: Path) -> None:
    assert_one_line_error(cli("demo", cwd=tmp_path), 2, "checkout")


def test_demo_runs_from_the_checkout(tmp_path: Path) -> None:
    checkout = REPO
    result = cli("demo", "--outlets", "1", "--archive", str(tmp_path / "demo"), cwd=checkout)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "run 1: ok (finished)" in result.stdout and "errors 0" in result.stdout
    assert (tmp_path / "demo" / "pressclips.sqlite3").exists()

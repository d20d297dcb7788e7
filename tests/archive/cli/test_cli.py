"""The CLI as a user meets it: help everywhere, one-line errors with the documented exit codes."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest

from archive.cli.main import main
from tests.conftest import invoke_cli, one_line_error, run_cli
from tests.paths import REPO


def registered_commands(group: click.Group = main, prefix: str = "") -> list[str]:
    """Every command the CLI registers, groups and their sub-commands included ("replay get")."""
    names: list[str] = []
    for name, command in sorted(group.commands.items()):
        names.append(prefix + name)
        if isinstance(command, click.Group):
            names += registered_commands(command, f"{prefix}{name} ")
    return names


COMMANDS = registered_commands()


def cli(*args: str, cwd: Path | None = REPO) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, timeout=120)


def assert_one_line_error(result: subprocess.CompletedProcess[Any], code: int, *needles: str) -> None:
    one_line_error(result, code, *needles)


def test_the_registered_commands_are_all_found() -> None:
    assert {"crawl", "demo", "export", "reextract", "stats", "runs", "replay", "replay get", "replay serve",
            "search", "show", "verify", "versions", "diff", "cron", "outlets", "export-cdxj",
            "export-wacz"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_documented(command: str) -> None:
    result = invoke_cli(*command.split(), "--help")
    assert result.exit_code == 0 and "Usage:" in result.output
    readme = (REPO / "README.md").read_text()
    assert f"pressclips {command}" in readme
    examples = result.output.split("Examples:", 1)
    assert len(examples) == 2, f"'{command} --help' has no example"
    assert f"pressclips {command}" in examples[1].split("Options:")[0], examples[1]


def test_help_through_a_real_process() -> None:
    result = cli("--help")
    assert result.returncode == 0 and "Examples:" in result.stdout and result.stderr == ""


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


@pytest.mark.sqlite_only("an archive directory without a database file")
def test_read_commands_without_an_archive(tmp_path: Path) -> None:
    for command in ("export", "stats", "runs", "reextract"):
        assert_one_line_error(cli(command, "--archive", str(tmp_path / "none")), 2, "no archive at")


def test_bad_since_date(tmp_path: Path) -> None:
    assert_one_line_error(cli("export", "--published-since", "last tuesday", "--archive", str(tmp_path)), 2,
                          "--published-since")


def test_demo_outside_a_checkout(tmp_path: Path) -> None:
    assert_one_line_error(cli("demo", cwd=tmp_path), 2, "checkout")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def article_count(archive: Path) -> int:
    stats = cli("stats", "--json", "--archive", str(archive))
    assert stats.returncode == 0, stats.stderr
    return int(json.loads(stats.stdout)["totals"]["articles"])


def test_demo_runs_from_the_checkout_and_again_stores_nothing_twice(tmp_path: Path) -> None:
    checkout = REPO
    port = str(free_port())  # not the default: other checkouts may run their demo test meanwhile
    result = cli("demo", "--outlets", "1", "--port", port, "--archive", str(tmp_path / "demo"), cwd=checkout)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "run 1: ok (finished)" in result.stdout and "errors 0" in result.stdout
    assert (tmp_path / "demo" / "pressclips.sqlite3").exists()
    first = article_count(tmp_path / "demo")
    assert first > 0
    again = cli("demo", "--outlets", "1", "--port", port, "--archive", str(tmp_path / "demo"), cwd=checkout)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "run 2: ok (finished)" in again.stdout and "articles new 0," in again.stdout, again.stdout
    assert article_count(tmp_path / "demo") == first


def test_demo_on_a_taken_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("demo", "--outlets", "1", "--port", str(port), "--archive", str(tmp_path / "demo"))
    assert_one_line_error(result, 2, f"port {port} is in use", "--port")
    assert not (tmp_path / "demo").exists()


def test_the_console_script_forms_both_get_the_command() -> None:
    """Installed scripts call ``archive.cli.main:main``; older ones ``from archive.cli import main``."""
    import sys

    from tests.conftest import cli_env

    for code in ("from archive.cli.main import main", "from archive.cli import main"):
        result = subprocess.run([sys.executable, "-c", f"import sys; {code}; sys.argv = ['pressclips', '--help']; main()"],
                                capture_output=True, text=True, cwd=REPO, env=cli_env(), timeout=60, check=False)
        assert result.returncode == 0 and result.stdout.startswith("Usage: pressclips"), (code, result.stderr)
        assert result.stderr == ""

"""``pressclips verify/versions/diff/cron`` as a user runs them: real subprocesses on real archives."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.ops.lock import ArchiveLock
from archive.warc.writer import WarcWriter
from tests.archivekit import ArchiveKit, article
from tests.conftest import one_line_error, run_cli

TEXT_1 = "The premiere drew a crowd.\nCritics praised the lead.\nThe film opens Friday."
TEXT_2 = "The premiere drew a large crowd.\nCritics praised the lead.\nThe film opens Friday.\nUpdate: a correction."


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=120)


@pytest.fixture
def edited(database_url: str, tmp_path: Path) -> Iterator[tuple[ArchiveKit, list[str]]]:
    """An archive holding one article fetched twice with an edit in between, plus the CLI's db options."""
    kit = ArchiveKit(tmp_path / "archive", database_url)
    with WarcWriter(kit.warc_dir) as writer:
        kit.page(writer, "/story", article(TEXT_1, title="Premiere night"))
        kit.page(writer, "/story", article(TEXT_2, title="Premiere night: crowds",
                                           authors=("Ann Writer", "Bob Reporter")))
    kit.finish_run()
    yield kit, ["--archive", str(kit.root), "--database-url", database_url]
    kit.close()


def test_versions_lists_numbered_versions(edited: tuple[ArchiveKit, list[str]]) -> None:
    kit, db = edited
    rows = json.loads(cli("versions", "1", "--json", *db).stdout)
    assert [(r["number"], r["current"], r["title"], r["changes"]) for r in rows] == [
        (1, False, "Premiere night", []),
        (2, True, "Premiere night: crowds", ["title", "byline", "text"])]
    assert rows[1]["authors"] == ["Ann Writer", "Bob Reporter"]
    assert rows[0]["first_seen"] == "2026-11-01T13:00:00+00:00" and rows[1]["first_seen"] == "2026-11-01T14:00:00+00:00"
    for row in rows:
        assert (kit.warc_dir / row["capture"]["file"]).is_file()
    table = cli("versions", "1", *db)
    assert table.returncode == 0
    header, first, second = table.stdout.splitlines()
    assert header.split() == ["#", "id", "first_seen", "last_seen", "changes", "title", "warc"]
    assert first.split()[0] == "1" and second.split()[0] == "2*"
    assert "title,byline,text" in second and f"{rows[1]['capture']['file']}:{rows[1]['capture']['offset']}" in second


def test_diff_shows_title_byline_and_text_changes(edited: tuple[ArchiveKit, list[str]]) -> None:
    _kit, db = edited
    rows = json.loads(cli("versions", "1", "--json", *db).stdout)
    v1, v2 = rows[0]["id"], rows[1]["id"]
    result = cli("diff", "1", *db)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "article 1: http://127.0.0.1:8123/story\n"
        f"--- version 1 (id {v1}), first seen 2026-11-01 13:00 UTC\n"
        f"+++ version 2 (id {v2}, current), first seen 2026-11-01 14:00 UTC\n"
        "changed: title, byline, text\n"
        "title:\n- Premiere night\n+ Premiere night: crowds\n"
        "byline:\n- Ann Writer\n+ Ann Writer, Bob Reporter\n"
        "text:\n@@ -1,3 +1,4 @@\n"
        "-The premiere drew a crowd.\n+The premiere drew a large crowd.\n"
        " Critics praised the lead.\n The film opens Friday.\n+Update: a correction.\n")
    assert cli("diff", "1", "1", "2", *db).stdout == result.stdout
    backwards = cli("diff", "1", "2", "1", *db).stdout
    assert "-Update: a correction." in backwards and "title:\n- Premiere night: crowds\n+ Premiere night\n" in backwards
    assert cli("diff", "1", "2", "2", *db).stdout.endswith("no differences\n")


def test_diff_and_versions_errors_are_one_line_exit_2(edited: tuple[ArchiveKit, list[str]]) -> None:
    _kit, db = edited
    assert one_line_error(cli("diff", "1", "3", *db), 2) == \
        "pressclips: error: article 1 has no version 3 (hint: valid version numbers: 1, 2)"
    assert one_line_error(cli("diff", "1", "1", "0", *db), 2).endswith("(hint: valid version numbers: 1, 2)")
    assert one_line_error(cli("versions", "99", *db), 2).startswith("pressclips: error: no article 99 (hint: ")
    assert one_line_error(cli("diff", "99", *db), 2).startswith("pressclips: error: no article 99 ")
    assert cli("versions", "abc", *db).returncode == 2  # click's usage error


def test_verify_exit_codes_and_repair(edited: tuple[ArchiveKit, list[str]]) -> None:
    kit, db = edited
    ok = cli("verify", *db)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.splitlines() == [
        "checked 1 WARC file(s) with 5 records, 2 captures (2 ok), 1 articles, 2 versions, 1 runs",
        "ok: no problems found"]

    with WarcWriter(kit.warc_dir, prefix="late") as writer:  # a second file, cut mid-record later
        late = kit.page(writer, "/late", article("A late story. " * 20, title="Late"))
    path = kit.warc_dir / late.file
    path.write_bytes(path.read_bytes()[: late.offset + 20])
    stale = kit.dead_run()

    found = cli("verify", *db)
    assert found.returncode == 1 and found.stderr == ""
    assert found.stdout.splitlines()[1:] == [
        f"{late.file}:{late.offset}: truncated trailing record, 20 bytes (incomplete gzip member at byte "
        f"{late.offset}) [--repair fixes this]",
        f"{late.file}:{late.offset}: capture 3: record {late.record_id} unreadable (truncated trailing record "
        f"at offset {late.offset})",
        f"run {stale}: still 'running' but no pressclips run holds the archive lock (killed) [--repair fixes this]",
        "3 problem(s), 2 fixable with --repair"]
    as_json = json.loads(cli("verify", "--json", *db).stdout)
    assert not as_json["clean"] and [p["kind"] for p in as_json["problems"]] == \
        ["torn-tail", "capture-unresolved", "stale-run"]

    with ArchiveLock(kit.root):  # a crawl is running: repair refuses at once, plain verify still works
        locked = cli("verify", "--repair", *db)
        assert one_line_error(locked, 75).startswith(
            f"pressclips: error: another pressclips run holds the archive lock (pid {os.getpid()} since ")
        assert locked.stdout == ""
        during = cli("verify", *db)
        assert during.returncode == 1 and f"run {stale}" not in during.stdout
        assert f"note: a run is in progress (pid {os.getpid()} since " in during.stdout

    repaired = cli("verify", "--repair", *db)
    assert repaired.returncode == 1 and repaired.stderr == ""  # the lost capture remains
    assert repaired.stdout.splitlines()[1:] == [
        f"repaired: {late.file}: cut 20 bytes of a truncated trailing record at {late.offset} "
        f"(kept in quarantine/{late.file}.tail-at-{late.offset})",
        f"repaired: run {stale}: marked killed",
        f"{late.file}:{late.offset}: capture 3: record {late.record_id} is past the end of the file "
        f"({late.offset} bytes)",
        "1 problem(s)"]
    assert cli("verify", "--repair", *db).stdout.splitlines()[1:] == repaired.stdout.splitlines()[3:]


def test_verify_repair_exits_0_when_everything_was_fixed(edited: tuple[ArchiveKit, list[str]]) -> None:
    kit, db = edited
    stale = kit.dead_run()
    result = cli("verify", "--repair", *db)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[1:] == [f"repaired: run {stale}: marked killed", "ok: no problems remain"]
    assert cli("verify", *db).returncode == 0


@pytest.mark.sqlite_only("an archive directory without a database file")
def test_verify_without_an_archive_is_one_line(tmp_path: Path) -> None:
    line = one_line_error(cli("verify", "--archive", str(tmp_path / "none")), 2)
    assert line.startswith(f"pressclips: error: no archive at {tmp_path / 'none'}")


# -- cron ----------------------------------------------------------------------------------------
FIELD = re.compile(r"^(\*|(\d+)(-(\d+))?)(/(\d+))?$")
RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def parse_cron(line: str) -> tuple[list[str], list[str]]:
    """Split a crontab entry into its five fields (each checked) and its command's words."""
    parts = line.split(None, 5)
    assert len(parts) == 6, line
    fields, command = parts[:5], parts[5]
    for value, (low, high) in zip(fields, RANGES):
        m = FIELD.match(value)
        assert m, value
        for number in (m.group(2), m.group(4)):
            assert number is None or low <= int(number) <= high, value
        assert m.group(6) is None or int(m.group(6)) > 0
    assert "%" not in command.replace("\\%", "")  # a bare % would end the command in cron
    return fields, shlex.split(command.replace("\\%", "%"))


def minutes(value: str) -> int:
    assert value.endswith("m") and value[:-1].isdigit(), value
    return int(value[:-1])


@pytest.mark.parametrize("every,shape", [("15m", r"^\d+-59/15 \* \* \* \*$"), ("30m", r"^\d+-59/30 \* \* \* \*$"),
                                         ("1h", r"^\d+ \* \* \* \*$"), ("6h", r"^\d+ \d-23/6 \* \* \*$"),
                                         ("1d", r"^\d+ \d+ \* \* \*$")])
def test_cron_prints_a_ready_crontab_line(tmp_path: Path, every: str, shape: str) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    outlets = tmp_path / "my outlets.toml"  # a space: the line must quote it
    outlets.write_text('[[outlets]]\nname = "local"\nhomepage = "http://127.0.0.1:9/"\n')
    result = cli("cron", "--archive", str(archive), "--outlets", str(outlets), "--every", every)
    assert result.returncode == 0, result.stderr
    *comments, entry = result.stdout.splitlines()
    assert all(c.startswith("# ") for c in comments)
    assert any("0 ok, 1 run errors, 2 usage/config error, 75 " in c for c in comments)
    fields, words = parse_cron(entry)
    assert re.match(shape, " ".join(fields))
    timeout, signal_opt, kill_opt, hard = words[:4]
    assert Path(timeout).is_absolute() and os.access(timeout, os.X_OK)
    assert (signal_opt, kill_opt) == ("--signal=TERM", "--kill-after=5m")
    exe = words[4]
    assert Path(exe).is_absolute() and os.access(exe, os.X_OK) and Path(exe).name == "pressclips"
    args = words[5:]
    assert args[0] == "crawl" and "--quiet" in args
    opts = {args[i]: args[i + 1] for i in range(1, len(args) - 1)}  # each word -> the next
    assert opts["--archive"] == str(archive) and Path(opts["--archive"]).is_dir()
    assert opts["--outlets"] == str(outlets) and Path(opts["--outlets"]).is_file()
    assert opts["--log-file"] == str(archive / "logs" / "crawl.log")
    interval = {"15m": 15, "30m": 30, "1h": 60, "6h": 360, "1d": 1440}[every]
    assert minutes(opts["--max-runtime"]) == interval * 4 // 5  # ends before the next run starts
    assert minutes(hard) == minutes(opts["--max-runtime"]) + 10
    again = cli("cron", "--archive", str(archive), "--outlets", str(outlets), "--every", every)
    assert again.stdout == result.stdout  # stable for one archive


def test_cron_takes_the_outlets_of_the_last_run_and_validates(tmp_path: Path) -> None:
    kit = ArchiveKit(tmp_path / "archive")
    outlets = tmp_path / "outlets.toml"
    outlets.write_text('[[outlets]]\nname = "local"\nhomepage = "http://127.0.0.1:9/"\n')
    kit.store.start_run(str(outlets))
    kit.close()
    archive = ["--archive", str(kit.root)]
    result = cli("cron", *archive, "--max-runtime", "45m")
    assert result.returncode == 0, result.stderr
    _fields, words = parse_cron(result.stdout.splitlines()[-1])
    assert words[words.index("--outlets") + 1] == str(outlets)
    assert words[words.index("--max-runtime") + 1] == "45m" and words[3] == "55m"
    assert cli("cron", *archive, "--outlets", "starter").stdout.splitlines()[-1].split("--outlets ")[1] \
        .startswith("starter ")
    for bad in ("7m", "90m", "2d", "soon", "0m"):
        assert one_line_error(cli("cron", *archive, "--every", bad), 2).startswith(
            f"pressclips: error: --every: cannot schedule {bad!r} with cron (hint: use one of 5m, 10m")
    assert "--max-runtime" in one_line_error(cli("cron", *archive, "--max-runtime", "lots"), 2)
    assert "does not exist" in one_line_error(cli("cron", *archive, "--outlets", str(tmp_path / "no.toml")), 2)
    empty = one_line_error(cli("cron", "--archive", str(tmp_path / "fresh")), 2)
    assert "no --outlets given" in empty and not (tmp_path / "fresh").exists()


# -- versions and diff in-process: defaults on a reverted edit, a single version ---------------------
def test_default_diff_of_a_reverted_edit_compares_with_the_replaced_text(database_url: str, tmp_path: Path) -> None:
    from archive.query.versions import diff_versions, list_versions

    kit = ArchiveKit(tmp_path / "archive", database_url)
    try:
        with WarcWriter(kit.warc_dir) as writer:
            kit.page(writer, "/single", article("Only ever one text. " * 10, title="Single"))
            for text in (TEXT_1, TEXT_2, TEXT_1):  # edited, then the edit was taken back
                kit.page(writer, "/story", article(text, title="Premiere night"))
        rows = list_versions(kit.engine, 2)
        assert [(r["number"], r["current"], r["changes"]) for r in rows] == [(1, True, []), (2, False, ["text"])]
        assert rows[0]["last_seen"] > rows[1]["last_seen"]  # seen again after the revert
        out = diff_versions(kit.engine, 2)
        assert out.splitlines()[1:3] == [f"--- version 2 (id {rows[1]['id']}), first seen 2026-11-01 15:00 UTC",
                                         f"+++ version 1 (id {rows[0]['id']}, current), first seen 2026-11-01 "
                                         "14:00 UTC"]
        assert "-Update: a correction." in out and "+The premiere drew a crowd." in out
        assert diff_versions(kit.engine, 2, None, 2) == diff_versions(kit.engine, 2, 1, 2)  # b not current: b - 1
        assert diff_versions(kit.engine, 1) == "article 1 has a single version (1): nothing to compare\n"
    finally:
        kit.close()

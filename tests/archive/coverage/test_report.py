"""``pressclips watch`` and ``pressclips report`` on a real archive (SQLite and PostgreSQL), checked
against the report worked out by hand in ``coveragekit.EXPECTED``; and the commands' bad input."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.archive.coverage.coveragekit import EXPECTED, ITEMS, KZ, SP, VW, CoverageArchive, Item, build
from tests.backends import archive_url
from tests.conftest import invoke_cli, one_line_error


def cli(archive: CoverageArchive, *args: str) -> Any:
    return invoke_cli(*args, "--archive", str(archive.root), "--database-url", archive.database_url)


def report_json(archive: CoverageArchive, *args: str) -> dict[str, Any]:
    result = cli(archive, "report", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def archive(database_url: str, tmp_path: Path):
    built = build(database_url, tmp_path)
    result = cli(built, "watch", "add", "bugonia", "bugonia", '"emma stone"')
    assert result.exit_code == 0, result.output
    yield built
    built.close()


@pytest.fixture(scope="module")
def sqlite_archive(tmp_path_factory: pytest.TempPathFactory):
    """One SQLite archive with the watchlist, shared by the bad-input cases (none of them changes it)."""
    root = tmp_path_factory.mktemp("coverage")
    built = build(archive_url(root), root)
    assert cli(built, "watch", "add", "bugonia", "bugonia").exit_code == 0
    yield built
    built.close()


def test_report_matches_the_hand_count(archive: CoverageArchive) -> None:
    ids = archive.ids
    doc = report_json(archive, "bugonia")
    assert doc["watchlist"] == "bugonia" and doc["queries"] == ["bugonia", '"emma stone"']
    assert {k: doc["totals"][k] for k in EXPECTED["totals"]} == EXPECTED["totals"]
    assert doc["breakdown"] == doc["outlets"] == EXPECTED["outlets"]
    assert [(a["author"], a["pieces"], a["outlets"]) for a in doc["authors"]] == EXPECTED["authors"]
    assert [(t["period"], t["pieces"], t["stories"], t["by_outlet"]) for t in doc["timeline"]] == EXPECTED["timeline"]
    assert doc["period"] == "day"
    assert [(s["story_id"], s["pickups"], s["first_outlet"], s["first_article_id"]) for s in doc["stories"]] == [
        (story, pickups, outlet, ids[key]) for story, pickups, outlet, key in EXPECTED["stories"]]
    assert sorted(p["id"] for p in doc["pieces"]) == sorted(ids[i.key] for i in ITEMS if i.key != "unrelated")
    # the first report of a watchlist: everything is new
    assert doc["totals"]["new"] == 7 and doc["previous_report_at"] is None
    # each piece links to the replay URL of the capture its text came from
    wire = next(p for p in doc["pieces"] if p["id"] == ids["wire"])
    assert wire["replay_url"] == "http://127.0.0.1:8080/20261113090000/https://variety.example/film/bugonia-wraps"

    weekly = report_json(archive, "bugonia", "--by", "week", "--no-record")
    assert [(w["period"], w["start"], w["pieces"], w["stories"]) for w in weekly["breakdown"]] == EXPECTED["weeks"]
    assert weekly["totals"]["new"] == 0  # the first report was recorded; --no-record did not record this one

    # A piece the archive sees after the last report is the only new one; a second report then has none.
    late = archive.add(Item("late", SP, "/news/bugonia-trailer", "Bugonia trailer", ("Cy Reporter",),
                            "2026-11-20T08:00:00+00:00", "The Bugonia trailer is out."),
                       when=datetime.now(UTC))
    again = report_json(archive, "bugonia")
    assert [p["id"] for p in again["new"]] == [late] and again["totals"]["pieces"] == 8
    assert again["previous_report_at"] is not None
    assert report_json(archive, "bugonia")["totals"]["new"] == 0


def test_window_filters_the_publication_date(archive: CoverageArchive) -> None:
    ids = archive.ids
    doc = report_json(archive, "bugonia", "--since", "2026-11-03", "--until", "2026-11-09", "--no-record")
    # 11-03 up to the end of 11-09 (inclusive); the undated piece has no publication date to judge
    assert sorted(p["id"] for p in doc["pieces"]) == sorted([ids["rewrite"], ids["feature"], ids["early-copy"]])
    assert doc["totals"]["stories"] == 3
    story_1 = next(s for s in doc["stories"] if s["story_id"] == 1)
    assert (story_1["pickups"], story_1["first_outlet"]) == (1, KZ)  # the first inside the window


def test_query_report_and_machine_tables(archive: CoverageArchive) -> None:
    doc = report_json(archive, '"emma stone"', "--by", "author")
    assert doc["watchlist"] is None and doc["totals"]["new"] is None and doc["new"] is None
    assert doc["totals"]["pieces"] == 3 and doc["totals"]["stories"] == 2
    assert [(a["author"], a["pieces"]) for a in doc["breakdown"]] == [("Bob Critic", 2), ("Ann Writer", 1)]

    result = cli(archive, "report", "bugonia", "--by", "week", "--csv", "--no-record")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["period"], r["pieces"], r["stories"]) for r in rows] == [("2026-W45", "4", "2"), ("2026-W46", "3", "2")]
    assert json.loads(rows[0]["by_outlet"]) == {SP: 2, KZ: 1, VW: 1}

    table = cli(archive, "report", "bugonia", "--no-record")
    assert table.exit_code == 0
    assert "7 pieces, 4 stories, 3 outlets" in table.stdout and "first to publish per story" in table.stdout
    none = cli(archive, "report", "dune", "--by", "day", "--no-record")  # a query with one unrelated match
    assert none.exit_code == 0 and "1 pieces, 1 stories" in none.stdout


def test_watch_list_and_remove(archive: CoverageArchive) -> None:
    listed = cli(archive, "watch", "list", "--json")
    assert [(w["name"], w["queries"]) for w in json.loads(listed.stdout)] == [("bugonia", ["bugonia", '"emma stone"'])]
    assert cli(archive, "watch", "rm", "bugonia").exit_code == 0
    assert "no watchlists" in cli(archive, "watch", "list").stdout
    # without the watchlist, "bugonia" is a query again: same pieces, no history
    doc = report_json(archive, "bugonia")
    assert doc["watchlist"] is None and doc["totals"]["pieces"] == 5


@pytest.mark.parametrize("args, needles", [
    (("watch", "add", "bad name", "x"), ("not a watchlist name",)),
    (("watch", "add", "ok", "--", "-trailer"), ()),  # only an exclusion: nothing to look for
    (("watch", "add", "ok"), ("QUERY",)),
    (("watch", "rm", "unknown"), ("no watchlist named 'unknown'",)),
    (("watch", "add", "bugonia", "again"), ("already exists",)),
    (("report", "bugonia", "--since", "yesteryear"), ("--since", "not a date")),
    (("report", "bugonia", "--since", "2026-11-09", "--until", "2026-11-01"), ("not before --until",)),
    (("report", "bugonia", "--by", "month"), ("--by",)),
    (("report", "bugonia", "--html", "/nonexistent-dir/r.html"), ("nonexistent-dir",)),
    (("report", "bugonia", "--replay-base", "ftp://x"), ("--replay-base",)),
])
def test_bad_input_is_one_line_and_exit_2(sqlite_archive: CoverageArchive, args: tuple[str, ...],
                                          needles: tuple[str, ...]) -> None:
    one_line_error(cli(sqlite_archive, *args), 2, *needles)
    assert [w["name"] for w in json.loads(cli(sqlite_archive, "watch", "list", "--json").stdout)] == ["bugonia"]


@pytest.mark.sqlite_only("an archive directory without a database file")
def test_no_archive_and_missing_matplotlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one_line_error(invoke_cli("report", "x", "--archive", str(tmp_path / "none")), 2, "no archive")
    one_line_error(invoke_cli("watch", "add", "x", "y", "--archive", str(tmp_path / "none")), 2, "no archive")
    archive = build(archive_url(tmp_path), tmp_path)
    try:
        monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the [reports] extra were not installed
        target = tmp_path / "r.html"
        one_line_error(cli(archive, "report", "bugonia", "--html", str(target)), 2, "matplotlib",
                       "pressclips[reports]")
        assert not target.exists()
        assert cli(archive, "report", "bugonia").exit_code == 0  # tables need no matplotlib
    finally:
        archive.close()


@pytest.mark.sqlite_only("a read-only mount of an SQLite archive (its database file included)")
def test_read_only_archive(tmp_path: Path, read_only_copy: Any) -> None:
    """Reports and health read a read-only archive; only the watchlist's bookmark cannot be kept."""
    root = tmp_path / "archive"
    root.mkdir()
    archive = build(archive_url(root), root)
    assert cli(archive, "watch", "add", "bugonia", "bugonia").exit_code == 0
    archive.close()  # checkpoints the WAL: the copy is the whole database
    ro = read_only_copy(root)

    def ro_cli(*args: str) -> Any:
        return invoke_cli(*args, "--archive", str(ro))

    result = ro_cli("report", "bugonia", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["totals"]["pieces"] == 5
    assert result.stderr.startswith("pressclips: warning: this report was not recorded") and result.stderr.count("\n") == 1
    assert ro_cli("report", "bugonia", "--no-record").stderr == ""
    assert ro_cli("watch", "list").exit_code == 0 and ro_cli("health").exit_code == 0
    refused = ro_cli("watch", "add", "other", "query")
    assert refused.exit_code in (1, 2) and refused.stderr.count("\n") == 1 and "Traceback" not in refused.output


def test_the_cli_offers_the_reports_own_breakdowns() -> None:
    from archive.cli.coverage import BY_CHOICES as CLI_CHOICES
    from archive.coverage.report import BY_CHOICES

    assert CLI_CHOICES == BY_CHOICES  # the CLI keeps its own copy so that --help imports no database code

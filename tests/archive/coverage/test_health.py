"""``pressclips health`` on a constructed history (SQLite and PostgreSQL): six weeks of three outlets
whose extraction is healthy, then in the last week one outlet loses its bylines and its texts shrink
to teasers (a redesign), and another starts answering with consent walls. Both are flagged, the
steady outlet is not, and the command exits 1 only while a newest week is flagged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from archive.coverage.health import HealthRule, WeekHealth, judge_week
from archive.db.kinds import CaptureKind
from tests.archive.coverage.coveragekit import CoverageArchive, Item
from tests.backends import archive_url
from tests.conftest import invoke_cli, one_line_error

OUTLETS = [("Steady", "https://steady.example/", ["steady.example"]),
           ("Broken", "https://broken.example/", ["broken.example"]),
           ("Walled", "https://walled.example/", ["walled.example"])]
FIRST_MONDAY = datetime(2026, 9, 14, 8, 0, tzinfo=UTC)  # ISO week 2026-W38
WEEKS = 6
PER_WEEK = 5
LAST = "2026-W43"
SENTENCE = "The festival jury praised the film's editing and its long final scene. "


def body(week: int, n: int) -> str:
    return f"Week {week} story {n}. " + SENTENCE * (16 + (week * 7 + n * 3) % 10)  # 1,100-1,800 characters


@pytest.fixture
def history(database_url: str, tmp_path: Path):
    archive = CoverageArchive(database_url, tmp_path, outlets=OUTLETS)
    for week in range(WEEKS):
        last = week == WEEKS - 1
        for n in range(PER_WEEK):
            when = FIRST_MONDAY + timedelta(weeks=week, hours=n * 5)
            for outlet, _, _ in OUTLETS:
                broken = last and outlet == "Broken"
                archive.add(Item(f"{outlet}-{week}-{n}", outlet, f"/a/{week}/{n}", f"Story {week}.{n}",
                                 () if broken else ("Ann Writer",), when.isoformat(),
                                 f"Teaser {week}.{n}: read on." if broken else body(week, n)), when=when)
            if last:  # the consent wall: as many blocked pages as articles
                archive.archived("Walled", f"/a/{week}/{n}/wall", "Accept our cookies to continue", when,
                                 kind=CaptureKind.BLOCKED)
    yield archive
    archive.close()


def health(archive: CoverageArchive, *args: str) -> Any:
    return invoke_cli("health", *args, "--archive", str(archive.root), "--database-url", archive.database_url)


def test_drops_are_flagged_against_the_outlets_own_history(history: CoverageArchive) -> None:
    result = health(history, "--json", "--weeks", str(WEEKS))
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    rows = {(r["outlet"], r["week"]): r for r in doc["weeks"]}
    assert len(rows) == 3 * WEEKS
    assert sorted((f["outlet"], f["week"], [flag.split()[0] for flag in f["flags"]]) for f in doc["flagged"]) == [
        ("Broken", LAST, ["authors", "length"]), ("Walled", LAST, ["blocked"])]
    broken = rows[("Broken", LAST)]
    assert (broken["articles"], broken["title"], broken["authors"], broken["date"], broken["length"]) == (5, 1, 0, 1, 0)
    assert broken["baseline"]["authors"] == 1 and broken["baseline"]["length"] == 1
    walled = rows[("Walled", LAST)]
    assert (walled["blocked"], walled["pages"], walled["baseline"]["blocked"]) == (0.5, 10, 0)
    # three weeks of history are needed before a week is judged; after that the steady weeks pass
    assert [rows[("Steady", f"2026-W{w}")]["judged"] for w in range(38, 44)] == [False] * 3 + [True] * 3
    assert all(not r["flags"] for (outlet, week), r in rows.items() if week != LAST or outlet == "Steady")
    assert all(r["length"] == 1 for (outlet, _), r in rows.items() if outlet == "Steady")

    table = health(history)
    assert table.exit_code == 1
    assert f"DROP Broken {LAST}: authors 0.00 (usual 1.00); length 0.00 (usual 1.00)" in table.stdout
    assert "0%!" in table.stdout and "50%!" in table.stdout
    assert health(history, "--outlet", "steady").exit_code == 0  # one outlet's view: nothing to alert on
    assert len(json.loads(health(history, "--weeks", "2", "--json").stdout)["weeks"]) == 6


def test_small_weeks_and_new_outlets_are_not_judged() -> None:
    rule = HealthRule()

    def week(i: int, articles: int, share: float) -> WeekHealth:
        shares: dict[str, float | None] = {"title": share, "authors": share, "date": share, "length": share,
                                           "blocked": 0.0}
        return WeekHealth("o", f"W{i}", datetime(2026, 1, 5 + 7 * i).date(), articles, shares, articles)

    history = [week(i, 10, 1.0) for i in range(3)]
    tiny = week(3, rule.min_articles - 1, 0.0)  # four articles say nothing
    judge_week(tiny, history, rule)
    assert not tiny.judged and not tiny.flags
    new_outlet = week(3, 10, 0.0)
    judge_week(new_outlet, history[:2], rule)  # two weeks of history are not enough
    assert not new_outlet.judged and not new_outlet.flags
    slight = week(3, 10, 0.8)  # 20 points down: within the usual wobble
    judge_week(slight, history, rule)
    assert slight.judged and not slight.flags


@pytest.mark.sqlite_only("its first case is an archive directory without a database file")
def test_bad_input(tmp_path: Path) -> None:
    archive = CoverageArchive(archive_url(tmp_path), tmp_path, outlets=OUTLETS)
    try:
        empty = health(archive)
        assert empty.exit_code == 0 and "no extracted articles yet" in empty.stdout
        one_line_error(health(archive, "--weeks", "0"), 2, "--weeks")
        one_line_error(health(archive, "--outlet", "nowhere"), 2, "unknown outlet 'nowhere'")
    finally:
        archive.close()
    one_line_error(invoke_cli("health", "--archive", str(tmp_path / "none")), 2, "no archive")

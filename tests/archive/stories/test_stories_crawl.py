"""Stories end to end: `pressclips crawl` over a local press site (tests/storysite.py) on SQLite
and PostgreSQL, then the grouping in the archive, `stories`, `show`, `export` and `restory`.

The site carries one story syndicated on three outlets under different boilerplate plus an
edited rewrite, a second story with a truncated "read more" copy and an exact copy, articles on
the same topics written independently, and unrelated articles. Each pickup must land in its
story and nothing else may: no false merge.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests import conftest
from tests.backends import archive_url
from tests.crawlkit import FAST, assert_clean_log, write_outlets
from tests.storysite import StorySite


@dataclass
class Crawled:
    site: StorySite
    args: list[str]  # --archive and --database-url for every later command
    database_url: str

    def cli(self, *args: str) -> Any:
        return conftest.run_cli(*args, *self.args, timeout=120)

    def grouping(self) -> dict[tuple[str, str], tuple[int, float | None]]:
        """(outlet, slug) → (story id, similarity) of every article."""
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT o.name, a.canonical_url, a.story_id, a.story_similarity "
                                         "FROM articles a JOIN outlets o ON o.id = a.outlet_id")).all()
        finally:
            engine.dispose()
        return {(outlet, url.rstrip("/").rsplit("/", 1)[1]): (story, similarity)
                for outlet, url, story, similarity in rows}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def crawled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    root = tmp_path_factory.mktemp("stories")
    with StorySite() as site:
        outlets = write_outlets(root / "outlets.toml", site.outlets_toml())
        archive = root / "archive"
        if request.param == "sqlite":
            url = archive_url(archive)
            yield from _crawl(site, outlets, ["--archive", str(archive)], url)
        else:
            with conftest._pg_schema() as url:
                yield from _crawl(site, outlets, ["--archive", str(archive), "--database-url", url], url)


def _crawl(site: StorySite, outlets: Path, args: list[str], url: str) -> Iterator[Crawled]:
    result = conftest.run_cli("crawl", "--outlets", str(outlets), *args, *FAST, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_clean_log(result.stderr)
    yield Crawled(site, args, url)


def _partition(grouping: dict[tuple[str, str], tuple[int, float | None]]) -> set[frozenset[tuple[str, str]]]:
    stories: dict[int, set[tuple[str, str]]] = {}
    for piece, (story, _) in grouping.items():
        stories.setdefault(story, set()).add(piece)
    return {frozenset(members) for members in stories.values()}


def test_pickups_share_a_story_and_nothing_else_does(crawled: Crawled) -> None:
    grouping = crawled.grouping()
    assert set(grouping) == {(p.outlet, p.slug) for p in crawled.site.pieces}  # every article archived
    assert all(story is not None for story, _ in grouping.values())
    expected = {frozenset(members) for members in crawled.site.expected.values()}
    alone = {frozenset({(p.outlet, p.slug)}) for p in crawled.site.pieces if p.story is None}
    assert _partition(grouping) == expected | alone
    # each link keeps its estimated similarity, above the thresholds (0.45, 0.7 for a truncated
    # copy; 1.0 for an exact copy); which article started a story (no similarity) is crawl order
    similarity = {piece: value for piece, (_, value) in grouping.items()}
    for members in crawled.site.expected.values():
        values = [similarity[p] for p in members]
        assert values.count(None) == 1 and all(v is None or 0.45 <= v <= 1 for v in values)
    assert 1.0 in (similarity[("daily", "scoop")], similarity[("courier", "scoop-copy")])
    rewrite = similarity[("gazette", "storm-rewrite")]
    assert rewrite is None or rewrite < 0.9  # a rewrite is less alike than the copies
    assert all(similarity[(p.outlet, p.slug)] is None for p in crawled.site.pieces if p.story is None)


def test_stories_command_lists_pickups_outlets_and_the_first_to_publish(crawled: Crawled) -> None:
    result = crawled.cli("stories", "--json")
    assert result.returncode == 0, result.stderr
    stories = {s["title"]: s for s in json.loads(result.stdout)["stories"]}
    storm = next(s for title, s in stories.items() if title.startswith("After storm"))
    assert (storm["pickups"], storm["outlets"], storm["first_outlet"]) == (4, 4, "wire")
    assert storm["outlet_names"] == ["courier", "daily", "gazette", "wire"]
    scoop = next(s for title, s in stories.items() if title.startswith("New Year"))
    assert (scoop["pickups"], scoop["outlets"], scoop["first_outlet"]) == (3, 3, "daily")
    assert len(stories) == 2  # stories of one article are left out by default
    assert scoop["first_seen"] <= scoop["last_seen"]
    picked = json.loads(crawled.cli("stories", "--json", "--outlet", "gazette").stdout)["stories"]
    assert [s["id"] for s in picked] == [storm["id"]]
    everything = json.loads(crawled.cli("stories", "--json", "--min-pickups", "1").stdout)["stories"]
    assert len(everything) == 2 + sum(p.story is None for p in crawled.site.pieces)


def test_show_lists_siblings_and_export_carries_story_and_similarity(crawled: Crawled) -> None:
    rows = [json.loads(line) for line in crawled.cli("export", "--jsonl").stdout.splitlines()]
    by_url = {row["url"].rstrip("/").rsplit("/", 1)[1] + "@" + row["outlet"]: row for row in rows}
    rewrite = by_url["storm-rewrite@gazette"]
    assert rewrite["story_id"] == by_url["storm-wire@wire"]["story_id"]
    # the outlets are crawled concurrently: the rewrite may be the article that started the story
    # (no similarity), as test_pickups_share_a_story_and_nothing_else_does allows
    similarities = [row["similarity"] for row in rows if row["story_id"] == rewrite["story_id"]]
    assert similarities.count(None) == 1 and all(v is None or v >= 0.45 for v in similarities)
    shown = crawled.cli("show", str(rewrite["id"]), "--json", "--no-text")
    assert shown.returncode == 0, shown.stderr
    story = json.loads(shown.stdout)["story"]
    assert story["pickups"] == 4 and story["similarity"] == rewrite["similarity"]
    assert [(s["outlet"], s["first"]) for s in story["siblings"]] == [("wire", True), ("daily", False),
                                                                      ("courier", False)]  # by publication
    table = crawled.cli("show", str(rewrite["id"]), "--no-text").stdout
    assert "story" in table and "siblings" in table and "wire" in table


def test_restory_rebuilds_the_same_stories(crawled: Crawled) -> None:
    before = _partition(crawled.grouping())
    result = crawled.cli("restory")
    assert result.returncode == 0, result.stderr
    assert "11 articles in 6 stories" in result.stdout
    assert _partition(crawled.grouping()) == before


def test_the_web_article_page_shows_the_story(crawled: Crawled) -> None:
    from archive.replay.pages import ArchivePages

    rows = [json.loads(line) for line in crawled.cli("export", "--jsonl").stdout.splitlines()]
    teaser = next(r for r in rows if r["url"].rstrip("/").endswith("scoop-teaser"))
    engine = create_engine(crawled.database_url)
    try:
        page = ArchivePages(engine).article(teaser["id"]).body.decode()
    finally:
        engine.dispose()
    assert f"Story {teaser['story_id']}: 3 pickup(s)" in page
    siblings = [r for r in rows if r["story_id"] == teaser["story_id"] and r["id"] != teaser["id"]]
    for sibling in siblings:
        assert f'href="/article/{sibling["id"]}"' in page
    assert "daily" in page and "courier" in page

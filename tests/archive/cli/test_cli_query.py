"""``pressclips search / show / export / outlets`` against a real archive (SQLite and PostgreSQL),
built with ``Store`` and real WARC records; every machine format is parsed back and compared
with what the database says."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import Result

from archive.query.articles import iter_articles, outlet_stats
from archive.query.search import HIGHLIGHT, SearchFilters, search
from archive.warc.reader import read_record
from tests.archive.query.test_search import PAGES, build_archive
from tests.conftest import invoke_cli, one_line_error


@pytest.fixture
def arc(database_url: str, tmp_path: Path):
    """(run, ids, engine): ``run(*args)`` invokes pressclips on the built archive."""
    root = tmp_path / "archive"
    root.mkdir()
    sqlite = database_url.startswith("sqlite")  # then the archive's own file, found by --archive alone
    archive, ids = build_archive(f"sqlite:///{root / 'pressclips.sqlite3'}" if sqlite else database_url, root)
    extra = [] if sqlite else ["--database-url", database_url]

    def run(command: str, *args: str) -> Result:
        return invoke_cli(command, "--archive", str(root), *extra, *args)

    yield run, ids, archive.engine
    archive.engine.dispose()


@pytest.mark.parametrize("command", ["search", "show", "export", "outlets"])
def test_help(command: str) -> None:
    result = invoke_cli(command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output and "--show-sql" in result.output


def test_search_table(arc) -> None:
    run, ids, _engine = arc
    result = run("search", "lanthimos")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("3 results, showing 1–3")
    assert out.index(f"{ids['bugonia']:>7}  2026-09-15  Variety Wire  Lanthimos starts shooting Bugonia") \
        < out.index("Ein Abend im Café Kino")
    assert f"{HIGHLIGHT[0]}Lanthimos{HIGHLIGHT[1]}" in out  # not a terminal: markers, not ANSI
    assert "(2 versions)" in out and "by outlet: Variety Wire 2, Kino Zeitung 1" in out
    assert run("search", "nothingmatcheshere").stdout.strip() == "no results"


def test_search_json_jsonl_csv_round_trip(arc) -> None:
    run, _ids, engine = arc
    expected = search(engine, "lanthimos OR carpet", SearchFilters(language="en"))
    data = json.loads(run("search", "lanthimos OR carpet", "--language", "en", "--json").stdout)
    assert [h["id"] for h in data["hits"]] == [h.article_id for h in expected.hits]
    assert data["total"] == expected.total == 3 and data["facets"] == expected.facets
    for row, hit in zip(data["hits"], expected.hits):
        assert (row["title"], row["url"], row["outlet"], row["versions"], row["snippet"]) == \
            (hit.title, hit.url, hit.outlet, hit.versions, hit.snippet)
        assert row["first_seen"] == hit.first_seen.isoformat()
    lines = [json.loads(x) for x in run("search", "lanthimos OR carpet", "--language", "en", "--jsonl").stdout
             .splitlines()]
    assert lines == data["hits"]
    rows = list(csv.DictReader(io.StringIO(run("search", "lanthimos OR carpet", "--language", "en", "--csv").stdout)))
    assert [int(r["id"]) for r in rows] == [h["id"] for h in data["hits"]]
    assert [r["snippet"] for r in rows] == [h["snippet"] for h in data["hits"]]
    assert [float(r["rank"]) for r in rows] == pytest.approx([h["rank"] for h in data["hits"]])
    assert rows[0]["published"] == (data["hits"][0]["published"] or "")


def test_search_filters_and_listing(arc) -> None:
    run, ids, _engine = arc
    data = json.loads(run("search", "--outlet", "screen post", "--published-to", "2026-08", "--json").stdout)
    assert [h["id"] for h in data["hits"]] == [ids["leak"]]  # a month given as --to includes that month
    data = json.loads(run("search", "--published-from", "2026-11-02", "--published-to", "2026-11-02",
                          "--json").stdout)
    assert [h["id"] for h in data["hits"]] == [ids["globes"]]  # one whole day
    data = json.loads(run("search", "--edited", "--json").stdout)
    assert [h["id"] for h in data["hits"]] == [ids["bugonia"]]
    data = json.loads(run("search", "--author", "müller", "--seen-since", "2026-11-01", "--json").stdout)
    assert [h["id"] for h in data["hits"]] == [ids["kino"]]
    data = json.loads(run("search", "--limit", "2", "--offset", "1", "--json").stdout)
    assert len(data["hits"]) == 2 and data["total"] == len(PAGES)


def test_errors_are_one_line_with_a_hint(arc) -> None:
    run, _ids, _engine = arc
    one_line_error(run("search", "--", "-gossip"), 2, "only excludes", "hint:")  # '--': a query starting with -
    one_line_error(run("search", "***"), 2, "no words", "hint:")
    one_line_error(run("search", "x", "--published-since", "last week"), 2, "--published-since", "hint:")
    one_line_error(run("search", "x", "--seen-since", "2026-11-02", "--seen-until", "2026-11-01"), 2, "--seen",
                   "hint:")
    one_line_error(run("search", "x", "--outlet", "Daily Nope"), 2, "unknown outlet", "Kino Zeitung")
    one_line_error(run("export", "--outlet", "Daily Nope"), 2, "unknown outlet")
    one_line_error(run("export", "--seen-since", "yesterday-ish"), 2, "--seen-since")
    one_line_error(run("export", "--since", "2026-11"), 2, "--since was renamed", "use --seen-since")
    one_line_error(run("show", "abc"), 2, "not an article id", "hint:")
    one_line_error(run("show", "0"), 2, "not an article id")
    one_line_error(run("show", "12abc"), 2, "not an article id")
    one_line_error(run("show", "99999"), 2, "no article with id 99999", "hint:")


def test_show_table_and_json(arc, tmp_path: Path) -> None:
    run, ids, _engine = arc
    table = run("show", str(ids["bugonia"]))
    assert table.exit_code == 0, table.output
    out = table.stdout
    assert out.startswith(f"article {ids['bugonia']}: Lanthimos starts shooting Bugonia")
    assert "versions (2):" in out and "captures (2 of 2):" in out and "Ann Writer, Bob Critic" in out
    assert out.rstrip().endswith("Update: Jesse Plemons joins the cast.")
    assert "Plemons" not in run("show", str(ids["bugonia"]), "--no-text").stdout
    data = json.loads(run("show", str(ids["bugonia"]), "--json").stdout)
    assert data["id"] == ids["bugonia"] and len(data["versions"]) == 2 and data["versions"][1]["current"]
    root = tmp_path / "archive"
    for capture in data["captures"]:
        record = read_record(root / "warcs", capture["warc"]["file"], capture["warc"]["offset"],
                             capture["warc"]["length"])
        assert record.record_id == capture["warc"]["record_id"] and b"Bugonia" in record.payload


def _export(run, *args: str) -> str:
    result = run("export", *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_export_formats_round_trip(arc, tmp_path: Path) -> None:
    run, _ids, engine = arc
    expected = list(iter_articles(engine))
    jsonl = [json.loads(line) for line in _export(run, "--format", "jsonl").splitlines()]
    assert jsonl == expected
    assert json.loads(_export(run, "--format", "json")) == expected
    rows = list(csv.DictReader(io.StringIO(_export(run, "--format", "csv"))))
    assert [int(r["id"]) for r in rows] == [e["id"] for e in expected]
    for row, want in zip(rows, expected):
        assert row["title"] == want["title"] and row["text"] == want["text"]
        assert row["authors"].split("; ") == want["authors"] and row["urls"].split(" ") == want["urls"]
        assert row["warc"] == f"{want['warc']['file']}:{want['warc']['offset']}:{want['warc']['length']}"
        assert int(row["versions"]) == want["versions"] and row["published"] == (want["published"] or "")
    out = tmp_path / "out.json"
    assert run("export", "--format", "json", "-o", str(out)).exit_code == 0
    assert json.loads(out.read_text()) == expected


def test_export_with_query_and_filters(arc) -> None:
    run, ids, _engine = arc
    rows = json.loads(_export(run, "lanthimos", "--format", "json", "--outlet", "Variety Wire"))
    assert [r["id"] for r in rows] == sorted([ids["stone"], ids["bugonia"]])  # export is in id order
    assert json.loads(_export(run, "nothingmatcheshere", "--format", "json")) == []
    rows = [json.loads(x) for x in _export(run, "--edited", "--format", "jsonl").splitlines()]
    assert [(r["id"], r["versions"]) for r in rows] == [(ids["bugonia"], 2)]
    assert len(_export(run, "--limit", "2").splitlines()) == 2


def test_outlets(arc) -> None:
    run, _ids, engine = arc
    expected = outlet_stats(engine)
    assert json.loads(run("outlets", "--json").stdout) == expected
    rows = list(csv.DictReader(io.StringIO(run("outlets", "--csv").stdout)))
    assert [(r["outlet"], int(r["articles"])) for r in rows] == [(o["outlet"], o["articles"]) for o in expected]
    assert [json.loads(x)["outlet"] for x in run("outlets", "--jsonl").stdout.splitlines()] == \
        [o["outlet"] for o in expected]
    table = run("outlets").stdout.splitlines()
    assert table[0].split() == ["outlet", "articles", "versions", "captures", "not_articles", "last_capture"]
    assert any(line.startswith("Kino Zeitung") and line.split()[2] == "1" for line in table[1:])


def test_show_sql_prints_the_statements_with_values(arc) -> None:
    run, _ids, engine = arc
    result = run("search", "lanthimos -stone", "--outlet", "Kino Zeitung", "--show-sql", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["total"] == 1  # stdout stays machine-readable
    sql = result.stderr
    if engine.dialect.name == "sqlite":
        assert "MATCH '(\"lanthimos\" NOT \"stone\")'" in sql and "bm25(" in sql
    else:
        assert "phraseto_tsquery('pressclips_search'::regconfig, 'lanthimos')" in sql and "ts_rank(" in sql
    assert "SELECT" in sql and "outlet_id = " in sql
    export = run("export", "--show-sql", "--format", "jsonl")
    assert export.exit_code == 0 and "FROM articles" in export.stderr


def test_unquoted_words_warnings_and_relative_dates(arc) -> None:
    run, ids, _engine = arc
    unquoted = json.loads(run("search", "lanthimos", "NOT", "stone", "--json").stdout)
    quoted = json.loads(run("search", "lanthimos -stone", "--json").stdout)
    dashed = json.loads(run("search", "--json", "--", "lanthimos", "-stone").stdout)  # '-stone' after '--'
    assert [h["id"] for h in unquoted["hits"]] == [h["id"] for h in quoted["hits"]] == [ids["kino"]]
    assert dashed["hits"] == quoted["hits"] and dashed["query"] == "lanthimos -stone"
    assert unquoted["query"] == "lanthimos NOT stone" and unquoted["warnings"] == []
    result = run("search", "NEAR(memo", "budget)", "--json")
    assert result.exit_code == 0 and [h["id"] for h in json.loads(result.stdout)["hits"]] == [ids["leak"]]
    assert result.stderr.startswith("pressclips: warning: NEAR(...) is not supported")
    assert json.loads(result.stdout)["warnings"] == [result.stderr.split("warning: ", 1)[1].strip()]
    exported = run("export", "title:lanthimos", "OR", "author:garcia", "--jsonl")
    assert sorted(json.loads(x)["id"] for x in exported.stdout.splitlines()) == sorted([ids["bugonia"], ids["globes"]])
    # every page here was first seen before today and was published less than a hundred years ago
    assert len(json.loads(run("search", "--seen-until", "yesterday", "--json").stdout)["hits"]) == len(PAGES)
    assert json.loads(run("search", "--seen-since", "today", "--json").stdout)["hits"] == []
    assert json.loads(run("search", "--published-since", "12h", "--json").stdout)["hits"] == []
    dated = [p for p in PAGES if p.published]
    assert len(json.loads(run("export", "--published-since", "100y", "--json").stdout)) == len(dated)

"""The one output layer: every listing command speaks table, JSON, JSON lines and CSV, and the
machine formats agree with each other row for row."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.warc.writer import WarcWriter
from tests.archivekit import ArchiveKit, article
from tests.conftest import invoke_cli, one_line_error


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("output") / "archive"
    kit = ArchiveKit(root)
    with WarcWriter(kit.warc_dir) as writer:
        kit.page(writer, "/news/venice", article("The premiere drew a standing ovation in Venice."))
        kit.page(writer, "/news/review", article("A first cut of the review.", authors=("Ann", "Bob")))
        kit.page(writer, "/news/review", article("A second, longer cut of the review.", title="Review, updated"))
    kit.finish_run()
    kit.close()
    yield root


# (command, where --json keeps the rows that --jsonl/--csv print)
LISTINGS: list[tuple[list[str], Any]] = [
    (["stats"], lambda doc: doc["outlets"]),
    (["runs"], lambda doc: doc),
    (["outlets"], lambda doc: doc),
    (["versions", "2"], lambda doc: doc),
    (["show", "2"], lambda doc: [{"article_id": doc["id"], **v} for v in doc["versions"]]),
    (["verify"], lambda doc: doc["problems"]),
    (["search", "review"], lambda doc: doc["hits"]),
    (["export"], lambda doc: doc),
]


def run(archive: Path, *args: str) -> str:
    result = invoke_cli(*args, "--archive", str(archive))
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


@pytest.mark.parametrize(("command", "rows_of"), LISTINGS, ids=[" ".join(c) for c, _ in LISTINGS])
def test_every_format_of_every_listing_agrees(archive: Path, command: list[str], rows_of: Any) -> None:
    document = json.loads(run(archive, *command, "--json"))
    lines = [json.loads(line) for line in run(archive, *command, "--jsonl").splitlines()]
    assert lines == rows_of(document)
    table = list(csv.DictReader(io.StringIO(run(archive, *command, "--csv"))))
    assert len(table) == len(lines)
    for row, line in zip(table, lines):
        for key, cell in row.items():
            value = line.get(key)
            if isinstance(value, (int, str)) and not isinstance(value, bool):
                assert cell == str(value), (key, cell, value)
    assert run(archive, *command, "--format", "jsonl") == run(archive, *command, "--jsonl")
    people = run(archive, *command, "--format", "table")
    assert people.strip() and not people.lstrip().startswith(("[", "{"))


def test_the_table_is_the_default_except_for_export(archive: Path) -> None:
    assert run(archive, "outlets") == run(archive, "outlets", "--format", "table")
    assert run(archive, "export") == run(archive, "export", "--jsonl")
    exported = run(archive, "export", "--format", "table")
    assert exported.splitlines()[0].split()[:3] == ["id", "url", "urls"]


def test_csv_joins_lists_and_nests_objects(archive: Path) -> None:
    [version] = [r for r in csv.DictReader(io.StringIO(run(archive, "versions", "2", "--csv"))) if r["number"] == "1"]
    assert version["authors"] == "Ann; Bob"
    assert json.loads(version["capture"])["offset"] >= 0


def test_two_formats_at_once_is_a_usage_error(archive: Path) -> None:
    one_line_error(invoke_cli("runs", "--json", "--format", "csv", "--archive", str(archive)), 2, "two formats")
    one_line_error(invoke_cli("runs", "--format", "xml", "--archive", str(archive)), 2, "xml")

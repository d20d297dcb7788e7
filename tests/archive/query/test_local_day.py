"""Date filters use the local publication day (issue 12), on SQLite and PostgreSQL.

An article filed at 21:30 in Los Angeles on 8 November is 05:30 UTC on the 9th: a search for
8 November finds it, one for the 9th does not. Versions stored without a local day (archives
written before the column existed) are still filtered by their instant.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from archive.db.models import ArticleVersion
from archive.query.search import SearchFilters, search
from archive.warc.writer import WarcWriter
from tests.archivekit import ArchiveKit, article
from tests.conftest import invoke_cli


def test_search_date_filters_use_the_local_day(database_url: str, tmp_path: Path) -> None:
    kit = ArchiveKit(tmp_path, database_url)
    try:
        late = replace(article("Filed late in the evening in Los Angeles.", title="Late filing",
                               published="2023-11-09T05:30:00+00:00"),
                       published_day="2023-11-08", date_source="meta:article:published_time",
                       author_orgs=["Example Wire"])
        legacy = article("Stored before the local day existed.", title="Legacy", published="2023-11-09T12:00:00+00:00")
        with WarcWriter(kit.warc_dir) as writer:
            kit.page(writer, "/late/", late)
            kit.page(writer, "/legacy/", legacy)

        def titles(low: datetime, high: datetime) -> set[str]:
            hits = search(kit.engine, "", SearchFilters(published_from=low, published_to=high), limit=10).hits
            return {hit.title for hit in hits}

        assert titles(datetime(2023, 11, 8), datetime(2023, 11, 9)) == {"Late filing"}
        assert titles(datetime(2023, 11, 9), datetime(2023, 11, 10)) == {"Legacy"}
        with kit.engine.connect() as conn:
            row = conn.execute(select(ArticleVersion.published_day, ArticleVersion.date_source,
                                      ArticleVersion.author_orgs).where(ArticleVersion.title == "Late filing")).one()
        assert tuple(row) == ("2023-11-08", "meta:article:published_time", ["Example Wire"])
    finally:
        kit.close()


def test_export_prints_the_local_day_its_source_and_organisations_and_filters_on_the_day(
        database_url: str, tmp_path: Path) -> None:
    kit = ArchiveKit(tmp_path, database_url)
    try:
        late = replace(article("Filed late in the evening in Los Angeles.", title="Late filing", authors=(),
                               published="2023-11-09T05:30:00+00:00"),
                       published_day="2023-11-08", date_source="meta:article:published_time",
                       author_orgs=["Example Wire", "Other Desk"])
        with WarcWriter(kit.warc_dir) as writer:
            kit.page(writer, "/late/", late)
            kit.page(writer, "/next/", article("Filed the next morning.", title="Next morning",
                                               published="2023-11-09T15:00:00+00:00"))
        where = ["--archive", str(tmp_path), "--database-url", database_url]
        result = invoke_cli("export", *where, "--published-since", "2023-11-08", "--published-until", "2023-11-08")
        assert result.exit_code == 0, result.output
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        assert [(r["title"], r["published"], r["published_day"], r["date_source"], r["authors"], r["author_orgs"])
                for r in rows] == [("Late filing", "2023-11-09T05:30:00+00:00", "2023-11-08",
                                    "meta:article:published_time", [], ["Example Wire", "Other Desk"])]
        result = invoke_cli("export", *where, "--published-since", "2023-11-09", "--format", "csv")
        assert result.exit_code == 0, result.output
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert [(r["title"], r["published_day"], r["author_orgs"]) for r in rows] == [("Next morning", "", "")]
        result = invoke_cli("export", *where, "--format", "csv")
        assert [r["author_orgs"] for r in csv.DictReader(io.StringIO(result.stdout))] == \
            ["Example Wire; Other Desk", ""]
    finally:
        kit.close()

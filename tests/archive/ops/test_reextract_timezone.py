"""``reextract`` and the outlet's timezone (issue 12): the crawl stores the outlets file's
``timezone`` on the outlet row, and re-extraction, which runs without the outlets file, uses it
for the local publication day."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.db.models import ArticleVersion, Outlet
from archive.db.store import PageResult
from archive.ops.reextract import reextract_archive
from archive.warc.writer import WarcWriter
from tests.archivekit import HOME, OUTLET, ArchiveKit, article, exchange

# Filed at 23:30 UTC on 31 October: 1 November in Tokyo. The URL carries no day to go by.
PAGE = ("<html lang='en'><head><meta charset='utf-8'><title>Night session ends the budget fight</title>"
        "<meta property='article:published_time' content='2026-10-31T23:30:00Z'></head><body><article>"
        "<h1>Night session ends the budget fight</h1>"
        + "".join(f"<p>Item {n}: the council met late into the night over the budget for schools, parks "
                  f"and the harbour, and member {n} spoke for the motion before the vote was taken.</p>"
                  for n in range(1, 9))
        + "</article></body></html>").encode()


@pytest.fixture
def kit(database_url: str, tmp_path: Path) -> Iterator[ArchiveKit]:
    k = ArchiveKit(tmp_path / "archive", database_url)
    yield k
    k.close()


def archive_page(kit: ArchiveKit) -> None:
    url = HOME + "/politics/night-session"
    with WarcWriter(kit.warc_dir, prefix="tz") as writer:
        pointer = writer.write_exchange(exchange(url, PAGE, kit.tick()))
    kit.capture(pointer, url)
    kit.store.record_page(PageResult(outlet=OUTLET, warc_record_id=pointer.record_id, requested_url=url,
                                     final_url=url, fetched_at=kit.clock, status=200,
                                     extraction=article("placeholder text of the first extraction")))


def stored(kit: ArchiveKit) -> tuple[str | None, list[tuple[str | None, str | None]]]:
    with Session(kit.engine) as session:
        zone = session.scalar(select(Outlet.timezone).where(Outlet.name == OUTLET))
        days = session.execute(select(ArticleVersion.published_day, ArticleVersion.date_source)).all()
    return zone, [tuple(row) for row in days]


def test_reextract_uses_the_timezone_the_crawl_stored_on_the_outlet(kit: ArchiveKit) -> None:
    archive_page(kit)
    outlets = [(OUTLET, HOME + "/", ["127.0.0.1:8123"])]

    kit.store.ensure_outlets(outlets, timezones={OUTLET: "Asia/Tokyo"})
    assert reextract_archive(kit.engine, kit.warc_dir, workers=1)["captures"] == 1
    zone, versions = stored(kit)
    assert zone == "Asia/Tokyo"
    assert [day for day, _source in versions] == ["2026-11-01"]
    assert all(source for _day, source in versions)

    # The zone removed from the outlets file: the next crawl clears it, and the day is UTC's again.
    kit.store.ensure_outlets(outlets, timezones={})
    reextract_archive(kit.engine, kit.warc_dir, workers=1)
    zone, versions = stored(kit)
    assert zone is None
    assert [day for day, _source in versions] == ["2026-10-31"]

    # Callers that know nothing of timezones (tests, tools) leave the stored zone alone.
    kit.store.ensure_outlets(outlets, timezones={OUTLET: "Europe/Berlin"})
    kit.store.ensure_outlets(outlets)
    assert stored(kit)[0] == "Europe/Berlin"

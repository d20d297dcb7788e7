"""A small press archive with known coverage, built through the real writers (``WarcWriter`` records,
``Store.record_page`` rows) on SQLite and PostgreSQL, so report figures can be checked by hand.

The watchlist ``bugonia`` (queries ``bugonia`` and ``"emma stone"``) matches seven articles on three
outlets; ``dune`` matches none of them. Stories are set directly on ``articles.story_id``, over
what the story builder found in these short bodies: story 1 is a syndicated piece on all three outlets,
story 2 a copy that Kino Zeitung published a day *before* Variety Wire. ``EXPECTED`` is the report
worked out by hand from the table below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text

from archive.db.engine import make_engine
from archive.db.kinds import CaptureKind
from archive.db.store import CaptureRecord, PageResult, Store
from archive.extract.markup import content_hash
from archive.extract.result import Extraction
from archive.warc.reader import WarcPointer
from archive.warc.writer import HttpExchange, WarcWriter

OUTLETS = [("Variety Wire", "https://variety.example/", ["variety.example"]),
           ("Screen Post", "https://screen.example/", ["screen.example"]),
           ("Kino Zeitung", "https://kino.example/", ["kino.example"])]
VW, SP, KZ = (name for name, _, _ in OUTLETS)
SEEN = datetime(2026, 11, 13, 9, 0, tzinfo=UTC)  # when the first crawl saw everything below
BUGONIA = "Yorgos Lanthimos finished shooting Bugonia in Athens. The cast spent ten weeks on set. "
STONE = "Emma Stone talked about her next film and about working with the director again. "
FILLER = "The studio plans a wide release, and the trade press expects strong numbers at the festivals. "


@dataclass(frozen=True)
class Item:
    key: str
    outlet: str
    path: str
    title: str
    authors: tuple[str, ...]
    published: str | None
    body: str
    story: int | None = None


ITEMS = [
    Item("wire", VW, "/film/bugonia-wraps", "Bugonia wraps shooting", ("Ann Writer",),
         "2026-11-02T10:00:00+00:00", BUGONIA + FILLER, story=1),
    Item("syndicated", SP, "/news/bugonia-wraps", "Bugonia wraps (syndicated)", ("Ann Writer",),
         "2026-11-02T12:00:00+00:00", "From the wire: " + BUGONIA + FILLER, story=1),
    Item("rewrite", KZ, "/kultur/bugonia", "Lanthimos beendet Bugonia", ("Jürgen Müller",),
         "2026-11-03T08:00:00+00:00", BUGONIA + "A rewrite for German readers. " + FILLER, story=1),
    Item("feature", SP, "/news/stone-bugonia", "Emma Stone on Bugonia", ("Bob Critic",),
         "2026-11-05T15:00:00+00:00", STONE + "She called Bugonia strange. " + FILLER),
    Item("interview", VW, "/film/stone-interview", "Emma Stone interview", ("Bob Critic", "Ann Writer"),
         "2026-11-10T09:00:00+00:00", STONE + FILLER, story=2),
    Item("early-copy", KZ, "/kultur/stone", "Emma Stone im Gespräch", (),
         "2026-11-09T18:00:00+00:00", STONE + "Vorab veröffentlicht. " + FILLER, story=2),
    Item("unrelated", VW, "/film/dune-box-office", "Dune box office", ("Ann Writer",),
         "2026-11-04T10:00:00+00:00", "Dune Part Three opened strongly. " + FILLER),
    Item("undated", VW, "/film/bugonia-poster", "Bugonia poster", (), None, "A poster for Bugonia appeared. " + FILLER),
]

EXPECTED = {
    "totals": {"pieces": 7, "stories": 4, "outlets": 3, "authors": 3, "first_day": "2026-11-02",
               "last_day": "2026-11-13"},
    "outlets": [{"outlet": VW, "pieces": 3, "stories": 3, "first": 2},
                {"outlet": KZ, "pieces": 2, "stories": 2, "first": 1},
                {"outlet": SP, "pieces": 2, "stories": 2, "first": 1}],
    "authors": [("Ann Writer", 3, [SP, VW]), ("Bob Critic", 2, [SP, VW]), ("Jürgen Müller", 1, [KZ])],
    # day: pieces, stories, by outlet (the undated piece counts on the day it was first seen)
    "timeline": [("2026-11-02", 2, 1, {SP: 1, VW: 1}), ("2026-11-03", 1, 1, {KZ: 1}),
                 ("2026-11-05", 1, 1, {SP: 1}), ("2026-11-09", 1, 1, {KZ: 1}), ("2026-11-10", 1, 1, {VW: 1}),
                 ("2026-11-13", 1, 1, {VW: 1})],
    # story id (None: an article in no story), pickups, first outlet, first piece
    "stories": [(1, 3, VW, "wire"), (2, 2, KZ, "early-copy"), (None, 1, SP, "feature"),
                (None, 1, VW, "undated")],
    "weeks": [("2026-W45", "2026-11-02", 4, 2), ("2026-W46", "2026-11-09", 3, 2)],
}


class CoverageArchive:
    def __init__(self, database_url: str, root: Path, outlets: list[tuple[str, str, list[str]]] = OUTLETS) -> None:
        self.database_url = database_url
        self.root = root
        self.outlets = outlets
        self.engine: Engine = make_engine(database_url)
        self.store = Store(self.engine)
        self.store.ensure_outlets(outlets)
        self.writer = WarcWriter(root / "warcs")
        self.ids: dict[str, int] = {}

    def archived(self, outlet: str, path: str, body: str, when: datetime, kind: CaptureKind | None = None) -> WarcPointer:
        """A response archived as the crawler does: a WARC record and its capture row."""
        url = self.url(outlet, path)
        pointer = self.writer.write_exchange(HttpExchange(
            url=url, method="GET", request_headers=[("Accept", "text/html")], status=200, reason="OK",
            http_version="HTTP/1.1", response_headers=[("Content-Type", "text/html; charset=utf-8")],
            body=f"<html><body><p>{body}</p></body></html>".encode(), fetched_at=when))
        self.writer.close()
        self.store.add_capture(CaptureRecord(url=url, fetched_at=when, status=200, mime="text/html", pointer=pointer,
                                             outlet=outlet, kind=kind))
        return pointer

    def url(self, outlet: str, path: str) -> str:
        return next(home for name, home, _ in self.outlets if name == outlet).rstrip("/") + path

    def add(self, item: Item, when: datetime = SEEN) -> int:
        """One article page fetched at ``when``: archived, extracted as ``item`` says, stored."""
        url = self.url(item.outlet, item.path)
        pointer = self.archived(item.outlet, item.path, item.body, when)
        extraction = Extraction(is_article=True, reason=None, title=item.title, authors=list(item.authors),
                                published=item.published, language="en", text=item.body,
                                content_hash=content_hash(item.body))
        self.store.record_page(PageResult(outlet=item.outlet, warc_record_id=pointer.record_id, requested_url=url,
                                          final_url=url, fetched_at=when, status=200, extraction=extraction))
        with self.engine.begin() as conn:
            article_id = int(conn.execute(text("SELECT id FROM articles WHERE canonical_url = :u"), {"u": url}).scalar_one())
            # The hand-made grouping replaces the story builder's (archive.stories groups by text, and
            # these short bodies are not the texts a report is about): NULL = a story of its own.
            conn.execute(text("UPDATE articles SET story_id = :s WHERE id = :a"), {"s": item.story, "a": article_id})
        self.ids[item.key] = article_id
        return article_id

    def close(self) -> None:
        self.engine.dispose()


def build(database_url: str, root: Path) -> CoverageArchive:
    archive = CoverageArchive(database_url, root)
    for item in ITEMS:
        archive.add(item)
    return archive

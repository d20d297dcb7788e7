"""A coverage report's figures, computed from its pieces (pure: no database, no output).

What PR teams count (pickups, not rows):

- **totals**: pieces (articles), stories (a syndicated or rewritten story on five outlets is one
  story with five pickups), outlets, authors, and pieces new since the watchlist's last report;
- **outlets**: per outlet its pieces (pickups), the stories it covered, and how many of those it
  published first;
- **timeline**: pieces and stories per day or ISO week (by publication day), with the count per outlet;
- **authors**: pieces and outlets per byline name;
- **stories**: each story's pickups, outlets and first piece (the earliest publication date, else
  the earliest first sight; ties go to the lower article id);
- **new**: pieces the archive first saw after the watchlist's previous report (all of them on the
  first report; none for a bare query, which has no history).

``breakdown`` is the table ``--by`` chooses (outlet, day, week or author): what ``--csv`` and
``--jsonl`` write, and what the terminal shows first.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from archive.coverage.pieces import Piece, Window

BY_CHOICES = ("outlet", "day", "week", "author")
DAILY_SPAN_DAYS = 31  # a timeline over at most this many days is drawn per day, a longer one per week


@dataclass
class CoverageReport:
    subject: str  # the watchlist name, or the query
    queries: tuple[str, ...]
    watchlist: str | None
    window: Window
    by: str
    generated_at: datetime
    previous_report_at: datetime | None
    pieces: list[Piece]
    period: str = "day"  # the timeline's bucket: "day" or "week"
    totals: dict[str, Any] = field(default_factory=dict)
    outlets: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    authors: list[dict[str, Any]] = field(default_factory=list)
    stories: list[dict[str, Any]] = field(default_factory=list)
    new: list[Piece] | None = None

    def breakdown(self) -> list[dict[str, Any]]:
        """The table ``--by`` names."""
        if self.by == "outlet":
            return self.outlets
        if self.by == "author":
            return self.authors
        return self.timeline

    def breakdown_columns(self) -> list[str]:
        return list(BREAKDOWN_COLUMNS[self.by])


BREAKDOWN_COLUMNS = {
    "outlet": ("outlet", "pieces", "stories", "first"),
    "author": ("author", "pieces", "outlets"),
    "day": ("period", "start", "pieces", "stories", "by_outlet"),
    "week": ("period", "start", "pieces", "stories", "by_outlet"),
}


def build_report(pieces: list[Piece], *, subject: str, queries: tuple[str, ...], by: str = "outlet",
                 watchlist: str | None = None, window: Window | None = None, generated_at: datetime,
                 previous_report_at: datetime | None = None) -> CoverageReport:
    if by not in BY_CHOICES:
        raise ValueError(f"by must be one of {BY_CHOICES}, not {by!r}")
    report = CoverageReport(subject=subject, queries=queries, watchlist=watchlist, window=window or Window(), by=by,
                            generated_at=generated_at, previous_report_at=previous_report_at, pieces=pieces)
    report.period = timeline_period(pieces, by)
    report.stories = story_rows(pieces)
    firsts = Counter(row["first_outlet"] for row in report.stories)
    report.outlets = outlet_rows(pieces, firsts)
    report.timeline = timeline_rows(pieces, report.period)
    report.authors = author_rows(pieces)
    if watchlist is not None:
        report.new = [p for p in pieces if previous_report_at is None or p.first_seen > previous_report_at]
    days = [p.day for p in pieces]
    report.totals = {
        "pieces": len(pieces), "stories": len(report.stories), "outlets": len(report.outlets),
        "authors": len(report.authors), "new": None if report.new is None else len(report.new),
        "first_day": min(days).isoformat() if days else None, "last_day": max(days).isoformat() if days else None,
    }
    return report


def timeline_period(pieces: list[Piece], by: str) -> str:
    if by in ("day", "week"):
        return by
    days = [p.day for p in pieces]
    return "day" if not days or (max(days) - min(days)).days < DAILY_SPAN_DAYS else "week"


def period_of(day: date, period: str) -> tuple[str, date]:
    """(label, first day) of the day or ISO week holding ``day``: ``2026-11-03`` or ``2026-W45``."""
    if period == "day":
        return day.isoformat(), day
    year, week, weekday = day.isocalendar()
    return f"{year}-W{week:02d}", day - timedelta(days=weekday - 1)


def story_rows(pieces: list[Piece]) -> list[dict[str, Any]]:
    grouped: dict[int, list[Piece]] = defaultdict(list)
    for piece in pieces:
        grouped[piece.story].append(piece)
    rows: list[dict[str, Any]] = []
    for key, members in grouped.items():
        first = min(members, key=lambda p: (p.when, p.article_id))
        rows.append({"story_id": key if key > 0 else None, "story": key, "pickups": len(members),
                     "outlets": sorted({p.outlet for p in members}), "first_outlet": first.outlet,
                     "first_article_id": first.article_id, "first_title": first.title,
                     "first_published": first.when, "last_published": max(p.when for p in members),
                     "article_ids": sorted(p.article_id for p in members)})
    rows.sort(key=lambda r: (-r["pickups"], r["first_published"], r["first_article_id"]))
    return rows


def outlet_rows(pieces: list[Piece], firsts: Counter[str]) -> list[dict[str, Any]]:
    counts = Counter(p.outlet for p in pieces)
    stories: dict[str, set[int]] = defaultdict(set)
    for piece in pieces:
        stories[piece.outlet].add(piece.story)
    return [{"outlet": name, "pieces": n, "stories": len(stories[name]), "first": firsts.get(name, 0)}
            for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def timeline_rows(pieces: list[Piece], period: str) -> list[dict[str, Any]]:
    buckets: dict[tuple[date, str], list[Piece]] = defaultdict(list)
    for piece in pieces:
        label, start = period_of(piece.day, period)
        buckets[(start, label)].append(piece)
    rows = []
    for (start, label), members in sorted(buckets.items()):
        per_outlet = Counter(p.outlet for p in members)
        rows.append({"period": label, "start": start.isoformat(), "pieces": len(members),
                     "stories": len({p.story for p in members}),
                     "by_outlet": dict(sorted(per_outlet.items(), key=lambda kv: (-kv[1], kv[0])))})
    return rows


def author_rows(pieces: list[Piece]) -> list[dict[str, Any]]:
    counts: Counter[str] = Counter()
    outlets: dict[str, set[str]] = defaultdict(set)
    for piece in pieces:
        for author in dict.fromkeys(piece.authors):  # a byline naming someone twice counts once
            counts[author] += 1
            outlets[author].add(piece.outlet)
    return [{"author": name, "pieces": n, "outlets": sorted(outlets[name])}
            for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def piece_row(piece: Piece, replay_url: str | None = None) -> dict[str, Any]:
    return {"id": piece.article_id, "outlet": piece.outlet, "title": piece.title, "url": piece.url,
            "authors": list(piece.authors), "published": piece.published_at, "first_seen": piece.first_seen,
            "story_id": piece.story if piece.story > 0 else None, "replay_url": replay_url}


def report_document(report: CoverageReport, replay_url: Callable[[Piece], str] | None = None) -> dict[str, Any]:
    """The whole report as one JSON-ready document (``--json``); ``replay_url(piece)`` links each piece."""
    def link(piece: Piece) -> str | None:
        return replay_url(piece) if replay_url is not None else None

    return {
        "subject": report.subject, "watchlist": report.watchlist, "queries": list(report.queries),
        "since": report.window.since, "until": report.window.until, "by": report.by, "period": report.period,
        "generated_at": report.generated_at, "previous_report_at": report.previous_report_at,
        "totals": report.totals, "breakdown": report.breakdown(), "outlets": report.outlets,
        "timeline": report.timeline, "authors": report.authors, "stories": report.stories,
        "new": None if report.new is None else [piece_row(p, link(p)) for p in report.new],
        "pieces": [piece_row(p, link(p)) for p in report.pieces],
    }

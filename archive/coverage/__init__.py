"""Press coverage: watchlists (named sets of queries kept in the archive), coverage reports (pieces,
stories, pickups per outlet, timeline, authors, first to publish, what is new since the last report)
rendered as HTML with charts, and per-outlet extraction health.

Charts need matplotlib (``pip install 'pressclips[reports]'``), imported only when one is drawn.
"""

from archive.coverage.health import HealthRule, WeekHealth, extraction_health, newest_flagged
from archive.coverage.links import replay_link
from archive.coverage.pieces import Piece, Window, collect_pieces, publication_day
from archive.coverage.report import BY_CHOICES, CoverageReport, build_report, report_document
from archive.coverage.watchlists import (
    WatchlistInfo,
    add_watchlist,
    find_watchlist,
    list_watchlists,
    mark_reported,
    remove_watchlist,
)

__all__ = [
    "BY_CHOICES",
    "CoverageReport",
    "HealthRule",
    "Piece",
    "WatchlistInfo",
    "WeekHealth",
    "Window",
    "add_watchlist",
    "build_report",
    "collect_pieces",
    "extraction_health",
    "find_watchlist",
    "list_watchlists",
    "mark_reported",
    "newest_flagged",
    "publication_day",
    "remove_watchlist",
    "replay_link",
    "report_document",
]

"""The report's figures and HTML from pieces alone (no database): ties, week buckets, many outlets in
the timeline chart, and hostile archived text, which must come out escaped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from archive.coverage.charts import MAX_SERIES, pickups_svg, timeline_svg
from archive.coverage.pieces import Piece
from archive.coverage.render_html import report_body, report_html
from archive.coverage.report import build_report, period_of

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)  # a Monday


def piece(article_id: int, outlet: str, when: datetime | None, story: int | None = None, *,
          title: str = "A title", authors: tuple[str, ...] = ("Ann Writer",), seen: datetime = T0) -> Piece:
    return Piece(article_id=article_id, outlet=outlet, title=title, url=f"https://{outlet}.example/{article_id}",
                 authors=authors, published_at=when, first_seen=seen, story=story or -article_id,
                 capture_url=f"https://{outlet}.example/{article_id}", captured_at=seen)


def test_first_to_publish_ties_and_undated_pieces() -> None:
    pieces = [piece(5, "b", T0, 9), piece(3, "a", T0, 9),  # a tie on the date: the lower article id is first
              piece(7, "c", None, 9, seen=T0 - timedelta(hours=1))]  # undated, but seen before both
    report = build_report(pieces, subject="x", queries=("x",), generated_at=T0)
    assert [(s["first_outlet"], s["first_article_id"], s["pickups"]) for s in report.stories] == [("c", 7, 3)]
    report = build_report(pieces[:2], subject="x", queries=("x",), generated_at=T0)
    assert report.stories[0]["first_article_id"] == 3
    assert report.totals["new"] is None and report.new is None  # a query has no report history


def test_long_spans_are_drawn_per_week_and_weeks_are_iso() -> None:
    pieces = [piece(i, "a", T0 + timedelta(days=3 * i)) for i in range(20)]  # 57 days
    report = build_report(pieces, subject="x", queries=("x",), generated_at=T0)
    assert report.period == "week" and report.timeline[0]["period"] == "2026-W02"
    assert sum(row["pieces"] for row in report.timeline) == 20
    assert period_of(datetime(2027, 1, 1).date(), "week") == ("2026-W53", datetime(2026, 12, 28).date())
    assert build_report(pieces, subject="x", queries=("x",), by="day", generated_at=T0).period == "day"


def test_many_outlets_stack_as_others_and_labels_stay_text() -> None:
    outlets = [f"outlet-{n}" for n in range(MAX_SERIES + 3)] + ["Ca$h $Money$"]
    pieces = [piece(i, name, T0 + timedelta(days=i % 5)) for i, name in enumerate(outlets * 2)]
    report = build_report(pieces, subject="x", queries=("x",), generated_at=T0)
    timeline = timeline_svg(report)
    assert timeline.startswith("<svg") and ">others<" in timeline
    assert "Ca$h $Money$" in pickups_svg(report)  # drawn as written, not as (broken) math


def test_hostile_archived_text_is_escaped() -> None:
    hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    pieces = [piece(1, "a", T0, title=hostile, authors=(hostile,)), piece(2, "a", T0 + timedelta(days=1))]
    report = build_report(pieces, subject=hostile, queries=(hostile,), watchlist="w", generated_at=T0)
    for page in (report_html(report, replay_base="http://127.0.0.1:8080"), report_body(report, replay_base="")):
        assert "<script" not in page and "<img" not in page and "&lt;script&gt;" in page
    body = report_body(report, replay_base="", charts=False, chart_note="No charts here.")
    assert "<svg" not in body and "No charts here." in body
    assert 'href="/20260105090000/https://a.example/2"' in body
    empty = build_report([], subject="nothing", queries=("nothing",), generated_at=T0)
    assert "No articles match." in report_body(empty, replay_base="") and "<svg" not in report_body(empty, replay_base="")

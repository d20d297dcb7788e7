"""A coverage report as HTML: one self-contained file (``report --html``), or the body of the replay
server's report page.

Self-contained means no network at all: styles inline, charts as inline SVG (``charts``), no
scripts, no web fonts, so the file opens offline and replays nothing live. Each piece links to its
replay URL (``links.replay_link``) on ``pressclips replay serve``. Every value from the archive is
escaped: archived titles and bylines are hostile input like any other.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from archive.coverage.charts import CHART_BACKGROUND, pickups_svg, timeline_svg
from archive.coverage.links import replay_link
from archive.coverage.pieces import Piece
from archive.coverage.report import CoverageReport

TOP_AUTHORS = 20
TOP_STORIES = 50
STYLE = f"""
body{{font:15px/1.45 system-ui,sans-serif;max-width:64rem;margin:1.5rem auto;padding:0 1rem;color:#222;
background:#fff}}
a{{color:#0645ad}} h1{{font-size:1.5rem;margin:.2rem 0}} h2{{font-size:1.15rem;margin:1.6rem 0 .5rem}}
.meta{{color:#555;font-size:.9rem}} .cards{{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}}
.card{{border:1px solid #ddd;border-radius:6px;padding:.4rem .9rem;min-width:6rem}}
.card b{{display:block;font-size:1.4rem}} figure{{margin:1rem 0;background:{CHART_BACKGROUND}}}
figure svg{{display:block;max-width:100%;height:auto}}
table{{border-collapse:collapse;width:100%}} td,th{{text-align:left;padding:.2rem .5rem;
border-bottom:1px solid #e3e3e3;vertical-align:top;font-size:.9rem}} td.n,th.n{{text-align:right}}
.note{{color:#666;font-style:italic}}
"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _when(value: datetime | date | str | None) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, (datetime, date)) else str(value)
    return esc(text.replace("T", " ")[:16])


def report_html(report: CoverageReport, *, replay_base: str, charts: bool = True) -> str:
    """The whole report as one HTML document (``--html FILE``)."""
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{esc(report.subject)} – coverage report</title><style>{STYLE}</style></head><body>"
            + report_body(report, replay_base=replay_base, charts=charts) + "</body></html>")


def report_body(report: CoverageReport, *, replay_base: str, charts: bool = True, chart_note: str = "") -> str:
    """The report's sections as an HTML fragment (the server wraps it in its own page)."""
    parts = [f"<h1>Coverage: {esc(report.subject)}</h1>", _subtitle(report), _cards(report)]
    if charts and report.pieces:
        parts.append(f'<figure id="chart-timeline">{timeline_svg(report)}</figure>')
        parts.append(f'<figure id="chart-pickups">{pickups_svg(report)}</figure>')
    elif chart_note:
        parts.append(f'<p class="note">{esc(chart_note)}</p>')
    if not report.pieces:
        parts.append("<p>No articles match.</p>")
        return "".join(parts)
    link = _linker(replay_base)
    parts.append("<h2>Pickups per outlet</h2>" + _table(
        ["outlet", "pieces", "stories", "first to publish"],
        [[esc(r["outlet"]), r["pieces"], r["stories"], r["first"]] for r in report.outlets], numeric={1, 2, 3}))
    parts.append(f"<h2>Timeline (per {esc(report.period)})</h2>" + _table(
        [report.period, "pieces", "stories", "by outlet"],
        [[esc(r["period"]), r["pieces"], r["stories"], esc(", ".join(f"{k} {v}" for k, v in r["by_outlet"].items()))]
         for r in report.timeline], numeric={1, 2}))
    if report.authors:
        parts.append("<h2>Top authors</h2>" + _table(
            ["author", "pieces", "outlets"],
            [[esc(r["author"]), r["pieces"], esc(", ".join(r["outlets"]))] for r in report.authors[:TOP_AUTHORS]],
            numeric={1}))
    by_id = {p.article_id: p for p in report.pieces}
    stories = report.stories[:TOP_STORIES]
    parts.append("<h2>First to publish, per story</h2>" + _table(
        ["pickups", "first outlet", "first published", "story (first piece)", "outlets"],
        [[r["pickups"], esc(r["first_outlet"]), _when(r["first_published"]),
          link(by_id[r["first_article_id"]]), esc(", ".join(r["outlets"]))] for r in stories], numeric={0}))
    if len(report.stories) > len(stories):
        parts.append(f'<p class="meta">the {len(stories)} largest of {len(report.stories)} stories</p>')
    if report.new is not None:
        since = (f"since the last report ({_when(report.previous_report_at)} UTC)" if report.previous_report_at
                 else "(first report of this watchlist: everything is new)")
        parts.append(f"<h2>New {since}: {len(report.new)}</h2>")
        if report.new:
            parts.append(_pieces_table(report.new, link))
    parts.append(f"<h2>All pieces ({len(report.pieces)})</h2>" + _pieces_table(
        sorted(report.pieces, key=lambda p: (p.when, p.article_id), reverse=True), link))
    return "".join(parts)


def _linker(replay_base: str) -> Callable[[Piece], str]:
    def link(piece: Piece) -> str:
        return f'<a href="{esc(replay_link(piece, replay_base))}">{esc(piece.title or piece.url)}</a>'

    return link


def _subtitle(report: CoverageReport) -> str:
    window = []
    if report.window.since:
        window.append(f"published from {_when(report.window.since)}")
    if report.window.until:
        window.append(f"before {_when(report.window.until)}")
    queries = " · ".join(f"<code>{esc(q)}</code>" for q in report.queries)
    kind = f"watchlist {esc(report.watchlist)}: " if report.watchlist else "query: "
    return (f'<p class="meta">{kind}{queries}' + (f" · {esc(', '.join(window))}" if window else "")
            + f" · generated {_when(report.generated_at)} UTC</p>")


def _cards(report: CoverageReport) -> str:
    totals = report.totals
    cards = [("pieces", totals["pieces"]), ("stories", totals["stories"]), ("outlets", totals["outlets"]),
             ("authors", totals["authors"])]
    if totals.get("new") is not None:
        cards.append(("new", totals["new"]))
    return '<div class="cards">' + "".join(f'<div class="card"><b>{v}</b>{esc(k)}</div>' for k, v in cards) + "</div>"


def _pieces_table(pieces: list[Piece], link: Callable[[Piece], str]) -> str:
    return _table(["published", "outlet", "title", "authors", "story"],
                  [[_when(p.published_at) or f"seen {_when(p.first_seen)}", esc(p.outlet), link(p),
                    esc(", ".join(p.authors)), p.story if p.story > 0 else ""] for p in pieces])


def _table(headers: list[str], rows: list[list[Any]], numeric: frozenset[int] | set[int] = frozenset()) -> str:
    def cell(tag: str, index: int, value: Any) -> str:
        return f"<{tag}{' class=n' if index in numeric else ''}>{value}</{tag}>"

    head = "<tr>" + "".join(cell("th", i, esc(h)) for i, h in enumerate(headers)) + "</tr>"
    body = "".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows)
    return f"<table>{head}{body}</table>"

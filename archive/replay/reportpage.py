"""The replay server's coverage report page: ``/report?w=NAME`` (a watchlist) or ``/report?q=QUERY``,
with ``since``/``until`` (publication dates, ``until`` inclusive of its day) and ``by``.

The same report as ``pressclips report --html`` (``archive.coverage.render_html``), with links
relative to this server. It only reads: viewing it does not count as the watchlist's "last
report". Without matplotlib the page shows the tables and says how to get the charts.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from urllib.parse import parse_qs

from sqlalchemy import Engine

from archive.coverage.report import BY_CHOICES
from archive.errors import ConfigError
from archive.replay.responses import Response, html_response
from archive.times import parse_user_date, utcnow


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


class ReportPage:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def render(self, query_string: str) -> Response:
        try:
            params = {k: v[0][:500] for k, v in parse_qs(query_string, errors="strict", max_num_fields=10).items()}
        except (UnicodeDecodeError, ValueError):
            raise ConfigError("the query string is not valid UTF-8 form data") from None
        from archive.coverage.watchlists import list_watchlists

        watchlists = list_watchlists(self.engine)
        form = self._form(params, [w.name for w in watchlists])
        if not params.get("w") and not params.get("q", "").strip():
            return html_response(self._page("Coverage report", form + "<p>Pick a watchlist or type a query.</p>"))
        try:
            body = self._report(params)
            status = 200
        except ConfigError as exc:
            body, status = f'<p class="error">{_esc(exc)}</p>', 400
        return html_response(self._page("Coverage report", form + body), status)

    def _report(self, params: dict[str, str]) -> str:
        from archive.coverage import Window, build_report, collect_pieces, find_watchlist
        from archive.coverage.render_html import report_body

        by = params.get("by") or "outlet"
        if by not in BY_CHOICES:
            raise ConfigError(f"by must be one of {', '.join(BY_CHOICES)}")
        window = Window(_date(params.get("since"), "since"), _date(params.get("until"), "until", end=True))
        name = params.get("w", "").strip()
        watchlist = find_watchlist(self.engine, name) if name else None
        if name and watchlist is None:
            raise ConfigError(f"no watchlist named {name!r}")
        queries = watchlist.queries if watchlist else (params.get("q", "").strip(),)
        generated_at = utcnow()
        pieces = collect_pieces(self.engine, queries, window)
        report = build_report(pieces, subject=watchlist.name if watchlist else queries[0], queries=queries, by=by,
                              watchlist=watchlist.name if watchlist else None, window=window,
                              generated_at=generated_at,
                              previous_report_at=watchlist.last_report_at if watchlist else None)
        try:
            from archive.coverage.charts import require_matplotlib

            require_matplotlib()
            charts, note = True, ""
        except ConfigError as exc:
            charts, note = False, f"No charts: {exc} ({exc.hint})."
        return report_body(report, replay_base="", charts=charts, chart_note=note)

    @staticmethod
    def _form(params: dict[str, str], names: list[str]) -> str:
        chosen = params.get("w", "")
        options = "".join(f'<option value="{_esc(n)}"{" selected" if n == chosen else ""}>{_esc(n)}</option>'
                          for n in names)
        by_options = "".join(f'<option{" selected" if b == params.get("by") else ""}>{b}</option>'
                             for b in BY_CHOICES)
        return ('<form action="/report" method="get" class="meta">'
                f'watchlist <select name="w"><option value="">(none)</option>{options}</select> '
                f'or query <input type="search" name="q" value="{_esc(params.get("q", ""))}"> '
                f'published from <input type="date" name="since" value="{_esc(params.get("since", ""))}"> '
                f'to <input type="date" name="until" value="{_esc(params.get("until", ""))}"> '
                f'by <select name="by">{by_options}</select> <button>Report</button></form>')

    @staticmethod
    def _page(title: str, body: str) -> str:
        from archive.coverage.render_html import STYLE

        return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
                f"<title>{_esc(title)}</title><style>{STYLE}</style></head><body>"
                '<p class="meta"><a href="/">search the archive</a></p>' + body + "</body></html>")


def _date(value: str | None, name: str, *, end: bool = False) -> datetime | None:
    """A form date (``YYYY-MM-DD`` or any date the CLI takes); ``end`` makes a bare day inclusive."""
    if not value or not value.strip():
        return None
    try:
        when = parse_user_date(value)
    except ValueError:
        raise ConfigError(f"{name}: not a date: {value[:40]!r}") from None
    return when + timedelta(days=1) if end and len(value.strip()) == 10 else when

"""The replay server's own pages: a search box with results, and one page per article listing its
versions and captures, each capture linking to its replay URL.

Search and article data come from ``archive.query.articles`` (``search``, ``article_detail``); this module
only renders. Every value from the archive goes through ``html.escape`` (archived titles and
URLs are hostile input like any other), pages carry no script, and search highlights are turned
into ``<mark>`` only after escaping.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

from sqlalchemy import Engine

from archive.errors import ConfigError
from archive.replay.lookup import CaptureNotFound
from archive.replay.responses import Response, html_response, replay_path
from archive.replay.storypage import story_section
from archive.replay.target import timestamp14
from archive.times import parse_user_date

PAGE_SIZE = 20
FILTER_FIELDS = ("outlet", "author", "language", "published_from", "published_to")
_STYLE = """
body{font:16px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
a{color:#0645ad} h1 a{color:inherit;text-decoration:none} mark{background:#ffe58a}
form{margin:1rem 0} input[type=search]{width:70%;font-size:1rem;padding:.3rem}
.hit{margin:1.2rem 0} .meta{color:#666;font-size:.9rem} table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #ddd;vertical-align:top;font-size:.92rem}
.facets a{margin-right:.8rem} .error{color:#a00} pre{white-space:pre-wrap}
"""


def search_filters(filters: dict[str, str]) -> Any:
    """The search page's filters as ``SearchFilters``; dates as the CLI takes them, ``published_to``
    inclusive of its day (what a date picker means). A malformed date is a ``ConfigError`` (HTTP 400)."""
    from archive.query.search import SearchFilters

    dates: dict[str, datetime | None] = {}
    for name in ("published_from", "published_to"):
        value = filters.get(name, "")
        try:
            dates[name] = parse_user_date(value) if value else None
        except ValueError:
            raise ConfigError(f"{name.replace('_', ' ')}: not a date: {value[:40]!r}") from None
    if dates["published_to"] is not None and len(filters["published_to"]) == 10:
        dates["published_to"] += timedelta(days=1)
    return SearchFilters(outlet=filters.get("outlet") or None, author=filters.get("author") or None,
                         language=filters.get("language") or None, published_from=dates["published_from"],
                         published_to=dates["published_to"])


def report_params(q: str, filters: dict[str, str]) -> dict[str, str]:
    """The coverage report of this search: its query and publication window (the report page's own form
    takes it from there)."""
    window = {"since": filters.get("published_from", ""), "until": filters.get("published_to", "")}
    return {"q": q, **{k: v for k, v in window.items() if v}}


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _page(title: str, body: str) -> str:
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>"
            '<h1><a href="/">pressclips archive</a></h1>' + body + "</body></html>")


def _when(value: str | datetime | None) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return esc(text.replace("T", " ")[:19])


def _ts(value: str | datetime) -> str:
    return timestamp14(datetime.fromisoformat(value) if isinstance(value, str) else value)


class ArchivePages:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def index(self, query_string: str) -> Response:
        try:
            params = parse_qs(query_string, errors="strict", max_num_fields=20)
        except (UnicodeDecodeError, ValueError):
            raise ConfigError("the query string is not valid UTF-8 form data") from None
        q = params.get("q", [""])[0][:500]
        filters = {name: params.get(name, [""])[0][:200].strip() for name in FILTER_FIELDS}
        page_text = params.get("page", ["1"])[0]
        page = int(page_text) if page_text.isdigit() and 0 < int(page_text) <= 10_000 else 1
        form = ('<form action="/" method="get"><input type="search" name="q" value="' + esc(q)
                + '" placeholder="words, &quot;a phrase&quot;, -exclude, OR" autofocus> '
                + (f'<input type="hidden" name="outlet" value="{esc(filters["outlet"])}">' if filters["outlet"] else "")
                + "<button>Search</button><div class=meta>"
                + f'author <input name="author" size=14 value="{esc(filters["author"])}"> '
                + f'language <input name="language" size=4 value="{esc(filters["language"])}"> '
                + f'published from <input type="date" name="published_from" value="{esc(filters["published_from"])}"> '
                + f'to <input type="date" name="published_to" value="{esc(filters["published_to"])}"> '
                + (f'· <a href="/report?{esc(urlencode(report_params(q, filters)))}">coverage report</a>'
                   if q.strip() else "")
                + "</div></form>")
        try:
            body = self._results(q, filters, page)
            status = 200
        except ConfigError as exc:  # a query the syntax cannot use: say so on the page
            body, status = f'<p class="error">{esc(exc)}</p>', 400
        return html_response(_page(f"{q} – pressclips" if q else "pressclips archive", form + body), status)

    def _results(self, q: str, filters: dict[str, str], page: int) -> str:
        from archive.query.search import HIGHLIGHT, search

        outlet = filters["outlet"] or None
        result = search(self.engine, q, search_filters(filters), limit=PAGE_SIZE,
                        offset=(page - 1) * PAGE_SIZE, facets=True)
        start, end = HIGHLIGHT
        heading = (f"{result.total}{'+' if result.total_capped else ''} articles" if q
                   else "Newest articles")
        parts = [f"<p class=meta>{esc(heading)}" + (f" from {esc(outlet)}" if outlet else "") + "</p>"]
        base = {"q": q, **{k: v for k, v in filters.items() if v}}
        outlets = result.facets.get("outlet", {}) if result.facets else {}
        if outlets:
            links = [f'<a href="/?{esc(urlencode({**base, "outlet": name}))}">{esc(name)} ({n})</a>'
                     for name, n in sorted(outlets.items(), key=lambda kv: (-kv[1], kv[0]))]
            parts.append('<p class="facets meta">Outlets: ' + "".join(links) + "</p>")
        for hit in result.hits:
            snippet = esc(hit.snippet).replace(esc(start), "<mark>").replace(esc(end), "</mark>")
            edited = f" · {hit.versions} versions" if hit.versions > 1 else ""
            parts.append(
                f'<div class=hit><a href="/article/{hit.article_id}">{esc(hit.title or hit.url)}</a>'
                f'<div class=meta>{esc(hit.outlet)} · published {_when(hit.published_at) or "unknown"} · '
                f"first seen {_when(hit.first_seen)}{edited}</div>"
                f"<div>{snippet}</div></div>")
        if not result.hits:
            parts.append("<p>Nothing found.</p>")
        nav = []
        if page > 1:
            nav.append(f'<a href="/?{esc(urlencode({**base, "page": page - 1}))}">Previous</a>')
        if page * PAGE_SIZE < result.total:
            nav.append(f'<a href="/?{esc(urlencode({**base, "page": page + 1}))}">Next</a>')
        if nav:
            parts.append("<p>" + " · ".join(nav) + "</p>")
        return "".join(parts)

    def not_archived(self, url: str, at: datetime | None) -> Response:
        """404 for a URL the archive does not hold: names it, offers the captures nearest to it
        (same host, closest in time), and never fetches anything from the live web."""
        from archive.replay.context import nearby

        links = nearby(self.engine, url, at)
        wanted = f" near {_when(at)} UTC" if at is not None else ""
        rows = "".join(f'<li><a href="{esc(replay_path(c.timestamp, c.url))}">{esc(c.url)}</a> '
                       f"<span class=meta>{_when(c.fetched_at)} UTC · {esc(c.status)} · {esc(c.kind or '')}</span></li>"
                       for c in links)
        offer = (f"<p>Nearest captures on the same host:</p><ul>{rows}</ul>" if links
                 else "<p>The archive holds nothing from this host.</p>")
        body = (f"<h2>Not archived</h2><p>The archive holds no capture of <code>{esc(url)}</code>{wanted}. "
                "Nothing was fetched from the live web.</p>" + offer)
        return html_response(_page(f"Not archived: {url}", body), 404)

    def article(self, article_id: int) -> Response:
        from archive.query.detail import article_detail

        detail = article_detail(self.engine, article_id)
        if detail is None:
            raise CaptureNotFound(f"no article {article_id}")
        captures = detail["captures"]
        by_id = {c["id"]: c for c in captures}
        rows = []
        for c in captures:
            link = replay_path(_ts(c["fetched_at"]), c["url"])
            rows.append(f'<tr><td><a href="{esc(link)}">{_when(c["fetched_at"])}</a></td><td>{esc(c["status"])}</td>'
                        f'<td>{esc(c["kind"])}</td><td>{esc(c["url"])}</td></tr>')
        versions = []
        for v in detail["versions"]:
            cap = by_id.get(v["capture_id"])
            seen = _when(v["first_seen"])
            if cap is not None:
                seen = f'<a href="{esc(replay_path(_ts(cap["fetched_at"]), cap["url"]))}">{seen}</a>'
            changes = ", ".join(v["changes"] or []) or ("first version" if v is detail["versions"][0] else "")
            versions.append(f"<tr><td>{seen}</td><td>{esc(v['title'])}{' (current)' if v['current'] else ''}</td>"
                            f"<td>{esc(changes)}</td><td>{esc(v['chars'])}</td></tr>")
        latest = (f'<a href="{esc(replay_path(_ts(captures[0]["fetched_at"]), captures[0]["url"]))}">'
                  "as archived (latest capture)</a>") if captures else "no capture"
        more = (f"<p class=meta>showing the newest {len(captures)} of {detail['captures_total']} captures</p>"
                if detail["captures_total"] > len(captures) else "")
        body = (
            f"<h2>{esc(detail['title'] or detail['url'])}</h2>"
            f"<p class=meta>{esc(detail['outlet'])} · {esc(', '.join(detail['authors']))} · published "
            f"{_when(detail['published']) or 'unknown'} · first seen {_when(detail['first_seen'])} · last seen "
            f"{_when(detail['last_seen'])}{' · gone' if detail['gone'] else ''}</p>"
            f"<p>{esc(detail['url'])} — {latest}</p>"
            "<h3>Versions</h3><table><tr><th>first seen</th><th>title</th><th>changes</th><th>chars</th></tr>"
            + "".join(versions) + "</table>" + story_section(detail.get("story")) +
            "<h3>Captures</h3><table><tr><th>fetched</th><th>status</th><th>kind</th><th>URL</th></tr>"
            + "".join(rows) + "</table>" + more
            + (f"<h3>Text</h3><pre>{esc(detail['text'])}</pre>" if detail.get("text") else ""))
        return html_response(_page(detail["title"] or detail["url"], body))

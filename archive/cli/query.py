"""The read commands: ``search``, ``show``, ``export`` and ``outlets`` (registered by ``register``).

Tables for people, ``--json``/``--csv``/``--jsonl`` for scripts, ``--show-sql`` to see the SQL that
runs (on stderr). Every error is one line with a hint (``friendly``). Export streams in every format,
JSON included (``[``, rows, ``]`` written as they come), so memory stays flat on any archive size.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import click

from archive.cli.kit import (
    archive_option,
    database_option,
    friendly,
    open_archive,
    parse_when,
    print_table,
)
from archive.errors import ConfigError

HIT_FIELDS = ("id", "title", "url", "outlet", "published", "first_seen", "rank", "versions", "snippet")
_DATE_ONLY = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


# -- shared options ------------------------------------------------------------------------------
def filter_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The search filters as options, in the order they appear in --help."""
    options = [
        click.option("--outlet", default=None, help="Only this outlet (name, case-insensitive)."),
        click.option("--author", default=None, help="Only articles with an author containing this text."),
        click.option("--published-from", default=None, metavar="DATE", help="Published on or after DATE."),
        click.option("--published-to", default=None, metavar="DATE",
                     help="Published up to DATE (a date without time includes that whole day, month or year)."),
        click.option("--seen-from", "--since", "seen_from", default=None, metavar="DATE",
                     help="First seen on or after DATE (--since is the same)."),
        click.option("--seen-to", default=None, metavar="DATE", help="First seen up to DATE (inclusive, as above)."),
        click.option("--language", default=None, help="Language code; 'en' also matches 'en-GB'."),
        click.option("--edited/--unedited", "has_versions", default=None,
                     help="Only articles with more than one version / with exactly one."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _until(value: str | None, option: str) -> datetime | None:
    """An inclusive upper bound as an exclusive datetime: 2026-11-30 means up to the end of that day."""
    when = parse_when(value, option)
    if when is None or value is None or not _DATE_ONLY.match(value.strip()):
        return when
    parts = value.strip().count("-")
    if parts == 2:
        return when + timedelta(days=1)
    if parts == 1:
        return when.replace(year=when.year + (when.month == 12), month=when.month % 12 + 1)
    return when.replace(year=when.year + 1)


def build_filters(outlet: str | None, author: str | None, published_from: str | None, published_to: str | None,
                  seen_from: str | None, seen_to: str | None, language: str | None,
                  has_versions: bool | None) -> Any:
    from archive.query.search import SearchFilters

    flt = SearchFilters(
        outlet=outlet, author=author or None, language=language or None, has_versions=has_versions,
        published_from=parse_when(published_from, "--published-from"),
        published_to=_until(published_to, "--published-to"),
        seen_from=parse_when(seen_from, "--seen-from/--since"), seen_to=_until(seen_to, "--seen-to"))
    for low, high, name in ((flt.published_from, flt.published_to, "--published"),
                            (flt.seen_from, flt.seen_to, "--seen")):
        if low is not None and high is not None and low >= high:
            raise ConfigError(f"{name}-from {low.date()} is not before {name}-to",
                              hint="swap the two dates")
    return flt


def format_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--jsonl", "fmt", flag_value="jsonl", help="JSON lines, one row per line.")(fn)
    fn = click.option("--csv", "fmt", flag_value="csv", help="CSV with a header row.")(fn)
    fn = click.option("--json", "fmt", flag_value="json", help="One JSON document.")(fn)
    return fn


show_sql_option = click.option("--show-sql", is_flag=True, help="Print the SQL that runs to stderr.")


def echo_sql(engine: Any) -> None:
    """Print every statement the engine runs to stderr, with literal values where they can be rendered."""
    from sqlalchemy import event

    def before_execute(conn: Any, clauseelement: Any, multiparams: Any, params: Any, _options: Any) -> None:
        try:
            sql = str(clauseelement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        except Exception:  # noqa: BLE001 - a value without a literal form: show placeholders and values
            sql = str(clauseelement.compile(dialect=conn.dialect))
            values = multiparams or params
            if values:
                sql += f"\n-- parameters: {values!r}"
        click.echo(sql.strip() + ";", err=True)

    event.listen(engine, "before_execute", before_execute)


# -- output --------------------------------------------------------------------------------------
def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def write_rows(out: IO[str], rows: Iterable[dict[str, Any]], fmt: str, fields: list[str],
               flatten: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> int:
    """Stream rows as jsonl, json (an array written incrementally) or csv; returns the row count."""
    n = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(flatten(row) if flatten else row)
            n += 1
        return n
    if fmt == "json":
        out.write("[")
    for row in rows:
        text = json.dumps(row, ensure_ascii=False, default=_jsonable)
        if fmt == "json":
            out.write(("\n" if n == 0 else ",\n") + text)
        else:
            out.write(text + "\n")
        n += 1
    if fmt == "json":
        out.write("\n]\n" if n else "]\n")
    return n


def _bold_highlights(snippet: str) -> str:
    from archive.query.search import HIGHLIGHT

    if not sys.stdout.isatty():
        return snippet
    return snippet.replace(HIGHLIGHT[0], "\x1b[1m").replace(HIGHLIGHT[1], "\x1b[0m")


def _hit_row(hit: Any) -> dict[str, Any]:
    row = asdict(hit)
    row["id"] = row.pop("article_id")
    row["published"] = _jsonable(row.pop("published_at"))
    row["first_seen"] = _jsonable(row["first_seen"])
    return {k: row[k] for k in HIT_FIELDS}


# -- commands ------------------------------------------------------------------------------------
@click.command("search")
@click.argument("query", required=False, default="")
@filter_options
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="Hits per page.")
@click.option("--offset", type=click.IntRange(0), default=0, help="Skip this many hits (paging).")
@click.option("--no-facets", is_flag=True, help="Skip the per-outlet and per-month counts.")
@format_options
@show_sql_option
@archive_option
@database_option
@friendly
def search_command(query: str, limit: int, offset: int, no_facets: bool, fmt: str | None, show_sql: bool,
                   archive_dir: Path | None, database_url: str | None, **filters: Any) -> None:
    """Full-text search: words (all must occur), "phrases", -exclude, OR.

    Ranked, with the matching words marked in a snippet. Without QUERY, lists the articles matching
    the filters, newest first. Quote the whole query; one that starts with '-' goes after '--'.
    Example: pressclips search '"all of us strangers" -trailer' --since 2026-10
    """
    from archive.query.search import search

    flt = build_filters(**filters)
    _config, engine = open_archive(archive_dir, database_url)
    try:
        if show_sql:
            echo_sql(engine)
        result = search(engine, query, flt, limit=limit, offset=offset, facets=not no_facets)
    finally:
        engine.dispose()
    rows = [_hit_row(h) for h in result.hits]
    if fmt == "json":
        click.echo(json.dumps({"query": query, "total": result.total, "total_capped": result.total_capped,
                               "offset": offset, "hits": rows, "facets": result.facets}, ensure_ascii=False, indent=2))
        return
    if fmt:
        write_rows(sys.stdout, rows, fmt, list(HIT_FIELDS))
        return
    more = "+" if result.total_capped else ""
    if not rows:
        click.echo(f"no results ({result.total}{more} matches)" if offset else "no results")
        return
    click.echo(f"{result.total}{more} results, showing {offset + 1}–{offset + len(rows)}")
    for row in rows:
        date = (row["published"] or row["first_seen"] or "")[:10]
        click.echo(f"\n{row['id']:>7}  {date}  {row['outlet'] or '-'}  {row['title'] or '(no title)'}")
        click.echo(f"         {row['url']}" + (f"  ({row['versions']} versions)" if row["versions"] > 1 else ""))
        if row["snippet"]:
            click.echo(f"         {_bold_highlights(row['snippet'])}")
    for name, counts in result.facets.items():
        if counts:
            top = list(counts.items())[:8]
            click.echo(f"\nby {name}: " + ", ".join(f"{k} {v}" for k, v in top) + (" …" if len(counts) > 8 else ""))


def _article_id(value: str) -> int:
    if not value.strip().isdigit() or int(value) < 1:
        raise ConfigError(f"not an article id: {value!r}", hint="ids are the numbers 'pressclips search' prints")
    return int(value)


@click.command("show")
@click.argument("article_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@click.option("--no-text", is_flag=True, help="Leave out the article text.")
@show_sql_option
@archive_option
@database_option
@friendly
def show_command(article_id: str, as_json: bool, no_text: bool, show_sql: bool, archive_dir: Path | None,
                 database_url: str | None) -> None:
    """One article: metadata, versions, URLs, captures (with WARC pointers) and its current text."""
    from archive.query.detail import article_detail

    wanted = _article_id(article_id)
    _config, engine = open_archive(archive_dir, database_url)
    try:
        if show_sql:
            echo_sql(engine)
        detail = article_detail(engine, wanted)
    finally:
        engine.dispose()
    if detail is None:
        raise ConfigError(f"no article with id {wanted}", hint="find ids with 'pressclips search'")
    if no_text:
        detail.pop("text")
    if as_json:
        click.echo(json.dumps(detail, ensure_ascii=False, indent=2))
        return
    click.echo(f"article {detail['id']}: {detail['title'] or '(no title)'}")
    for label, key in (("url", "url"), ("outlet", "outlet"), ("authors", "authors"), ("published", "published"),
                       ("language", "language"), ("first seen", "first_seen"), ("last seen", "last_seen")):
        value = detail[key]
        click.echo(f"  {label + ':':<12}{', '.join(value) if isinstance(value, list) else (value or '-')}")
    if detail["gone"]:
        click.echo(f"  {'gone:':<12}{detail['gone_at'] or 'yes'}")
    click.echo(f"\nversions ({len(detail['versions'])}):")
    print_table([{**v, "current": "*" if v["current"] else "", "changes": ",".join(v["changes"])}
                 for v in detail["versions"]], ["id", "current", "first_seen", "last_seen", "chars", "changes", "title"])
    click.echo(f"\nurls ({len(detail['urls'])}):")
    print_table(detail["urls"], ["url", "discovered_via", "last_status", "last_fetched_at"])
    click.echo(f"\ncaptures ({len(detail['captures'])} of {detail['captures_total']}):")
    print_table([{**c, "warc": f"{c['warc']['file']}:{c['warc']['offset']}:{c['warc']['length']}"}
                 for c in detail["captures"]], ["id", "fetched_at", "status", "kind", "version_id", "warc"])
    if not no_text:
        click.echo("\ntext:\n" + (detail["text"] or ""))


def _flat_export(row: dict[str, Any]) -> dict[str, Any]:
    flat = dict(row)
    flat["urls"] = " ".join(row["urls"])
    flat["authors"] = "; ".join(row["authors"])
    warc = row["warc"]
    flat["warc"] = "" if not warc else f"{warc['file']}:{warc['offset']}:{warc['length']}"
    return flat


@click.command("export")
@click.argument("query", required=False, default="")
@filter_options
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "json"]), default="jsonl", show_default=True)
@click.option("--limit", type=click.IntRange(1), default=None, help="At most this many articles.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of stdout.")
@show_sql_option
@archive_option
@database_option
@friendly
def export_command(query: str, fmt: str, limit: int | None, output: Path | None, show_sql: bool,
                   archive_dir: Path | None, database_url: str | None, **filters: Any) -> None:
    """Export articles (current version) as JSON lines, CSV or JSON, streamed, in id order.

    Takes the same filters as search, and optionally a search QUERY (then only matching articles).
    CSV joins lists: urls with spaces, authors with '; ', warc as FILE:OFFSET:LENGTH.
    """
    from archive.db.session import reading
    from archive.query.articles import EXPORT_FIELDS, ArticleFilter, iter_articles
    from archive.query.search import article_condition

    flt = build_filters(**filters)
    _config, engine = open_archive(archive_dir, database_url)
    try:
        with reading(engine, "preparing the export") as session:
            where = article_condition(engine, session, query, flt)  # resolves the outlet: errors come first
        if show_sql:
            echo_sql(engine)
        rows: Iterator[dict[str, Any]] = iter_articles(engine, ArticleFilter(limit=limit), where=where)
        with open(output, "w", encoding="utf-8", newline="") if output else nullcontext(sys.stdout) as out:
            write_rows(out, rows, fmt, [*EXPORT_FIELDS, "gone"], _flat_export)
    finally:
        engine.dispose()


@click.command("outlets")
@format_options
@show_sql_option
@archive_option
@database_option
@friendly
def outlets_command(fmt: str | None, show_sql: bool, archive_dir: Path | None, database_url: str | None) -> None:
    """Outlets in the archive with their article, version and capture counts."""
    from archive.query.articles import outlet_stats

    _config, engine = open_archive(archive_dir, database_url)
    try:
        if show_sql:
            echo_sql(engine)
        rows = outlet_stats(engine)
    finally:
        engine.dispose()
    columns = ["outlet", "articles", "versions", "captures", "not_articles", "last_capture"]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt:
        write_rows(sys.stdout, rows, fmt, columns)
    elif not rows:
        click.echo("no outlets yet")
    else:
        print_table(rows, columns)


def register(group: click.Group) -> None:
    for command in (search_command, show_command, export_command, outlets_command):
        group.add_command(command)

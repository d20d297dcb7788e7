"""The article commands: ``search``, ``show``, ``export``, ``versions`` and ``diff`` (registered by
``register``).

Tables for people, ``--json``/``--csv``/``--jsonl`` for scripts (``archive.cli.output``),
``--show-sql`` to see the SQL that runs (on stderr). All three open the archive read-only. Export
streams in every format, and ``-o`` writes its file atomically (``archive.atomic``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from archive.cli.kit import (
    ARTICLE_ID,
    OFFSET,
    VERSION_NUMBER,
    archive_option,
    database_option,
    friendly,
    open_archive,
    parse_until,
    parse_when,
    retired_option,
)
from archive.cli.kit import limit as limit_type
from archive.cli.output import (
    Listing,
    echo_sql,
    output_options,
    print_table,
    render,
    show_sql_option,
)
from archive.errors import ConfigError, NotFoundError

HIT_FIELDS = ("id", "title", "url", "outlet", "published", "first_seen", "rank", "versions", "snippet")
_DATE_ONLY = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


# -- shared options ------------------------------------------------------------------------------
def filter_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The search filters as options, in the order they appear in --help. Each date option names
    the date it filters; the old --since/--until (which meant first seen here, but publication in
    crawl and capture in export-wacz) are refused with the new name."""
    options = [
        click.option("--outlet", default=None, help="Only this outlet (name, case-insensitive)."),
        click.option("--author", default=None, help="Only articles with an author containing this text."),
        click.option("--published-since", "--published-from", "published_since", default=None, metavar="DATE",
                     help="Published on or after DATE: ISO 8601 (2026-11-01, 2026-11) or relative (7d, 2w, 3m, "
                          "1y, 12h, today, yesterday)."),
        click.option("--published-until", "--published-to", "published_until", default=None, metavar="DATE",
                     help="Published up to DATE (a date without time includes that whole day, month or year)."),
        click.option("--seen-since", "--seen-from", "seen_since", default=None, metavar="DATE",
                     help="First seen by the crawler on or after DATE."),
        click.option("--seen-until", "--seen-to", "seen_until", default=None, metavar="DATE",
                     help="First seen up to DATE (inclusive, as above)."),
        retired_option("--since", "--seen-since (first seen, as --since was) or --published-since"),
        retired_option("--until", "--seen-until (first seen) or --published-until"),
        click.option("--language", default=None, help="Language code; 'en' also matches 'en-GB'."),
        click.option("--edited/--unedited", "has_versions", default=None,
                     help="Only articles with more than one version / with exactly one."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def build_filters(outlet: str | None, author: str | None, published_since: str | None,
                  published_until: str | None, seen_since: str | None, seen_until: str | None,
                  language: str | None, has_versions: bool | None) -> Any:
    from archive.query.search import SearchFilters

    flt = SearchFilters(
        outlet=outlet, author=author or None, language=language or None, has_versions=has_versions,
        published_from=parse_when(published_since, "--published-since"),
        published_to=parse_until(published_until, "--published-until"),
        seen_from=parse_when(seen_since, "--seen-since"), seen_to=parse_until(seen_until, "--seen-until"))
    for low, high, name in ((flt.published_from, flt.published_to, "--published"),
                            (flt.seen_from, flt.seen_to, "--seen")):
        if low is not None and high is not None and low >= high:
            raise ConfigError(f"{name}-since {low.date()} is not before {name}-until",
                              hint="swap the two dates")
    return flt


def query_text(words: tuple[str, ...]) -> str:
    """The QUERY arguments as one query: ``pressclips search climate warming`` is 'climate warming'."""
    return " ".join(words)


def warn_about(warnings: tuple[str, ...]) -> None:
    for warning in warnings:
        click.echo(f"pressclips: warning: {warning}", err=True)


def _bold_highlights(snippet: str) -> str:
    from archive.query.search import HIGHLIGHT

    if not sys.stdout.isatty():
        return snippet
    return snippet.replace(HIGHLIGHT[0], "\x1b[1m").replace(HIGHLIGHT[1], "\x1b[0m")


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _hit_row(hit: Any) -> dict[str, Any]:
    row = asdict(hit)
    row["id"] = row.pop("article_id")
    row["published"] = _iso(row.pop("published_at"))
    row["first_seen"] = _iso(row["first_seen"])
    return {k: row[k] for k in HIT_FIELDS}


# -- commands ------------------------------------------------------------------------------------
@click.command("search")
@click.argument("words", nargs=-1, metavar="[QUERY]...")
@filter_options
@click.option("--limit", type=limit_type(1000), default=20, show_default=True, help="Hits per page (1-1000).")
@click.option("--offset", type=OFFSET, default=0, help="Skip this many hits (paging).")
@click.option("--no-facets", is_flag=True, help="Skip the per-outlet and per-month counts.")
@output_options()
@show_sql_option
@archive_option
@database_option
@friendly
def search_command(words: tuple[str, ...], limit: int, offset: int, no_facets: bool, fmt: str, show_sql: bool,
                   archive_dir: Path | None, database_url: str | None, **filters: Any) -> None:
    """Full-text search: words (all must occur), "phrases", prefix*, -exclude or NOT, OR, (groups),
    title:, author:, outlet: (see README "Search syntax").

    Ranked, with the matching words marked in a snippet. Chinese, Japanese and Korean terms match
    as substrings. Without QUERY, lists the articles matching the filters, newest first. Unquoted
    words are one query; quote phrases for the shell ('"red carpet"'); a query starting with '-'
    goes after '--'. Syntax read as plain words is reported as a warning on stderr. --json adds the
    total and the facets; --jsonl and --csv give one row per hit.

    \b
    Examples:
      pressclips search climate warming --published-since 7d
      pressclips search '"all of us strangers" -trailer' --seen-since 2026-10
      pressclips search '(stone OR gosling) NOT trailer' title:lanthimos outlet:variety
      pressclips search venice --outlet variety --limit 50 --jsonl
    """
    from archive.query.search import parse_query, search

    query = query_text(words)
    flt = build_filters(**filters)
    parsed = parse_query(query)  # syntax errors before the archive is opened
    if parsed is not None:
        warn_about(parsed.warnings)
    with open_archive(archive_dir, database_url) as archive:
        if show_sql:
            echo_sql(archive.engine)
        result = search(archive.engine, parsed or "", flt, limit=limit, offset=offset, facets=not no_facets)
    rows = [_hit_row(h) for h in result.hits]
    document = {"query": query, "warnings": list(result.warnings), "total": result.total,
                "total_capped": result.total_capped,
                "offset": offset, "hits": rows, "facets": result.facets}
    render(Listing(rows, HIT_FIELDS, document=document, table=lambda: _hits_table(result, rows, offset)), fmt)


def _hits_table(result: Any, rows: list[dict[str, Any]], offset: int) -> None:
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


@click.command("show")
@click.argument("article_id", metavar="ID", type=ARTICLE_ID)
@output_options()
@click.option("--no-text", is_flag=True, help="Leave out the article text.")
@show_sql_option
@archive_option
@database_option
@friendly
def show_command(article_id: int, fmt: str, no_text: bool, show_sql: bool, archive_dir: Path | None,
                 database_url: str | None) -> None:
    """One article: metadata, versions, URLs, captures (with WARC pointers) and its current text.

    --json gives the whole record; --jsonl and --csv give one row per version.

    \b
    Examples:
      pressclips show 42
      pressclips show 42 --json --no-text
    """
    from archive.query.detail import article_detail

    with open_archive(archive_dir, database_url) as archive:
        if show_sql:
            echo_sql(archive.engine)
        detail = article_detail(archive.engine, article_id)
    if detail is None:
        raise NotFoundError(f"no article with id {article_id}", hint="find ids with 'pressclips search'")
    if no_text:
        detail.pop("text")
    versions = [{"article_id": detail["id"], **v} for v in detail["versions"]]
    columns = ["article_id", *(detail["versions"][0].keys() if detail["versions"] else ["id"])]
    render(Listing(versions, columns, document=detail, table=lambda: _detail_table(detail, no_text)), fmt)


def _detail_table(detail: dict[str, Any], no_text: bool) -> None:
    click.echo(f"article {detail['id']}: {detail['title'] or '(no title)'}")
    for label, key in (("url", "url"), ("outlet", "outlet"), ("authors", "authors"), ("published", "published"),
                       ("language", "language"), ("first seen", "first_seen"), ("last seen", "last_seen")):
        value = detail[key]
        click.echo(f"  {label + ':':<12}{', '.join(value) if isinstance(value, list) else (value or '-')}")
    if detail["gone"]:
        click.echo(f"  {'gone:':<12}{detail['gone_at'] or 'yes'}")
    click.echo(f"\nversions ({len(detail['versions'])}):")
    print_table([{**v, "current": "*" if v["current"] else "", "changes": ",".join(v["changes"])}
                 for v in detail["versions"]],
                ["id", "current", "first_seen", "last_seen", "chars", "changes", "title"])
    click.echo(f"\nurls ({len(detail['urls'])}):")
    print_table(detail["urls"], ["url", "discovered_via", "last_status", "last_fetched_at"])
    click.echo(f"\ncaptures ({len(detail['captures'])} of {detail['captures_total']}):")
    print_table([{**c, "warc": f"{c['warc']['file']}:{c['warc']['offset']}:{c['warc']['length']}"}
                 for c in detail["captures"]], ["id", "fetched_at", "status", "kind", "version_id", "warc"])
    story = detail.get("story")
    if story is not None:  # archive.stories: the same text on other outlets
        how = ("first to publish" if story["first"] else "seen first" if story["similarity"] is None
               else f"similarity {story['similarity']:.2f}")
        click.echo(f"\nstory {story['id']} ({story['pickups']} pickups; this article: {how}), siblings:")
        print_table([{**s, "first": "*" if s["first"] else ""} for s in story["siblings"]],
                    ["id", "first", "outlet", "published", "similarity", "title"])
    if not no_text:
        click.echo("\ntext:\n" + (detail["text"] or ""))


def _flat_export(row: dict[str, Any]) -> dict[str, Any]:
    flat = dict(row)
    flat["urls"] = " ".join(row["urls"])
    flat["authors"] = "; ".join(row["authors"])
    flat["author_orgs"] = "; ".join(row["author_orgs"])
    warc = row["warc"]
    flat["warc"] = "" if not warc else f"{warc['file']}:{warc['offset']}:{warc['length']}"
    return flat


@click.command("export")
@click.argument("words", nargs=-1, metavar="[QUERY]...")
@filter_options
@output_options(default="jsonl")
@click.option("--limit", type=limit_type(), default=None, help="At most this many articles.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Write to this file (atomically: complete or not at all) instead of stdout.")
@show_sql_option
@archive_option
@database_option
@friendly
def export_command(words: tuple[str, ...], fmt: str, limit: int | None, output: Path | None, show_sql: bool,
                   archive_dir: Path | None, database_url: str | None, **filters: Any) -> None:
    """Export articles (current version) as JSON lines, CSV, JSON or a table, streamed, in id order.

    Takes the same filters as search, and optionally a search QUERY (then only matching articles).
    CSV joins lists: urls with spaces, authors with '; ', warc as FILE:OFFSET:LENGTH.

    \b
    Examples:
      pressclips export --published-since 2026-11 -o november.jsonl
      pressclips export venice --outlet variety --csv -o venice.csv
    """
    from archive.atomic import atomic_output, check_target
    from archive.db.session import reading
    from archive.query.articles import EXPORT_FIELDS, ArticleFilter, iter_articles
    from archive.query.search import article_condition, parse_query

    flt = build_filters(**filters)
    parsed = parse_query(query_text(words))
    if parsed is not None:
        warn_about(parsed.warnings)
    if output is not None:
        check_target(output)  # a missing directory is reported before the archive is opened
    with open_archive(archive_dir, database_url) as archive:
        engine = archive.engine
        with reading(engine, "preparing the export") as session:
            where = article_condition(engine, session, parsed or "", flt)  # resolves the outlet: errors come first
        if show_sql:
            echo_sql(engine)
        rows: Iterator[dict[str, Any]] = iter_articles(engine, ArticleFilter(limit=limit), where=where)
        listing = Listing(rows, [*EXPORT_FIELDS, "gone"], flatten=_flat_export)
        if output is None:
            render(listing, fmt)
            sys.stdout.flush()
        else:
            with atomic_output(output) as out:
                render(listing, fmt, out)


# -- edit history ---------------------------------------------------------------------------------
VERSION_COLUMNS = ["#", "id", "first_seen", "last_seen", "changes", "title", "warc"]


@click.command("versions")
@click.argument("article_id", metavar="ARTICLE_ID", type=ARTICLE_ID)
@output_options()
@archive_option
@database_option
@friendly
def versions_command(article_id: int, fmt: str, archive_dir: Path | None, database_url: str | None) -> None:
    """List the versions of article ARTICLE_ID (numbered 1..n, oldest first; * marks the current one).

    \b
    Examples:
      pressclips versions 42
      pressclips versions 42 --json
    """
    from archive.query.versions import list_versions

    with open_archive(archive_dir, database_url) as archive:
        rows = list_versions(archive.engine, article_id)

    def table() -> None:
        print_table([{"#": f"{r['number']}{'*' if r['current'] else ''}", "id": r["id"],
                      "first_seen": r["first_seen"], "last_seen": r["last_seen"],
                      "changes": ",".join(r["changes"]) or "-", "title": _clip(r["title"] or "", 60),
                      "warc": "" if not r["capture"] else f"{r['capture']['file']}:{r['capture']['offset']}"}
                     for r in rows], VERSION_COLUMNS)

    columns = list(rows[0].keys()) if rows else ["number", "id"]
    render(Listing(rows, columns, document=rows, table=table), fmt)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@click.command("diff")
@click.argument("article_id", type=ARTICLE_ID)
@click.argument("a", type=VERSION_NUMBER, required=False, metavar="[A]")
@click.argument("b", type=VERSION_NUMBER, required=False, metavar="[B]")
@archive_option
@database_option
@friendly
def diff_command(article_id: int, a: int | None, b: int | None, archive_dir: Path | None,
                 database_url: str | None) -> None:
    """Show what changed in article ARTICLE_ID between versions A and B.

    Version numbers are those of 'pressclips versions'. Without B, B is the current version;
    without A, A is the version shown before it.

    \b
    Examples:
      pressclips diff 42
      pressclips diff 42 1 3
    """
    from archive.query.versions import diff_versions

    with open_archive(archive_dir, database_url) as archive:
        text = diff_versions(archive.engine, article_id, a, b)
    click.echo(text, nl=False)


def register(group: click.Group) -> None:
    for command in (search_command, show_command, export_command, versions_command, diff_command):
        group.add_command(command)

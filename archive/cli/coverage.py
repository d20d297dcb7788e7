"""The coverage commands: ``watch add|list|rm`` (watchlists kept in the archive) and ``report``
(registered by ``register``).

``report`` reads like the other read commands; for a watchlist it then records the report's time
(``--no-record`` leaves it), which is what "new since the last report" counts from. On an archive it
cannot write (a read-only mount) the report is still made, with a one-line warning. Terminal tables
by default; ``--json`` is the whole report, ``--csv``/``--jsonl`` the table ``--by`` chooses;
``--html FILE`` a self-contained page with charts (matplotlib, the ``[reports]`` extra), written
atomically.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from archive.cli.kit import archive_option, database_option, friendly, open_archive, parse_when
from archive.cli.output import Listing, output_options, print_table, render
from archive.errors import ConfigError, PressclipsError

BY_CHOICES = ("outlet", "day", "week", "author")  # archive.coverage.report.BY_CHOICES, kept import-free here
DEFAULT_REPLAY_BASE = "http://127.0.0.1:8080"  # pressclips replay serve's default address
TOP_ROWS = 10
_DATE_ONLY = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


# -- watchlists ----------------------------------------------------------------------------------
@click.group("watch")
def watch_group() -> None:
    """Watchlists: named sets of search queries kept in the archive, for 'pressclips report'.

    \b
    Examples:
      pressclips watch add poor-things '"poor things"' '"emma stone"' lanthimos
      pressclips watch list
      pressclips report poor-things --since 2026-11
      pressclips watch rm poor-things
    """


@watch_group.command("add")
@click.argument("name")
@click.argument("queries", nargs=-1, required=True, metavar="QUERY...")
@archive_option
@database_option
@friendly
def watch_add(name: str, queries: tuple[str, ...], archive_dir: Path | None, database_url: str | None) -> None:
    """Add watchlist NAME: each QUERY (quoted, in search syntax) is one query; an article matching
    any of them is coverage. NAME: letters, digits, '.', '_', '-'.

    \b
    Examples:
      pressclips watch add poor-things '"poor things"' '"emma stone"' lanthimos
      pressclips watch add bugonia bugonia --archive /srv/pressclips
    """
    from archive.coverage.watchlists import add_watchlist, check_name

    check_name(name)  # before the archive is opened: a typo is reported first
    with open_archive(archive_dir, database_url, write=True) as archive:
        info = add_watchlist(archive.engine, name, queries)
    click.echo(f"watchlist {info.name}: {len(info.queries)} quer{'y' if len(info.queries) == 1 else 'ies'}")


@watch_group.command("list")
@output_options()
@archive_option
@database_option
@friendly
def watch_list(fmt: str, archive_dir: Path | None, database_url: str | None) -> None:
    """List the watchlists with their queries and last report.

    \b
    Examples:
      pressclips watch list
      pressclips watch list --json
    """
    from archive.coverage.watchlists import list_watchlists

    with open_archive(archive_dir, database_url) as archive:
        rows = [{"name": w.name, "queries": list(w.queries), "created_at": w.created_at,
                 "last_report_at": w.last_report_at} for w in list_watchlists(archive.engine)]
    render(Listing(rows, ["name", "queries", "created_at", "last_report_at"], document=rows,
                   empty="no watchlists (add one with 'pressclips watch add NAME QUERY...')"), fmt)


@watch_group.command("rm")
@click.argument("name")
@archive_option
@database_option
@friendly
def watch_rm(name: str, archive_dir: Path | None, database_url: str | None) -> None:
    """Remove watchlist NAME (the articles stay; only the list of queries goes).

    \b
    Examples:
      pressclips watch rm poor-things
    """
    from archive.coverage.watchlists import check_name, remove_watchlist

    check_name(name)
    with open_archive(archive_dir, database_url, write=True) as archive:
        remove_watchlist(archive.engine, name)
    click.echo(f"removed watchlist {name}")


# -- report --------------------------------------------------------------------------------------
def _until(value: str | None) -> datetime | None:
    """``--until`` is inclusive: a date without a time includes that whole day, month or year."""
    when = parse_when(value, "--until")
    if when is None or value is None or not _DATE_ONLY.match(value.strip()):
        return when
    parts = value.strip().count("-")
    if parts == 2:
        return when + timedelta(days=1)
    if parts == 1:
        return when.replace(year=when.year + (when.month == 12), month=when.month % 12 + 1)
    return when.replace(year=when.year + 1)


@click.command("report")
@click.argument("subject", nargs=-1, required=True, metavar="NAME|QUERY")
@click.option("--since", default=None, metavar="DATE", help="Only pieces published on or after DATE.")
@click.option("--until", default=None, metavar="DATE",
              help="Only pieces published up to DATE (a date without time includes that whole day, month or year).")
@click.option("--by", type=click.Choice(BY_CHOICES), default="outlet", show_default=True,
              help="The breakdown shown first and written by --csv/--jsonl.")
@click.option("--html", "html_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write a self-contained HTML report with charts to this file.")
@click.option("--replay-base", default=DEFAULT_REPLAY_BASE, show_default=True,
              help="Where 'pressclips replay serve' runs: the HTML report's links point there.")
@click.option("--no-record", is_flag=True, help="Do not record this report as the watchlist's last one.")
@output_options()
@archive_option
@database_option
@friendly
def report_command(subject: tuple[str, ...], since: str | None, until: str | None, by: str, html_file: Path | None,
                   replay_base: str, no_record: bool, fmt: str, archive_dir: Path | None,
                   database_url: str | None) -> None:
    """Coverage report for watchlist NAME, or for a search QUERY.

    Total pieces and stories, pickups per outlet, a timeline, top authors, the first outlet to
    publish each story and, for a watchlist, the pieces new since its last report. Dates filter the
    publication date (pieces without one are left out when --since/--until is given).
    --json writes the whole report, --csv/--jsonl the --by table.

    \b
    Examples:
      pressclips report poor-things --since 2026-11 --html poor-things.html
      pressclips report '"emma stone"' --by week --csv > weeks.csv
    """
    from archive.atomic import atomic_output, check_target
    from archive.coverage import (
        Window,
        build_report,
        collect_pieces,
        find_watchlist,
        mark_reported,
        replay_link,
        report_document,
    )
    from archive.times import utcnow

    window = Window(parse_when(since, "--since"), _until(until))
    if window.since and window.until and window.since >= window.until:
        raise ConfigError(f"--since {window.since.date()} is not before --until", hint="swap the two dates")
    if not replay_base.startswith(("http://", "https://")):
        raise ConfigError(f"--replay-base must be an http(s) URL, not {replay_base!r}",
                          hint=f"e.g. {DEFAULT_REPLAY_BASE}")
    if html_file is not None:
        from archive.coverage.charts import require_matplotlib

        check_target(html_file)
        require_matplotlib()  # a missing extra is reported before any work
    text = " ".join(subject).strip()
    if not text:
        raise ConfigError("report needs a watchlist name or a query", hint="see 'pressclips watch list'")
    with open_archive(archive_dir, database_url) as archive:
        watchlist = find_watchlist(archive.engine, text) if len(subject) == 1 else None
        queries = watchlist.queries if watchlist else (text,)
        generated_at = utcnow()  # before collecting: a piece stored meanwhile is new next time too, never lost
        pieces = collect_pieces(archive.engine, queries, window)
    report = build_report(pieces, subject=text, queries=queries, by=by, watchlist=watchlist.name if watchlist else None,
                          window=window, generated_at=generated_at,
                          previous_report_at=watchlist.last_report_at if watchlist else None)
    if html_file is not None:
        from archive.coverage.render_html import report_html

        page = report_html(report, replay_base=replay_base)
        with atomic_output(html_file) as out:
            out.write(page)
        click.echo(f"wrote {html_file}: {report.totals['pieces']} pieces, {report.totals['stories']} stories",
                   err=fmt != "table")
    if html_file is None or fmt != "table":
        document = report_document(report, lambda piece: replay_link(piece, replay_base))
        render(Listing(report.breakdown(), report.breakdown_columns(), document=document,
                       table=lambda: _report_table(report)), fmt)
    if watchlist is not None and not no_record:
        try:
            with open_archive(archive_dir, database_url, write=True) as archive:
                mark_reported(archive.engine, watchlist.name, generated_at)
        except PressclipsError as exc:  # a read-only archive still gets its report; only the bookmark is lost
            click.echo(f"pressclips: warning: this report was not recorded as the last of {watchlist.name} ({exc})",
                       err=True)


def _report_table(report: Any) -> None:
    totals = report.totals
    kind = f"watchlist {report.watchlist}" if report.watchlist else "query"
    click.echo(f"coverage of {report.subject} ({kind}): {totals['pieces']} pieces, {totals['stories']} stories, "
               f"{totals['outlets']} outlets" + (f", {totals['new']} new" if totals["new"] is not None else ""))
    if not report.pieces:
        click.echo("no articles match")
        return
    click.echo(f"published {totals['first_day']} to {totals['last_day']}")
    sections: list[tuple[str, list[dict[str, Any]], list[str]]] = [
        (f"by {report.by}", report.breakdown(), report.breakdown_columns())]
    if report.by in ("outlet", "author"):
        sections.append((f"timeline (per {report.period})", report.timeline, ["period", "pieces", "stories",
                                                                              "by_outlet"]))
    if report.by != "outlet":
        sections.append(("pickups per outlet", report.outlets, ["outlet", "pieces", "stories", "first"]))
    if report.by != "author":
        sections.append((f"top authors ({min(TOP_ROWS, len(report.authors))} of {len(report.authors)})",
                         report.authors[:TOP_ROWS], ["author", "pieces", "outlets"]))
    stories = [{"pickups": s["pickups"], "first_outlet": s["first_outlet"], "first_published": s["first_published"],
                "id": s["first_article_id"], "title": _clip(s["first_title"] or "", 60)}
               for s in report.stories[:TOP_ROWS]]
    sections.append((f"first to publish per story ({len(stories)} of {len(report.stories)})", stories,
                     ["pickups", "first_outlet", "first_published", "id", "title"]))
    if report.new is not None:
        since = f"since {report.previous_report_at:%Y-%m-%d %H:%M} UTC" if report.previous_report_at else \
            "(first report: all new)"
        new = [{"id": p.article_id, "outlet": p.outlet, "published": p.published_at,
                "title": _clip(p.title or p.url, 60)} for p in report.new[:TOP_ROWS * 2]]
        sections.append((f"new {since}: {len(report.new)}", new, ["id", "outlet", "published", "title"]))
    for title, rows, columns in sections:
        click.echo(f"\n{title}")
        if rows:
            print_table([_cells(r) for r in rows], columns)


def _cells(row: dict[str, Any]) -> dict[str, Any]:
    cells = {}
    for key, value in row.items():
        if isinstance(value, dict):
            cells[key] = ", ".join(f"{k} {v}" for k, v in value.items())
        elif isinstance(value, list):
            cells[key] = ", ".join(map(str, value))
        elif isinstance(value, datetime):
            cells[key] = value.strftime("%Y-%m-%d %H:%M")
        else:
            cells[key] = value
    return cells


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def register(group: click.Group) -> None:
    for command in (watch_group, report_command):
        group.add_command(command)

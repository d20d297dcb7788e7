"""The story commands: ``stories`` (stories with their pickups) and ``restory`` (rebuild them),
registered by ``register``. Stories themselves are built on insert (``archive.stories``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from archive.cli.kit import (
    OFFSET,
    archive_option,
    database_option,
    friendly,
    open_archive,
    parse_until,
    parse_when,
    retired_option,
)
from archive.cli.kit import limit as limit_type
from archive.cli.output import Listing, output_options, print_table, render, show_sql_option

LIST_COLUMNS = ["id", "pickups", "outlets", "first_outlet", "first_published", "first_seen", "last_seen", "title"]


@click.command("stories")
@click.argument("query", required=False, default="")
@click.option("--outlet", default=None, help="Only stories picked up by this outlet (name, case-insensitive).")
@click.option("--seen-since", "--seen-from", "seen_from", default=None, metavar="DATE",
              help="Only stories with a pickup first seen at or after DATE: ISO 8601 or relative (7d, 2w, yesterday).")
@click.option("--seen-until", "--seen-to", "seen_to", default=None, metavar="DATE",
              help="Only stories first seen up to DATE (a date without time includes that whole day, month or year).")
@retired_option("--since", "--seen-since (stories by when their pickups were first seen)")
@retired_option("--until", "--seen-until")
@click.option("--min-pickups", type=click.IntRange(1, 1_000_000), default=2, show_default=True,
              help="Only stories with at least this many articles (1 lists stories of one article too).")
@click.option("--limit", type=limit_type(1000), default=50, show_default=True, help="Stories per page (1-1000).")
@click.option("--offset", type=OFFSET, default=0, help="Skip this many stories (paging).")
@output_options()
@show_sql_option
@archive_option
@database_option
@friendly
def stories_command(query: str, outlet: str | None, seen_from: str | None, seen_to: str | None, min_pickups: int,
                    limit: int, offset: int, fmt: str, show_sql: bool, archive_dir: Path | None,
                    database_url: str | None) -> None:
    """Stories across outlets: one text syndicated, rewritten, truncated or copied, with its pickups.

    Most pickups first. Each story shows its pickup count, its outlets, the first outlet to
    publish, and when its first and latest pickups were first seen. With QUERY (search syntax),
    only stories with a pickup matching it. 'pressclips show ID' lists one article's siblings.

    \b
    Examples:
      pressclips stories --seen-since 7d
      pressclips stories venice --outlet variety --json
    """
    from archive.cli.output import echo_sql
    from archive.db.session import reading
    from archive.query.search import SearchFilters, article_condition
    from archive.query.stories import STORY_FIELDS, StoryFilter, list_stories

    flt = StoryFilter(min_pickups=min_pickups, outlet=outlet, seen_from=parse_when(seen_from, "--seen-since"),
                      seen_to=parse_until(seen_to, "--seen-until"), limit=limit, offset=offset)
    with open_archive(archive_dir, database_url) as archive:
        where = None
        if query.strip():
            with reading(archive.engine, "preparing the story list") as session:
                where = article_condition(archive.engine, session, query, SearchFilters())
        if show_sql:
            echo_sql(archive.engine)
        rows = list_stories(archive.engine, flt, where)

    def table() -> None:
        if not rows:
            click.echo("no stories" + ("" if min_pickups == 1 else f" with {min_pickups} or more pickups"))
            return
        print_table([{**r, "first_outlet": r["first_outlet"] or "-", "title": _clip(r["title"] or "", 60),
                      **{k: (r[k] or "-")[:16] for k in ("first_published", "first_seen", "last_seen")}}
                     for r in rows], LIST_COLUMNS)

    render(Listing(rows, list(STORY_FIELDS), document={"stories": rows, "offset": offset}, table=table,
                   flatten=_flat), fmt)


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "outlet_names": "; ".join(row["outlet_names"])}


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@click.command("restory")
@click.option("--similarity", type=click.FloatRange(0.2, 1.0), default=None, metavar="X",
              help="Estimated Jaccard similarity for a copy or a rewrite to join a story (kept; default 0.5).")
@click.option("--containment", type=click.FloatRange(0.2, 1.0), default=None, metavar="X",
              help="Estimated share of a truncated copy found in the full text (kept; default 0.8).")
@archive_option
@database_option
@friendly
def restory_command(similarity: float | None, containment: float | None, archive_dir: Path | None,
                    database_url: str | None) -> None:
    """Rebuild every story from scratch (under the archive lock), from each article's current text.

    New thresholds are saved in the archive, so later crawls link stories the same way. Exit
    75 when a run holds the archive lock.

    \b
    Examples:
      pressclips restory
      pressclips restory --similarity 0.6
    """
    from archive.ops.restory import restory
    from archive.stories import StoryThresholds

    with open_archive(archive_dir, database_url, write=True) as archive:
        thresholds = None
        if similarity is not None or containment is not None:
            from archive.db.session import reading

            with reading(archive.engine, "reading the story thresholds") as session:
                current = StoryThresholds.load(session)
            thresholds = StoryThresholds(similarity if similarity is not None else current.similarity,
                                         containment if containment is not None else current.containment)
        report = restory(archive.engine, archive.config.root, thresholds)
    t = report.thresholds
    click.echo(f"{report.articles} articles in {report.stories} stories ({report.linked} joined another "
               f"article's story; similarity {t.similarity}, containment {t.containment})")
    sys.stdout.flush()


def register(group: click.Group) -> None:
    for command in (stories_command, restory_command):
        group.add_command(command)

"""The overview commands: ``stats``, ``runs`` and ``outlets``. Read-only: they open the archive
read-only and work on a read-only mount."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from archive.cli.kit import archive_option, database_option, friendly, open_archive
from archive.cli.kit import limit as limit_type
from archive.cli.output import (
    Listing,
    echo_sql,
    output_options,
    print_table,
    render,
    show_sql_option,
)

OUTLET_COLUMNS = ["outlet", "articles", "versions", "captures", "not_articles", "blocked", "last_capture"]
RUN_COLUMNS = ["id", "started_at", "status", "pages_fetched", "articles_new", "articles_updated", "errors"]


@click.command("stats")
@output_options()
@archive_option
@database_option
@friendly
def stats_command(fmt: str, archive_dir: Path | None, database_url: str | None) -> None:
    """Counts per outlet and the last runs.

    --json gives totals, outlets and the last five runs in one document; --jsonl and --csv give
    one row per outlet.

    \b
    Examples:
      pressclips stats
      pressclips stats --json | jq .totals
    """
    from archive.query.articles import list_runs, outlet_stats, totals

    with open_archive(archive_dir, database_url) as archive:
        data: dict[str, Any] = {"totals": totals(archive.engine), "outlets": outlet_stats(archive.engine),
                                "runs": list_runs(archive.engine, limit=5)}

    def table() -> None:
        click.echo(" ".join(f"{k}: {v}" for k, v in data["totals"].items()))
        click.echo()
        print_table(data["outlets"], OUTLET_COLUMNS)
        click.echo()
        print_table(data["runs"], RUN_COLUMNS)

    render(Listing(data["outlets"], OUTLET_COLUMNS, document=data, table=table), fmt)


@click.command("runs")
@output_options()
@click.option("--limit", type=limit_type(100_000), default=20, show_default=True, help="How many runs.")
@archive_option
@database_option
@friendly
def runs_command(fmt: str, limit: int, archive_dir: Path | None, database_url: str | None) -> None:
    """Crawl runs, newest first.

    \b
    Examples:
      pressclips runs --limit 5
      pressclips runs --csv > runs.csv
    """
    from archive.query.articles import RUN_FIELDS, list_runs

    with open_archive(archive_dir, database_url) as archive:
        rows = list_runs(archive.engine, limit=limit)
    columns = [f for f in RUN_FIELDS if f not in ("warc_files", "causes")]
    render(Listing(rows, columns if fmt == "table" else list(RUN_FIELDS), document=rows), fmt)


@click.command("outlets")
@output_options()
@show_sql_option
@archive_option
@database_option
@friendly
def outlets_command(fmt: str, show_sql: bool, archive_dir: Path | None, database_url: str | None) -> None:
    """Outlets in the archive with their article, version and capture counts.

    \b
    Examples:
      pressclips outlets
      pressclips outlets --json
    """
    from archive.query.articles import outlet_stats

    with open_archive(archive_dir, database_url) as archive:
        if show_sql:
            echo_sql(archive.engine)
        rows = outlet_stats(archive.engine)
    columns = ["outlet", "articles", "versions", "captures", "not_articles", "last_capture"]
    render(Listing(rows, columns, document=rows, empty="no outlets yet"), fmt)


def register(group: click.Group) -> None:
    for command in (stats_command, runs_command, outlets_command):
        group.add_command(command)

"""``pressclips health``: per-outlet extraction health per ISO week, and exit 1 when an outlet's newest
week dropped against its own history (``archive.coverage.health`` defines the statistic), so cron
mails it. Read-only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from archive.cli.kit import BoundedInt, archive_option, database_option, friendly, open_archive
from archive.cli.output import Listing, output_options, print_table, render

COLUMNS = ["outlet", "week", "articles", "title", "authors", "date", "length", "blocked", "pages", "flags"]


@click.command("health")
@click.option("--weeks", type=BoundedInt(1, 520, what="number of weeks"), default=8, show_default=True,
              help="Show each outlet's newest N weeks.")
@click.option("--outlet", default=None, help="Only this outlet (name, case-insensitive).")
@output_options()
@archive_option
@database_option
@friendly
def health_command(weeks: int, outlet: str | None, fmt: str, archive_dir: Path | None,
                   database_url: str | None) -> None:
    """Per outlet and ISO week: the share of new article versions with a title, authors, a date and a
    text length in the outlet's normal range, and the share of blocked pages.

    A share 25 points below the median of the outlet's previous 8 weeks (weeks with at least 5
    articles; 3 such weeks needed), or a blocked share 25 points above it, is flagged (!). Exit 1
    when an outlet's newest week is flagged: a redesign broke extraction, or a wall went up.

    \b
    Examples:
      pressclips health
      pressclips health --outlet variety --weeks 26 --json
    """
    from archive.coverage.health import extraction_health, newest_flagged

    with open_archive(archive_dir, database_url) as archive:
        health = extraction_health(archive.engine, weeks=weeks, outlet=outlet)
    rows = [h.row() for h in health]
    alarms = newest_flagged(health)
    document = {"weeks": rows, "flagged": [{"outlet": h.outlet, "week": h.week, "flags": h.flags} for h in alarms]}

    def table() -> None:
        if not rows:
            click.echo("no extracted articles yet")
            return
        print_table([_cells(r) for r in rows], COLUMNS)
        for h in alarms:
            click.echo(f"\nDROP {h.outlet} {h.week}: " + "; ".join(h.flags))

    render(Listing(rows, COLUMNS, document=document, table=table), fmt)
    if alarms:
        raise SystemExit(1)


def _cells(row: dict[str, Any]) -> dict[str, Any]:
    cells = dict(row)
    for name in ("title", "authors", "date", "length", "blocked"):
        value = row[name]
        cells[name] = "-" if value is None else f"{value * 100:.0f}%"
    flagged = {flag.split(" ", 1)[0] for flag in row["flags"]}
    for name in flagged:
        cells[name] = f"{cells[name]}!"
    cells["flags"] = "DROP" if row["flags"] else ("" if row["judged"] else "n/a")
    return cells


def register(group: click.Group) -> None:
    group.add_command(health_command)

"""The edit-history commands: ``versions`` and ``diff``. Read-only."""

from __future__ import annotations

from pathlib import Path

import click

from archive.cli.kit import archive_option, database_option, friendly, open_archive
from archive.cli.output import Listing, output_options, print_table, render
from archive.cli.params import ARTICLE_ID, VERSION_NUMBER

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
    for command in (versions_command, diff_command):
        group.add_command(command)

"""The ``pressclips`` command. The only place where errors become one-line user messages.

Exit codes: 0 ok, 1 the run or command failed, 2 usage or configuration error, 75 another run
holds the archive lock (cron: try again later).

The commands live in modules by family and register here, one line each; heavy imports stay
inside the commands so ``pressclips --help`` stays fast. ``crawl`` runs Scrapy in a child
process (``archive.ops.crawl``) so this package never imports Scrapy.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from archive.cli import cluster as cli_cluster  # reconcile, workers
from archive.cli import coverage as cli_coverage  # watch add/list/rm, report
from archive.cli import crawl as cli_crawl  # crawl, demo
from archive.cli import db as cli_db  # db upgrade/current/history/revision
from archive.cli import health as cli_health  # health
from archive.cli import ops as cli_ops  # verify, reextract, cron
from archive.cli import query as cli_query  # search, show, export, versions, diff
from archive.cli import (
    replay as cli_replay,  # replay get/serve, export-cdxj, export-wacz
)
from archive.cli import stats as cli_stats  # stats, runs, outlets
from archive.cli import stories as cli_stories  # stories, restory
from archive.cli.kit import fail


class OneLineErrorsGroup(click.Group):
    """Click's usage errors are three lines with a usage banner; ours are one line with a hint."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError as exc:  # bare `pressclips`: help, as usual
            click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
            sys.exit(0)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "pressclips"
            fail(exc.format_message(), 2, f"see '{where} --help'")
        except click.ClickException as exc:
            fail(exc.format_message(), exc.exit_code)
        except click.Abort:
            fail("aborted", 1)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=OneLineErrorsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pressclips")
def main() -> None:
    """pressclips: crawl press coverage into a deduplicated, searchable archive with WARC snapshots.

    \b
    Examples:
      pressclips crawl --outlets starter --max-runtime 25m
      pressclips search '"all of us strangers" -trailer' --published-since 2026-10
      pressclips export --published-since 7d -o last-week.jsonl
    """


main.add_command(cli_crawl.crawl_command)
main.add_command(cli_crawl.demo_command)
for module in (cli_stats, cli_query, cli_ops, cli_replay, cli_coverage, cli_health, cli_stories, cli_db,
               cli_cluster):
    module.register(main)


if __name__ == "__main__":
    main()

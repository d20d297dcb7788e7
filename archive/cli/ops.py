"""The operations commands: ``verify``, ``reextract`` and ``cron`` (registered by ``register``).

``verify`` exits 0 when the archive is consistent (or everything found was repaired), 1 when
problems remain, 75 when ``--repair`` finds another run holding the archive lock. Each problem is
one line, ``file:offset: what`` (or ``article N: …`` / ``run N: …``).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from archive.cli.kit import archive_option, database_option, friendly, open_archive, skip_ledger, strict_option
from archive.cli.output import Listing, output_options, render
from archive.config import DATABASE_ENV, ArchiveConfig
from archive.errors import ConfigError, NoArchiveError

if TYPE_CHECKING:
    from archive.ops.verify import VerifyReport


# -- verify --------------------------------------------------------------------------------------
@click.command("verify")
@click.option("--repair", is_flag=True,
              help="Fix what is safe (finalise .open WARCs, cut torn tails, quarantine files with a corrupt "
                   "record, re-point captures, mark killed runs) under the archive lock; list the rest. "
                   "Nothing archived is deleted.")
@output_options()
@archive_option
@database_option
@friendly
def verify_command(repair: bool, fmt: str, archive_dir: Path | None, database_url: str | None) -> None:
    """Check every WARC record, capture pointer, digest and version link of the archive.

    Without --repair nothing is written (a read-only archive can be verified). --json gives the
    whole report; --jsonl and --csv give one row per problem. Exit codes: 0 consistent (or all
    repaired), 1 problems remain, 2 usage error, 75 another run holds the archive lock (--repair only).

    \b
    Examples:
      pressclips verify
      pressclips verify --repair --json
    """
    import logging

    from archive.ops.verify import verify_archive

    logging.getLogger("archive").addHandler(logging.NullHandler())  # the report says what was repaired
    with open_archive(archive_dir, database_url, write=repair) as archive:
        report = verify_archive(archive.engine, archive.config.warc_dir, repair=repair, root=archive.config.root)
    document = report.as_dict()
    render(Listing(document["problems"], ["where", "what", "kind", "fixable", "line"], document=document,
                   table=lambda: _report_table(report)), fmt)
    sys.exit(0 if report.clean else 1)


def _report_table(report: VerifyReport) -> None:
    c = report.counts
    click.echo(f"checked {c['files']} WARC file(s) with {c['records']} records, {c['captures']} captures "
               f"({c['captures_ok']} ok), {c['articles']} articles, {c['versions']} versions, {c['runs']} runs")
    if report.lock_holder:
        click.echo(f"note: a run is in progress ({report.lock_holder}); "
                   f"{c['captures_skipped']} capture(s) in files it is writing were skipped")
    if c.get("captures_unreadable"):
        click.echo(f"note: {c['captures_unreadable']} capture(s) are marked unreadable: their records were "
                   "damaged and are kept under warcs/quarantine/")
    for line in report.repaired:
        click.echo(f"repaired: {line}")
    for problem in report.problems:
        click.echo(problem.line + (" [--repair fixes this]" if problem.fixable else ""))
    fixable = sum(p.fixable for p in report.problems)
    if report.clean:
        click.echo("ok: no problems remain" if report.repaired else "ok: no problems found")
    else:
        click.echo(f"{len(report.problems)} problem(s)" + (f", {fixable} fixable with --repair" if fixable else ""))


@click.command("reextract")
@click.option("--outlet", default=None, help="Only captures of this outlet.")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Extraction processes (default: CPUs).")
@strict_option
@archive_option
@database_option
@friendly
def reextract_command(outlet: str | None, workers: int | None, strict: bool, archive_dir: Path | None,
                      database_url: str | None) -> None:
    """Re-run extraction over stored WARC records, without fetching anything.

    A damaged record is skipped with one warning per WARC file (counted as "skipped");
    --strict stops at the first one instead (exit 1).

    \b
    Examples:
      pressclips reextract
      pressclips reextract --outlet variety --workers 2
    """
    from archive.ops.reextract import reextract_archive

    with open_archive(archive_dir, database_url, write=True) as archive:
        counts = reextract_archive(archive.engine, archive.config.warc_dir, outlet=outlet, workers=workers,
                                   ledger=skip_ledger(strict))
    click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))
    if counts.get("errors"):
        sys.exit(1)


# -- cron ----------------------------------------------------------------------------------------
@click.command("cron")
@click.option("--outlets", default=None, metavar="FILE",
              help="Outlets file for the crawl (default: the one the archive's last run used; 'starter' works).")
@click.option("--every", default="1h", show_default=True, metavar="INTERVAL",
              help="How often: 5m, 10m, 15m, 20m, 30m, 1h, 2h, 3h, 4h, 6h, 8h, 12h or 1d.")
@click.option("--max-runtime", default=None, metavar="DURATION",
              help="Graceful time limit per run (default: 80% of the interval); a hard stop follows 10m later.")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Crawl log (default: ARCHIVE/logs/crawl.log).")
@archive_option
@database_option
@friendly
def cron_command(outlets: str | None, every: str, max_runtime: str | None, log_file: Path | None,
                 archive_dir: Path | None, database_url: str | None) -> None:
    """Print a ready crontab entry (with comments) that crawls this archive on a schedule.

    Add it with 'crontab -e'. The crawl takes the archive lock itself, so runs never overlap;
    a run that finds the lock held exits 75 and does nothing.

    \b
    Examples:
      pressclips cron --outlets starter --every 1h
      pressclips cron --every 30m --max-runtime 20m >> my-crontab
    """
    from archive.ops.cronline import crontab_lines, runtime_limit, schedule

    config = ArchiveConfig.build(archive_dir, database_url)
    runtime_limit(max_runtime, schedule(every, str(config.root)).interval)  # usage errors before lookups
    url = database_url or os.environ.get(DATABASE_ENV)
    outlets_arg = _outlets_for_cron(outlets, config, url)
    lines = crontab_lines(every=every, archive_root=config.root, outlets=outlets_arg,
                          log_file=(log_file or config.root / "logs" / "crawl.log").absolute(),
                          max_runtime=max_runtime, database_url=url, timeout_bin=shutil.which("timeout"))
    if url and _has_password(url):
        click.echo("pressclips: note: the database URL holds a password; a ~/.pgpass file keeps it out "
                   "of the crontab", err=True)
    for line in lines:
        click.echo(line)


def _has_password(url: str) -> bool:
    from sqlalchemy.engine import make_url

    try:
        return bool(make_url(url).password)
    except Exception:  # noqa: BLE001 - an invalid URL fails later, with its own message
        return False


def _outlets_for_cron(outlets: str | None, config: ArchiveConfig, url: str | None) -> str:
    from archive.outlets import bundled_outlets_path

    starter = "starter"
    given = outlets is not None
    if outlets is None:
        outlets = _last_outlets(config, url)
        if outlets is None:
            raise ConfigError(f"no --outlets given and {config.root} has no crawl run to take it from",
                              hint="pass --outlets FILE (or --outlets starter)")
    if outlets == starter:
        return starter
    path = Path(outlets).expanduser().absolute()
    if path == bundled_outlets_path().absolute():
        return starter  # the packaged file moves with upgrades; the name does not
    if not path.is_file():
        if given:
            raise ConfigError(f"--outlets: {path} does not exist", hint="pass an existing outlets TOML file")
        raise ConfigError(f"the archive's last run used the outlets file {outlets}, which no longer exists",
                          hint="pass --outlets FILE")
    return str(path)


def _last_outlets(config: ArchiveConfig, url: str | None) -> str | None:
    from archive.ops.cronline import last_outlets_file

    try:
        with open_archive(config.root, url) as archive:
            found = last_outlets_file(archive.engine)
    except NoArchiveError:
        return None  # no archive yet: nothing to look up, and nothing created by accident
    return None if found in (None, "(bundled)") else found


def register(group: click.Group) -> None:
    for command in (verify_command, reextract_command, cron_command):
        group.add_command(command)

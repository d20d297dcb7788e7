"""The crawling commands: ``crawl`` (a thin layer over ``archive.ops.crawl.run_crawl``) and ``demo``.

Exit codes: 0 ok, 1 the run failed or was interrupted, 2 usage or configuration error, 75 another
run holds the archive lock (cron: try again later; silent with --quiet).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from archive.cli.kit import archive_option, database_option, friendly, parse_until, parse_when, retired_option
from archive.config import ArchiveConfig
from archive.errors import ArchiveLockedError, ConfigError

if TYPE_CHECKING:
    from archive.ops.crawl import RunSummary

STARTER = "starter"


def resolve_outlets_path(outlets: str) -> Path:
    from archive.outlets import bundled_outlets_path

    return bundled_outlets_path() if outlets == STARTER else Path(outlets)


def parse_runtime(value: str | None) -> int | None:
    from archive.outlets import parse_duration

    if value is None:
        return None
    try:
        seconds = int(parse_duration(value).total_seconds())
    except ValueError:
        raise ConfigError(f"--max-runtime: not a duration: {value!r}", hint="e.g. 25m, 2h") from None
    if seconds <= 0:
        raise ConfigError("--max-runtime must be positive")
    return seconds


@click.command("crawl")
@click.option("--outlets", "outlets", required=True, metavar="FILE",
              help=f"Outlets TOML file, or '{STARTER}' for the bundled starter list of entertainment outlets.")
@click.option("--outlet", "only", default="", help="Crawl only these outlets (comma-separated names).")
@archive_option
@database_option
@click.option("--published-since", "since", default=None, metavar="DATE",
              help="Skip sitemap and feed entries published before DATE without fetching them: ISO 8601 "
                   "(2026-11-01) or relative (7d, 2w, 3m, today, yesterday).")
@click.option("--published-until", "until", default=None, metavar="DATE",
              help="Skip sitemap and feed entries published after DATE (a date without time: after that day).")
@retired_option("--since", "--published-since (sitemap and feed entries by publication date, as before)")
@retired_option("--until", "--published-until (sitemap and feed entries by publication date, as before)")
@click.option("--max-runtime", default=None, metavar="DURATION",
              help="Stop gracefully after this long (e.g. 25m); the rest stays due for the next run.")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the crawl log (INFO) here, rotated at 10 MB, 5 files kept.")
@click.option("-q", "--quiet", is_flag=True,
              help="Print nothing unless the run fails, and then only its summary and one line per outlet and "
                   "cause of failure (for cron). Progress is shown only on a terminal.")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Scrapy setting override, as with 'scrapy crawl -s' (repeatable).")
@click.option("-v", "--verbose", count=True, help="Show Scrapy's log (-v info, -vv debug).")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@click.option("--distributed", is_flag=True,
              help="Run as one of several workers (any machines) sharing a Redis queue and one PostgreSQL archive.")
@click.option("--redis-url", default=None, metavar="URL",
              help="Redis of a distributed crawl (e.g. redis://127.0.0.1:6379/0). Also $PRESSCLIPS_REDIS_URL.")
@click.option("--until-idle", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Distributed: exit (run recorded, status 0) once the shared queue stayed empty this long; "
                   "without it the worker waits for work until stopped (SIGTERM).")
@friendly
def crawl_command(outlets: str, only: str, archive_dir: Path | None, database_url: str | None, since: str | None,
                  until: str | None, max_runtime: str | None, log_file: Path | None, quiet: bool,
                  settings: tuple[str, ...], verbose: int, as_json: bool, distributed: bool, redis_url: str | None,
                  until_idle: float | None) -> None:
    """Discover, fetch, archive (WARC) and extract articles of the listed outlets.

    Incremental: only new URLs and URLs due for a recrawl are fetched, conditionally when seen
    before. One run at a time per archive. Exit codes: 0 ok, 1 the run failed (archive errors, or
    more than half of its requests failed: one line per outlet and cause says why) or was
    interrupted, 2 usage or configuration error, 75 another run holds the archive lock.

    \b
    Examples:
      pressclips crawl --outlets starter --max-runtime 25m
      pressclips crawl --outlets outlets.toml --outlet variety --published-since 7d --json
      pressclips crawl --outlets outlets.toml --distributed --until-idle 20 \\
          --redis-url redis://db:6379/0 --database-url postgresql+psycopg://crawler@db/press
    """
    from archive.ops.crawl import CrawlOptions, SettingsRejected, run_crawl

    redis_url = distributed_redis_url(distributed, redis_url, until_idle)

    interactive = sys.stderr.isatty() and not quiet
    options = CrawlOptions(
        outlets=resolve_outlets_path(outlets),
        only=tuple(filter(None, (n.strip() for n in only.split(",")))),
        since=parse_when(since, "--published-since"), until=parse_until(until, "--published-until"),
        max_runtime=parse_runtime(max_runtime), log_file=log_file, progress=interactive,
        settings=settings, verbose=verbose, quiet=quiet, redis_url=redis_url, until_idle=until_idle or 0.0)

    def notify(message: str) -> None:
        if interactive:
            click.echo(f"pressclips: {message}", err=True)

    try:
        config = ArchiveConfig.build(archive_dir, database_url)
        if redis_url:
            from archive.ops.worker import run_worker

            summary = run_worker(config, options, notify)
        else:
            summary = run_crawl(config, options, notify=notify)
    except SettingsRejected:
        sys.exit(SettingsRejected.exit_code)  # the child already said which setting, in one line
    except ArchiveLockedError:
        if quiet:  # cron: the previous run is still going; skipping is normal, so say nothing
            sys.exit(ArchiveLockedError.exit_code)
        raise
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2, default=str))
    elif not summary.ok:
        report_failure(summary)
    elif not quiet:
        click.echo(summary.line())
        for cause in summary.causes:  # a partial failure: the run is ok, but say what failed
            click.echo(f"pressclips: {cause}", err=True)
    if not summary.ok:
        sys.exit(1)


def distributed_redis_url(distributed: bool, redis_url: str | None, until_idle: float | None) -> str:
    """The Redis URL of a distributed worker, "" for a single run; the options must agree."""
    import os

    if not distributed:
        if redis_url or until_idle is not None:
            raise ConfigError("--redis-url and --until-idle are options of a distributed worker",
                              hint="add --distributed")
        return ""
    url = redis_url or os.environ.get("PRESSCLIPS_REDIS_URL", "")
    if not url:
        raise ConfigError("--distributed needs --redis-url (or $PRESSCLIPS_REDIS_URL)",
                          hint="e.g. --redis-url redis://127.0.0.1:6379/0")
    return url


def report_failure(summary: RunSummary) -> None:
    """On stderr, even with --quiet: the summary, then one line per outlet and cause."""
    click.echo(f"pressclips: {summary.line()}", err=True)
    for cause in summary.causes:
        click.echo(f"pressclips: {cause}", err=True)


# The demo's outlets live on fixed ports, so a second demo into the same archive meets the same
# outlets and the same article URLs and finds nothing new. Article identity is the canonical URL,
# host and port included (two outlets on one host are told apart by port, as the tests do), so
# random ports made every run a new set of stories; dropping the port from identity would merge
# real outlets that share a host. A fixed range is the demo's business, not the archive's.
DEMO_PORT = 18701


def check_ports_free(first: int, count: int) -> None:
    """One clear line (exit 2) when a port the demo needs is taken, before anything starts.
    SO_REUSEADDR as the site's server sets it: a port in TIME_WAIT after an earlier demo is free."""
    import errno
    import socket

    for port in range(first, first + count):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError as exc:
                why = "in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
                raise ConfigError(f"the demo serves its outlets on 127.0.0.1:{first}-{first + count - 1}, "
                                  f"and port {port} is {why}",
                                  hint="stop what listens there, or pick other ports with --port N "
                                       "(the same N every time, so repeated demos find the same stories)") from None


@click.command("demo")
@click.option("--outlets", "count", type=click.IntRange(1, 8), default=2, show_default=True,
              help="How many local outlets to serve.")
@click.option("--port", type=click.IntRange(1, 65535), default=DEMO_PORT, show_default=True,
              help="First of the fixed loopback ports the outlets are served on (outlet i gets PORT+i).")
@archive_option
@friendly
def demo_command(count: int, port: int, archive_dir: Path | None) -> None:
    """Offline demo: serve the checkout's local test site on 127.0.0.1 and crawl it.

    Run it from a pressclips checkout (it uses tests/localsite/ and tests/data/corpus).
    The archive defaults to ./demo-archive so it never mixes with a real one. The outlets are
    served on fixed ports, so running the demo again into the same archive stores nothing twice.

    \b
    Examples:
      pressclips demo
      pressclips demo --outlets 4 --archive /tmp/demo-archive
    """
    import subprocess

    from archive.ops.crawl import CrawlOptions, run_crawl

    checkout = Path.cwd()
    if not (checkout / "tests" / "localsite" / "__init__.py").is_file():
        raise ConfigError("the demo needs the local test site: run it from a pressclips checkout",
                          hint="cd into the cloned repository first")
    if port + count - 1 > 65535:
        raise ConfigError(f"--port {port}: {count} outlets need ports up to {port + count - 1}, past 65535")
    check_ports_free(port, count)
    archive = archive_dir or checkout / "demo-archive"
    server = subprocess.Popen([sys.executable, "-m", "tests.localsite", "--outlets", str(count), "--port", str(port)],
                              cwd=checkout, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stderr is not None
        lines = [server.stdout.readline().split() for _ in range(count)]
        if server.poll() is not None or any(len(line) != 2 for line in lines):
            server.wait(timeout=10)
            said = server.stderr.read().strip().splitlines()
            raise ConfigError("the local test site did not start" + (f": {said[-1]}" if said else ""))
        outlets = archive.parent / f"{archive.name}-outlets.toml"
        archive.parent.mkdir(parents=True, exist_ok=True)
        # A small per-outlet delay keeps the demo quick with AutoThrottle on (the default). The
        # local pages keep their original sites' requisite URLs; the default requisite scope keeps
        # a loopback outlet's requisites on loopback, so the demo never reaches the internet.
        outlets.write_text("[defaults.politeness]\ndownload_delay = 0.05\n\n"
                           + "".join(f'[[outlets]]\nname = "{name}"\nhomepage = "{url}"\n\n' for name, url in lines))
        click.echo(f"serving {count} local outlets: " + ", ".join(url for _name, url in lines))
        click.echo(f"crawling into {archive} (outlets file {outlets})")
        summary = run_crawl(ArchiveConfig.build(archive, None), CrawlOptions(
            outlets=outlets, progress=sys.stderr.isatty(),
            settings=("DOWNLOAD_DELAY=0",)))
    finally:
        server.terminate()
        server.wait(timeout=10)
    if not summary.ok:
        report_failure(summary)
        sys.exit(1)
    click.echo(summary.line())
    click.echo(f"next: pressclips stats --archive {archive}; pressclips export --archive {archive}")

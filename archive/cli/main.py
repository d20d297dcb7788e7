"""The ``pressclips`` command. The only place where errors become one-line user messages.

Exit codes: 0 ok, 1 the run or command failed, 2 usage or configuration error, 75 another run
holds the archive lock (cron: try again later).
``crawl`` runs Scrapy in a child process (``python -m crawler.run``) so this package never
imports Scrapy; the child's outcome is read back from the ``crawl_runs`` row it wrote.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from archive.cli.kit import (
    archive_option,
    database_option,
    fail,
    friendly,
    open_archive,
    parse_when,
    print_table,
)
from archive.config import ArchiveConfig
from archive.errors import ArchiveLockedError, ConfigError

STARTER = "starter"


class OneLineErrorsGroup(click.Group):
    """Click's usage errors are three lines with a usage banner; ours are one line with a hint."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
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
    """pressclips: crawl press coverage into a deduplicated, searchable archive with WARC snapshots."""


# -- crawl ---------------------------------------------------------------------------------------
def resolve_outlets_path(outlets: str) -> Path:
    from archive.outlets import bundled_outlets_path

    return bundled_outlets_path() if outlets == STARTER else Path(outlets)


def run_child(command: list[str], *, pass_fds: tuple[int, ...] = (), env: dict[str, str] | None = None) -> int:
    """Run the Scrapy child to completion. Ctrl-C reaches it through the terminal's process
    group and SIGTERM is forwarded, so Scrapy finishes in-flight work and records its run;
    we keep waiting instead of killing it (subprocess.run would kill it after 0.25 s)."""
    proc = subprocess.Popen(command, pass_fds=pass_fds, env=env)

    def forward(signum: int, _frame: Any) -> None:
        proc.send_signal(signum)

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:
                click.echo("pressclips: interrupted; the crawl is finishing in-flight requests "
                           "(Ctrl-C again to stop at once)", err=True)
    finally:
        signal.signal(signal.SIGTERM, previous)


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


def log_to_file(path: Path | None, message: str) -> None:
    """Append the run summary to the log file the child wrote (same rotation settings)."""
    if path is None:
        return
    from archive.ops.logfile import rotating_handler

    handler = rotating_handler(path)
    try:
        handler.emit(logging.LogRecord("pressclips", logging.INFO, __file__, 0, message, None, None))
    finally:
        handler.close()


@main.command()
@click.option("--outlets", "outlets", required=True, metavar="FILE",
              help=f"Outlets TOML file, or '{STARTER}' for the bundled starter list of entertainment outlets.")
@click.option("--outlet", "only", default="", help="Crawl only these outlets (comma-separated names).")
@archive_option
@database_option
@click.option("--since", default=None, metavar="DATE",
              help="Skip sitemap and feed entries dated before DATE (ISO 8601) without fetching them.")
@click.option("--until", default=None, metavar="DATE", help="Skip sitemap and feed entries dated after DATE.")
@click.option("--max-runtime", default=None, metavar="DURATION",
              help="Stop gracefully after this long (e.g. 25m); the rest stays due for the next run.")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the crawl log (INFO) here, rotated at 10 MB, 5 files kept.")
@click.option("-q", "--quiet", is_flag=True,
              help="Print nothing unless the run fails (for cron). Progress is shown only on a terminal.")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Scrapy setting override, as with 'scrapy crawl -s' (repeatable).")
@click.option("-v", "--verbose", count=True, help="Show Scrapy's log (-v info, -vv debug).")
@friendly
def crawl(outlets: str, only: str, archive_dir: Path | None, database_url: str | None, since: str | None,
          until: str | None, max_runtime: str | None, log_file: Path | None, quiet: bool,
          settings: tuple[str, ...], verbose: int) -> None:
    """Discover, fetch, archive (WARC) and extract articles of the listed outlets.

    Incremental: only new URLs and URLs due for a recrawl are fetched, conditionally when seen
    before. One run at a time per archive. Exit codes: 0 ok, 1 the run failed or was
    interrupted, 2 usage or configuration error, 75 another run holds the archive lock.
    """
    import os

    from archive.db.engine import make_engine
    from archive.ops.lock import ArchiveLock
    from archive.outlets import load_outlets
    from archive.query.articles import get_run, last_run_id

    outlets_path = resolve_outlets_path(outlets)
    loaded = load_outlets(outlets_path)
    names = {o.name.lower() for o in loaded}
    for name in filter(None, (n.strip() for n in only.split(","))):
        if name.lower() not in names:
            raise ConfigError(f"--outlet: no outlet named {name!r} in {outlets_path}")
    for item in settings:
        if "=" not in item or not item.partition("=")[0].strip():
            raise ConfigError(f"-s {item!r}: expected NAME=VALUE")
    window = [(opt, parse_when(value, opt)) for opt, value in (("--since", since), ("--until", until))]
    if window[0][1] and window[1][1] and window[0][1] > window[1][1]:
        raise ConfigError("--since is after --until")
    runtime = parse_runtime(max_runtime)
    if log_file is not None:
        from archive.ops.logfile import rotating_handler

        rotating_handler(log_file).close()  # unwritable → one line now, not a child traceback
    interactive = sys.stderr.isatty() and not quiet
    config = ArchiveConfig.build(archive_dir, database_url)
    config.ensure_dirs()
    try:
        lock = ArchiveLock(config.root).acquire()
    except ArchiveLockedError:
        if quiet:  # cron: the previous run is still going; skipping is normal, so say nothing
            sys.exit(ArchiveLockedError.exit_code)
        raise
    with lock:
        engine = make_engine(config.database_url)  # fail fast, with one line, before Scrapy starts
        repaired = repair_before_run(engine, config, lock)
        if repaired and interactive:
            click.echo(f"pressclips: repaired after an interrupted run: {repaired}", err=True)
        before = last_run_id(engine)
        child = [sys.executable, "-m", "crawler.run", "--outlet", only,
                 "-s", f"PRESSCLIPS_OUTLETS={outlets_path.absolute()}",
                 "-s", f"PRESSCLIPS_ARCHIVE={config.root}",
                 "-s", f"PRESSCLIPS_DATABASE_URL={config.database_url}",
                 "-s", f"LOG_LEVEL={['WARNING', 'INFO', 'DEBUG'][min(verbose, 2)]}",
                 "-s", f"PRESSCLIPS_PROGRESS={'1' if interactive else '0'}"]
        for opt, when in window:
            if when is not None:
                child += ["-s", f"PRESSCLIPS_{opt[2:].upper()}={when.isoformat()}"]
        if runtime:
            child += ["-s", f"CLOSESPIDER_TIMEOUT={runtime}"]
        if log_file is not None:
            child += ["-s", f"PRESSCLIPS_LOG_FILE={log_file.absolute()}"]
        for item in settings:
            child += ["-s", item]
        # Two malloc arenas instead of one per thread: the reactor, the database writer and
        # Twisted's DNS threads otherwise each keep their own freed memory.
        env = {"MALLOC_ARENA_MAX": "2", **os.environ, **lock.child_env()}
        returncode = run_child(child, pass_fds=(lock.fileno(),), env=env)
        run = None
        after = last_run_id(engine)
        if after > before:
            run = get_run(engine, after)
        engine.dispose()
    if run is None:
        if returncode == ConfigError.exit_code:
            sys.exit(returncode)  # a bad setting: the child already said which, in one line
        fail(f"the crawl process exited with status {returncode} before recording a run", 1,
             "run again with -v to see Scrapy's log")
        return
    summary = (
        f"run {run['id']}: {run['status']} ({run['finish_reason']}) — requests {run['requests']}, "
        f"pages fetched {run['pages_fetched']}, articles new {run['articles_new']}, updated {run['articles_updated']}, "
        f"unchanged {run['articles_unchanged']}, gone {run['articles_gone']}, revisits {run['revisits']}, "
        f"not articles {run['not_articles']}, errors {run['errors']}")
    log_to_file(log_file, summary)
    failed = run["status"] != "ok" or returncode != 0
    if failed:
        click.echo(f"pressclips: {summary}", err=True)
        sys.exit(1)
    if not quiet:
        click.echo(summary)


def repair_before_run(engine: Any, config: ArchiveConfig, lock: Any) -> str:
    """Finalise what a killed run left (``.open`` WARCs, pointers, a 'running' run row)."""
    from archive.ops.repair import repair_on_start

    report = repair_on_start(engine, config.warc_dir, lock=lock)
    return str(report) if report else ""


# -- demo ----------------------------------------------------------------------------------------
@main.command()
@click.option("--outlets", "count", type=click.IntRange(1, 8), default=2, show_default=True,
              help="How many local outlets to serve.")
@archive_option
@click.pass_context
@friendly
def demo(ctx: click.Context, count: int, archive_dir: Path | None) -> None:
    """Offline demo: serve the checkout's local test site on 127.0.0.1 and crawl it.

    Run it from a pressclips checkout (it uses tests/localsite/ and tests/data/corpus).
    The archive defaults to ./demo-archive so it never mixes with a real one.
    """
    checkout = Path.cwd()
    if not (checkout / "tests" / "localsite" / "__init__.py").is_file():
        raise ConfigError("the demo needs the local test site: run it from a pressclips checkout",
                          hint="cd into the cloned repository first")
    archive = archive_dir or checkout / "demo-archive"
    server = subprocess.Popen([sys.executable, "-m", "tests.localsite", "--outlets", str(count)], cwd=checkout,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        lines = [server.stdout.readline().split() for _ in range(count)]
        if server.poll() is not None or any(len(line) != 2 for line in lines):
            raise ConfigError("the local test site did not start")
        outlets = archive.parent / f"{archive.name}-outlets.toml"
        archive.parent.mkdir(parents=True, exist_ok=True)
        # A small per-outlet delay keeps the demo quick with AutoThrottle on (the default).
        outlets.write_text("[defaults.politeness]\ndownload_delay = 0.05\n\n"
                           + "".join(f'[[outlets]]\nname = "{name}"\nhomepage = "{url}"\n\n' for name, url in lines))
        click.echo(f"serving {count} local outlets: " + ", ".join(url for _name, url in lines))
        click.echo(f"crawling into {archive} (outlets file {outlets})")
        ctx.invoke(crawl, outlets=str(outlets), only="", archive_dir=archive, database_url=None,
                   settings=("DOWNLOAD_DELAY=0",), verbose=0)
    finally:
        server.terminate()
        server.wait(timeout=10)
    click.echo(f"next: pressclips stats --archive {archive}; pressclips export --archive {archive}")


# -- reextract -----------------------------------------------------------------------------------
@main.command()
@click.option("--outlet", default=None, help="Only captures of this outlet.")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Extraction processes (default: CPUs).")
@archive_option
@database_option
@friendly
def reextract(outlet: str | None, workers: int | None, archive_dir: Path | None, database_url: str | None) -> None:
    """Re-run extraction over stored WARC records, without fetching anything."""
    from archive.ops.reextract import reextract_archive

    config, engine = open_archive(archive_dir, database_url)
    try:
        counts = reextract_archive(engine, config.warc_dir, outlet=outlet, workers=workers)
    finally:
        engine.dispose()
    click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))
    if counts.get("errors"):
        sys.exit(1)


# -- stats and runs ------------------------------------------------------------------------------
@main.command()
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@archive_option
@database_option
@friendly
def stats(as_json: bool, archive_dir: Path | None, database_url: str | None) -> None:
    """Counts per outlet and the last runs."""
    from archive.query.articles import list_runs, outlet_stats, totals

    _config, engine = open_archive(archive_dir, database_url)
    try:
        data = {"totals": totals(engine), "outlets": outlet_stats(engine), "runs": list_runs(engine, limit=5)}
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    click.echo(" ".join(f"{k}: {v}" for k, v in data["totals"].items()))
    click.echo()
    print_table(data["outlets"], ["outlet", "articles", "versions", "captures", "not_articles", "blocked",
                                 "last_capture"])
    click.echo()
    print_table(data["runs"], ["id", "started_at", "status", "pages_fetched", "articles_new", "articles_updated",
                               "errors"])


@main.command()
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@click.option("--limit", type=click.IntRange(1, 100000), default=20, show_default=True)
@archive_option
@database_option
@friendly
def runs(as_json: bool, limit: int, archive_dir: Path | None, database_url: str | None) -> None:
    """Crawl runs, newest first."""
    from archive.query.articles import RUN_FIELDS, list_runs

    _config, engine = open_archive(archive_dir, database_url)
    try:
        rows = list_runs(engine, limit=limit)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
    else:
        print_table(rows, [f for f in RUN_FIELDS if f != "warc_files"])


# Command groups that live in their own modules register here, one line each.
from archive.cli import query as cli_query  # noqa: E402  (search, show, export, outlets)

cli_query.register(main)
from archive.cli import replay as cli_replay  # noqa: E402  (replay get/serve, export-cdxj, export-wacz)

cli_replay.register(main)
from archive.cli import ops as cli_ops  # noqa: E402  (verify, versions, diff, cron)

cli_ops.register(main)


if __name__ == "__main__":
    main()

"""The ``pressclips`` command. The only place where errors become one-line user messages.

Exit codes: 0 ok, 1 the run or command failed, 2 usage or configuration error.
``crawl`` runs Scrapy in a child process (``python -m crawler.run``) so this package never
imports Scrapy; the child's outcome is read back from the ``crawl_runs`` row it wrote.
"""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from archive.clikit import (
    archive_option,
    database_option,
    fail,
    friendly,
    open_archive,
    parse_when,
    print_table,
)
from archive.config import ArchiveConfig
from archive.errors import ConfigError

STARTER = "starter"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pressclips")
def main() -> None:
    """pressclips: crawl press coverage into a deduplicated, searchable archive with WARC snapshots."""


# -- crawl ---------------------------------------------------------------------------------------
def resolve_outlets_path(outlets: str) -> Path:
    from archive.outlets import bundled_outlets_path

    return bundled_outlets_path() if outlets == STARTER else Path(outlets)


def run_child(command: list[str]) -> int:
    """Run the Scrapy child to completion. Ctrl-C reaches it through the terminal's process
    group and SIGTERM is forwarded, so Scrapy finishes in-flight work and records its run;
    we keep waiting instead of killing it (subprocess.run would kill it after 0.25 s)."""
    proc = subprocess.Popen(command)

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


@main.command()
@click.option("--outlets", "outlets", required=True, metavar="FILE",
              help=f"Outlets TOML file, or '{STARTER}' for the bundled starter list of entertainment outlets.")
@click.option("--outlet", "only", default="", help="Crawl only these outlets (comma-separated names).")
@archive_option
@database_option
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Scrapy setting override, as with 'scrapy crawl -s' (repeatable).")
@click.option("-v", "--verbose", count=True, help="Show Scrapy's log (-v info, -vv debug).")
@friendly
def crawl(outlets: str, only: str, archive_dir: Path | None, database_url: str | None,
          settings: tuple[str, ...], verbose: int) -> None:
    """Discover, fetch, archive (WARC) and extract articles of the listed outlets."""
    from archive.db import make_engine
    from archive.outlets import load_outlets
    from archive.query import get_run, last_run_id

    outlets_path = resolve_outlets_path(outlets)
    loaded = load_outlets(outlets_path)
    names = {o.name.lower() for o in loaded}
    for name in filter(None, (n.strip() for n in only.split(","))):
        if name.lower() not in names:
            raise ConfigError(f"--outlet: no outlet named {name!r} in {outlets_path}")
    for item in settings:
        if "=" not in item or not item.partition("=")[0].strip():
            raise ConfigError(f"-s {item!r}: expected NAME=VALUE")
    config = ArchiveConfig.build(archive_dir, database_url)
    config.ensure_dirs()
    engine = make_engine(config.database_url)  # fail fast, with one line, before Scrapy starts
    before = last_run_id(engine)

    child = [sys.executable, "-m", "crawler.run", "--outlet", only,
             "-s", f"PRESSCLIPS_OUTLETS={outlets_path.absolute()}",
             "-s", f"PRESSCLIPS_ARCHIVE={config.root}",
             "-s", f"PRESSCLIPS_DATABASE_URL={config.database_url}",
             "-s", f"LOG_LEVEL={['WARNING', 'INFO', 'DEBUG'][min(verbose, 2)]}"]
    for item in settings:
        child += ["-s", item]
    returncode = run_child(child)
    run = None
    after = last_run_id(engine)
    if after > before:
        run = get_run(engine, after)
    engine.dispose()
    if run is None:
        fail(f"the crawl process exited with status {returncode} before recording a run", 1,
             "run again with -v to see Scrapy's log")
        return
    click.echo(
        f"run {run['id']}: {run['status']} ({run['finish_reason']}) — pages fetched {run['pages_fetched']}, "
        f"articles new {run['articles_new']}, updated {run['articles_updated']}, "
        f"unchanged {run['articles_unchanged']}, not articles {run['not_articles']}, errors {run['errors']}")
    if run["status"] != "ok" or returncode != 0:
        sys.exit(1)


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
        outlets.write_text("".join(f'[[outlets]]\nname = "{name}"\nhomepage = "{url}"\n\n' for name, url in lines))
        click.echo(f"serving {count} local outlets: " + ", ".join(url for _name, url in lines))
        click.echo(f"crawling into {archive} (outlets file {outlets})")
        ctx.invoke(crawl, outlets=str(outlets), only="", archive_dir=archive, database_url=None,
                   settings=("AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_DELAY=0"), verbose=0)
    finally:
        server.terminate()
        server.wait(timeout=10)
    click.echo(f"next: pressclips stats --archive {archive}; pressclips export --archive {archive}")


# -- export --------------------------------------------------------------------------------------
@main.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--outlet", default=None, help="Only this outlet.")
@click.option("--since", default=None, help="Only articles first seen at or after this date (ISO 8601).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of stdout.")
@archive_option
@database_option
@friendly
def export(fmt: str, outlet: str | None, since: str | None, output: Path | None, archive_dir: Path | None,
           database_url: str | None) -> None:
    """Export articles (current version) as JSON lines or CSV, streamed."""
    from archive.query import EXPORT_FIELDS, ArticleFilter, iter_articles

    flt = ArticleFilter(outlet=outlet, since=parse_when(since, "--since"))
    _config, engine = open_archive(archive_dir, database_url)
    rows = iter_articles(engine, flt)
    out = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        if fmt == "jsonl":
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            writer = csv.DictWriter(out, fieldnames=[*EXPORT_FIELDS, "gone"])
            writer.writeheader()
            for row in rows:
                flat = dict(row)
                flat["urls"] = " ".join(row["urls"])
                flat["authors"] = "; ".join(row["authors"])
                flat["warc"] = "" if not row["warc"] else f"{row['warc']['file']}:{row['warc']['offset']}:{row['warc']['length']}"
                writer.writerow(flat)
    finally:
        if output:
            out.close()
        engine.dispose()


# -- reextract -----------------------------------------------------------------------------------
@main.command()
@click.option("--outlet", default=None, help="Only captures of this outlet.")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Extraction processes (default: CPUs).")
@archive_option
@database_option
@friendly
def reextract(outlet: str | None, workers: int | None, archive_dir: Path | None, database_url: str | None) -> None:
    """Re-run extraction over stored WARC records, without fetching anything."""
    from archive.reextract import reextract_archive

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
    from archive.query import list_runs, outlet_stats, totals

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
    print_table(data["outlets"], ["outlet", "articles", "versions", "captures", "not_articles", "last_capture"])
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
    from archive.query import RUN_FIELDS, list_runs

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


if __name__ == "__main__":
    main()

"""The replay and web-archive commands: ``replay get``, ``replay serve``, ``export-cdxj``,
``export-wacz``. Registered on the main group by ``archive.cli.main``; heavy imports stay inside the
commands so ``pressclips --help`` stays fast."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any, TextIO, cast

import click

from archive.cli.kit import (
    ReplayTarget,
    archive_option,
    database_option,
    friendly,
    open_archive,
    parse_until,
    parse_when,
    retired_option,
    skip_ledger,
    strict_option,
)
from archive.errors import ConfigError, WarcError


@click.group()
def replay() -> None:
    """Replay archived captures: one to stdout, or a local web server (pywb-style URLs).

    \b
    Examples:
      pressclips replay get 42 > page.html
      pressclips replay serve --port 8080
    """


@replay.command("get")
@click.argument("target", type=ReplayTarget())
@click.option("--at", "at", default=None, metavar="TIMESTAMP",
              help="Closest capture to this time: 1-14 digits (YYYYMMDDhhmmss) or ISO 8601. Default: latest.")
@click.option("--headers", "show_headers", is_flag=True,
              help="Print the archived status line and headers instead of the body.")
@click.option("--raw", is_flag=True, help="The payload exactly as stored (still content-encoded).")
@strict_option
@archive_option
@database_option
@friendly
def get(target: str, at: str | None, show_headers: bool, raw: bool, strict: bool, archive_dir: Path | None,
        database_url: str | None) -> None:
    """Write an archived response body to stdout.

    TARGET is an article ID (as `search` and `show` print), capture:ID, or a URL (matched
    exactly and through its canonical form; the scheme may be left out). Revisits are
    resolved to the payload they stand for. The body is de-chunked and gzip/deflate-decoded,
    so what you get is the page itself; --raw gives the stored bytes. A capture whose WARC
    record is unreadable is skipped for the next-closest one, with a warning; --strict fails.

    \b
    Examples:
      pressclips replay get 42 > page.html
      pressclips replay get https://variety.com/2026/film/news/x/ --at 20261101 --headers
    """
    from archive.replay.target import parse_timestamp
    from archive.replay.tolerant import SkippingReplayer

    when = parse_timestamp(at) if at else None
    ledger = skip_ledger(strict)
    with open_archive(archive_dir, database_url) as archive:
        replayer = SkippingReplayer(archive.engine, archive.config.warc_dir, ledger)
        resolved = replayer.resolve_first(replayer.lookup(target, when))
    ledger.flush()
    out = sys.stdout.buffer
    if show_headers:
        head = resolved.status_line() + "\n" + "".join(f"{k}: {v}\n" for k, v in resolved.headers)
        out.write(head.encode("latin-1", "replace"))
    elif raw:
        out.write(resolved.payload)
    else:
        try:
            out.write(resolved.body())
        except WarcError as exc:
            raise WarcError(str(exc), hint="--raw writes the stored bytes") from exc
    out.flush()


@replay.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback exposes the archive to the network.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="Port (0 = any free port; the URL is printed).")
@click.option("-q", "--quiet", is_flag=True, help="No access log on stderr.")
@click.option("--scripts", is_flag=True,
              help="Run archived scripts, sandboxed in an iframe with an opaque origin (off by default).")
@strict_option
@archive_option
@database_option
@friendly
def serve(host: str, port: int, quiet: bool, scripts: bool, strict: bool, archive_dir: Path | None,
          database_url: str | None) -> None:
    """Serve the archive on a local web server.

    /<timestamp>/<url> replays the capture closest to the timestamp (1-14 digits), with the
    archived status and headers, links and page requisites rewritten to this server (each from
    its capture closest in time), a banner (hide it with ?banner=0) and a strict
    Content-Security-Policy: nothing loads from the live web and archived scripts stay off unless
    --scripts. /<timestamp>id_/<url> is the archived bytes unrewritten. / has a search box and
    links to every article's versions and captures.
    A capture whose WARC record is unreadable is skipped for the next-closest one (a warning per
    damaged file, with counts at exit); with --strict it is answered with a 500 instead.

    \b
    Examples:
      pressclips replay serve
      pressclips replay serve --port 0 --quiet
      pressclips replay serve --scripts
    """
    from archive.replay.server import is_loopback, make_server
    from archive.replay.tolerant import SkippingReplayer

    if not is_loopback(host):
        click.echo(f"pressclips: warning: listening on {host} makes the archive readable from the network; "
                   "use --host 127.0.0.1 to keep it on this machine", err=True)
    with open_archive(archive_dir, database_url) as archive:
        ledger = skip_ledger(strict)
        try:
            replayer = SkippingReplayer(archive.engine, archive.config.warc_dir, ledger, warn_at_once=True)
            server = make_server(replayer, host, port, scripts=scripts)
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                              hint="choose another --port, or 0 for any free one") from None
        try:
            _serve(server, archive.config.root, quiet)
        finally:
            ledger.flush()  # the counts of every damaged file met while serving


def _serve(server: Any, root: Path, quiet: bool) -> None:
    if not quiet:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        for name in ("archive.replay.server", "archive.replay.lookup"):
            logging.getLogger(name).addHandler(handler)
            logging.getLogger(name).setLevel(logging.INFO)
    click.echo(f"serving {root} at {server.url} (Ctrl-C to stop)")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@click.command("export-cdxj")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Write to this file (atomically: complete or not at all) instead of stdout.")
@strict_option
@archive_option
@database_option
@friendly
def export_cdxj(output: Path | None, strict: bool, archive_dir: Path | None, database_url: str | None) -> None:
    """Write a sorted CDXJ index of the archive's WARC files (for pywb and replayweb.page).

    Every response and revisit record is indexed (pages, feeds, stylesheets, images, fonts...).
    An unreadable record is left out with one warning per WARC file; --strict aborts instead.

    \b
    Examples:
      pressclips export-cdxj -o index.cdxj
      pressclips export-cdxj | grep variety
    """
    from archive.atomic import atomic_output, check_target
    from archive.replay.cdxj import warc_files, write_cdxj

    if output is not None:
        check_target(output)
    with open_archive(archive_dir, database_url) as archive:
        warc_dir = archive.config.warc_dir
        if not warc_dir.is_dir():
            raise ConfigError(f"no WARC directory at {warc_dir}", hint="run 'pressclips crawl' first")
        files = warc_files(warc_dir)
        ledger = skip_ledger(strict)
        if output is None:
            write_cdxj(warc_dir, files, sys.stdout, engine=archive.engine, ledger=ledger)
            sys.stdout.flush()
            return
        with atomic_output(output) as fh:
            lines = write_cdxj(warc_dir, files, cast(TextIO, fh), engine=archive.engine, ledger=ledger)
    click.echo(f"wrote {output}: {lines} lines from {len(files)} WARC files", err=True)


@click.command("export-wacz")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--outlet", default=None, help="Only captures of this outlet.")
@click.option("--captured-since", "since", default=None, metavar="DATE",
              help="Only captures fetched at or after DATE: ISO 8601 or relative (7d, 2w, today, yesterday).")
@click.option("--captured-until", "until", default=None, metavar="DATE",
              help="Only captures fetched up to DATE (a date without time includes that whole day, month or year).")
@retired_option("--since", "--captured-since (captures by fetch date, as before)")
@retired_option("--until", "--captured-until (inclusive: --captured-until 2026-11-30 includes that day)")
@click.option("--text/--no-text", default=True, show_default=True, help="Article text in pages/pages.jsonl.")
@click.option("--title", default=None, help="Title in datapackage.json.")
@strict_option
@archive_option
@database_option
@friendly
def export_wacz(out: Path, outlet: str | None, since: str | None, until: str | None, text: bool,
                title: str | None, strict: bool, archive_dir: Path | None, database_url: str | None) -> None:
    """Write a WACZ (WARCs, CDXJ index, pages list, datapackage) for replayweb.page and pywb.

    With filters, only the selected captures' records go in (with their request records, the
    originals their revisits refer to, and their page requisites), copied record by record into
    new WARC files, so nothing outside the selection leaks; each record stays byte-identical to
    the archive's. An unreadable record is left out with one warning per WARC file; --strict
    aborts instead. OUT is written atomically.

    \b
    Examples:
      pressclips export-wacz archive.wacz
      pressclips export-wacz variety-nov.wacz --outlet variety --captured-since 2026-11 --captured-until 2026-11
      pressclips export-wacz last-week.wacz --captured-since 7d
    """
    from archive.atomic import check_target
    from archive.replay.wacz import WaczFilter
    from archive.replay.wacz import export_wacz as build

    flt = WaczFilter(outlet=outlet, since=parse_when(since, "--captured-since"),
                     until=parse_until(until, "--captured-until"))
    if flt.since and flt.until and flt.since >= flt.until:
        raise ConfigError("--captured-since must be before --captured-until")
    check_target(out)  # a missing directory is reported before the archive is opened
    with open_archive(archive_dir, database_url) as archive:
        summary = build(archive.engine, archive.config.warc_dir, out, flt, text=text, title=title,
                        ledger=skip_ledger(strict))
    click.echo(f"wrote {summary.path}: {len(summary.warc_files)} WARC files, {summary.pages} pages, "
               f"{summary.index_lines} index lines, {summary.bytes} bytes")


def register(main: click.Group) -> None:
    for command in (replay, export_cdxj, export_wacz):
        main.add_command(command)

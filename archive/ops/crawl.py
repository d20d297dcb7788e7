"""Running a crawl from Python: ``run_crawl(config, options) -> RunSummary``.

The crawl runs Scrapy in a child process (``python -m crawler.run -s NAME=VALUE …``) so the archive
never imports Scrapy. This module takes the archive lock and hands it to the child, finalises what
a killed run left behind, starts the child with the settings the options say, waits for it
(forwarding SIGTERM; Ctrl-C reaches it through the process group), and reads the run's outcome back
from the ``crawl_runs`` row the child wrote. ``pressclips crawl``, the demo, the benchmarks and the
tests all go through here.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from archive.config import ArchiveConfig
from archive.errors import ConfigError, CrawlError

LOG_LEVELS = ("WARNING", "INFO", "DEBUG")
Notify = Callable[[str], None]


def _to_stderr(message: str) -> None:
    print(f"pressclips: {message}", file=sys.stderr, flush=True)


class SettingsRejected(ConfigError):
    """The crawl process refused a setting before it started; it has said which on stderr."""


@dataclass(frozen=True)
class CrawlOptions:
    """What to crawl and how. ``settings`` are Scrapy overrides (``NAME=VALUE``) passed last, so
    they win; ``progress`` shows the live progress line (a terminal only)."""

    outlets: Path
    only: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    max_runtime: int | None = None  # seconds; the child stops gracefully after it
    log_file: Path | None = None
    progress: bool = False
    settings: tuple[str, ...] = ()
    verbose: int = 0
    quiet: bool = False  # the child logs nothing on stderr (the log file, if any, still gets it all)
    redis_url: str = ""  # a distributed worker sharing this Redis queue (archive.ops.worker); "" = one process
    until_idle: float = 0.0  # distributed: exit once the shared queue stayed empty this long; 0 = never


@dataclass(frozen=True)
class RunSummary:
    """The ``crawl_runs`` row the child recorded, its exit status, and what was repaired first."""

    run: dict[str, Any]
    returncode: int
    repaired: str = ""
    log_file: Path | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return self.run["status"] == "ok" and self.returncode == 0

    @property
    def causes(self) -> list[str]:
        """One line per outlet and cause of its failed requests (empty when none failed)."""
        return list(self.run.get("causes") or [])

    def line(self) -> str:
        r = self.run
        return (f"run {r['id']}: {r['status']} ({r['finish_reason']}) — requests {r['requests']}, "
                f"pages fetched {r['pages_fetched']}, articles new {r['articles_new']}, "
                f"updated {r['articles_updated']}, unchanged {r['articles_unchanged']}, gone {r['articles_gone']}, "
                f"revisits {r['revisits']}, not articles {r['not_articles']}, errors {r['errors']}")

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "exit_status": self.returncode, "repaired": self.repaired or None, "run": self.run}


def validate(options: CrawlOptions) -> None:
    """Every check that needs no archive, so bad input creates nothing (``ConfigError``, exit 2)."""
    from archive.outlets import load_outlets

    names = {o.name.lower() for o in load_outlets(options.outlets)}
    for name in options.only:
        if name.lower() not in names:
            raise ConfigError(f"--outlet: no outlet named {name!r} in {options.outlets}")
    for item in options.settings:
        if "=" not in item or not item.partition("=")[0].strip():
            raise ConfigError(f"-s {item!r}: expected NAME=VALUE")
    if options.since and options.until and options.since > options.until:
        raise ConfigError("--published-since is after --published-until")
    if options.max_runtime is not None and options.max_runtime <= 0:
        raise ConfigError("--max-runtime must be positive")
    if options.log_file is not None:
        from archive.ops.logfile import rotating_handler

        rotating_handler(options.log_file).close()  # unwritable → one line now, not a child traceback


def run_crawl(config: ArchiveConfig, options: CrawlOptions, *, notify: Notify = _to_stderr) -> RunSummary:
    """Crawl into ``config``'s archive (created if needed) and return the recorded run.

    Raises ``ConfigError`` for bad options (before anything is created), ``ArchiveLockedError``
    when another run holds the lock, ``CrawlError`` when the child exits without recording a run.
    ``notify`` receives the few things a person watching should know (a repair, an interrupt).
    """
    from archive.db.engine import make_engine
    from archive.ops.lock import ArchiveLock
    from archive.query.articles import get_run, last_run_id

    validate(options)
    if options.redis_url:
        raise ConfigError("a distributed worker runs through archive.ops.worker.run_worker")
    config.ensure_dirs()
    with ArchiveLock(config.root).acquire() as lock:
        engine = make_engine(config.database_url)  # fail fast, with one line, before Scrapy starts
        try:
            repaired = _repair_before_run(engine, config, lock)
            if repaired:
                notify(f"repaired after an interrupted run: {repaired}")
            before = last_run_id(engine)
            # Two malloc arenas instead of one per thread: the reactor, the database writer and
            # Twisted's DNS threads otherwise each keep their own freed memory.
            env = {"MALLOC_ARENA_MAX": "2", **os.environ, **lock.child_env()}
            returncode, _pid = run_child(child_command(config, options), (lock.fileno(),), env, notify)
            after = last_run_id(engine)
            run = get_run(engine, after) if after > before else None
        finally:
            engine.dispose()
    if run is None:
        if returncode == ConfigError.exit_code:
            raise SettingsRejected("the crawl process refused its settings")
        raise CrawlError(f"the crawl process exited with status {returncode} before recording a run",
                         hint="run again with -v to see Scrapy's log")
    summary = RunSummary(run, returncode, repaired, options.log_file)
    _log_to_file(options.log_file, summary.line())
    return summary


def child_command(config: ArchiveConfig, options: CrawlOptions) -> list[str]:
    """The ``python -m crawler.run`` command line; every setting is a ``-s NAME=VALUE``."""
    command = [sys.executable, "-m", "crawler.run", "--outlet", ",".join(options.only),
               "-s", f"PRESSCLIPS_OUTLETS={options.outlets.absolute()}",
               "-s", f"PRESSCLIPS_ARCHIVE={config.root}",
               "-s", f"PRESSCLIPS_DATABASE_URL={config.database_url}",
               "-s", f"LOG_LEVEL={LOG_LEVELS[min(options.verbose, 2)]}",
               "-s", f"LOG_ENABLED={'0' if options.quiet else '1'}",
               "-s", f"PRESSCLIPS_PROGRESS={'1' if options.progress else '0'}"]
    for name, when in (("SINCE", options.since), ("UNTIL", options.until)):
        if when is not None:
            command += ["-s", f"PRESSCLIPS_{name}={when.isoformat()}"]
    if options.max_runtime:
        command += ["-s", f"CLOSESPIDER_TIMEOUT={options.max_runtime}"]
    if options.log_file is not None:
        command += ["-s", f"PRESSCLIPS_LOG_FILE={options.log_file.absolute()}"]
    if options.redis_url:
        command += ["-s", f"PRESSCLIPS_REDIS_URL={options.redis_url}",
                    "-s", f"PRESSCLIPS_UNTIL_IDLE={options.until_idle}"]
    for item in options.settings:
        command += ["-s", item]
    return command


def _repair_before_run(engine: Any, config: ArchiveConfig, lock: Any) -> str:
    """Finalise what a killed run left (``.open`` WARCs, pointers, a 'running' run row)."""
    from archive.ops.repair import repair_on_start

    report = repair_on_start(engine, config.warc_dir, lock=lock)
    return str(report) if report else ""


def run_child(command: list[str], pass_fds: tuple[int, ...], env: dict[str, str], notify: Notify) -> tuple[int, int]:
    """Run the Scrapy child to completion; its exit status and pid. Ctrl-C reaches it through the terminal's process
    group and SIGTERM is forwarded, so Scrapy finishes in-flight work and records its run;
    we keep waiting instead of killing it (subprocess.run would kill it after 0.25 s)."""
    proc = subprocess.Popen(command, pass_fds=pass_fds, env=env)

    def forward(signum: int, _frame: Any) -> None:
        proc.send_signal(signum)

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        while True:
            try:
                return proc.wait(), proc.pid
            except KeyboardInterrupt:
                notify("interrupted; the crawl is finishing in-flight requests (Ctrl-C again to stop at once)")
    finally:
        signal.signal(signal.SIGTERM, previous)


def _log_to_file(path: Path | None, message: str) -> None:
    """Append the run summary to the log file the child wrote (same rotation settings)."""
    if path is None:
        return
    from archive.ops.logfile import rotating_handler

    handler = rotating_handler(path)
    try:
        handler.emit(logging.LogRecord("pressclips", logging.INFO, __file__, 0, message, None, None))
    finally:
        handler.close()

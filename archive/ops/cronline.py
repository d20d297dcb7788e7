"""The crontab entry ``pressclips cron`` prints: schedule fields, absolute paths, time limits.

The schedule is one of a few fixed intervals (``--every 30m|1h|6h|1d`` …) that cron can express
exactly. The minute (and hour) is spread by a hash of the archive path, so many installs do not
all hit the outlets at :00, yet the same archive always gets the same line.

Two time limits: ``--max-runtime`` asks the crawl to stop gracefully (80% of the interval by
default, so a run normally ends before the next one starts), and coreutils ``timeout`` is the
hard stop 10 minutes later (SIGTERM, then SIGKILL 5 minutes after that). Overlap is prevented by
the archive lock inside ``pressclips crawl`` (exit 75), so ``flock(1)`` is not needed.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from archive.db.models import CrawlRun
from archive.errors import ConfigError
from archive.outlets import parse_duration

MINUTE_STEPS = (5, 10, 15, 20, 30)  # divide an hour evenly
HOUR_STEPS = (1, 2, 3, 4, 6, 8, 12)  # divide a day evenly
EVERY_CHOICES = [f"{m}m" for m in MINUTE_STEPS] + [f"{h}h" for h in HOUR_STEPS] + ["1d"]
HARD_STOP_GRACE = 10 * 60
KILL_AFTER = "5m"
EXIT_CODES = ("exit codes: 0 ok, 1 run errors, 2 usage/config error, 75 the previous run still holds "
              "the archive lock (this run skipped; not an error, ignore it)")


@dataclass(frozen=True)
class Schedule:
    fields: str  # the five cron fields
    interval: int  # seconds


def schedule(every: str, seed: str) -> Schedule:
    """Cron fields for ``every`` (e.g. ``30m``), offset by a stable hash of ``seed``."""
    try:
        seconds = int(parse_duration(every.strip()).total_seconds())
    except ValueError:
        seconds = -1
    spread = zlib.crc32(seed.encode("utf-8"))
    minute = spread % 60
    if seconds % 3600 and seconds // 60 in MINUTE_STEPS:
        step = seconds // 60
        return Schedule(f"{minute % step}-59/{step} * * * *", seconds)
    if seconds % 3600 == 0 and seconds // 3600 in HOUR_STEPS:
        step = seconds // 3600
        hours = "*" if step == 1 else f"{spread // 60 % step}-23/{step}"
        return Schedule(f"{minute} {hours} * * *", seconds)
    if seconds == 86400:
        return Schedule(f"{minute} {spread // 60 % 24} * * *", seconds)
    raise ConfigError(f"--every: cannot schedule {every!r} with cron",
                      hint="use one of " + ", ".join(EVERY_CHOICES))


def runtime_limit(value: str | None, interval: int) -> int:
    """``--max-runtime`` in seconds: as given, else 80% of the interval in whole minutes."""
    if value is None:
        return max(60, interval * 4 // 5 // 60 * 60)
    try:
        seconds = int(parse_duration(value.strip()).total_seconds())
    except ValueError:
        raise ConfigError(f"--max-runtime: not a duration: {value!r}", hint="e.g. 25m, 2h") from None
    if seconds < 60:
        raise ConfigError("--max-runtime must be at least 1m")
    return seconds


def minutes(seconds: int) -> str:
    """A duration both ``pressclips crawl --max-runtime`` and coreutils ``timeout`` read."""
    return f"{(seconds + 59) // 60}m"


def pressclips_command() -> list[str]:
    """How cron should start this very pressclips: its console script, absolute."""
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.name == "pressclips" and argv0.exists():
        return [os.path.abspath(argv0)]  # not resolved: a venv's script path stays valid across upgrades
    beside = Path(sys.executable).parent / "pressclips"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("pressclips")
    if found:
        return [os.path.abspath(found)]
    return [sys.executable, "-m", "archive.cli.main"]


def last_outlets_file(engine: Engine) -> str | None:
    """The outlets file of the newest run that recorded one, or None."""
    try:
        with engine.connect() as conn:
            return conn.scalar(select(CrawlRun.outlets_file).where(CrawlRun.outlets_file.is_not(None))
                               .order_by(CrawlRun.id.desc()).limit(1))
    except SQLAlchemyError:  # no crawl_runs table yet: an archive that never ran
        return None


def _quote(arg: str) -> str:
    return shlex.quote(arg).replace("%", "\\%")  # cron turns a bare % into a newline


def crontab_lines(*, every: str, archive_root: Path, outlets: str, log_file: Path,
                  max_runtime: str | None = None, database_url: str | None = None,
                  command: list[str] | None = None, timeout_bin: str | None = None) -> list[str]:
    """Comment lines and the crontab entry (last line) for one archive."""
    plan = schedule(every, str(archive_root))
    limit = runtime_limit(max_runtime, plan.interval)
    crawl = [*(command or pressclips_command()), "crawl", "--archive", str(archive_root), "--outlets", outlets]
    if database_url:
        crawl += ["--database-url", database_url]
    crawl += ["--log-file", str(log_file), "--max-runtime", minutes(limit), "--quiet"]
    hard = None
    if timeout_bin:
        hard = minutes(limit + HARD_STOP_GRACE)
        crawl = [timeout_bin, "--signal=TERM", f"--kill-after={KILL_AFTER}", hard, *crawl]
    stop = (f"hard stop after {hard} (timeout: SIGTERM, SIGKILL {KILL_AFTER} later)" if hard else
            "no coreutils timeout found: no hard stop")
    return [
        f"# pressclips: crawl {archive_root} every {every}; each run stops gracefully after "
        f"{minutes(limit)}, {stop}",
        f"# {EXIT_CODES}; the lock is taken by 'pressclips crawl' itself, flock(1) is not needed",
        f"# log: {log_file} (rotated); --quiet: output (mailed by cron) only when a run fails or is skipped",
        f"{plan.fields} " + " ".join(_quote(a) for a in crawl),
    ]

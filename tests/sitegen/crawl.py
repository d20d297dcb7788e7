"""Running the real ``pressclips crawl`` CLI against a generated site, with default settings.

The crawl runs as a subprocess in its own process group (so a test can SIGKILL all of it: the
crawler and its extraction workers) and inherits ``PYTHONPATH``.  ``log_problems`` picks the
lines of its stderr that a clean run must not have.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.backends import with_database

CRAWL_TIMEOUT = 600  # seconds; a generated site's crawl takes well under a minute


def crawl_command(outlets: Path, archive: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "archive.cli.main",
            *with_database(["crawl", "--outlets", str(outlets), "--archive", str(archive), *extra])]


def crawl(outlets: Path, archive: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """One complete run with the crawler's defaults (AutoThrottle and robots.txt on)."""
    return subprocess.run(crawl_command(outlets, archive, *extra), capture_output=True, text=True,
                          timeout=CRAWL_TIMEOUT, env=dict(os.environ), check=False)


def start_crawl(outlets: Path, archive: Path, *extra: str) -> subprocess.Popen[bytes]:
    """A run in its own session: ``os.killpg(proc.pid, SIGKILL)`` takes the workers down too."""
    return subprocess.Popen(crawl_command(outlets, archive, *extra), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli.main", *with_database(args)], capture_output=True,
                          text=True,
                          timeout=CRAWL_TIMEOUT, check=False)


def log_problems(stderr: str) -> list[str]:
    """Lines showing a traceback or an ERROR-level log record."""
    return [line for line in stderr.splitlines() if "Traceback" in line or " ERROR" in line]

"""Shared pieces of the tests that run real crawls: fast-but-polite settings, an outlets file for
the local site, and the check that a crawl's log holds no traceback and no unexpected ERROR.

Crawls run with the project's defaults, AutoThrottle included: they are fast because the local
outlets ask for a small delay of their own in the outlets file (``[defaults.politeness]``) and
the global floor ``DOWNLOAD_DELAY`` is 0, not because politeness is switched off.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

# Extraction workers kept low: the machine's two cores are shared with the test site.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "PRESSCLIPS_EXTRACT_WORKERS=2"]
TEST_OUTLET_DELAY = 0.05  # seconds between requests to one local outlet

# "2026-01-01 10:00:00 [logger.name] ERROR: message" (Scrapy's log format), or a bare ERROR level.
_ERROR_LINE = re.compile(r"(\] ERROR: |^ERROR[: ])")


def polite_outlets(outlets_toml: str, *, delay: float = TEST_OUTLET_DELAY) -> str:
    """An outlets file giving every outlet a small delay of its own. The table goes first, so
    keys a test appends after the last ``[[outlets]]`` still belong to that outlet."""
    return f"[defaults.politeness]\ndownload_delay = {delay}\n\n{outlets_toml}"


def write_outlets(path: Path, outlets_toml: str, *, delay: float = TEST_OUTLET_DELAY) -> Path:
    path.write_text(polite_outlets(outlets_toml, delay=delay))
    return path


def log_problems(log: str | bytes, *, allowed: Iterable[str] = ()) -> list[str]:
    """Lines of a crawl log that are a traceback or an ERROR not matching one of ``allowed``
    (regular expressions searched in the line)."""
    text = log.decode("utf-8", "replace") if isinstance(log, bytes) else log
    patterns = [re.compile(p) for p in allowed]
    problems = []
    for line in text.splitlines():
        traceback = "Traceback (most recent call last)" in line
        if traceback or (_ERROR_LINE.search(line) and not any(p.search(line) for p in patterns)):
            problems.append(line)
    return problems


def assert_clean_log(log: str | bytes, *, allowed: Iterable[str] = ()) -> None:
    """Fail with the offending lines when the log has a traceback or an unexpected ERROR."""
    problems = log_problems(log, allowed=allowed)
    assert not problems, "crawl log has tracebacks/errors:\n" + "\n".join(problems[:20])

"""The one exception tree of pressclips.

    PressclipsError            base; ``exit_code`` and ``hint`` are what the CLI shows
    ├── ConfigError            malformed outlets file, bad option value (exit 2)
    ├── ArchiveError           archive directory missing/unwritable, database unreachable
    │   ├── DatabaseError
    │   └── WarcError          WARC file unwritable, corrupt, or a pointer that does not resolve
    └── CrawlError             the crawl itself failed (spider errors, aborted run)

Only ``archive.cli`` turns these into one-line messages; everything below raises.
"""

from __future__ import annotations


class PressclipsError(Exception):
    """Base class; ``exit_code`` is the process exit status the CLI uses."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class ConfigError(PressclipsError):
    """Bad user input: outlets file, CLI option, setting."""

    exit_code = 2


class ArchiveError(PressclipsError):
    """The archive (directory, database, WARC store) cannot be used."""


class DatabaseError(ArchiveError):
    """The database is unreachable, invalid, or a write failed."""


class WarcError(ArchiveError):
    """A WARC file cannot be written or read back."""


class CrawlError(PressclipsError):
    """The crawl ran but failed (spider errors, unexpected finish)."""

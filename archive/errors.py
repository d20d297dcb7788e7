"""The one exception tree of pressclips.

    PressclipsError            base; ``exit_code`` and ``hint`` are what the CLI shows
    ├── ConfigError            malformed outlets file, bad option value (exit 2)
    │   ├── NotFoundError      an ID, URL or version the archive does not hold
    │   ├── NoArchiveError     no archive where one was expected, or a database that is not one
    │   ├── SchemaUpgradeNeeded a read-only command met an archive whose schema needs upgrading
    │   └── QuerySyntaxError   a search query with nothing to look for
    ├── ArchiveError           archive directory missing/unwritable, database unreachable
    │   ├── DatabaseError
    │   ├── WarcError          WARC file unwritable, corrupt, or a pointer that does not resolve
    │   │   └── RecordUnreadableError  one record's bytes are damaged (names the file and offset)
    │   ├── ArchiveLockedError another run holds the archive lock (exit 75, EX_TEMPFAIL)
    │   └── ClusterError       Redis (the distributed crawl's shared queue) unreachable
    ├── CrawlError             the crawl itself failed (spider errors, aborted run)
    └── OutputError            an output file (-o) could not be written to the end

Only ``archive.cli.main`` turns these into one-line messages; everything below raises.
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


class NotFoundError(ConfigError):
    """An article ID, capture, URL or version that the archive does not hold (exit 2, like any bad input)."""


class NoArchiveError(ConfigError):
    """A read command found no archive (missing or empty database), or a database that holds
    someone else's tables: exit 2, and nothing is created in it."""


class SchemaUpgradeNeeded(ConfigError):
    """A command that only reads opened an archive that needs ``pressclips db upgrade`` first (exit 2):
    reading must never migrate."""


class ArchiveError(PressclipsError):
    """The archive (directory, database, WARC store) cannot be used."""


class DatabaseError(ArchiveError):
    """The database is unreachable, invalid, or a write failed."""


class WarcError(ArchiveError):
    """A WARC file cannot be written or read back."""


class RecordUnreadableError(WarcError):
    """The bytes of one WARC record cannot be read back (truncated, flipped bytes, a cut gzip member,
    garbage): ``file`` and ``offset`` say where. Readers that can go on without it (exports, replay,
    reextract) skip it and count it; with ``--strict`` it aborts the command."""

    def __init__(self, file: str, offset: int, reason: str, *, hint: str | None = None) -> None:
        super().__init__(f"{file}: unreadable WARC record at byte {offset}: {reason}", hint=hint)
        self.file, self.offset, self.reason = file, offset, reason


class ArchiveLockedError(ArchiveError):
    """Another pressclips run holds the archive lock; cron should treat exit 75 as "skipped"."""

    exit_code = 75  # EX_TEMPFAIL from sysexits.h: try again later

    def __init__(self, holder: str = "holder unknown") -> None:
        super().__init__(f"another pressclips run holds the archive lock ({holder})",
                         hint="wait for it to finish; this run was skipped, nothing was changed")
        self.holder = holder


class ClusterError(ArchiveError):
    """Redis, which holds a distributed crawl's shared queue, leases and heartbeats, failed."""


class CrawlError(PressclipsError):
    """The crawl ran but failed (spider errors, unexpected finish)."""


class QuerySyntaxError(ConfigError):
    """A search query with nothing to look for (only exclusions, no words) or over the size limits."""


class OutputError(PressclipsError):
    """An output file could not be written to the end (disk full, I/O error); nothing is left behind."""

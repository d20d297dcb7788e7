"""Skipping unreadable WARC records: counted per file, one warning per file, or abort (``--strict``).

The readers that can go on without one record (``export-cdxj``, ``export-wacz``, ``reextract``,
``replay``) hand every ``RecordUnreadableError`` to a ``SkipLedger``. Without ``strict`` the
ledger counts it against its file and the command carries on; ``warn`` is called once per file
with the number of records skipped there (by ``flush``, when the caller is done with that file or
with everything). With ``strict`` the first one is re-raised, so the command stops with that one
line and a non-zero exit. Nothing here writes to a WARC file: skipping never changes the archive.

A damaged stretch of a file (a truncated end, flipped bytes, a gzip member cut in half, garbage
appended) counts as one skipped record: where the records inside it began cannot be known, the
next readable record is where reading goes on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from archive.errors import RecordUnreadableError

log = logging.getLogger(__name__)

STRICT_HINT = "without --strict, unreadable records are skipped with a warning"


@dataclass
class _FileSkips:
    count: int
    first: RecordUnreadableError
    warned: bool = False


class SkipLedger:
    """Unreadable records one command skipped, per WARC file. Thread-safe (replay serves from threads)."""

    def __init__(self, *, strict: bool = False, warn: Callable[[str], None] | None = None) -> None:
        self.strict = strict
        self.warn = warn or (lambda line: log.warning("%s", line))
        self._files: dict[str, _FileSkips] = {}
        self._lock = threading.Lock()

    def skip(self, error: RecordUnreadableError) -> None:
        """Count ``error`` against its file, or re-raise it when strict."""
        if self.strict:
            raise RecordUnreadableError(error.file, error.offset, error.reason, hint=STRICT_HINT) from error
        with self._lock:
            known = self._files.get(error.file)
            if known is None:
                self._files[error.file] = _FileSkips(1, error)
            else:
                known.count += 1
                known.warned = False  # a later flush reports the new count

    @property
    def total(self) -> int:
        with self._lock:
            return sum(f.count for f in self._files.values())

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {name: f.count for name, f in sorted(self._files.items())}

    def flush(self, file: str | None = None) -> None:
        """Warn once for ``file`` (or every file) with the records skipped there since the last warning."""
        with self._lock:
            due = [(name, f) for name, f in sorted(self._files.items())
                   if not f.warned and (file is None or name == file)]
            for _name, skips in due:
                skips.warned = True
        for name, skips in due:
            first = skips.first
            self.warn(f"{name}: skipped {skips.count} unreadable record(s) "
                      f"(first at byte {first.offset}: {first.reason}); run 'pressclips verify'")


__all__ = ["STRICT_HINT", "SkipLedger"]

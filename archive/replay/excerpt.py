"""Copying chosen records of one WARC file into a new one, byte for byte (for ``export-wacz``).

``plan_excerpt`` walks a source file once, tolerantly (``iter_readable``: an unreadable stretch
goes to the ``SkipLedger``, reading resumes at the next readable record), and decides per record:

- with no wanted set (an unfiltered export) every readable record is kept;
- otherwise a record is kept when its WARC-Record-ID is wanted, when it is the request record
  concurrent to a wanted record (WARC-Concurrent-To), or a metadata record about one
  (WARC-Refers-To: the extraction JSON); the file's ``warcinfo`` record is kept as provenance
  whenever anything else is.

Each kept record is copied as the exact bytes it occupies in the source (one gzip member in a
``.warc.gz``), so its digests, ID and date are untouched and the new file is a valid WARC: a
concatenation of whole records. When every record is kept and nothing was unreadable, the plan
says so (``whole``) and the exporter ships the source file itself under its own name; otherwise
the new file is named ``<stem>-excerpt.warc.gz``, so it is never mistaken for the archive's file.

The plan also holds each kept record's index entry (its offset in the new file), so the CDXJ
index needs no second pass, and the unreadable stretches, so a page whose record was lost is not
listed in pages.jsonl.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from archive.replay.cdxj import IndexEntry, index_entry, sort_key
from archive.warc.damage import SkipLedger
from archive.warc.reader import StoredRecord
from archive.warc.scan import iter_readable

_CHUNK = 1 << 20
_KEEP_ALWAYS = ("warcinfo",)


@dataclass
class FileExcerpt:
    source: Path
    source_name: str
    spans: list[tuple[int, int]] = field(default_factory=list)  # (offset, bytes) in the source, in order
    entries: list[tuple[IndexEntry, int]] = field(default_factory=list)  # (entry, offset in the new file)
    damaged: list[tuple[int, int]] = field(default_factory=list)  # unreadable [start, end) in the source
    records: int = 0  # readable records in the source
    size: int = 0  # bytes of the new file

    @property
    def whole(self) -> bool:
        """Every record kept and nothing unreadable: the new file would equal the source."""
        return not self.damaged and len(self.spans) == self.records

    @property
    def name(self) -> str:
        """The file's name inside the WACZ."""
        if self.whole:
            return self.source_name
        for ext in (".warc.gz", ".warc"):
            if self.source_name.endswith(ext):
                return self.source_name[: -len(ext)] + "-excerpt" + ext
        return self.source_name + "-excerpt"

    def index_lines(self) -> list[str]:
        return sorted((entry.line(self.name, offset) for entry, offset in self.entries), key=sort_key)

    def lost(self, offset: int) -> bool:
        """True when a record at ``offset`` of the source lies in an unreadable stretch."""
        at = bisect_right([start for start, _end in self.damaged], offset) - 1
        return at >= 0 and self.damaged[at][0] <= offset < self.damaged[at][1]

    def copy_to(self, out: BinaryIO) -> None:
        with open(self.source, "rb") as src:
            for offset, size in self.spans:
                src.seek(offset)
                left = size
                while left:
                    chunk = src.read(min(_CHUNK, left))
                    if not chunk:
                        raise OSError(f"{self.source} shrank while it was being exported")
                    out.write(chunk)
                    left -= len(chunk)


def plan_excerpt(path: Path, name: str, wanted: set[str] | None, ledger: SkipLedger,
                 revisit_digest: Callable[[StoredRecord], str | None] | None = None) -> FileExcerpt | None:
    """What to copy from ``path`` (called ``name``); None when nothing in it is wanted."""
    plan = FileExcerpt(path, name)
    gzipped = name.endswith(".gz")
    held: list[tuple[tuple[int, int, int], StoredRecord]] = []  # warcinfo, kept only if something else is
    expected = 0  # where the next record starts when nothing between is damaged
    for offset, length, record in iter_readable(path, ledger, name):
        if offset > expected:
            plan.damaged.append((expected, offset))
        size = length if gzipped else length + 4  # warcio's length leaves out an uncompressed CRLFCRLF
        expected = offset + size
        plan.records += 1
        if wanted is None or _wanted(record, wanted):
            for held_span, held_record in held:
                _keep(plan, held_span, held_record, revisit_digest)
            held.clear()
            _keep(plan, (offset, length, size), record, revisit_digest)
        elif record.rec_type in _KEEP_ALWAYS and not plan.spans:
            held.append(((offset, length, size), record))
    file_size = path.stat().st_size
    if file_size > expected:
        plan.damaged.append((expected, file_size))
    ledger.flush(name)
    return plan if plan.spans else None


def _wanted(record: StoredRecord, wanted: set[str]) -> bool:
    if record.record_id in wanted:
        return True
    if record.rec_type == "request":
        return record.warc_header("WARC-Concurrent-To") in wanted
    if record.rec_type == "metadata":
        return record.warc_header("WARC-Refers-To") in wanted
    return False


def _keep(plan: FileExcerpt, span: tuple[int, int, int], record: StoredRecord,
          revisit_digest: Callable[[StoredRecord], str | None] | None) -> None:
    """Keep the record at ``span`` = (offset, its length as indexed, bytes it occupies)."""
    offset, length, size = span
    entry = index_entry(record, length, revisit_digest)
    if entry is not None:
        plan.entries.append((entry, plan.size))
    plan.spans.append((offset, size))
    plan.size += size


__all__ = ["FileExcerpt", "plan_excerpt"]

"""Scanning one WARC file end to end for ``pressclips verify``: every record, every damage.

Unlike ``reader.iter_records``, which stops at the first bad record, the scan resynchronises
after damage (at the next offset where a complete, digest-checked record parses), so a corrupt
record in the middle of a file is reported with its offset and the records after it are still
indexed. Damage that runs to the end of the file is a torn (truncated) trailing record, which is
what a writer killed mid-write leaves. Each record's WARC-Payload-Digest is recomputed; the
block digest is already checked by the record parser. Payloads are not kept, so memory stays at
a few small tuples per record.

``iter_readable`` walks a file the same way for the exports: it yields every readable record and
hands each damaged stretch to a ``SkipLedger`` (skip and count, or abort when strict).
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from archive.errors import RecordUnreadableError, WarcError
from archive.warc.damage import SkipLedger
from archive.warc.reader import StoredRecord, _digest, _parse_record, _read_at  # shared record parsing

# Where a record can start: a gzip member (one per record) or an uncompressed WARC header.
_STARTS = (b"\x1f\x8b\x08", b"WARC/1.")


@dataclass(frozen=True)
class RecordInfo:
    offset: int
    length: int
    rec_type: str
    record_id: str | None
    payload_digest: str | None  # the WARC-Payload-Digest header
    digest_ok: bool  # header absent, a revisit (no payload), or equal to the payload's digest
    actual_digest: str | None
    refers_to: str | None


@dataclass(frozen=True)
class Damage:
    offset: int
    end: int  # first byte after the damage: the next good record, or the file size
    reason: str


@dataclass
class FileScan:
    path: Path
    size: int
    records: list[RecordInfo] = field(default_factory=list)
    corrupt: list[Damage] = field(default_factory=list)  # followed by good records
    torn: Damage | None = None  # damage running to the end of the file

    def by_offset(self) -> dict[int, RecordInfo]:
        return {r.offset: r for r in self.records}

    def by_id(self) -> dict[str, RecordInfo]:
        return {r.record_id: r for r in self.records if r.record_id}

    def damaged_at(self, offset: int) -> Damage | None:
        """The damage covering ``offset``, if any."""
        for damage in [*self.corrupt, *([self.torn] if self.torn else [])]:
            if damage.offset <= offset < damage.end:
                return damage
        return None


def scan_file(path: Path) -> FileScan:
    """Index every readable record of ``path`` and locate all damage; raises only if unreadable."""
    scan = FileScan(path=path, size=0)
    for item in _walk(path, scan):
        if isinstance(item, Damage):
            if item.end >= scan.size:
                scan.torn = item
            else:
                scan.corrupt.append(item)
            continue
        offset, length, record = item
        scan.records.append(_info(offset, length, record))
    return scan


def iter_readable(path: Path, ledger: SkipLedger, name: str | None = None) -> Iterator[tuple[int, int, StoredRecord]]:
    """Yield (offset, length, record) for every readable record of ``path``; each damaged stretch
    goes to ``ledger`` (which raises when strict) as one ``RecordUnreadableError`` naming ``name``
    (default the file name), and reading resumes at the next readable record."""
    label = name or path.name
    for item in _walk(path, FileScan(path=path, size=0)):
        if isinstance(item, Damage):
            ledger.skip(RecordUnreadableError(label, item.offset, item.reason))
            continue
        yield item


def _walk(path: Path, scan: FileScan) -> Iterator[tuple[int, int, StoredRecord] | Damage]:
    """Records and damaged stretches of ``path`` in file order; sets ``scan.size``."""
    try:
        with open(path, "rb") as fh:
            scan.size = os.fstat(fh.fileno()).st_size
            if scan.size == 0:
                return
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as view:
                offset = 0
                while offset < scan.size:
                    try:
                        found = _read_at(fh, offset, None, f"byte {offset}")
                        if found is None:
                            return
                        length, end, raw = found
                        record = _parse_record(raw, f"byte {offset}")
                    except WarcError as exc:
                        resume = _resync(fh, view, offset + 1)
                        yield Damage(offset, resume if resume is not None else scan.size, str(exc))
                        if resume is None:
                            return
                        offset = resume
                        continue
                    yield offset, length, record
                    offset = end
    except OSError as exc:
        raise WarcError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _info(offset: int, length: int, record: StoredRecord) -> RecordInfo:
    header = record.warc_header("WARC-Payload-Digest")
    actual = None
    ok = True
    if header and record.rec_type != "revisit" and header.startswith("sha1:"):
        actual = _digest(record.payload)
        ok = actual == header
    return RecordInfo(offset=offset, length=length, rec_type=record.rec_type, record_id=record.record_id,
                      payload_digest=header, digest_ok=ok, actual_digest=actual,
                      refers_to=record.warc_header("WARC-Refers-To"))


def _parses_at(fh: BinaryIO, offset: int) -> bool:
    found = _read_at(fh, offset, None, f"byte {offset}")
    if found is None:
        return False
    _parse_record(found[2], f"byte {offset}")
    return True


def _resync(fh: BinaryIO, view: mmap.mmap, start: int) -> int | None:
    """The first offset >= ``start`` where a complete record parses, or None."""
    candidates = {magic: view.find(magic, start) for magic in _STARTS}
    while True:
        live = {m: pos for m, pos in candidates.items() if pos >= 0}
        if not live:
            return None
        magic, pos = min(live.items(), key=lambda item: item[1])
        try:
            if _parses_at(fh, pos):
                return pos
        except WarcError:
            pass
        candidates[magic] = view.find(magic, pos + 1)

"""Quarantining a WARC file with a corrupt record in the middle (``verify --repair``).

Cutting a torn tail (``repair.cut_tail``) cannot help when good records follow the damage. This
module copies every readable record of ``NAME`` into a new file ``<stem>-repaired.warc.gz``
(record by record, each record's bytes unchanged), keeps the damaged original as
``warcs/quarantine/NAME``, and re-points every capture: a capture whose record was copied gets the
new file, offset and length; a capture whose record was unreadable keeps its row and its offset
and length, now pointing at the quarantined original (``quarantine/NAME``), and is marked with
``captures.warc_unreadable_at`` (when it was found unreadable), which exports and ``verify`` read
as "this record is lost, knowingly"; nothing is deleted.

Crash safety. The database transaction that re-points the captures is the commit point; the
files are arranged so that both sides of it are whole, and a journal says what was under way:

1. ``quarantine/NAME.repair.json`` (the journal: original and new name) is written and fsynced;
2. the readable records go to ``quarantine/NEW.partial``, fsynced;
3. ``quarantine/NAME`` is made a hard link of ``NAME`` (the same bytes, nothing copied);
4. ``NEW.partial`` is renamed to ``warcs/NEW`` (directories fsynced);
5. one transaction re-points the captures (the commit point);
6. ``NAME`` is unlinked from ``warcs/`` and the journal removed.

A kill before 5 commits leaves the old state plus files nobody points at; a kill after it leaves
the new state plus a name to unlink. ``recover`` (run by every ``verify --repair`` before it
inspects anything; plain ``verify`` reports a journal as a fixable problem) decides by the
database: captures still on ``NAME`` mean "not committed", and it rolls back (removing NEW and the
partial copy, and the quarantine link only while ``NAME`` still exists); otherwise it rolls
forward (finishing steps 3 and 6). Until then the only visible oddity is that an export reading
files rather than captures may meet both NAME and NEW for the moment between steps 4 and 6.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select, update

from archive.db.models import Capture
from archive.db.session import translated
from archive.errors import WarcError
from archive.ops.repair import QUARANTINE
from archive.warc.reader import OPEN_SUFFIX
from archive.warc.scan import FileScan

log = logging.getLogger(__name__)

JOURNAL_SUFFIX = ".repair.json"
PARTIAL_SUFFIX = ".partial"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class QuarantineJob:
    """One file's quarantine: ``original`` and ``new`` are names in the WARC directory."""

    warc_dir: Path
    original: str
    new: str

    @property
    def quarantine_dir(self) -> Path:
        return self.warc_dir / QUARANTINE

    @property
    def journal(self) -> Path:
        return self.quarantine_dir / (self.original + JOURNAL_SUFFIX)

    @property
    def partial(self) -> Path:
        return self.quarantine_dir / (self.new + PARTIAL_SUFFIX)

    @property
    def kept(self) -> Path:
        """Where the damaged original stays."""
        return self.quarantine_dir / self.original

    @property
    def kept_name(self) -> str:
        """``kept`` as a capture's ``warc_file`` (relative to the WARC directory)."""
        return f"{QUARANTINE}/{self.original}"

    @classmethod
    def plan(cls, warc_dir: Path, original: str) -> QuarantineJob:
        for ext in (".warc.gz", ".warc"):
            if original.endswith(ext):
                stem = original[: -len(ext)]
                break
        else:
            raise WarcError(f"{original} is not a WARC file name")
        for n in range(1, 1000):
            new = f"{stem}-repaired{'' if n == 1 else n}{ext}"
            if not (warc_dir / new).exists() and not (warc_dir / (new + OPEN_SUFFIX)).exists():
                return cls(warc_dir, original, new)
        raise WarcError(f"no free name for the repaired copy of {original}")


def pending_journals(warc_dir: Path) -> list[QuarantineJob]:
    """Quarantines a kill interrupted (their journals), oldest name first."""
    found = []
    for path in sorted((Path(warc_dir) / QUARANTINE).glob(f"*{JOURNAL_SUFFIX}")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            found.append(QuarantineJob(Path(warc_dir), str(data["original"]), str(data["new"])))
        except (OSError, ValueError, KeyError) as exc:
            raise WarcError(f"unreadable repair journal {path}: {exc}",
                            hint="it says which quarantine was interrupted; inspect it by hand") from exc
    return found


def quarantine_file(engine: Engine, warc_dir: Path, original: str, scan: FileScan) -> str:
    """Copy the readable records of ``original`` (scanned as ``scan``) into a new file, keep the
    original under ``quarantine/``, re-point the captures. Call with the archive lock held."""
    job = QuarantineJob.plan(Path(warc_dir), original)
    try:
        job.quarantine_dir.mkdir(exist_ok=True)
        if job.kept.exists():
            raise WarcError(f"cannot quarantine {original}: {job.kept} exists already")
        _write_synced(job.journal, json.dumps({"original": job.original, "new": job.new,
                                               "started": datetime.now(UTC).isoformat()}).encode("utf-8"))
        moved = _copy_readable(job, scan)
        os.link(job.warc_dir / original, job.kept)
        _fsync_dir(job.quarantine_dir)
        os.rename(job.partial, job.warc_dir / job.new)
        _fsync_dir(job.warc_dir)
        _fsync_dir(job.quarantine_dir)
    except OSError as exc:
        raise WarcError(f"cannot quarantine {original}: {exc.strerror or exc}",
                        hint="'pressclips verify --repair' finishes or undoes it") from exc
    with translated("re-pointing captures at the repaired WARC file"), engine.begin() as conn:
        copied, lost = _repoint(conn, job, moved)
    _finish(job)
    return (f"{original}: {len(scan.records)} readable record(s) copied to {job.new}, the damaged original kept "
            f"as {job.kept_name}; {copied} capture(s) re-pointed, {lost} marked unreadable")


def recover(engine: Engine, warc_dir: Path) -> list[str]:
    """Finish or undo every interrupted quarantine (see the module doc); returns what was done."""
    done = []
    for job in pending_journals(warc_dir):
        with translated("checking an interrupted repair"), engine.connect() as conn:
            on_original = conn.scalar(select(func.count()).select_from(Capture).where(
                Capture.warc_file.in_([job.original, job.original + OPEN_SUFFIX]))) or 0
        try:
            if on_original == 0 and (job.warc_dir / job.new).exists():
                _finish(job)
                done.append(f"{job.original}: interrupted quarantine completed ({job.new})")
            else:
                _undo(job)
                done.append(f"{job.original}: interrupted quarantine undone")
        except OSError as exc:
            raise WarcError(f"cannot recover the repair of {job.original}: {exc.strerror or exc}") from exc
    return done


def _copy_readable(job: QuarantineJob, scan: FileScan) -> dict[str, tuple[int, int]]:
    """Write the readable records to the partial file; returns record ID -> (new offset, length)."""
    gzipped = job.original.endswith(".gz")
    moved: dict[str, tuple[int, int]] = {}
    position = 0
    with open(job.warc_dir / job.original, "rb") as src, open(job.partial, "wb") as out:
        for record in scan.records:
            size = record.length if gzipped else record.length + 4  # an uncompressed record's CRLFCRLF
            src.seek(record.offset)
            left = size
            while left:
                chunk = src.read(min(_CHUNK, left))
                if not chunk:
                    raise OSError(f"{job.original} shrank while it was being copied")
                out.write(chunk)
                left -= len(chunk)
            if record.record_id:
                moved[record.record_id] = (position, record.length)
            position += size
        out.flush()
        os.fsync(out.fileno())
    return moved


def _repoint(conn: Connection, job: QuarantineJob, moved: dict[str, tuple[int, int]]) -> tuple[int, int]:
    names = [job.original, job.original + OPEN_SUFFIX]
    rows = conn.execute(select(Capture.id, Capture.warc_record_id).where(Capture.warc_file.in_(names))).all()
    copied = 0
    for capture_id, record_id in rows:
        if record_id in moved:
            offset, length = moved[record_id]
            conn.execute(update(Capture).where(Capture.id == capture_id)
                         .values(warc_file=job.new, warc_offset=offset, warc_length=length))
            copied += 1
    lost = conn.execute(update(Capture).where(Capture.warc_file.in_(names))
                        .values(warc_file=job.kept_name, warc_unreadable_at=datetime.now(UTC))).rowcount or 0
    return copied, lost


def _finish(job: QuarantineJob) -> None:
    original = job.warc_dir / job.original
    if original.exists():
        if not job.kept.exists():
            os.link(original, job.kept)
            _fsync_dir(job.quarantine_dir)
        original.unlink()
        _fsync_dir(job.warc_dir)
    job.partial.unlink(missing_ok=True)
    job.journal.unlink(missing_ok=True)
    _fsync_dir(job.quarantine_dir)


def _undo(job: QuarantineJob) -> None:
    original = job.warc_dir / job.original
    (job.warc_dir / job.new).unlink(missing_ok=True)
    _fsync_dir(job.warc_dir)
    job.partial.unlink(missing_ok=True)
    if original.exists() and job.kept.exists() and os.path.samefile(original, job.kept):
        job.kept.unlink()  # only ever the second name of the original's bytes
    job.journal.unlink(missing_ok=True)
    _fsync_dir(job.quarantine_dir)


def _write_synced(path: Path, data: bytes) -> None:
    temp = path.with_name(path.name + ".tmp")
    with open(temp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.rename(temp, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = ["JOURNAL_SUFFIX", "QUARANTINE", "QuarantineJob", "pending_journals", "quarantine_file", "recover"]

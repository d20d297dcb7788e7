"""The safe repairs of an archive, and the cheap repair every crawl runs before it starts.

Safe means nothing archived is lost: unfinished ``.open`` files are finalised with
``warcread.finalise_open_files`` (which cuts a torn trailing record and renames), capture rows
are re-pointed at the file or offset where their record really is, and runs left ``running`` by
a killed crawl are marked ``killed``. Everything else is only reported by ``archive.ops.verify``.

A killed run keeps ``finished_at`` NULL: when it died is unknown, and a made-up end time would
make its duration look real. ``status`` and ``finish_reason`` both become ``killed``.

Every function here expects the caller to hold the archive lock (``archive.ops.lock``), so no writer
runs meanwhile; ``repair_on_start`` takes the lock itself when it is not handed one.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, select, update

from archive.db.kinds import RunStatus
from archive.db.models import Capture, CrawlRun
from archive.db.session import translated
from archive.errors import ArchiveError, WarcError
from archive.ops.lease import ArchiveLease
from archive.ops.lock import ArchiveLock
from archive.warc.reader import OPEN_SUFFIX, finalise_open_files
from archive.warc.scan import scan_file

log = logging.getLogger(__name__)

START_REPAIR_WAIT = 60  # seconds a PostgreSQL worker waits for another one's start-up repair
QUARANTINE = "quarantine"  # under the WARC directory: bytes cut from closed files are kept here


@dataclass
class StartRepair:
    """What ``repair_on_start`` did; ``warnings`` name captures whose record was cut off."""

    finalised: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)  # unsafe to finalise: run `verify`
    pointers_fixed: int = 0
    runs_killed: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        """True when anything was done or needs a person's attention."""
        return bool(self.finalised or self.removed or self.left_alone or self.pointers_fixed
                    or self.runs_killed or self.warnings)

    def __str__(self) -> str:
        """One line for the crawl's terminal and log, e.g. after a killed run."""
        parts = []
        if self.finalised:
            parts.append(f"finalised {len(self.finalised)} WARC file(s)")
        if self.removed:
            parts.append(f"removed {len(self.removed)} empty WARC file(s)")
        if self.pointers_fixed:
            parts.append(f"re-pointed {self.pointers_fixed} capture(s)")
        if self.runs_killed:
            parts.append("marked run(s) " + ", ".join(map(str, self.runs_killed)) + " killed")
        if self.warnings:
            parts.append(f"{len(self.warnings)} capture(s) lost their record")
        if self.left_alone:
            parts.append(f"{len(self.left_alone)} damaged file(s) left for 'pressclips verify'")
        return "; ".join(parts) or "nothing to repair"


# -- files -------------------------------------------------------------------------------------
def is_live(path: Path) -> bool:
    """True while a writer holds the file's flock (``WarcWriter`` locks its ``.open`` file)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def unsafe_to_finalise(path: Path) -> str | None:
    """Why finalising ``path`` (an ``.open`` file) would lose data, or None when it is safe.

    ``finalise_open_files`` keeps the prefix up to the first bad record, which is right for a
    torn tail but would drop good records after a corrupt one in the middle.
    """
    final = path.with_name(path.name[: -len(OPEN_SUFFIX)])
    if final.exists():
        return f"{final.name} exists too"
    scan = scan_file(path)
    if scan.corrupt:
        return f"corrupt record at byte {scan.corrupt[0].offset} with good records after it"
    return None


@contextmanager
def _guarded(paths: Iterable[Path]) -> Iterator[None]:
    """Hold a flock on each path, so ``finalise_open_files`` treats it as in use and skips it."""
    with ExitStack() as stack:
        for path in paths:
            fh = stack.enter_context(open(path, "rb"))
            try:
                fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                pass  # a live writer holds it: finalise_open_files skips it anyway
        yield


def finalise_safely(warc_dir: Path, unsafe: Iterable[Path]) -> tuple[list[str], list[str]]:
    """Finalise every dead ``.open`` file except ``unsafe`` ones; returns (renamed, removed)."""
    before = {p.name[: -len(OPEN_SUFFIX)] for p in Path(warc_dir).glob(f"*.warc*{OPEN_SUFFIX}")}
    try:
        with _guarded(unsafe):
            renamed = finalise_open_files(warc_dir)
    except OSError as exc:
        raise WarcError(f"cannot finalise WARC files in {warc_dir}: {exc.strerror or exc}") from exc
    removed = sorted(n for n in before - set(renamed)
                     if not (warc_dir / (n + OPEN_SUFFIX)).exists() and not (warc_dir / n).exists())
    return renamed, removed


def cut_tail(warc_dir: Path, name: str, offset: int) -> str:
    """Cut a closed file's torn tail at ``offset``, keeping the bytes under ``quarantine/``."""
    path = warc_dir / name
    keep = warc_dir / QUARANTINE / f"{name}.tail-at-{offset}"
    try:
        keep.parent.mkdir(exist_ok=True)
        with open(path, "r+b") as fh:
            fh.seek(offset)
            tail = fh.read()
            with open(keep, "xb") as out:
                out.write(tail)
                out.flush()
                os.fsync(out.fileno())
            fh.truncate(offset)
            os.fsync(fh.fileno())
    except OSError as exc:
        raise WarcError(f"cannot cut the torn tail of {path}: {exc.strerror or exc}") from exc
    return f"{name}: cut {len(tail)} bytes of a truncated trailing record at {offset} " \
           f"(kept in {QUARANTINE}/{keep.name})"


# -- database ----------------------------------------------------------------------------------
def _pid_alive(pid: int | None) -> bool:
    if pid is None or pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A SIGKILLed crawl whose parent died too is re-parented; where nothing reaps it (pid 1 in a
    # container) it lingers as a zombie, which answers kill(0) but runs nothing.
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def stale_runs(conn: Connection, *, current_run_id: int | None = None) -> list[int]:
    """Runs still ``running`` whose process is gone. Only call while nobody else holds the lock.

    A run whose recorded pid is alive on this machine is not called stale (conservative; it is
    a run started without the lock, or a reused pid). Runs on other machines sharing one
    PostgreSQL database are not supported by this check (see ``archive.ops.lock``).
    """
    rows = conn.execute(select(CrawlRun.id, CrawlRun.pid).where(CrawlRun.status == RunStatus.RUNNING)
                        .order_by(CrawlRun.id)).all()
    return [run_id for run_id, pid in rows if run_id != current_run_id and not _pid_alive(pid)]


def mark_killed(conn: Connection, run_ids: list[int]) -> None:
    if run_ids:
        conn.execute(update(CrawlRun).where(CrawlRun.id.in_(run_ids), CrawlRun.status == RunStatus.RUNNING)
                     .values(status=RunStatus.KILLED, finish_reason="killed"))


def repoint_open_names(conn: Connection, finals: Iterable[str]) -> int:
    """Captures that carry ``NAME.open`` now point at ``NAME`` (one indexed update per file)."""
    fixed = 0
    for final in finals:
        fixed += conn.execute(update(Capture).where(Capture.warc_file == final + OPEN_SUFFIX)
                              .values(warc_file=final)).rowcount or 0
    return fixed


def relocate(conn: Connection, moves: Iterable[tuple[int, int, int]]) -> None:
    """Set (offset, length) of captures found elsewhere in their own file: (id, offset, length)."""
    for capture_id, offset, length in moves:
        conn.execute(update(Capture).where(Capture.id == capture_id)
                     .values(warc_offset=offset, warc_length=length))


# -- the crawl's start-up repair ---------------------------------------------------------------
def repair_on_start(engine: Engine, warc_dir: Path, *, lock: ArchiveLock | None = None,
                    current_run_id: int | None = None) -> StartRepair:
    """Undo what a killed run left, cheaply: only dead ``.open`` files are read (no archive scan).

    Finalises them (torn tails cut), re-points captures carrying their ``.open`` names, reports
    captures whose record was in a cut-off tail, and marks stale ``running`` runs ``killed``
    (all except ``current_run_id``). Call with the archive lock held (pass it as ``lock``);
    without one, the lock is taken here and released on return.
    """
    warc_dir = Path(warc_dir)
    if lock is not None and not lock.held:
        raise ArchiveError("repair_on_start needs the archive lock held")
    # On PostgreSQL the database lease too, waited for: workers starting together take turns.
    lease = ArchiveLease(engine, warc_dir.parent, "start-up repair", lock=lock)
    with lease.acquire(wait=START_REPAIR_WAIT if lease.distributed else 0):
        return _repair_on_start(engine, warc_dir, current_run_id)


def _repair_on_start(engine: Engine, warc_dir: Path, current_run_id: int | None) -> StartRepair:
    result = StartRepair()
    dead = [p for p in sorted(warc_dir.glob(f"*.warc*{OPEN_SUFFIX}")) if not is_live(p)] \
        if warc_dir.is_dir() else []
    unsafe = []
    for path in dead:
        why = unsafe_to_finalise(path)
        if why:
            unsafe.append(path)
            result.left_alone.append(f"{path.name}: not finalised: {why} (run 'pressclips verify')")
    if dead:
        result.finalised, result.removed = finalise_safely(warc_dir, unsafe)
    for name in result.finalised:
        log.warning("finalised %s left by a killed run", name)

    def work(conn: Connection) -> None:
        result.pointers_fixed = repoint_open_names(conn, result.finalised)
        for name in result.finalised:
            size = (warc_dir / name).stat().st_size
            lost = conn.execute(select(Capture.id, Capture.warc_offset).where(
                Capture.warc_file == name, Capture.warc_offset >= size)).all()
            result.warnings += [f"{name}:{off}: capture {cid}: record lost in the truncated tail"
                                for cid, off in lost]
        for name in result.removed:
            gone = conn.scalars(select(Capture.id).where(Capture.warc_file.in_([name, name + OPEN_SUFFIX]))).all()
            result.warnings += [f"{name}: capture {cid}: file held no complete record and was removed"
                                for cid in gone]
        result.runs_killed = stale_runs(conn, current_run_id=current_run_id)
        mark_killed(conn, result.runs_killed)

    with translated("repairing the archive"), engine.begin() as conn:
        work(conn)
    for line in result.warnings + result.left_alone:
        log.warning("%s", line)
    return result


__all__ = ["QUARANTINE", "StartRepair", "cut_tail", "finalise_safely", "is_live", "mark_killed", "relocate",
           "repair_on_start", "repoint_open_names", "stale_runs", "unsafe_to_finalise"]

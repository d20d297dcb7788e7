"""``pressclips verify``: prove the archive is whole, and repair what can be repaired safely.

Checks, in one pass over each WARC file (so the cost is one sequential read of the archive):

- every WARC file end to end: corrupt records in the middle, a truncated trailing record, and
  each record's WARC-Payload-Digest recomputed (``archive.warc.scan``);
- ``.open`` files left by a killed writer (files a live writer still locks are skipped);
- every capture's pointer: its file exists, a record starts at its offset, that record's
  WARC-Record-ID and length are the capture's, and a response's payload digest is the capture's;
- revisit captures whose ``refers_to`` capture is missing, article versions without a capture,
  articles whose current version is NULL, missing or another article's;
- runs still ``running`` while nobody holds the archive lock (the crawl was killed).

``repair=True`` holds the archive lock and fixes only the safe problems (``archive.ops.repair``):
finish or undo a quarantine a kill interrupted, finalise dead ``.open`` files, cut a closed file's
torn tail (the bytes are kept in ``warcs/quarantine/``), quarantine a closed file with a corrupt
record in the middle (``archive.ops.quarantine``: its readable records copied to a new file, the
original kept under ``warcs/quarantine/``, captures re-pointed, those whose record was unreadable
marked ``warc_unreadable_at``), re-point captures at the finalised name or at the offset where
their record really is in the same file, and mark stale runs ``killed``. Then it checks again, so
the report lists exactly what remains. Nothing archived (captures, articles, versions) is deleted;
captures marked unreadable are counted (``captures_unreadable``), not reported again.

Without ``repair`` nothing is written and no lock is needed; a crawl may run meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, or_, select
from sqlalchemy.orm import aliased

from archive.db.kinds import CaptureKind
from archive.db.models import Article, ArticleVersion, Capture, CrawlRun
from archive.db.session import translated
from archive.ops.lease import ArchiveLease
from archive.ops.lock import ArchiveLock
from archive.ops.quarantine import pending_journals, quarantine_file, recover
from archive.ops.repair import (
    StartRepair,
    cut_tail,
    finalise_safely,
    is_live,
    mark_killed,
    relocate,
    repair_on_start,
    repoint_open_names,
    stale_runs,
)
from archive.warc.reader import OPEN_SUFFIX
from archive.warc.scan import FileScan, scan_file

__all__ = ["Problem", "StartRepair", "VerifyReport", "repair_on_start", "verify_archive"]


@dataclass(frozen=True)
class Problem:
    where: str  # "file:offset", "file", "article N" or "run N"
    what: str
    kind: str  # stable, for scripts: corrupt-record, torn-tail, open-file, file-missing, ...
    fixable: bool = False

    @property
    def line(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class VerifyReport:
    counts: dict[str, int]
    problems: list[Problem]
    repaired: list[str] = field(default_factory=list)
    lock_holder: str | None = None  # who held the lock during a read-only verify

    @property
    def clean(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"clean": self.clean, "counts": self.counts, "repaired": self.repaired,
                "lock_holder": self.lock_holder,
                "problems": [{"where": p.where, "what": p.what, "kind": p.kind, "fixable": p.fixable,
                              "line": p.line} for p in self.problems]}


@dataclass
class _Plan:
    """The safe repairs found by an inspection."""

    cut_tails: list[tuple[str, int]] = field(default_factory=list)
    finalise: list[str] = field(default_factory=list)  # .open names safe to finalise
    unsafe_open: list[Path] = field(default_factory=list)
    repoint: set[str] = field(default_factory=set)
    moves: list[tuple[int, int, int]] = field(default_factory=list)
    kill_runs: list[int] = field(default_factory=list)
    quarantine: list[tuple[str, FileScan]] = field(default_factory=list)  # closed files with corrupt records

    def __bool__(self) -> bool:
        return bool(self.cut_tails or self.finalise or self.repoint or self.moves or self.kill_runs
                    or self.quarantine)


def verify_archive(engine: Engine, warc_dir: Path, *, repair: bool, root: Path | None = None,
                   lock: ArchiveLock | None = None) -> VerifyReport:
    """Check the archive (``root`` defaults to the WARC directory's parent); see the module doc.

    With ``repair`` the archive lock is taken (``ArchiveLockedError`` when another run holds
    it) unless ``lock``, already held, is handed in.
    """
    warc_dir = Path(warc_dir)
    root = Path(root) if root else warc_dir.parent
    if not repair:
        holder = ArchiveLock.holder(root)
        report, _plan = _Inspection(engine, warc_dir, lock_free=holder is None).run()
        report.lock_holder = holder
        return report
    # The archive lock, and on PostgreSQL also the database lease: one repair per archive, whichever
    # machine it runs on (archive.ops.lease).
    with ArchiveLease(engine, root, "repair", lock=lock).acquire():
        recovered = recover(engine, warc_dir)
        report, plan = _Inspection(engine, warc_dir, lock_free=True).run()
        if not plan:
            report.repaired = recovered
            return report
        done = recovered + _apply(engine, warc_dir, plan)
        report, _plan = _Inspection(engine, warc_dir, lock_free=True).run()
        report.repaired = done
        return report


def _apply(engine: Engine, warc_dir: Path, plan: _Plan) -> list[str]:
    done = [quarantine_file(engine, warc_dir, name, scan) for name, scan in plan.quarantine]
    done += [cut_tail(warc_dir, name, offset) for name, offset in plan.cut_tails]
    if plan.finalise:
        renamed, removed = finalise_safely(warc_dir, plan.unsafe_open)
        done += [f"{name}{OPEN_SUFFIX}: finalised as {name}" for name in renamed]
        done += [f"{name}{OPEN_SUFFIX}: removed, it held no complete record" for name in removed]

    def work(conn: Connection) -> None:
        for final in sorted(plan.repoint):
            n = repoint_open_names(conn, [final])
            done.append(f"{final}: {n} capture(s) re-pointed from {final}{OPEN_SUFFIX}")
        relocate(conn, plan.moves)
        done.extend(f"capture {cid}: moved to offset {off} (length {length})" for cid, off, length in plan.moves)
        mark_killed(conn, plan.kill_runs)
        done.extend(f"run {run_id}: marked killed" for run_id in plan.kill_runs)

    with translated("repairing the archive"), engine.begin() as conn:
        work(conn)
    return done


@dataclass
class _DiskFile:
    path: Path
    is_open: bool
    live: bool


class _Inspection:
    def __init__(self, engine: Engine, warc_dir: Path, *, lock_free: bool) -> None:
        self.engine, self.warc_dir, self.lock_free = engine, warc_dir, lock_free
        self.problems: list[Problem] = []
        self.plan = _Plan()
        self.counts = dict.fromkeys(("files", "open_files", "records", "captures", "captures_ok",
                                     "captures_skipped", "captures_unreadable", "articles", "versions", "runs"), 0)

    def add(self, where: str, what: str, kind: str, fixable: bool = False) -> None:
        self.problems.append(Problem(where, what, kind, fixable))

    def run(self) -> tuple[VerifyReport, _Plan]:
        with translated("verifying the archive"), self.engine.connect() as conn:
            for job in pending_journals(self.warc_dir):
                self.add(job.original, f"a quarantine into {job.new} was interrupted", "interrupted-repair", True)
            files = self._disk_files()
            for final, disk in files.items():
                self._file(conn, final, disk)
            self._missing_files(conn, files)
            self._database(conn)
        self.counts["problems"] = len(self.problems)
        self.counts["fixable"] = sum(p.fixable for p in self.problems)
        return VerifyReport(self.counts, self.problems), self.plan

    # -- files ---------------------------------------------------------------------------------
    def _disk_files(self) -> dict[str, _DiskFile]:
        files: dict[str, _DiskFile] = {}
        if not self.warc_dir.is_dir():
            return files
        for path in sorted(self.warc_dir.iterdir()):
            is_open = path.name.endswith(OPEN_SUFFIX)
            final = path.name[: -len(OPEN_SUFFIX)] if is_open else path.name
            if not path.is_file() or not final.endswith((".warc", ".warc.gz")):
                continue
            if final in files:  # sorted: NAME comes before NAME.open
                self.add(path.name, f"both {final} and {path.name} exist; {path.name} left alone", "open-file")
                self.plan.unsafe_open.append(path)
                continue
            files[final] = _DiskFile(path, is_open, is_open and is_live(path))
        return files

    def _file(self, conn: Connection, final: str, disk: _DiskFile) -> None:
        self.counts["files"] += 1
        if disk.live:  # a running writer appends to it: its tail is not torn, just unfinished
            self.counts["captures_skipped"] += len(self._captures(conn, final))
            return
        scan = scan_file(disk.path)
        self.counts["records"] += len(scan.records)
        name = disk.path.name
        if disk.is_open:
            self.counts["open_files"] += 1
            safe = not scan.corrupt
            self.add(name, "unfinished file left by a killed writer" if safe else
                     "unfinished file left by a killed writer; not finalised automatically because "
                     "a corrupt record has good records after it", "open-file", safe)
            if safe:
                self.plan.finalise.append(final)
            else:
                self.plan.unsafe_open.append(disk.path)
        quarantining = bool(scan.corrupt) and not disk.is_open
        for damage in scan.corrupt:
            self.add(f"{name}:{damage.offset}", f"corrupt record, {damage.end - damage.offset} bytes "
                     f"unreadable up to offset {damage.end} ({damage.reason})", "corrupt-record", quarantining)
        if quarantining:  # the readable records go to a new file: a torn tail is left behind too
            self.plan.quarantine.append((final, scan))
        if scan.torn:
            t = scan.torn
            fixable = not disk.is_open or not scan.corrupt
            self.add(f"{name}:{t.offset}", f"truncated trailing record, {t.end - t.offset} bytes ({t.reason})",
                     "torn-tail", fixable)
            if not disk.is_open and not quarantining:
                self.plan.cut_tails.append((final, t.offset))
        for rec in scan.records:
            if not rec.digest_ok:
                self.add(f"{name}:{rec.offset}", f"payload digest mismatch in {rec.rec_type} record "
                         f"{rec.record_id}: header {rec.payload_digest}, payload {rec.actual_digest}",
                         "payload-digest")
        self._check_captures(conn, final, scan, plan_fixes=not quarantining)

    def _captures(self, conn: Connection, final: str) -> list[Any]:
        ref = aliased(Capture)
        return list(conn.execute(
            select(Capture.id, Capture.warc_file, Capture.warc_offset, Capture.warc_length,
                   Capture.warc_record_id, Capture.payload_digest, ref.warc_record_id)
            .outerjoin(ref, ref.id == Capture.refers_to_id)
            .where(Capture.warc_file.in_([final, final + OPEN_SUFFIX]))
            .order_by(Capture.warc_offset, Capture.id)))

    def _check_captures(self, conn: Connection, final: str, scan: FileScan, *, plan_fixes: bool = True) -> None:
        """Check the captures of one file; ``plan_fixes`` is off when the file is being quarantined
        (the quarantine re-points all of them by record ID)."""
        at, by_id = scan.by_offset(), scan.by_id()
        plan = self.plan if plan_fixes else _Plan()
        for cid, file, offset, length, record_id, digest, ref_id in self._captures(conn, final):
            where = f"{final}:{offset}"
            if file != final:
                self.add(where, f"capture {cid} points at {file}; its file is {final}", "capture-open-name", True)
                plan.repoint.add(final)
            rec = at.get(offset)
            if rec is None or rec.record_id != record_id:
                moved = by_id.get(record_id)
                if moved is not None:
                    self.add(where, f"capture {cid}: record {record_id} is at offset {moved.offset} "
                             f"(length {moved.length})", "capture-moved", True)
                    plan.moves.append((cid, moved.offset, moved.length))
                    continue
                damage = scan.damaged_at(offset)
                if offset >= scan.size:
                    what = f"capture {cid}: record {record_id} is past the end of the file ({scan.size} bytes)"
                elif damage is not None:
                    lost = "truncated trailing record" if damage is scan.torn else "corrupt record"
                    what = f"capture {cid}: record {record_id} unreadable ({lost} at offset {damage.offset})"
                elif rec is not None:
                    what = f"capture {cid}: record here is {rec.record_id}, expected {record_id}"
                else:
                    what = f"capture {cid}: no record {record_id} in this file"
                self.add(where, what, "capture-unresolved", not plan_fixes)
                continue
            if rec.length != length:
                self.add(where, f"capture {cid}: length {length} in the database, the record has {rec.length}",
                         "capture-moved", True)
                plan.moves.append((cid, rec.offset, rec.length))
                continue
            if rec.rec_type == "response" and rec.payload_digest and digest != rec.payload_digest:
                self.add(where, f"capture {cid}: payload digest {digest} in the database, the record says "
                         f"{rec.payload_digest}", "capture-digest")
            elif rec.rec_type == "revisit" and ref_id and rec.refers_to and rec.refers_to != ref_id:
                self.add(where, f"revisit capture {cid} refers to {ref_id}, its record to {rec.refers_to}",
                         "revisit-mismatch")
            elif file == final and rec.digest_ok:  # a digest mismatch is reported for the file
                self.counts["captures_ok"] += 1

    def _missing_files(self, conn: Connection, files: dict[str, _DiskFile]) -> None:
        rows = conn.execute(select(Capture.warc_file, func.count()).where(Capture.warc_unreadable_at.is_(None))
                            .group_by(Capture.warc_file).order_by(Capture.warc_file)).all()
        self.counts["captures_unreadable"] = unreadable = conn.scalar(
            select(func.count()).select_from(Capture).where(Capture.warc_unreadable_at.is_not(None))) or 0
        self.counts["captures"] += unreadable
        for name, n in rows:
            self.counts["captures"] += n
            final = name.removesuffix(OPEN_SUFFIX)
            if final not in files:
                self.add(name or "(no file)", f"WARC file missing ({n} capture(s) point at it)", "file-missing")

    # -- database ------------------------------------------------------------------------------
    def _database(self, conn: Connection) -> None:
        ref = aliased(Capture)
        for cid, file, offset, ref_id in conn.execute(
                select(Capture.id, Capture.warc_file, Capture.warc_offset, Capture.refers_to_id)
                .outerjoin(ref, ref.id == Capture.refers_to_id)
                .where(Capture.kind == CaptureKind.REVISIT, ref.id.is_(None)).order_by(Capture.id)):
            what = "has no refers_to capture" if ref_id is None else f"refers to missing capture {ref_id}"
            self.add(f"{file}:{offset}", f"revisit capture {cid} {what}", "revisit-orphan")

        self.counts["versions"] = conn.scalar(select(func.count()).select_from(ArticleVersion)) or 0
        for vid, aid, cap in conn.execute(
                select(ArticleVersion.id, ArticleVersion.article_id, ArticleVersion.capture_id)
                .outerjoin(Capture, Capture.id == ArticleVersion.capture_id)
                .where(Capture.id.is_(None)).order_by(ArticleVersion.id)):
            what = "has no capture" if cap is None else f"points at missing capture {cap}"
            self.add(f"article {aid}", f"version row {vid} {what}", "version-orphan")

        self.counts["articles"] = conn.scalar(select(func.count()).select_from(Article)) or 0
        for aid, current, owner in conn.execute(
                select(Article.id, Article.current_version_id, ArticleVersion.article_id)
                .outerjoin(ArticleVersion, ArticleVersion.id == Article.current_version_id)
                .where(or_(ArticleVersion.id.is_(None), ArticleVersion.article_id != Article.id))
                .order_by(Article.id)):
            what = ("current_version_id is NULL" if current is None else
                    f"current version row {current} does not exist" if owner is None else
                    f"current version row {current} belongs to article {owner}")
            self.add(f"article {aid}", what, "article-version")

        self.counts["runs"] = conn.scalar(select(func.count()).select_from(CrawlRun)) or 0
        if self.lock_free:
            for run_id in stale_runs(conn):
                self.add(f"run {run_id}", "still 'running' but no pressclips run holds the archive lock "
                         "(killed)", "stale-run", True)
                self.plan.kill_runs.append(run_id)

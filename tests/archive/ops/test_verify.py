"""``verify_archive`` and ``repair_on_start`` on real archives damaged in real ways: a writer killed
mid-record, truncated and bit-flipped WARC files, a deleted file, wrong pointers, a killed run.
Every test runs on SQLite and on PostgreSQL (skipped with the reason when absent)."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from archive.db.models import Article, ArticleVersion, Capture, CrawlRun
from archive.db.store import CaptureRecord
from archive.errors import ArchiveLockedError
from archive.ops.lock import ArchiveLock
from archive.ops.repair import repair_on_start
from archive.ops.verify import verify_archive
from archive.warc.reader import WarcPointer, read_record
from archive.warc.writer import WarcWriter
from tests.archivekit import ArchiveKit, article, exchange, killed_writer


@pytest.fixture
def kit(database_url: str, tmp_path: Path) -> Iterator[ArchiveKit]:
    k = ArchiveKit(tmp_path / "archive", database_url)
    yield k
    k.close()


def pages(kit: ArchiveKit, prefix: str, n: int, *, gzip: bool = True) -> list[WarcPointer]:
    with WarcWriter(kit.warc_dir, prefix=prefix, gzip=gzip) as writer:
        return [kit.page(writer, f"/{prefix}/{i}", article(f"Story {prefix}{i} body text. " * 30,
                                                           title=f"{prefix}{i}")) for i in range(n)]


def flip_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def forge_payload(path: Path, pointer: WarcPointer) -> str:
    """Change a plain record's payload and re-sign its block, so only the payload digest is wrong
    (what a buggy writer or tool would leave). Returns the payload's real digest."""
    data = path.read_bytes()
    start, end = pointer.offset, pointer.offset + pointer.length
    record = data[start:end]
    head_end = record.index(b"\r\n\r\n") + 4
    block = record[head_end:].replace(b"body text", b"BODY TEXT", 1)
    head = record[:head_end].decode()
    old = next(line for line in head.split("\r\n") if line.startswith("WARC-Block-Digest: "))
    head = head.replace(old, f"WARC-Block-Digest: {sha1(block)}")
    path.write_bytes(data[:start] + head.encode() + block + data[end:])
    return sha1(block[block.index(b"\r\n\r\n") + 4:])


def sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def lines(report) -> list[str]:
    return [p.line for p in report.problems]


def pointer_of(kit: ArchiveKit, record_id: str) -> WarcPointer:
    with Session(kit.engine) as session:
        row = session.scalar(select(Capture).where(Capture.warc_record_id == record_id))
        assert row is not None
        return row.pointer


def set_capture(kit: ArchiveKit, record_id: str, **values: object) -> None:
    with Session(kit.engine) as session, session.begin():
        session.execute(update(Capture).where(Capture.warc_record_id == record_id).values(**values))


def test_clean_archive_is_clean(kit: ArchiveKit) -> None:
    a = pages(kit, "a", 3)
    pages(kit, "p", 2, gzip=False)
    kit.finish_run()
    report = verify_archive(kit.engine, kit.warc_dir, repair=False)
    assert report.clean and lines(report) == []
    assert report.counts == {"files": 2, "open_files": 0, "records": 2 + 2 * 5, "captures": 5, "captures_ok": 5,
                             "captures_skipped": 0, "captures_unreadable": 0, "articles": 5, "versions": 5, "runs": 1,
                             "problems": 0, "fixable": 0}
    repaired = verify_archive(kit.engine, kit.warc_dir, repair=True)
    assert repaired.clean and repaired.repaired == []
    assert read_record(kit.warc_dir, a[0]).record_id == a[0].record_id


def test_verify_finds_each_damage_and_repair_fixes_the_safe_ones(kit: ArchiveKit) -> None:
    a = pages(kit, "a", 3)
    crashed = killed_writer(kit.warc_dir, "b", 3)  # NAME.open ending in half a record
    for pointer in crashed:
        kit.capture(pointer, "http://127.0.0.1:8123/crashed")
    c = pages(kit, "c", 3, gzip=False)
    d = pages(kit, "d", 3)
    e = pages(kit, "e", 2)
    with WarcWriter(kit.warc_dir, prefix="f") as writer:  # a 304 revisit whose capture lost its referent
        revisit = writer.write_revisit(exchange("http://127.0.0.1:8123/d/0", b"", status=304), refers_to=d[0],
                                       refers_to_uri="http://127.0.0.1:8123/d/0", refers_to_date=kit.clock,
                                       profile="server-not-modified")
    kit.capture(revisit, "http://127.0.0.1:8123/d/0", kind="revisit")

    a_file, b_file, c_file, d_file = (kit.warc_dir / p[0].file for p in (a, crashed, c, d))
    b_open = b_file.with_name(b_file.name + ".open")
    torn = crashed[-1].length // 2  # what the killed writer got out of its last write
    b_good = b_open.stat().st_size - torn
    a_data = a_file.read_bytes()
    a_file.write_bytes(a_data[: a[2].offset + a[2].length // 2])  # a closed file cut mid-record
    flip_byte(c_file, c[1].offset + c[1].length - 40)  # one bit of a stored payload
    forged = forge_payload(c_file, c[2])
    (kit.warc_dir / e[0].file).unlink()
    set_capture(kit, crashed[1].record_id, warc_file=b_open.name)
    set_capture(kit, d[0].record_id, payload_digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    set_capture(kit, d[1].record_id, warc_offset=d[1].offset + d[1].length)  # its request record's offset
    set_capture(kit, d[2].record_id, warc_length=d[2].length + 7)
    with Session(kit.engine) as session, session.begin():
        a0 = session.scalar(select(Capture.article_id).where(Capture.warc_record_id == a[0].record_id))
        a1 = session.scalar(select(Capture.article_id).where(Capture.warc_record_id == a[1].record_id))
        v1 = session.scalar(select(Capture.version_id).where(Capture.warc_record_id == a[1].record_id))
        session.execute(update(Article).where(Article.id == a0).values(current_version_id=None))
        session.execute(update(ArticleVersion).where(ArticleVersion.id == v1).values(capture_id=None))
    cid = {p.record_id: kit.capture_id(p.record_id) for p in [*a, *crashed, *c, *d, revisit]}
    kit.finish_run()
    run = kit.dead_run()

    unfixable = [
        f"{a_file.name}:{a[2].offset}: capture {cid[a[2].record_id]}: record {a[2].record_id} is past the end "
        f"of the file ({a[2].offset} bytes)",
        f"{c_file.name}:{c[2].offset}: payload digest mismatch in response record {c[2].record_id}: "
        f"header {c[2].payload_digest}, payload {forged}",
        f"{d_file.name}:{d[0].offset}: capture {cid[d[0].record_id]}: payload digest "
        f"sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA in the database, the record says {d[0].payload_digest}",
        f"{e[0].file}: WARC file missing (2 capture(s) point at it)",
        f"{revisit.file}:{revisit.offset}: revisit capture {cid[revisit.record_id]} has no refers_to capture",
        f"article {a1}: version row {v1} has no capture",
        f"article {a0}: current_version_id is NULL",
    ]
    fixable = [
        f"{a_file.name}:{a[2].offset}: truncated trailing record, {a[2].length // 2} bytes "
        f"(incomplete gzip member at byte {a[2].offset})",
        f"{b_open.name}: unfinished file left by a killed writer",
        f"{b_open.name}:{b_good}: truncated trailing record, {torn} bytes (incomplete gzip member at byte {b_good})",
        f"{b_file.name}:{crashed[1].offset}: capture {cid[crashed[1].record_id]} points at {b_open.name}; "
        f"its file is {b_file.name}",
        f"{d_file.name}:{d[1].offset + d[1].length}: capture {cid[d[1].record_id]}: record {d[1].record_id} "
        f"is at offset {d[1].offset} (length {d[1].length})",
        f"{d_file.name}:{d[2].offset}: capture {cid[d[2].record_id]}: length {d[2].length + 7} in the "
        f"database, the record has {d[2].length}",
        f"run {run}: still 'running' but no pressclips run holds the archive lock (killed)",
        # a corrupt record with good records after it: the file is quarantined
        f"{c_file.name}:{c[1].offset}: corrupt record, {c[1].length + 4} bytes unreadable up to offset "
        f"{c[1].offset + c[1].length + 4} (block digest mismatch at byte {c[1].offset})",
        f"{c_file.name}:{c[1].offset}: capture {cid[c[1].record_id]}: record {c[1].record_id} unreadable "
        f"(corrupt record at offset {c[1].offset})",
    ]
    # Before any repair the capture in a's torn tail is still inside the file.
    before = [f"{a_file.name}:{a[2].offset}: capture {cid[a[2].record_id]}: record {a[2].record_id} unreadable "
              f"(truncated trailing record at offset {a[2].offset})", *unfixable[1:]]

    report = verify_archive(kit.engine, kit.warc_dir, repair=False)
    assert sorted(lines(report)) == sorted(before + fixable)
    assert {p.line for p in report.problems if p.fixable} == set(fixable)
    assert report.counts["problems"] == 16 and report.counts["fixable"] == 9
    assert report.counts["open_files"] == 1 and report.counts["captures"] == 3 + 3 + 3 + 3 + 2 + 1
    # a0, a1, b0, b2, c0 and the revisit; every other capture has a line above
    assert report.counts["captures_ok"] == 6
    assert (kit.warc_dir / "quarantine").exists() is False and b_open.exists()  # read-only

    c_data = c_file.read_bytes()
    repaired = verify_archive(kit.engine, kit.warc_dir, repair=True)
    c_new = c_file.name.replace(".warc", "-repaired.warc")
    assert repaired.repaired == [
        f"{c_file.name}: 6 readable record(s) copied to {c_new}, the damaged original kept as "
        f"quarantine/{c_file.name}; 2 capture(s) re-pointed, 1 marked unreadable",
        f"{a_file.name}: cut {a[2].length // 2} bytes of a truncated trailing record at {a[2].offset} "
        f"(kept in quarantine/{a_file.name}.tail-at-{a[2].offset})",
        f"{b_open.name}: finalised as {b_file.name}",
        f"{b_file.name}: 1 capture(s) re-pointed from {b_open.name}",
        f"capture {cid[d[1].record_id]}: moved to offset {d[1].offset} (length {d[1].length})",
        f"capture {cid[d[2].record_id]}: moved to offset {d[2].offset} (length {d[2].length})",
        f"run {run}: marked killed",
    ]
    c2_now = c[2].offset - (c[1].length + 4)  # the unreadable record is not in the new file
    unfixable[1] = (f"{c_new}:{c2_now}: payload digest mismatch in response record {c[2].record_id}: "
                    f"header {c[2].payload_digest}, payload {forged}")
    assert sorted(lines(repaired)) == sorted(unfixable)
    assert not repaired.clean and repaired.counts["fixable"] == 0
    assert repaired.counts["captures_unreadable"] == 1 and repaired.counts["captures"] == 15
    assert not c_file.exists() and (kit.warc_dir / "quarantine" / c_file.name).read_bytes() == c_data
    assert not list((kit.warc_dir / "quarantine").glob("*.repair.json"))
    with Session(kit.engine) as session:
        lost = session.execute(select(Capture.warc_file, Capture.warc_offset, Capture.warc_length,
                                      Capture.warc_unreadable_at)
                               .where(Capture.warc_record_id == c[1].record_id)).one()
        assert lost[:3] == (f"quarantine/{c_file.name}", c[1].offset, c[1].length) and lost[3] is not None
    for pointer in (c[0], c[2]):  # re-pointed by record ID: the same record, at its new place
        new_pointer = pointer_of(kit, pointer.record_id)
        assert new_pointer.file == c_new
        record = read_record(kit.warc_dir, new_pointer)
        assert record.record_id == pointer.record_id
        assert c_data[pointer.offset:pointer.offset + pointer.length] == (
            (kit.warc_dir / c_new).read_bytes()[new_pointer.offset:new_pointer.offset + new_pointer.length])

    # What the repairs did, on disk and in the database.
    assert not b_open.exists() and b_file.stat().st_size == b_good
    for pointer in [*crashed, d[1], d[2], a[0], a[1]]:
        assert read_record(kit.warc_dir, pointer).record_id == pointer.record_id
    quarantined = kit.warc_dir / "quarantine" / f"{a_file.name}.tail-at-{a[2].offset}"
    assert quarantined.read_bytes() == a_data[a[2].offset: a[2].offset + a[2].length // 2]
    assert a_file.read_bytes() == a_data[: a[2].offset]
    with Session(kit.engine) as session:
        row = session.get(CrawlRun, run)
        assert row is not None
        assert (row.status, row.finish_reason, row.finished_at) == ("killed", "killed", None)
        assert session.scalar(select(Capture.warc_file).where(
            Capture.warc_record_id == crashed[1].record_id)) == b_file.name
        assert session.scalar(select(func.count()).select_from(Capture)) == 15  # nothing deleted

    again = verify_archive(kit.engine, kit.warc_dir, repair=True)
    assert again.repaired == [] and sorted(lines(again)) == sorted(unfixable)
    assert lines(verify_archive(kit.engine, kit.warc_dir, repair=False)) == lines(again)


def test_repair_takes_the_lock_and_a_running_crawl_is_left_alone(kit: ArchiveKit) -> None:
    pages(kit, "a", 2)
    kit.finish_run()
    stale = kit.dead_run()
    live = WarcWriter(kit.warc_dir, prefix="live")  # a crawl writing right now
    try:
        live_pointer = kit.page(live, "/live/0", article("Being written. " * 30))
        with ArchiveLock(kit.root) as lock:
            with pytest.raises(ArchiveLockedError, match=r"\(pid \d+ since "):
                verify_archive(kit.engine, kit.warc_dir, repair=True)
            report = verify_archive(kit.engine, kit.warc_dir, repair=False)
            assert report.clean, lines(report)  # the running run is not stale: the lock is held
            assert report.lock_holder is not None and report.lock_holder.startswith(f"pid {os.getpid()} ")
            assert report.counts["files"] == 2 and report.counts["captures_skipped"] == 1
            assert report.counts["captures_ok"] == 2 and report.counts["open_files"] == 0
        report = verify_archive(kit.engine, kit.warc_dir, repair=False)
        assert lines(report) == [
            f"run {stale}: still 'running' but no pressclips run holds the archive lock (killed)"]
        with ArchiveLock(kit.root) as lock:  # the crawl's own start-up check passes its lock in
            fixed = verify_archive(kit.engine, kit.warc_dir, repair=True, lock=lock)
            assert fixed.repaired == [f"run {stale}: marked killed"] and fixed.clean
            assert lock.held
        assert (kit.warc_dir / (live_pointer.file + ".open")).exists()  # never finalised under a writer
    finally:
        live.close()
    assert verify_archive(kit.engine, kit.warc_dir, repair=False).counts["captures_ok"] == 3


def test_repair_on_start_fixes_what_a_killed_run_left_and_reads_nothing_else(kit: ArchiveKit) -> None:
    a = pages(kit, "a", 2)
    kit.finish_run()
    stale = kit.dead_run()
    a_file = kit.warc_dir / a[0].file
    flip_byte(a_file, a[1].offset + 30)  # damage in a closed file: only a full verify looks there
    a_bytes = a_file.read_bytes()
    crashed = killed_writer(kit.warc_dir, "b", 3)
    b_file = kit.warc_dir / crashed[0].file
    b_open = b_file.with_name(b_file.name + ".open")
    b_good = b_open.stat().st_size - crashed[-1].length // 2
    for pointer in crashed:
        kit.capture(pointer, "http://127.0.0.1:8123/crashed")
    set_capture(kit, crashed[0].record_id, warc_file=b_open.name)
    lost_id = "<urn:uuid:00000000-0000-0000-0000-00000000cafe>"
    kit.store.add_capture(CaptureRecord(url="http://127.0.0.1:8123/lost", fetched_at=kit.clock, status=200,
                                        mime="text/html", outlet="outlet",
                                        pointer=WarcPointer(b_file.name, b_good, crashed[-1].length, lost_id,
                                                            crashed[-1].payload_digest)))
    unsafe = killed_writer(kit.warc_dir, "u", 3)
    u_open = kit.warc_dir / (unsafe[0].file + ".open")
    flip_byte(u_open, unsafe[1].offset + unsafe[1].length // 2)
    u_bytes = u_open.read_bytes()
    empty = kit.warc_dir / "z-20261101000000000000-1-00000.warc.gz.open"
    empty.write_bytes(b"not a record")
    kit.capture(WarcPointer(empty.name[:-5], 0, 12, "<urn:uuid:00000000-0000-0000-0000-0000000000ee>", "sha1:X"),
                "http://127.0.0.1:8123/empty")
    live = WarcWriter(kit.warc_dir, prefix="live")
    try:
        live_pointer = kit.page(live, "/live/0", article("Being written. " * 30))
        current = kit.dead_run()  # as dead as the stale one: only current_run_id keeps it running
        with ArchiveLock(kit.root), pytest.raises(ArchiveLockedError):
            repair_on_start(kit.engine, kit.warc_dir)
        result = repair_on_start(kit.engine, kit.warc_dir, current_run_id=current)
        assert result.finalised == [b_file.name] and result.removed == [empty.name[:-5]]
        assert result.left_alone == [f"{u_open.name}: not finalised: corrupt record at byte {unsafe[1].offset} "
                                     "with good records after it (run 'pressclips verify')"]
        assert result.pointers_fixed == 1 and result.runs_killed == [stale]
        assert result.warnings == [
            f"{b_file.name}:{b_good}: capture {kit.capture_id(lost_id)}: record lost in the truncated tail",
            f"{empty.name[:-5]}: capture {kit.capture_id('<urn:uuid:00000000-0000-0000-0000-0000000000ee>')}: "
            "file held no complete record and was removed"]
        assert b_file.stat().st_size == b_good and not b_open.exists()
        for pointer in crashed:
            assert read_record(kit.warc_dir, pointer).record_id == pointer.record_id
        assert u_open.read_bytes() == u_bytes and a_file.read_bytes() == a_bytes  # untouched
        assert (kit.warc_dir / (live_pointer.file + ".open")).exists()
        with Session(kit.engine) as session:
            assert session.get(CrawlRun, current).status == "running"  # type: ignore[union-attr]
            assert session.get(CrawlRun, stale).status == "killed"  # type: ignore[union-attr]
        with ArchiveLock(kit.root) as lock:  # idempotent, and happy with a lock handed in
            second = repair_on_start(kit.engine, kit.warc_dir, lock=lock, current_run_id=current)
        assert (second.finalised, second.removed, second.pointers_fixed, second.runs_killed, second.warnings) \
            == ([], [], 0, [], [])
        assert second.left_alone == result.left_alone
    finally:
        live.close()

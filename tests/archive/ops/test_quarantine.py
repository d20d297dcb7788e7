"""``verify --repair`` quarantines a WARC file with a corrupt record in the middle: the readable
records go to a new file, the original stays under ``warcs/quarantine/``, every capture is
re-pointed, the lost one marked. A real SIGKILL at each step leaves the old state or the new one
(after the next repair finishes or undoes the journal), never a pointer to nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.db.models import Capture
from archive.ops.quarantine import JOURNAL_SUFFIX, recover
from archive.ops.verify import verify_archive
from archive.warc.reader import WarcPointer, read_record
from archive.warc.writer import WarcWriter
from tests.archive.replay.damagekit import Damaged, build_damaged
from tests.archivekit import REPO, ArchiveKit, article
from tests.conftest import run_cli


@pytest.fixture
def kit(database_url: str, tmp_path: Path) -> Iterator[ArchiveKit]:
    k = ArchiveKit(tmp_path / "archive", database_url)
    yield k
    k.close()


def rows(kit: ArchiveKit) -> dict[str, tuple[str, int, int, bool]]:
    """record ID -> (file, offset, length, marked unreadable)"""
    with Session(kit.engine) as session:
        return {c.warc_record_id: (c.warc_file, c.warc_offset, c.warc_length, c.warc_unreadable_at is not None)
                for c in session.scalars(select(Capture))}


def test_verify_repair_from_the_cli_leaves_only_what_cannot_be_fixed(database_url: str, tmp_path: Path) -> None:
    kit = ArchiveKit(tmp_path / "archive", database_url)
    try:
        found: Damaged = build_damaged(kit)
        result = run_cli("verify", "--repair", *found.archive)
        truncated = found.pages["truncated"][3]
        assert result.returncode == 1, result.stderr
        out = result.stdout.splitlines()
        assert "note: 2 capture(s) are marked unreadable: their records were damaged and are kept under " \
               "warcs/quarantine/" in out
        repaired = [line for line in out if line.startswith("repaired: ")]
        for damage in ("flipped", "cut-member"):
            name = found.files[damage].name
            assert any(line.startswith(f"repaired: {name}: ") and "1 marked unreadable" in line for line in repaired)
            assert not found.files[damage].exists() and (kit.warc_dir / "quarantine" / name).exists()
        problems = [line for line in out if line.startswith(found.files["truncated"].name)]
        assert problems == [f"{truncated.file}:{truncated.offset}: capture {kit.capture_id(truncated.record_id)}: "
                            f"record {truncated.record_id} is past the end of the file ({truncated.offset} bytes)"]
        assert out[-1] == "1 problem(s)"
        # what remains is readable end to end: no export skips anything any more
        again = run_cli("export-cdxj", "-o", str(tmp_path / "index.cdxj"), *found.archive)
        assert again.returncode == 0 and again.stderr.count("\n") == 1 and again.stderr.startswith("wrote ")
        for record_id, (file, offset, length, lost) in rows(kit).items():
            if not lost and record_id != truncated.record_id:
                assert read_record(kit.warc_dir, WarcPointer(file, offset, length, record_id, "")).record_id == record_id
    finally:
        kit.close()


# -- kill points --------------------------------------------------------------------------------
KILLED_REPAIR = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import archive.ops.quarantine as q
    from archive.db.engine import make_engine
    from archive.ops.verify import verify_archive

    url, warc_dir, point = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    real_rename, real_link, real_copy = os.rename, os.link, q._copy_readable
    renames = []

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def rename(src, dst, *args, **kwargs):
        real_rename(src, dst, *args, **kwargs)
        renames.append(dst)
        if (point, len(renames)) in (("journal", 1), ("published", 2)):
            die()

    def link(src, dst, *args, **kwargs):
        real_link(src, dst, *args, **kwargs)
        if point == "linked":
            die()

    def copy(job, scan):
        moved = real_copy(job, scan)
        if point == "mid-copy":  # what an unsynced half-written copy leaves
            os.truncate(job.partial, os.path.getsize(job.partial) // 2)
            die()
        if point == "copied":
            die()
        return moved

    os.rename, os.link, q._copy_readable = rename, link, copy
    if point == "committed":
        q._finish = lambda job: die()
    verify_archive(make_engine(url), warc_dir, repair=True)
    print("not killed")
""")


@pytest.mark.parametrize("point", ["journal", "mid-copy", "copied", "linked", "published", "committed"])
def test_a_kill_at_any_step_leaves_the_old_state_or_the_new(kit: ArchiveKit, point: str) -> None:
    if not kit.database_url.startswith("sqlite") and point not in ("mid-copy", "committed"):
        pytest.skip("on PostgreSQL one roll-back and one roll-forward point are enough (each kill costs a process)")
    with WarcWriter(kit.warc_dir, prefix="q") as writer:
        pages = [kit.page(writer, f"/q/{i}", article(f"Story {i}. " * 40, title=f"q{i}")) for i in range(4)]
    kit.finish_run()
    path = kit.warc_dir / pages[0].file
    data = bytearray(path.read_bytes())
    middle = pages[1].offset + pages[1].length // 2
    data[middle - 25: middle + 25] = bytes(b ^ 0xFF for b in data[middle - 25: middle + 25])
    path.write_bytes(bytes(data))
    original, before = bytes(data), rows(kit)

    child = subprocess.run([sys.executable, "-c", KILLED_REPAIR, kit.database_url, str(kit.warc_dir), point],
                           cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert child.returncode == -9, child.stdout + child.stderr

    def every_pointer_resolves() -> None:
        for record_id, (file, offset, length, lost) in rows(kit).items():
            if not lost and record_id != pages[1].record_id:
                assert read_record(kit.warc_dir, WarcPointer(file, offset, length, record_id, "")).record_id == record_id

    every_pointer_resolves()  # even before any recovery: the database never points at nothing
    assert recover(kit.engine, kit.warc_dir)  # the journal was found, and acted on
    assert not list(kit.warc_dir.rglob(f"*{JOURNAL_SUFFIX}")) and not list(kit.warc_dir.rglob("*.partial"))
    repaired_name = path.name.replace(".warc.gz", "-repaired.warc.gz")
    kept = kit.warc_dir / "quarantine" / path.name
    if point == "committed":  # rolled forward: the new state
        assert not path.exists() and kept.read_bytes() == original and (kit.warc_dir / repaired_name).exists()
        assert rows(kit)[pages[1].record_id][3] and rows(kit)[pages[0].record_id][0] == repaired_name
    else:  # rolled back: the old state, byte for byte
        assert path.read_bytes() == original and rows(kit) == before
        assert not kept.exists() and not (kit.warc_dir / repaired_name).exists()
    every_pointer_resolves()

    verify_archive(kit.engine, kit.warc_dir, repair=True)  # finishes the job whichever state it found
    report = verify_archive(kit.engine, kit.warc_dir, repair=False)
    assert report.clean and report.counts["captures_unreadable"] == 1, [p.line for p in report.problems]
    assert kept.read_bytes() == original
    every_pointer_resolves()

"""The archive lease between real processes: on PostgreSQL two processes with different archive
directories (two machines) still exclude each other through the database, the refusal names the
holder, SIGKILL frees the lease at once, and ``verify --repair`` honours it (exit 75); on SQLite the
lease is the directory's flock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from archive.db.engine import make_engine
from archive.errors import ArchiveLockedError
from archive.ops.lease import ArchiveLease, holder
from tests.conftest import one_line_error, run_cli
from tests.paths import REPO

HOLD_LEASE = textwrap.dedent("""
    import os, sys, time
    from archive.db.engine import make_engine
    from archive.ops.lease import ArchiveLease
    lease = ArchiveLease(make_engine(sys.argv[1]), sys.argv[2], "repair").acquire()
    print(os.getpid(), flush=True)
    time.sleep(600)
""")


def hold(url: str, root: Path) -> subprocess.Popen[str]:
    root.mkdir(exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LEASE, url, str(root)], cwd=REPO,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()  # printed once the lease is held
    assert line == str(proc.pid), line
    return proc


def test_two_processes_on_one_postgresql_archive_take_turns(postgres_url: str, tmp_path: Path) -> None:
    engine = make_engine(postgres_url)
    here, there = tmp_path / "host-a", tmp_path / "host-b"
    here.mkdir()
    other = hold(postgres_url, there)  # another machine: its own directory, the same database
    try:
        with pytest.raises(ArchiveLockedError) as refused:
            ArchiveLease(engine, here, "repair").acquire()
        assert f":{other.pid} repair since" in str(refused.value) and "archive lease" in str(refused.value)
        assert f":{other.pid} repair" in (holder(engine, here) or "")
        started = time.monotonic()
        with pytest.raises(ArchiveLockedError):
            ArchiveLease(engine, here, "repair").acquire(wait=1.5)  # waits, then gives up
        assert time.monotonic() - started >= 1.4
        # verify --repair from this machine is refused while the other one repairs: exit 75
        blocked = run_cli("verify", "--repair", "--archive", str(here), "--database-url", postgres_url)
        one_line_error(blocked, 75, "archive lease", f":{other.pid} repair")
        # a waiting taker gets the lease as soon as the holder dies (SIGKILL: no clean-up ran)
        os.kill(other.pid, signal.SIGKILL)
        other.wait(timeout=30)
        lease = ArchiveLease(engine, here, "repair").acquire(wait=20)
        assert lease.held and lease.distributed
        assert "repair" in (holder(engine, there) or "")  # now this process holds it, seen from anywhere
        lease.release()
        assert holder(engine, there) is None
        with ArchiveLease(engine, there, "restory"):  # released leases can be taken again
            assert "restory" in (holder(engine, here) or "")
    finally:
        if other.poll() is None:
            other.kill()
            other.wait(timeout=30)
        engine.dispose()
    done = run_cli("verify", "--repair", "--archive", str(here), "--database-url", postgres_url)
    assert done.returncode == 0, done.stderr


def test_on_sqlite_the_lease_is_the_archive_lock(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    url = f"sqlite:///{archive / 'pressclips.sqlite3'}"  # this test is about SQLite, whatever the run's backend
    engine = make_engine(url)
    other = hold(url, archive)
    try:
        with pytest.raises(ArchiveLockedError, match=f"pid {other.pid}"):
            ArchiveLease(engine, archive, "repair").acquire()
        assert holder(engine, archive) is not None
    finally:
        other.kill()
        other.wait(timeout=30)
    with ArchiveLease(engine, archive, "repair") as lease:
        assert lease.held and not lease.distributed
    assert holder(engine, archive) is None
    engine.dispose()

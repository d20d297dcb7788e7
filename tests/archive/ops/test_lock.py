"""The archive lock against real processes: a second run is refused at once with exit 75, SIGKILL
releases the lock, and a child holding the inherited descriptor keeps it after its parent dies."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from archive.errors import ArchiveError, ArchiveLockedError
from archive.ops.lock import LOCK_FD_ENV, LOCK_NAME, ArchiveLock
from tests.paths import REPO

TRY_LOCK = textwrap.dedent("""
    import sys
    from archive.errors import PressclipsError
    from archive.ops.lock import ArchiveLock
    try:
        ArchiveLock(sys.argv[1]).acquire()
    except PressclipsError as exc:
        print(exc, file=sys.stderr)
        sys.exit(exc.exit_code)
    print("locked")
""")

HOLD_LOCK = textwrap.dedent("""
    import os, sys, time
    from archive.ops.lock import ArchiveLock
    lock = ArchiveLock(sys.argv[1]).acquire()
    print(os.getpid(), flush=True)
    time.sleep(600)
""")

# The crawl's pattern: lock in the parent, hand the descriptor to a child, which adopts it.
PARENT_WITH_CHILD = textwrap.dedent("""
    import os, subprocess, sys, time
    from archive.ops.lock import ArchiveLock
    lock = ArchiveLock(sys.argv[1]).acquire()
    child = subprocess.Popen([sys.executable, "-c", sys.argv[2], sys.argv[1]], pass_fds=[lock.fileno()],
                             env={**os.environ, **lock.child_env()}, stdout=subprocess.PIPE, text=True)
    print(child.pid, child.stdout.readline().strip(), flush=True)
    time.sleep(600)
""")
CHILD = textwrap.dedent("""
    import sys, time
    from archive.ops.lock import ArchiveLock
    lock = ArchiveLock.inherit_from_env(sys.argv[1])
    print("adopted" if lock is not None and lock.held and lock.inherited else "no lock", flush=True)
    time.sleep(600)
""")


def python(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=60, **kw)  # type: ignore[call-overload]


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", *args], cwd=REPO, stdout=subprocess.PIPE, text=True)


def kill(proc_or_pid: subprocess.Popen[str] | int) -> None:
    """SIGKILL and wait until the process has closed its descriptors (exited or zombie)."""
    pid = proc_or_pid if isinstance(proc_or_pid, int) else proc_or_pid.pid
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    if not isinstance(proc_or_pid, int):
        proc_or_pid.wait(timeout=30)
        return
    deadline = time.monotonic() + 30  # an orphan is reaped by init, not by us
    while time.monotonic() < deadline and _state(pid) != "Z":
        time.sleep(0.02)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"  # gone


def test_acquire_writes_holder_and_release_frees(tmp_path: Path) -> None:
    lock = ArchiveLock(tmp_path)
    assert ArchiveLock.holder(tmp_path) is None  # nothing created by looking
    assert not (tmp_path / LOCK_NAME).exists()
    with lock:
        pid, since = (tmp_path / LOCK_NAME).read_text().split()
        assert int(pid) == os.getpid() and since.endswith("Z")
        assert ArchiveLock.holder(tmp_path) == f"pid {pid} since {since}"
        # A second description, even in the same process, is refused: why a child must adopt.
        with pytest.raises(ArchiveLockedError, match=f"pid {pid} since {since}"):
            ArchiveLock(tmp_path).acquire()
    assert not lock.held
    assert ArchiveLock.holder(tmp_path) is None
    assert (tmp_path / LOCK_NAME).exists()  # never deleted: unlinking lock files is racy
    with ArchiveLock(tmp_path):
        pass


def test_second_process_is_refused_at_once_with_75(tmp_path: Path) -> None:
    with ArchiveLock(tmp_path):
        result = python(TRY_LOCK, str(tmp_path))
    assert result.returncode == 75, result.stderr
    assert result.stderr.startswith(f"another pressclips run holds the archive lock (pid {os.getpid()} since ")
    assert python(TRY_LOCK, str(tmp_path)).stdout == "locked\n"


def test_sigkill_releases_the_lock(tmp_path: Path) -> None:
    holder = spawn(HOLD_LOCK, str(tmp_path))
    try:
        assert holder.stdout is not None
        assert int(holder.stdout.readline()) == holder.pid
        with pytest.raises(ArchiveLockedError, match=f"pid {holder.pid} "):
            ArchiveLock(tmp_path).acquire()
        assert python(TRY_LOCK, str(tmp_path)).returncode == 75
    finally:
        kill(holder)
    assert holder.returncode == -signal.SIGKILL
    with ArchiveLock(tmp_path) as lock:
        assert lock.held


def test_inherited_descriptor_keeps_the_lock_after_the_parent_dies(tmp_path: Path) -> None:
    parent = spawn(PARENT_WITH_CHILD, str(tmp_path), CHILD)
    child_pid = 0
    try:
        assert parent.stdout is not None
        pid, state = parent.stdout.readline().split()
        child_pid = int(pid)
        assert state == "adopted"  # the child neither deadlocked nor failed against its parent
        kill(parent)
        assert Path(f"/proc/{child_pid}").exists()
        refused = python(TRY_LOCK, str(tmp_path))
        assert refused.returncode == 75
        assert f"(pid {parent.pid} since " in refused.stderr  # the text names the crawl command
        with pytest.raises(ArchiveLockedError):
            ArchiveLock(tmp_path).acquire()
    finally:
        kill(parent)
        if child_pid:
            kill(child_pid)
    with ArchiveLock(tmp_path) as lock:
        assert lock.held


def test_adopt_refuses_a_foreign_descriptor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / LOCK_NAME).touch()
    other = os.open(tmp_path / "other", os.O_RDWR | os.O_CREAT)
    try:
        with pytest.raises(ArchiveError, match="is not the archive lock"):
            ArchiveLock.adopt(tmp_path, other)
    finally:
        os.close(other)
    with pytest.raises(ArchiveError, match="not open"):
        ArchiveLock.adopt(tmp_path, 999)
    monkeypatch.delenv(LOCK_FD_ENV, raising=False)
    assert ArchiveLock.inherit_from_env(tmp_path) is None
    monkeypatch.setenv(LOCK_FD_ENV, "three")
    with pytest.raises(ArchiveError, match="not a file descriptor"):
        ArchiveLock.inherit_from_env(tmp_path)


def test_missing_or_unwritable_archive_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="does not exist"):
        ArchiveLock(tmp_path / "nope").acquire()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ArchiveError, match="does not exist"):
        ArchiveLock(tmp_path / "file").acquire()

    # A directory we may not write. Root ignores permission bits, so as root the directory is
    # made immutable (chattr +i), which root cannot write either.
    shared = tmp_path / "read-only"
    shared.mkdir()
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(shared)]).returncode:
            pytest.skip("running as root without chattr +i support: cannot make a directory unwritable")
    else:
        shared.chmod(0o555)
    try:
        result = python(TRY_LOCK, str(shared))
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(shared)], check=True)
        shared.chmod(0o755)
    assert result.returncode == 1, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"cannot create the archive lock {shared / LOCK_NAME}: ")
    assert line.endswith(("Permission denied", "Operation not permitted"))


def test_for_run_adopts_the_handed_down_lock_else_takes_its_own(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LOCK_FD_ENV, raising=False)
    own = ArchiveLock.for_run(tmp_path)
    assert own.held and not own.inherited
    with pytest.raises(ArchiveLockedError):
        ArchiveLock.for_run(tmp_path)  # a second run in the same archive
    own.release()
    with ArchiveLock(tmp_path) as parent:
        monkeypatch.setenv(LOCK_FD_ENV, str(os.dup(parent.fileno())))  # as `pressclips crawl` passes it
        child = ArchiveLock.for_run(tmp_path)
        assert child.held and child.inherited
        child.release()
        assert ArchiveLock.holder(tmp_path) is not None  # the parent still holds the archive

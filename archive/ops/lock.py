"""The archive lock: one pressclips run (crawl, ``verify --repair``) at a time per archive.

An exclusive, non-blocking ``fcntl.flock`` on ``<archive>/.pressclips.lock``. The kernel drops a
flock when the last descriptor of the open file goes away, so a holder killed with SIGKILL
releases it too (DESIGN §4). The file is never deleted: unlinking a lock file races with a
process that has just opened the old inode. The holder writes ``pid start-time`` into it, for
the error message only; correctness never depends on that text.

Handing the lock to a child process (``pressclips crawl`` locks, then starts Scrapy): pass the
descriptor with ``subprocess.Popen(..., pass_fds=[lock.fileno()], env={**os.environ,
**lock.child_env()})`` and call ``ArchiveLock.inherit_from_env(root)`` in the child. The child
shares the parent's open file description, so it keeps the archive locked if the parent dies,
and it never opens a second description, which would conflict with its own parent.

``release()`` only closes our descriptor (never ``LOCK_UN``): a child holding the same
description keeps the lock until it exits too.

Scope: the lock lives in the archive directory, so it serialises runs on one machine (or on
machines sharing that directory over a filesystem with working flock). Several machines sharing
one PostgreSQL database with separate archive directories are not serialised by it: work that
must be single across them (repair, restory) takes the archive lease (``archive.ops.lease``), a
PostgreSQL advisory lock on top of this flock.
"""

from __future__ import annotations

import errno
import fcntl
import os
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from archive.errors import ArchiveError, ArchiveLockedError

LOCK_NAME = ".pressclips.lock"
LOCK_FD_ENV = "PRESSCLIPS_LOCK_FD"


class ArchiveLock:
    """``with ArchiveLock(root):`` holds the archive; ``acquire()`` raises ``ArchiveLockedError``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.path = self.root / LOCK_NAME
        self._fd: int | None = None
        self.inherited = False

    # -- taking and giving back ----------------------------------------------------------------
    def acquire(self) -> ArchiveLock:
        """Take the lock now or raise ``ArchiveLockedError``; never waits."""
        if self._fd is not None:
            return self
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise ArchiveLockedError(holder) from None
        except OSError as exc:  # e.g. ENOLCK on a filesystem without flock
            os.close(fd)
            raise ArchiveError(f"cannot lock {self.path}: {exc.strerror or exc}",
                               hint="keep the archive on a local filesystem") from exc
        self._fd = fd
        _write_holder(fd)
        return self

    def release(self) -> None:
        """Close our descriptor. Idempotent. Other holders of the same description keep the lock."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def fileno(self) -> int:
        if self._fd is None:
            raise ArchiveError(f"the archive lock {self.path} is not held")
        return self._fd

    def __enter__(self) -> ArchiveLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

    def __del__(self) -> None:  # an unreleased lock must not leak a descriptor
        try:
            self.release()
        except OSError:
            pass

    # -- child processes -----------------------------------------------------------------------
    def child_env(self) -> dict[str, str]:
        """Environment entries telling a child (started with ``pass_fds=[fileno()]``) its fd."""
        return {LOCK_FD_ENV: str(self.fileno())}

    @classmethod
    def adopt(cls, root: str | Path, fd: int) -> ArchiveLock:
        """Take over ``fd``, a descriptor of this archive's lock file inherited from the parent.

        flock on a description that already holds the lock succeeds, so this confirms the lock
        without ever competing with the parent; a stray descriptor of another file is refused.
        """
        lock = cls(root)
        try:
            st = os.fstat(fd)
        except OSError as exc:
            raise ArchiveError(f"inherited lock descriptor {fd} is not open: {exc.strerror or exc}",
                               hint="start the child with pass_fds=[lock.fileno()]") from exc
        try:
            expected = os.stat(lock.path)
        except OSError as exc:
            raise ArchiveError(f"cannot check the archive lock {lock.path}: {exc.strerror or exc}") from exc
        if (st.st_dev, st.st_ino) != (expected.st_dev, expected.st_ino):
            raise ArchiveError(f"descriptor {fd} is not the archive lock {lock.path}",
                               hint=f"{LOCK_FD_ENV} must name the lock of the same archive")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ArchiveLockedError(_read_holder(fd)) from None
        os.set_inheritable(fd, False)
        lock._fd = fd
        lock.inherited = True
        return lock

    @classmethod
    def inherit_from_env(cls, root: str | Path) -> ArchiveLock | None:
        """The lock handed down via ``$PRESSCLIPS_LOCK_FD``, or None when there is none."""
        value = os.environ.get(LOCK_FD_ENV)
        if not value:
            return None
        if not value.isdigit():
            raise ArchiveError(f"{LOCK_FD_ENV}={value!r} is not a file descriptor number")
        return cls.adopt(root, int(value))

    @classmethod
    def for_run(cls, root: str | Path) -> ArchiveLock:
        """The lock a crawl process runs under: the one its parent handed down
        (``pressclips crawl``), else our own, taken now. Every entry point (``pressclips crawl``,
        ``python -m crawler.run``, plain ``scrapy crawl``) goes through here, so they exclude
        each other. Raises ``ArchiveLockedError`` when another run holds it."""
        return cls.inherit_from_env(root) or cls(root).acquire()

    # -- looking without taking ----------------------------------------------------------------
    @classmethod
    def holder(cls, root: str | Path) -> str | None:
        """``"pid N since T"`` when another open file description holds the lock, else None.

        Probes with a fresh description, so a lock held by this very process counts as held.
        Creates nothing: a missing lock file means nobody holds it.
        """
        lock = cls(root)
        try:
            fd = os.open(lock.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ArchiveError(f"cannot read the archive lock {lock.path}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd)
        finally:
            os.close(fd)
        return None

    # -- internals -----------------------------------------------------------------------------
    def _open(self) -> int:
        try:
            is_dir = self.root.is_dir()
        except OSError as exc:  # e.g. a parent directory we may not enter
            raise ArchiveError(f"cannot use archive directory {self.root}: {exc.strerror or exc}") from exc
        if not is_dir:
            raise ArchiveError(f"archive directory {self.root} does not exist",
                               hint="check --archive, or run 'pressclips crawl' to create it")
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            first = exc
        if first.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            try:  # flock needs no write access: an existing lock file we cannot write still works
                return os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                pass
            except OSError as exc:
                first = exc
        raise ArchiveError(f"cannot create the archive lock {self.path}: {first.strerror or first}",
                           hint="the archive directory must be writable by the user running pressclips")


def _write_holder(fd: int) -> None:
    stamp = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {stamp}\n".encode(), 0)
    except OSError:
        pass  # read-only descriptor or full disk: the text is only for messages


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
    except OSError:
        text = []
    if len(text) >= 2 and text[0].isdigit():
        return f"pid {text[0]} since {text[1]}"
    return "holder unknown"

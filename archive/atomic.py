"""One way to write an output file (``export -o``, ``export-cdxj -o``, ``export-wacz``): all or nothing.

The data goes to a hidden temporary file in the target's own directory (so the final rename never
crosses file systems), is fsynced, then renamed over the target; the directory is fsynced so the
rename survives a crash. Whatever goes wrong, the temporary file is removed and the target is
either untouched or complete. A target that cannot be written at all (missing or read-only
directory, a directory in the way) is a usage error; a failure half-way (disk full) is an
``OutputError``.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from archive.errors import ConfigError, OutputError


def check_target(path: Path) -> Path:
    """The absolute target, after the checks that need no writing: the directory exists, the name is free
    of directories. Raises ``ConfigError`` (exit 2)."""
    target = Path(path).expanduser().absolute()
    if target.is_dir():
        raise ConfigError(f"cannot write {path}: it is a directory", hint="give a file name")
    if not target.parent.is_dir():
        raise ConfigError(f"cannot write {path}: directory {target.parent} does not exist",
                          hint="create it first, or choose another path")
    return target


@contextmanager
def atomic_output(path: Path, *, binary: bool = False) -> Iterator[IO[Any]]:
    """A file object to write ``path`` through; the file appears, complete, only when the block ends
    without an exception."""
    target = check_target(path)
    if _is_special(target):  # /dev/null, a FIFO, /dev/stdout: written in place, never replaced
        try:
            if binary:
                with open(target, "wb") as raw:
                    yield raw
            else:
                with open(target, "w", encoding="utf-8") as text:
                    yield text
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        return
    try:
        fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    except OSError as exc:
        raise _target_error(path, target, exc) from None
    temp = Path(temp_name)
    try:
        handle: IO[Any] = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644 & ~_umask())  # mkstemp makes 0600; an export is an ordinary file
        os.replace(temp, target)
        _fsync_dir(target.parent)
    except OSError as exc:  # the target was writable a moment ago: this is a failure half-way
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}", hint="nothing was written") from None
    finally:
        temp.unlink(missing_ok=True)


class AtomicPath:
    """For writers that need a path rather than a file object (zipfile): ``with AtomicPath(out) as
    temp`` gives the temporary path, fsynced and renamed to ``out`` when the block ends without an
    exception, removed otherwise."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.target = check_target(path)
        self.temp: Path | None = None

    def __enter__(self) -> Path:
        if _is_special(self.target):
            return self.target  # a device or FIFO is written in place; renaming over it would replace it
        try:
            fd, temp_name = tempfile.mkstemp(dir=self.target.parent, prefix=f".{self.target.name}.",
                                             suffix=".part")
        except OSError as exc:
            raise _target_error(self.path, self.target, exc) from None
        os.close(fd)
        self.temp = Path(temp_name)
        return self.temp

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 _tb: TracebackType | None) -> None:
        if self.temp is None:
            return
        try:
            if exc_type is None:
                with open(self.temp, "rb+") as handle:
                    os.fsync(handle.fileno())
                os.chmod(self.temp, 0o644 & ~_umask())
                os.replace(self.temp, self.target)
                _fsync_dir(self.target.parent)
        except OSError as error:
            raise OutputError(f"cannot write {self.path}: {error.strerror or error}",
                              hint="nothing was written") from None
        finally:
            self.temp.unlink(missing_ok=True)


def _is_special(target: Path) -> bool:
    """An existing target that is not a regular file (``-o /dev/null`` in benchmarks)."""
    return target.exists() and not target.is_file()


def _target_error(path: Path, target: Path, exc: OSError) -> ConfigError:
    if exc.errno == errno.EROFS:
        why = f"directory {target.parent} is on a read-only file system"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        why = f"directory {target.parent} is not writable"
    else:
        why = exc.strerror or str(exc)
    return ConfigError(f"cannot write {path}: {why}", hint="choose a writable directory")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # not every file system lets a directory be opened; the rename itself is done
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

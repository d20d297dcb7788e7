"""Handing freed heap memory back to the operating system (glibc ``malloc_trim``).

Long crawls free page bodies, parse trees and SQLite pages all the time; glibc keeps the freed
space in its arenas, so RSS creeps up with the crawl although live memory does not.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import Any


@cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


def release_free_memory() -> None:
    """``malloc_trim(0)`` where glibc provides it; a no-op elsewhere."""
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None) if libc is not None else None
    if trim is not None:
        trim(0)

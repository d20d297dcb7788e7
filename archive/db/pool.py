"""Connection pool settings for PostgreSQL, from the database URL's query string.

Many crawler workers (processes, possibly on several hosts) share one PostgreSQL, whose
``max_connections`` defaults to 100. A pressclips process needs few connections at once: the
crawler writes through one database thread, the feeder and the request handlers read in short
transactions. So the defaults keep each process small and make dead connections cheap to notice:

    pool_size=4       connections kept open per process (crawler: db thread + feeder + reads)
    max_overflow=4    extra connections under a burst, closed when returned; 8 at most per process,
                      so 10 workers stay under 100 with room for psql and replay
    pool_timeout=30   seconds to wait for a free connection before failing
    pool_recycle=1800 seconds; replaces a connection before firewalls, NAT and poolers
                      (PgBouncer ``server_lifetime`` 3600) drop it silently
    pool_pre_ping=true a worker idles between cycles and the server may have restarted: one
                      round trip at checkout instead of a failed write
    connect_timeout=10 seconds (libpq): an unreachable server fails a worker quickly, not after
                      the kernel's TCP timeout of about two minutes
    application_name=pressclips:<host>:<pid> so ``pg_stat_activity`` shows which worker holds what

Each is overridden in the URL, e.g. ``postgresql+psycopg://db/press?pool_size=2&max_overflow=0``
(``--database-url`` or ``$PRESSCLIPS_DATABASE_URL``); ``connect_timeout`` and ``application_name``
go to libpq unchanged. With more than ~10 workers, put PgBouncer (transaction mode) in front.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import URL, make_url

from archive.errors import ConfigError


def _flag(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not true or false: {value!r}")


def _whole(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"negative: {value!r}")
    return number


def _seconds(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError(f"not a positive number of seconds: {value!r}")
    return number


POOL_OPTIONS: dict[str, Callable[[str], Any]] = {
    "pool_size": _whole,
    "max_overflow": _whole,
    "pool_timeout": _seconds,
    "pool_recycle": _whole,
    "pool_pre_ping": _flag,
}
POOL_DEFAULTS: dict[str, Any] = {
    "pool_size": 4,
    "max_overflow": 4,
    "pool_timeout": 30.0,
    "pool_recycle": 1800,
    "pool_pre_ping": True,
}
CONNECT_TIMEOUT = 10


def application_name() -> str:
    return f"pressclips:{socket.gethostname()}:{os.getpid()}"[:63]  # PostgreSQL keeps 63 bytes


def postgres_engine_options(url: str) -> tuple[URL, dict[str, Any]]:
    """``(url without the pool keys, create_engine keyword arguments)``; a bad value is a
    ``ConfigError`` naming the key."""
    parsed = make_url(url)
    query = dict(parsed.query)
    options = dict(POOL_DEFAULTS)
    for key, parse in POOL_OPTIONS.items():
        if key not in query:
            continue
        raw = query.pop(key)
        value = raw[-1] if isinstance(raw, tuple) else raw
        try:
            options[key] = parse(value)
        except ValueError as exc:
            raise ConfigError(f"database URL option {key}: {exc}",
                              hint=f"e.g. ?{key}={POOL_DEFAULTS[key]!s}".lower()) from None
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    if "application_name" not in query:
        connect_args["application_name"] = application_name()
    options["connect_args"] = connect_args
    return parsed.set(query=query), options

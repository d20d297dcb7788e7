"""One Redis client per process, from a ``redis://`` URL, checked before use."""

from __future__ import annotations

from typing import Any

import redis

from archive.errors import ClusterError, ConfigError

SCHEMES = ("redis://", "rediss://", "unix://")


def check_redis_url(url: str) -> str:
    if not url.startswith(SCHEMES):
        raise ConfigError(f"--redis-url {url!r}: expected redis://HOST:PORT/DB",
                          hint="e.g. --redis-url redis://127.0.0.1:6379/0")
    return url


def connect(url: str) -> Any:
    """A connected client; ``ClusterError`` (one line) when Redis does not answer."""
    try:
        client = redis.Redis.from_url(check_redis_url(url), socket_timeout=10, socket_connect_timeout=5)
    except ValueError as exc:
        raise ConfigError(f"--redis-url {url!r}: {exc}") from None
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ClusterError(f"Redis at {url} does not answer: {exc}",
                           hint="start Redis, or check --redis-url") from None
    return client

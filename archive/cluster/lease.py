"""A lease in Redis (``SET NX PX``): held by one owner until released or it lapses unrenewed.

A worker that dies while holding one lets it lapse after ``ttl`` seconds; renewing and releasing
check the owner atomically, so a worker whose lease lapsed never extends or frees another's.
"""

from __future__ import annotations

from typing import Any

_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class Lease:
    def __init__(self, client: Any, key: str, owner: str, ttl: float) -> None:
        self.client = client
        self.key = key
        self.owner = owner
        self.ttl_ms = max(1, int(ttl * 1000))
        self.held = False

    def acquire(self) -> bool:
        self.held = bool(self.client.set(self.key, self.owner, nx=True, px=self.ttl_ms))
        return self.held

    def renew(self) -> bool:
        """Extend a held lease; False (and no longer held) when it had lapsed to someone else."""
        if self.held:
            self.held = bool(self.client.eval(_RENEW, 1, self.key, self.owner, self.ttl_ms))
        return self.held

    def release(self) -> None:
        if self.held:
            self.client.eval(_RELEASE, 1, self.key, self.owner)
            self.held = False

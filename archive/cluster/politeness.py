"""Per-outlet politeness shared by all workers: a slot in Redis that caps an outlet's requests in
flight (its ``concurrency``) and spaces their starts by its ``download_delay``, in total across
workers, not per worker.

One Lua script decides atomically, on Redis's clock (workers on several machines need not agree
on the time): drop in-flight leases that outlived ``lease`` (a worker killed mid-request), refuse
while ``concurrency`` requests are in flight, refuse until the next allowed start, else take a
lease and move the next allowed start ``delay`` ahead. A refusal says how long to wait.
"""

from __future__ import annotations

from typing import Any

from archive.cluster.keys import ClusterKeys

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, delay, lease = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= limit then return -1 end
local next_start = tonumber(redis.call('GET', KEYS[2]) or '0')
if next_start > now then return next_start - now end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
redis.call('SET', KEYS[2], now + delay, 'PX', delay + 1000)
return 0
"""

BUSY_WAIT = 0.05  # seconds to wait when the outlet's in-flight slots are all taken


class SharedPoliteness:
    def __init__(self, client: Any, keys: ClusterKeys, lease: float) -> None:
        self.client = client
        self.keys = keys
        self.lease_ms = int(lease * 1000)
        self.script = client.register_script(_ACQUIRE)

    def try_acquire(self, slot: str, token: str, concurrency: int, delay: float) -> float:
        """0 when ``token`` now holds one of the slot's places; else seconds to wait first."""
        inflight, next_start = self.keys.politeness(slot)
        wait_ms = int(self.script(keys=[inflight, next_start],
                                  args=[token, max(1, concurrency), int(delay * 1000), self.lease_ms]))
        if wait_ms == 0:
            return 0.0
        return BUSY_WAIT if wait_ms < 0 else wait_ms / 1000

    def release(self, slot: str, token: str) -> None:
        self.client.zrem(self.keys.politeness(slot)[0], token)


def drop_dead_places(client: Any, keys: ClusterKeys, live_workers: set[str]) -> int:
    """Free the in-flight places held by workers that are no longer live (killed mid-request),
    rather than leaving their outlets throttled until the places' leases lapse."""
    dropped = 0
    for key in client.scan_iter(match=keys.politeness("*")[0], count=500):
        dead = [token for token in client.zrange(key, 0, -1)
                if token.decode("utf-8", "replace").partition(":")[0] not in live_workers]
        if dead:
            dropped += int(client.zrem(key, *dead))
    return dropped

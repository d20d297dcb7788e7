"""Reading scrapy-redis's shared request queue without a spider: its depth, and which frontier
URLs wait in it (so reconciliation does not queue them a second time)."""

from __future__ import annotations

import pickle
from collections import Counter
from typing import Any

from archive.cluster.keys import ClusterKeys

# request.meta key holding the frontier row's URL (the request's own URL drops tracking parameters).
FRONTIER_URL_META = "pc_frontier_url"


def queue_depth(client: Any, keys: ClusterKeys) -> int:
    return int(client.zcard(keys.requests))


def _requests(client: Any, keys: ClusterKeys) -> list[dict[str, Any]]:
    out = []
    for raw, _score in client.zscan_iter(keys.requests, count=1000):
        try:
            # scrapy-redis's own serializer (scrapy_redis.picklecompat): pickled request dicts,
            # written by our workers into our archive's keys.
            request = pickle.loads(raw)  # noqa: S301
        except Exception:  # noqa: BLE001, S112 - an entry we cannot read is simply not counted
            continue
        if isinstance(request, dict):
            out.append(request)
    return out


def queued_frontier_urls(client: Any, keys: ClusterKeys) -> set[str]:
    urls = set()
    for request in _requests(client, keys):
        meta = request.get("meta") or {}
        url = meta.get(FRONTIER_URL_META)
        if url:
            urls.add(str(url))
    return urls


def queue_by_outlet(client: Any, keys: ClusterKeys) -> Counter[str]:
    """Queued requests per outlet (``pc_outlet`` meta), for ``pressclips workers``."""
    return Counter(str((r.get("meta") or {}).get("pc_outlet") or "?") for r in _requests(client, keys))

"""Live workers: each renews a heartbeat key with a TTL, so a dead worker's key simply expires.

Redis keys with a TTL rather than a database table: liveness is exactly "renewed within the
TTL", with nothing to clean up after a SIGKILL, and ``pressclips workers`` reads them in one
round trip. The run row in the database keeps the durable record of what each worker did.
"""

from __future__ import annotations

import json
import os
import re
import socket
from dataclasses import asdict, dataclass
from typing import Any

from archive.cluster.keys import ClusterKeys

HEARTBEAT_INTERVAL = 3.0  # seconds between beats
HEARTBEAT_TTL = 15.0  # a worker silent this long is dead (a loaded reactor may stall for seconds)


def this_worker() -> str:
    """``host-pid``: the name captures, WARC files and heartbeats carry."""
    host = re.sub(r"[^A-Za-z0-9.]+", "_", socket.gethostname()) or "host"
    return f"{host}-{os.getpid()}"


@dataclass(frozen=True)
class WorkerBeat:
    worker: str
    run_id: int | None
    started_at: str  # ISO 8601, UTC
    beat_at: str
    requests: int  # responses downloaded so far
    seeding: bool


class WorkerRegistry:
    def __init__(self, client: Any, keys: ClusterKeys) -> None:
        self.client = client
        self.keys = keys

    def beat(self, beat: WorkerBeat, ttl: float = HEARTBEAT_TTL) -> None:
        self.client.set(self.keys.worker(beat.worker), json.dumps(asdict(beat)), px=int(ttl * 1000))

    def leave(self, worker: str) -> None:
        self.client.delete(self.keys.worker(worker))

    def live(self) -> list[WorkerBeat]:
        names = sorted(self.client.scan_iter(match=self.keys.worker("*"), count=500))
        beats = []
        for raw in self.client.mget(names) if names else []:
            if raw is None:  # expired between SCAN and MGET
                continue
            try:
                beats.append(WorkerBeat(**json.loads(raw)))
            except (ValueError, TypeError):
                continue  # not ours (a newer or older format): not counted as live
        return beats

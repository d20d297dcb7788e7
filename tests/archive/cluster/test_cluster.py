"""The distributed crawl's shared state against a real Redis (keys under a unique prefix per test)
and the archive database on both backends: the lease, the per-outlet politeness slot,
reconciliation, and the CLI's one-line refusals. Skipped, with the reason, without Redis."""

from __future__ import annotations

import pickle
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from archive.cluster.keys import ClusterKeys
from archive.cluster.lease import Lease
from archive.cluster.politeness import SharedPoliteness, drop_dead_places
from archive.cluster.reconcile import hand_over, reconcile
from archive.cluster.workers import HEARTBEAT_TTL, WorkerBeat, WorkerRegistry
from archive.db.engine import make_engine
from archive.db.kinds import RunStatus
from archive.db.models import CrawlRun, UrlState
from archive.db.session import Database
from archive.db.store import Store
from archive.times import utcnow
from tests.backends import archive_url
from tests.conftest import invoke_cli, one_line_error

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_reason() -> str | None:
    try:
        import redis
    except ImportError:
        return "redis client not installed (pip install 'pressclips[distributed]')"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis not reachable at {REDIS_URL}: {exc}"
    return None


needs_redis = pytest.mark.skipif(bool(_redis_reason()), reason=_redis_reason() or "")


@pytest.fixture
def client() -> Iterator[Any]:
    import redis

    yield redis.Redis.from_url(REDIS_URL)


@pytest.fixture
def keys(client: Any) -> Iterator[ClusterKeys]:
    keys = ClusterKeys(f"pressclips-test:{uuid.uuid4().hex}")
    yield keys
    for key in client.scan_iter(match=f"{keys.prefix}:*"):
        client.delete(key)


def test_keys_are_per_database_and_hide_the_password() -> None:
    one = ClusterKeys.for_database("postgresql+psycopg://u:secret@db/press")
    assert one == ClusterKeys.for_database("postgresql+psycopg://u:other@db/press")
    assert one != ClusterKeys.for_database("postgresql+psycopg://u:secret@db/press?options=-csearch_path%3Dx")
    assert "secret" not in one.requests and one.requests.startswith("pressclips:")


@needs_redis
def test_lease_is_held_by_one_owner_until_released_or_lapsed(client: Any, keys: ClusterKeys) -> None:
    first, second = (Lease(client, keys.seed_lease, owner, ttl=0.3) for owner in ("a-1", "b-2"))
    assert first.acquire() and not second.acquire()
    assert first.renew()
    second.held = True  # a stale belief must neither renew nor free another's lease
    assert not second.renew()
    second.release()
    assert client.get(keys.seed_lease) == b"a-1"
    time.sleep(0.45)  # not renewed: lapses
    assert second.acquire() and not first.renew()
    second.release()
    assert client.get(keys.seed_lease) is None


@needs_redis
def test_politeness_slot_caps_in_flight_and_spaces_starts(client: Any, keys: ClusterKeys) -> None:
    slot = SharedPoliteness(client, keys, lease=30)
    assert slot.try_acquire("outlet:a", "w1-1:x", 1, 0.3) == 0
    assert slot.try_acquire("outlet:a", "w2-2:y", 1, 0.3) > 0  # one in flight already
    slot.release("outlet:a", "w1-1:x")
    wait = slot.try_acquire("outlet:a", "w2-2:y", 1, 0.3)
    assert 0 < wait <= 0.3  # free, but not before the delay since the last start
    time.sleep(wait + 0.02)
    assert slot.try_acquire("outlet:a", "w2-2:y", 1, 0.3) == 0
    assert slot.try_acquire("outlet:b", "w1-1:z", 2, 0.0) == 0  # other outlets are not held up
    assert drop_dead_places(client, keys, {"w1-1"}) == 1  # w2-2 is gone: its place is freed
    time.sleep(0.32)  # past the delay since w2-2's start
    assert slot.try_acquire("outlet:a", "w1-1:q", 1, 0.3) == 0


def _add_url(session: Any, url: str, outlet_id: int, claimed: int | None, due_in: timedelta) -> None:
    session.add(UrlState(url=url, canonical_url=url, outlet_id=outlet_id, next_due_at=utcnow() + due_in,
                         claimed_run_id=claimed, discovery={}))


@needs_redis
def test_reconcile_gives_back_what_a_dead_worker_claimed(client: Any, keys: ClusterKeys, database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        store = Store(engine)
        outlet_id = store.ensure_outlets([("a", "http://127.0.0.1:9/", ["127.0.0.1:9"])])["a"]
        dead, live = store.start_run(), store.start_run()
        with Database(engine).transaction("test set-up") as session:
            session.query(CrawlRun).filter(CrawlRun.id.in_([dead, live])).update(
                {CrawlRun.started_at: utcnow() - timedelta(seconds=HEARTBEAT_TTL * 3)})
            _add_url(session, "http://127.0.0.1:9/lost", outlet_id, dead, timedelta(hours=-1))
            _add_url(session, "http://127.0.0.1:9/queued", outlet_id, dead, timedelta(hours=-1))
            _add_url(session, "http://127.0.0.1:9/done", outlet_id, dead, timedelta(days=1))
            _add_url(session, "http://127.0.0.1:9/theirs", outlet_id, live, timedelta(hours=-1))
        WorkerRegistry(client, keys).beat(WorkerBeat("host-2", live, "", "", 0, False))
        request = {"url": "http://127.0.0.1:9/queued", "meta": {"pc_frontier_url": "http://127.0.0.1:9/queued"}}
        client.zadd(keys.requests, {pickle.dumps(request): 0})
        client.set(keys.seed_cycle, "seeded")

        report = reconcile(engine, client, keys)

        assert (report.dead_runs, report.released, report.handed_over, report.waiting) == ([dead], 1, 1, 0)
        with Database(engine).reading("test check") as session:
            claims = {u.url.rsplit("/", 1)[1]: u.claimed_run_id for u in session.query(UrlState)}
            statuses = {r.id: r.status for r in session.query(CrawlRun)}
        assert claims == {"lost": None, "queued": live, "done": dead, "theirs": live}
        assert statuses == {dead: RunStatus.KILLED, live: RunStatus.RUNNING}
        assert client.get(keys.seed_cycle) is None  # the next worker seeds the cycle again
        assert reconcile(engine, client, keys).dead_runs == []  # nothing twice
    finally:
        engine.dispose()


@needs_redis
def test_a_leaving_worker_hands_its_due_claims_to_a_live_run(client: Any, keys: ClusterKeys,
                                                             database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        store = Store(engine)
        outlet_id = store.ensure_outlets([("a", "http://127.0.0.1:9/", ["127.0.0.1:9"])])["a"]
        leaving, staying = store.start_run(), store.start_run()
        with Database(engine).transaction("test set-up") as session:
            _add_url(session, "http://127.0.0.1:9/in-flight", outlet_id, leaving, timedelta(hours=-1))
            _add_url(session, "http://127.0.0.1:9/fetched", outlet_id, leaving, timedelta(days=1))
        registry = WorkerRegistry(client, keys)
        registry.beat(WorkerBeat("host-1", leaving, "", "", 0, False))
        registry.beat(WorkerBeat("host-2", staying, "", "", 0, False))
        assert hand_over(engine, client, keys, leaving) == 1
        registry.leave("host-1")
        assert hand_over(engine, client, keys, staying) == 1  # the last worker: released
        with Database(engine).reading("test check") as session:
            claims = {u.url.rsplit("/", 1)[1]: u.claimed_run_id for u in session.query(UrlState)}
        assert claims == {"in-flight": None, "fetched": leaving}
    finally:
        engine.dispose()


def test_distributed_options_need_each_other(tmp_path: Path) -> None:
    outlets = tmp_path / "outlets.toml"
    outlets.write_text('[[outlets]]\nname = "a"\nhomepage = "http://127.0.0.1:9/"\n')
    archive = str(tmp_path / "archive")
    one_line_error(invoke_cli("crawl", "--outlets", str(outlets), "--archive", archive, "--distributed"),
                   2, "--redis-url")
    one_line_error(invoke_cli("crawl", "--outlets", str(outlets), "--archive", archive, "--until-idle", "5"),
                   2, "--distributed")
    sqlite = f"sqlite:///{tmp_path / 'archive' / 'pressclips.sqlite3'}"  # named: whatever the test backend
    one_line_error(invoke_cli("crawl", "--outlets", str(outlets), "--archive", archive, "--distributed",
                              "--redis-url", REDIS_URL, "--database-url", sqlite), 2, "PostgreSQL")
    one_line_error(invoke_cli("crawl", "--outlets", str(outlets), "--archive", archive, "--distributed",
                              "--redis-url", "http://127.0.0.1:6379", "--database-url",
                              "postgresql+psycopg://nobody@127.0.0.1:9/none"), 2, "redis://")
    assert not (tmp_path / "archive").exists()  # refused before anything was created
    one_line_error(invoke_cli("workers", "--archive", archive), 2, "--redis-url")


def test_unreachable_redis_is_one_line(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    make_engine(archive_url(archive)).dispose()  # an (empty) archive
    one_line_error(invoke_cli("reconcile", "--archive", str(archive), "--redis-url", "redis://127.0.0.1:9/0"),
                   1, "does not answer")

"""Distributed crawl benchmark: archived articles/s with 1, 2 and 4 workers, duplicate fetches,
and CPU seconds per archived article.

Serves a local site of real article pages (the shared corpus when present, else the test corpus)
and crawls it from scratch with N ``pressclips crawl --distributed`` workers (real Redis, one
PostgreSQL archive in a fresh schema per N), politeness switched off as in
``bench/crawl_throughput.py``: no AutoThrottle, no delay, 16 requests per outlet (the shared
per-outlet slot still runs, with those limits). Prints, per N:

* archived articles/s over the crawl's span (first run start to last run end, minus the idle
  wait with which workers leave);
* duplicate fetches: GETs of one URL more than once, robots.txt left out (each worker reads it);
  must be 0;
* CPU seconds per archived article, summed over the workers and their extraction processes:
  this machine has two cores, so throughput stops scaling early here; CPU per article shows
  what more cores (or machines) would buy.

    .venv/bin/python bench/distributed.py [--workers 1,2,4] [--outlets 4] [--copies 1]
        [--redis-url redis://127.0.0.1:6379/0] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from crawl_throughput import SHARED, TEST_CORPUS, replicated_corpus  # noqa: E402
from sqlalchemy import text  # noqa: E402

from archive.db.engine import make_engine  # noqa: E402
from tests.localsite import LocalSite  # noqa: E402

UNTIL_IDLE = 2.0


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fresh_schema(pg: str) -> tuple[str, str]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema, f"{pg}?options=-csearch_path%3D{schema}"


def drop_schema(pg: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(pg.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def run(site: LocalSite, workers: int, redis_url: str, pg: str, tmp: Path) -> dict[str, float]:
    schema, url = fresh_schema(pg)
    archive = tmp / f"archive-{workers}"
    outlets = tmp / "outlets.toml"
    outlets.write_text(site.outlets_toml())
    site.requests.clear()
    cmd = [sys.executable, "-m", "archive.cli.main", "crawl", "--outlets", str(outlets), "--archive", str(archive),
           "--database-url", url, "--distributed", "--redis-url", redis_url, "--until-idle", str(UNTIL_IDLE),
           "-q", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
           "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "PRESSCLIPS_EXTRACT_WORKERS=1"]
    try:
        cpu_before = children_cpu()
        procs = [subprocess.Popen(cmd, cwd=ROOT) for _ in range(workers)]
        codes = [p.wait() for p in procs]
        cpu = children_cpu() - cpu_before
        if any(codes):
            raise SystemExit(f"a worker failed: exit statuses {codes}")
        engine = make_engine(url, create=False)
        with engine.connect() as conn:
            articles = int(conn.scalar(text("SELECT count(*) FROM articles")) or 0)
            span = conn.execute(text("SELECT min(started_at), max(finished_at) FROM crawl_runs")).one()
        engine.dispose()
    finally:
        drop_schema(pg, schema)
    seconds = (span[1] - span[0]).total_seconds() - UNTIL_IDLE if not isinstance(span[0], str) else float("nan")
    gets = Counter((r.outlet, r.path) for r in site.requests if r.method == "GET" and r.path != "/robots.txt")
    twice = [f"{outlet}{path}" for (outlet, path), n in gets.items() if n > 1]
    if twice:
        print(f"fetched more than once: {', '.join(sorted(twice)[:8])}{' …' if len(twice) > 8 else ''}")
    return {"workers": workers, "articles": articles, "seconds": seconds, "rate": articles / seconds,
            "duplicates": sum(n - 1 for n in gets.values()), "cpu_per_article": cpu / max(1, articles)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--outlets", type=int, default=4)
    parser.add_argument("--corpus", type=Path, default=SHARED if SHARED.exists() else TEST_CORPUS)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "corpus").mkdir()
        corpus = replicated_corpus(args.corpus, args.copies, Path(tmp) / "corpus")
        site = LocalSite(outlets=args.outlets, corpus_dir=corpus, article_delay=0.0, reserve=0).start()
        try:
            print(f"local site: {args.outlets} outlets, {len(site.articles)} article pages; politeness off")
            print(f"{'workers':>7} {'articles':>8} {'seconds':>8} {'articles/s':>10} {'dup fetches':>11} "
                  f"{'CPU s/article':>13}")
            for n in counts:
                started = time.monotonic()
                r = run(site, n, args.redis_url, args.pg, Path(tmp))
                print(f"{n:>7} {r['articles']:>8} {r['seconds']:>8.1f} {r['rate']:>10.2f} {r['duplicates']:>11} "
                      f"{r['cpu_per_article']:>13.3f}   (wall {time.monotonic() - started:.0f} s)", flush=True)
        finally:
            site.stop()


if __name__ == "__main__":
    main()

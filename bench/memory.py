"""Memory benchmark: the crawler's peak RSS on a 2,000-page and a 20,000-page local crawl.

The frontier lives in the database, Scrapy's fingerprint set is off, and the scheduler is fed in
batches, so nothing in the crawler process should grow with the number of pages. This serves the
corpus replicated to ~2k and ~20k article pages (plus their section, tag and calendar pages),
crawls each into a fresh archive with politeness off, samples the RSS of the Scrapy process (and
of its extraction workers, shown apart) every 0.2 s, and prints both peaks and their ratio.

    .venv/bin/python bench/memory.py [--small 2000] [--large 20000] [--outlets 4] [--workers 2]

Target (issue 5): the two crawler peaks within 20% of each other. The 20k crawl takes several
minutes (~40 pages/s on two cores).
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from crawl_throughput import SHARED, TEST_CORPUS, _is_crawler, replicated_corpus, tree_rss  # noqa: E402

from tests.localsite import LocalSite  # noqa: E402


def corpus_size(corpus: Path) -> int:
    return sum(1 for p in corpus.glob("*.html") if p.with_suffix(".json").exists())


def crawl(site: LocalSite, work: Path, workers: int) -> dict[str, float]:
    archive = work / "archive"
    outlets = work / "outlets.toml"
    outlets.write_text(site.outlets_toml() + "\n[defaults]\nmax_pages = 1000000\n")
    cmd = [sys.executable, "-m", "archive.cli.main", "crawl", "--outlets", str(outlets), "--archive", str(archive),
           # AutoThrottle on, as in production; aiming at 8 in flight keeps the local site busy.
           "--quiet", "-s", "AUTOTHROTTLE_TARGET_CONCURRENCY=8", "-s", "DOWNLOAD_DELAY=0",
           "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", f"PRESSCLIPS_EXTRACT_WORKERS={workers}"]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    peak_crawler = peak_workers = 0
    while proc.poll() is None:
        sizes = tree_rss(proc.pid)
        crawler = [p for p in sizes if p != proc.pid and _is_crawler(p)]
        peak_crawler = max([peak_crawler, *(sizes[p] for p in crawler)])
        peak_workers = max(peak_workers, sum(v for p, v in sizes.items() if p != proc.pid and p not in crawler))
        time.sleep(0.2)
    if proc.returncode != 0:
        raise SystemExit(f"crawl failed ({proc.returncode}): {proc.stderr.read() if proc.stderr else ''}")
    with sqlite3.connect(archive / "pressclips.sqlite3") as db:
        pages, articles = db.execute("SELECT pages_fetched, articles_new FROM crawl_runs").fetchone()
    return {"pages": pages, "articles": articles, "seconds": time.monotonic() - started,
            "crawler": peak_crawler / 2**20, "workers": peak_workers / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=2000, help="article pages in the small crawl")
    parser.add_argument("--large", type=int, default=20000, help="article pages in the large crawl")
    parser.add_argument("--outlets", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--corpus", type=Path, default=SHARED if SHARED.exists() else TEST_CORPUS)
    args = parser.parse_args()
    base = corpus_size(args.corpus)
    results = {}
    for label, target in (("small", args.small), ("large", args.large)):
        copies = max(1, round(target / base))
        with tempfile.TemporaryDirectory() as tmp:
            corpus = replicated_corpus(args.corpus, copies, Path(tmp))
            site = LocalSite(outlets=args.outlets, corpus_dir=corpus, article_delay=0.0, reserve=0).start()
            try:
                with tempfile.TemporaryDirectory() as work:
                    results[label] = r = crawl(site, Path(work), args.workers)
            finally:
                site.stop()
        print(f"{label}: {r['pages']} pages ({r['articles']} articles) in {r['seconds']:.0f} s; peak RSS crawler "
              f"{r['crawler']:.0f} MB, extraction workers together {r['workers']:.0f} MB", flush=True)
    ratio = results["large"]["crawler"] / results["small"]["crawler"]
    verdict = "meets" if ratio <= 1.2 else "misses"
    print(f"crawler peak RSS large/small: {ratio:.2f} → {verdict} the target (within 20%)")


if __name__ == "__main__":
    main()

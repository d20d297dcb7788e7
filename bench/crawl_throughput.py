"""Crawl throughput benchmark: end-to-end archived articles/s vs bare trafilatura pages/s.

Serves a local site of real article pages (the shared corpus when present, else the test
corpus), crawls it with ``pressclips crawl`` (politeness switched off: no AutoThrottle, no delay,
16 requests per host; robots.txt still obeyed), and in the same run times bare
``trafilatura.extract`` over the same pages in one process. Prints both rates, their ratio and
the peak RSS of the crawler process, and of it with its extraction workers (summed; the
``pressclips`` CLI parent that only waits is left out).

    .venv/bin/python bench/crawl_throughput.py [--outlets 4] [--copies 3] [--corpus DIR] [--workers N]

``--copies`` serves each corpus page that many times under different URLs, so the rate is
measured over a crawl long enough for start-up (Scrapy, spawning and warming the extraction
workers: about 2 s) not to dominate it.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.localsite import LocalSite  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpus" / "pages"
TEST_CORPUS = ROOT / "tests" / "data" / "corpus"


def tree_rss(pid: int) -> dict[int, int]:
    """RSS in bytes of a process and each of its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ppid = int(fields[1])
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    tree, stack = {}, [pid]
    while stack:
        p = stack.pop()
        tree[p] = rss.get(p, 0)
        stack.extend(children.get(p, []))
    return tree


def crawl(site: LocalSite, archive: Path, workers: int) -> tuple[float, int, int, int]:
    """Run the crawl; returns (seconds between run start and end, articles, peak RSS of the
    crawler process itself, peak RSS of all its processes together), RSS in bytes."""
    outlets = archive.parent / "outlets.toml"
    outlets.write_text(site.outlets_toml())
    # AutoThrottle stays off here on purpose: this measures how fast the crawler itself can go
    # (reactor, WARC, database, extraction) with 16 requests in flight per outlet; AutoThrottle
    # would pace the local server instead, and the figure would measure the throttle.
    cmd = [sys.executable, "-m", "archive.cli.main", "crawl", "--outlets", str(outlets), "--archive", str(archive),
           "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
           "-s", f"PRESSCLIPS_EXTRACT_WORKERS={workers}"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    peak_total = peak_crawler = 0
    while proc.poll() is None:
        sizes = tree_rss(proc.pid)  # the CLI, the Scrapy process, the extraction workers
        peak_total = max(peak_total, sum(sizes.values()) - sizes.get(proc.pid, 0))
        scrapy_pids = [p for p in sizes if p != proc.pid and _is_crawler(p)]
        peak_crawler = max([peak_crawler, *(sizes[p] for p in scrapy_pids)])
        time.sleep(0.05)
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode != 0:
        raise SystemExit(f"crawl failed ({proc.returncode}): {out}")
    db = sqlite3.connect(archive / "pressclips.sqlite3")
    started, finished, new = db.execute(
        "SELECT started_at, finished_at, articles_new FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    seconds = (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
    return seconds, int(new), peak_crawler, peak_total


def _is_crawler(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"crawler.run" in fh.read()
    except OSError:
        return False


def bare_trafilatura(site: LocalSite) -> tuple[float, int]:
    import trafilatura

    pages = [a.body for a in site.articles]
    start = time.perf_counter()
    for body in pages:
        trafilatura.extract(body)
    return time.perf_counter() - start, len(pages)


def replicated_corpus(source: Path, copies: int, into: Path) -> Path:
    """A corpus folder with every page linked ``copies`` times under distinct slugs."""
    for html in sorted(source.glob("*.html")):
        meta = html.with_suffix(".json")
        if not meta.exists():
            continue
        for k in range(copies):
            stem = html.stem if k == 0 else f"{html.stem}-copy{k + 1}"
            (into / f"{stem}.html").symlink_to(html.resolve())
            (into / f"{stem}.json").symlink_to(meta.resolve())
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outlets", type=int, default=4)
    parser.add_argument("--corpus", type=Path, default=SHARED if SHARED.exists() else TEST_CORPUS)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        corpus = replicated_corpus(args.corpus, args.copies, Path(tmp))
        site = LocalSite(outlets=args.outlets, corpus_dir=corpus, article_delay=0.0, reserve=0).start()
        try:
            with tempfile.TemporaryDirectory() as archive_tmp:
                seconds, articles, peak_crawler, peak_total = crawl(site, Path(archive_tmp) / "archive",
                                                                    args.workers)
            bare_seconds, pages = bare_trafilatura(site)
        finally:
            site.stop()
    e2e = articles / seconds
    bare = pages / bare_seconds
    print(f"corpus: {args.corpus} x{args.copies} ({len(site.articles)} article pages on {args.outlets} outlets); "
          f"{os.cpu_count()} CPUs, {args.workers} extraction workers")
    print(f"end-to-end: {articles} articles archived in {seconds:.2f} s = {e2e:.1f} articles/s")
    print(f"bare trafilatura.extract (one process): {pages} pages in {bare_seconds:.2f} s = {bare:.1f} pages/s")
    print(f"ratio end-to-end / bare: {e2e / bare:.2f}  (target >= 0.85)")
    print(f"peak RSS of the crawler process: {peak_crawler / 2**20:.0f} MB  (target < 400 MB)")
    print(f"peak RSS of the crawler and its {args.workers} extraction workers together: "
          f"{peak_total / 2**20:.0f} MB")


if __name__ == "__main__":
    main()

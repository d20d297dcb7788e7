"""What page requisites cost a crawl: archived articles/s with requisites on and off, and bytes
archived per article, on a local site whose pages share their requisites (``tests.assetsite``:
a stylesheet with an @import, a web font, background images, srcset and lazy images, a CDN on
another port; each page also has two requisites of its own out of five).

Each setting crawls the same site into a fresh archive with ``pressclips crawl`` and politeness
switched off as in ``bench/crawl_throughput.py`` (no AutoThrottle, no delay, 16 requests per
outlet; robots.txt obeyed), so the figure measures the crawler, not the throttle. Prints both
rates, their ratio (target: on >= 0.7 x off), WARC bytes per article, requisite requests, and the
crawler process's peak RSS; each setting runs ``--repeat`` times, alternating, and the fastest
run of each counts.

    .venv/bin/python bench/assets.py [--pages 300] [--padding 20000] [--workers N] [--repeat 2]
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

from tests.assetsite import AssetSite  # noqa: E402


def _crawler_rss(pid: int) -> int:
    """RSS in bytes of the Scrapy child (``crawler.run``) under the CLI process ``pid``, else 0."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                if b"crawler.run" not in fh.read():
                    continue
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            return int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    return 0


def crawl(site: AssetSite, root: Path, *, assets: bool, workers: int) -> dict[str, float]:
    outlets = root / "outlets.toml"
    outlets.write_text(site.outlets_toml({"styled": "" if assets else "assets = false"}))
    archive = root / "archive"
    cmd = [sys.executable, "-m", "archive.cli.main", "crawl", "--outlets", str(outlets), "--archive", str(archive),
           "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
           "-s", f"PRESSCLIPS_EXTRACT_WORKERS={workers}"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _crawler_rss(proc.pid))
        time.sleep(0.05)
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode != 0:
        raise SystemExit(f"crawl failed ({proc.returncode}): {out}")
    db = sqlite3.connect(archive / "pressclips.sqlite3")
    started, finished, new, stats = db.execute(
        "SELECT started_at, finished_at, articles_new, stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    [(asset_captures,)] = db.execute("SELECT count(*) FROM captures WHERE kind = 'asset'").fetchall()
    db.close()
    seconds = (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
    warc_bytes = sum(p.stat().st_size for p in (archive / "warcs").glob("*.warc.gz"))
    return {"seconds": seconds, "articles": int(new), "warc_bytes": warc_bytes, "assets": asset_captures,
            "peak_rss": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--padding", type=int, default=20_000, help="bytes added to each requisite")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=2,
                        help="crawls per setting, alternating off/on; the fastest of each is reported (a shared "
                             "machine's load moves single runs by 2x)")
    args = parser.parse_args()
    results: dict[bool, dict[str, float]] = {}
    with AssetSite(("styled",), pages=args.pages, padding=args.padding) as site:
        for _ in range(args.repeat):
            for assets in (False, True):
                with tempfile.TemporaryDirectory() as tmp:
                    result = crawl(site, Path(tmp), assets=assets, workers=args.workers)
                print(f"  assets {'on ' if assets else 'off'}: {result['seconds']:.2f} s", flush=True)
                if assets not in results or result["seconds"] < results[assets]["seconds"]:
                    results[assets] = result
    off, on = results[False], results[True]
    rate = {k: r["articles"] / r["seconds"] for k, r in results.items()}
    print(f"site: {args.pages} article pages sharing their requisites, {args.padding} bytes of padding per "
          f"requisite; {os.cpu_count()} CPUs, {args.workers} extraction workers")
    for label, r, k in (("assets off", off, False), ("assets on ", on, True)):
        print(f"{label}: {r['articles']} articles in {r['seconds']:.2f} s = {rate[k]:.1f} articles/s; "
              f"{r['assets']} requisites archived; {r['warc_bytes'] / max(r['articles'], 1) / 1024:.1f} KiB of WARC "
              f"per article; crawler peak RSS {r['peak_rss'] / 2**20:.0f} MB")
    print(f"ratio on / off: {rate[True] / rate[False]:.2f}  (target >= 0.70)")


if __name__ == "__main__":
    main()

"""How fast replay rewrites real article pages: every HTML page of the test corpus
(tests/data/corpus, real newspaper pages saved with their scripts, styles and images) through
``archive.replay.rewrite_html`` with the banner, scripts off, as ``pressclips replay serve`` does
for each page view.

    .venv/bin/python bench/replay_rewrite.py [--rounds 5]

Prints pages, MB, the median and slowest page time, and the throughput in MB/s (CPU time of this
process, so a shared machine's other load does not count), plus how many URLs each page had
rewritten. Target: well under the time a browser needs to fetch the page's requisites (< 50 ms
for a typical 200 kB article page).
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from pathlib import Path

from archive.replay.rewrite_html import rewrite_html
from archive.replay.urlmap import UrlMap

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "corpus"
LIVE_LINK = re.compile(rb"""\s(?:src|href|srcset|data-src|poster)\s*=\s*["']?\s*(?:https?:)?//""", re.I)
COMMENT = re.compile(rb"<!--.*?-->", re.S)
BANNER = "<pressclips-banner>banner</pressclips-banner>"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pages = [(p.name, p.read_bytes()) for p in sorted(CORPUS.glob("*.html"))]
    total = sum(len(body) for _, body in pages)
    per_page: dict[str, list[float]] = {name: [] for name, _ in pages}
    rewritten: dict[str, int] = {}
    left: dict[str, int] = {}
    started = time.process_time()
    for _ in range(args.rounds):
        for name, body in pages:
            urls = UrlMap(f"https://www.example.com/news/{name}", "20261101120000")
            t0 = time.process_time()
            out = rewrite_html(body, "text/html", urls, BANNER)
            per_page[name].append(time.process_time() - t0)
            rewritten[name] = out.count(b'"/20261101120000/')
            left[name] = len(LIVE_LINK.findall(COMMENT.sub(b"", out)))  # conditional comments are inert
    cpu = time.process_time() - started
    medians = sorted((statistics.median(times), name) for name, times in per_page.items())
    typical = statistics.median(t for t, _ in medians)
    slowest_time, slowest = medians[-1]
    print(f"pages: {len(pages)}, {total / 1e6:.2f} MB, {args.rounds} rounds")
    print(f"per page: median {typical * 1000:.1f} ms, slowest {slowest_time * 1000:.1f} ms ({slowest})")
    print(f"throughput: {total * args.rounds / cpu / 1e6:.1f} MB/s of HTML (CPU time)")
    print(f"URLs rewritten per page: median {statistics.median(rewritten.values()):.0f}, "
          f"max {max(rewritten.values())}")
    print(f"src/href/srcset attributes still pointing at the live web: {sum(left.values())} "
          f"(pages with any: {sum(1 for n in left.values() if n)})")


if __name__ == "__main__":
    main()

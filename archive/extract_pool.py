"""The extraction process pool shared by the crawler and ``pressclips reextract``.

trafilatura holds the GIL, so extraction runs in processes. They are spawned (not forked: the
crawler already runs threads) and warmed up once: the first date parse compiles dateparser's
locale regexes, which costs seconds and would otherwise land on the first real pages.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

_SAMPLE = (b"<html lang='en'><head><title>Warm-up story</title></head><body><article>"
           b"<h1>Warm-up story</h1><p class='byline'>By Ann Writer</p><p>Published March 3, 2024</p>"
           + b"<p>" + b"A paragraph of plain text to warm the extractor up. " * 12 + b"</p></article></body></html>")


def warm_up() -> None:
    from archive.extract import extract_page

    extract_page(_SAMPLE, "http://127.0.0.1/news/2024/03/03/warm-up-story/", "text/html")


def extraction_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A started pool whose workers have each run one warm-up extraction."""
    count = workers or os.cpu_count() or 1
    pool = ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("spawn"),
                               initializer=warm_up)
    for _ in range(count):  # spawn every worker now, so warm-up overlaps robots/sitemap fetching
        pool.submit(int)
    return pool

"""The extraction process pool shared by the crawler and ``pressclips reextract``.

trafilatura holds the GIL, so extraction runs in processes. They are spawned (not forked: the
crawler already runs threads) and warmed up once. The parent never imports trafilatura: it
submits ``run_extraction`` by name and gets back ``archive.extract.result.Extraction``.

Workers bound their memory: trafilatura's and htmldate's LRU caches of page strings grew a
worker from ~40 MB to ~150 MB over 400 pages; every ``TRIM_EVERY`` pages they are cleared and
freed memory is handed back to the OS (measured: ~150 → ~110 MB, no measurable speed cost).
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from archive.extract.result import Extraction
from archive.memory import release_free_memory

TRIM_EVERY = 50
_CACHE_MODULES = ("trafilatura", "htmldate", "courlan", "justext")
_SAMPLE = (b"<html lang='en'><head><title>Warm-up story</title></head><body><article>"
           b"<h1>Warm-up story</h1><p class='byline'>By Ann Writer</p><p>Published March 3, 2024</p>"
           + b"<p>" + b"A paragraph of plain text to warm the extractor up. " * 12 + b"</p></article></body></html>")
_done = 0


def warm_up() -> None:
    import warnings

    from dateutil.parser import UnknownTimezoneWarning

    from archive.extract.extractor import extract_page

    # htmldate hands page dates like "9:30 AM EST" to dateutil, which warns on stderr for each
    # one; the date is still found (or not), and cron would mail the noise.
    warnings.filterwarnings("ignore", category=UnknownTimezoneWarning)

    extract_page(_SAMPLE, "http://127.0.0.1/news/2024/03/03/warm-up-story/", "text/html")
    from archive.extract.language import detect_language

    detect_language("A sentence to load the language model once, not on the first real page.")


def _trim() -> None:
    for obj in gc.get_objects():
        if isinstance(obj, functools._lru_cache_wrapper) and \
                getattr(obj, "__module__", "").startswith(_CACHE_MODULES):
            obj.cache_clear()
    gc.collect()
    release_free_memory()


def run_extraction(body: bytes, url: str, content_type: str | None, hints: dict[str, Any] | None) -> Extraction:
    """Worker entry point: extract one page, trimming caches now and then."""
    global _done
    from archive.extract.extractor import extract_page

    result = extract_page(body, url, content_type, hints)
    _done += 1
    if _done % TRIM_EVERY == 0:
        _trim()
    return result


def extraction_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A started pool whose workers have each run one warm-up extraction."""
    count = workers or os.cpu_count() or 1
    pool = ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("spawn"),
                               initializer=warm_up)
    for _ in range(count):  # spawn every worker now, so warm-up overlaps robots/sitemap fetching
        pool.submit(int)
    return pool

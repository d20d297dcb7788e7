"""Time coverage reports and extraction health on a synthetic archive (bench/archive_scale.py's builder).

    .venv/bin/python bench/coverage.py --n 20000 [--dir /tmp/cov] [--database-url URL] [--keep]
    .venv/bin/python bench/coverage.py --reuse --dir /tmp/scale     # an archive archive_scale.py kept

For a selective subject (a few dozen articles), a mid one and the broadest one, and for a
three-query watchlist of them, it prints: matching pieces, the time to collect them
(``collect_pieces``: the search conditions OR-ed, one query), to compute the figures
(``build_report``), to render the HTML with both charts, and the HTML size; then the time of
``extraction_health`` over the newest 8 weeks plus baseline. Figures are wall clock on a shared
machine; the load average is printed beside them. No targets are asserted.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.coverage import Window, build_report, collect_pieces, extraction_health  # noqa: E402
from archive.coverage.render_html import report_html  # noqa: E402
from archive.db.engine import make_engine  # noqa: E402
from archive.times import utcnow  # noqa: E402


def _scale_module():
    spec = importlib.util.spec_from_file_location("archive_scale", Path(__file__).with_name("archive_scale.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, (time.perf_counter() - t0) * 1000


def report_figures(engine, label: str, queries: tuple[str, ...]) -> None:
    pieces, collect_ms = timed(lambda: collect_pieces(engine, queries, Window()))
    report, build_ms = timed(lambda: build_report(pieces, subject=label, queries=queries, by="outlet",
                                                  watchlist=label, generated_at=utcnow()))
    page, html_ms = timed(lambda: report_html(report, replay_base="http://127.0.0.1:8080"))
    print(f"{label:<28} {len(pieces):>8,} pieces {report.totals['stories']:>8,} stories   collect {collect_ms:8.0f} ms"
          f"   figures {build_ms:6.0f} ms   html+charts {html_ms:6.0f} ms   {len(page) / 1e6:6.2f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000, help="articles to create (default 20,000)")
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="time an archive --dir already holds")
    args = ap.parse_args()
    scale = _scale_module()
    root = args.dir or Path(tempfile.mkdtemp(prefix="pressclips-coverage-"))
    url = args.database_url or f"sqlite:///{root / 'pressclips.sqlite3'}"
    try:
        if args.reuse:
            engine = make_engine(url, create=False)
        else:
            root.mkdir(parents=True, exist_ok=True)
            engine = make_engine(url)
            built = scale.build(engine, root, args.n, args.seed)
            print(f"built {args.n:,} articles in {built['seconds']:.0f} s")
        subjects = json.loads((root / scale.NAMES_FILE).read_text())
        ranked = sorted(subjects.items(), key=lambda kv: -kv[1])
        broad, mid, narrow = ranked[0][0], ranked[len(ranked) // 50][0], ranked[len(ranked) // 5][0]
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {engine.dialect.name}")
        for label, queries in ((f"selective '{narrow}'", (f'"{narrow}"',)), (f"mid '{mid}'", (f'"{mid}"',)),
                               (f"broad '{broad}'", (f'"{broad}"',)),
                               ("watchlist of all three", (f'"{narrow}"', f'"{mid}"', f'"{broad}"'))):
            report_figures(engine, label, queries)
        rows, health_ms = timed(lambda: extraction_health(engine, weeks=8))
        print(f"health: {len(rows)} outlet-weeks in {health_ms:.0f} ms")
        engine.dispose()
    finally:
        if not args.keep and not args.reuse and args.dir is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

"""What surviving damage costs: exports over clean and damaged WARC files, a filtered WACZ, a quarantine.

    .venv/bin/python bench/damaged_exports.py [--pages 3000] [--dir /tmp/bench-damage]

Builds an archive of N pages (two outlets, interleaved in the same WARC files, ~15 kB bodies,
files rotated at 2 MB) with the real writer and store, then prints: ``export-cdxj`` records/s
and MB/s, ``export-wacz`` MB/s unfiltered and filtered to one outlet (whose records are copied one
by one into new files: its size and that nothing of the other outlet leaked), the same exports
after 50 bytes were flipped in one record of every file (skipped and counted), and how long
``verify --repair`` takes to quarantine those files (copy the readable records, re-point every
capture).
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.db.engine import make_engine
from archive.db.store import CaptureRecord, Store
from archive.ops.verify import verify_archive
from archive.replay.cdxj import warc_files, write_cdxj
from archive.replay.wacz import WaczFilter, export_wacz
from archive.warc.damage import SkipLedger
from archive.warc.reader import iter_records
from archive.warc.writer import HttpExchange, WarcWriter

WORDS = ("premiere festival studio casting director trailer review box office sequel streaming award "
         "critic season finale interview soundtrack").split()


def build(root: Path, pages: int) -> tuple[object, Path]:
    warc_dir = root / "warcs"
    engine = make_engine(f"sqlite:///{root / 'pressclips.sqlite3'}")
    store = Store(engine)
    store.ensure_outlets([(name, f"http://{name}.test/", [f"{name}.test"]) for name in ("a", "b")])
    rng = random.Random(7)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with WarcWriter(warc_dir, max_size=2_000_000) as writer:
        for i in range(pages):
            outlet = "ab"[i % 2]
            url = f"http://{outlet}.test/news/{i}"
            body = (" ".join(rng.choice(WORDS) for _ in range(2200))).encode()
            when = start + timedelta(seconds=i)
            pointer = writer.write_exchange(HttpExchange(url, "GET", [], 200, "OK", "HTTP/1.1",
                                                         [("Content-Type", "text/html")], body, when))
            store.add_capture(CaptureRecord(url=url, fetched_at=when, status=200, mime="text/html",
                                            pointer=pointer, outlet=outlet))
    return engine, warc_dir


def timed(label: str, megabytes: float, records: int, fn: object) -> object:
    began = time.perf_counter()
    result = fn()  # type: ignore[operator]
    took = time.perf_counter() - began
    print(f"{label:<46} {took:7.2f} s  {megabytes / took:7.1f} MB/s  {records / took:8.0f} records/s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="bench-damage-"))
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    engine, warc_dir = build(root, args.pages)
    files = warc_files(warc_dir)
    size = sum((warc_dir / f).stat().st_size for f in files) / 1e6
    records = sum(1 for f in files for _ in iter_records(warc_dir / f))
    print(f"{args.pages} pages, {len(files)} WARC files, {records} records, {size:.1f} MB in {root}")

    def exports(tag: str, ledger: SkipLedger) -> None:
        timed(f"export-cdxj ({tag})", size, records,
              lambda: write_cdxj(warc_dir, files, io.StringIO(), engine=engine, ledger=ledger))
        timed(f"export-wacz ({tag})", size, records,
              lambda: export_wacz(engine, warc_dir, root / "all.wacz", ledger=ledger))
        summary = timed(f"export-wacz --outlet a ({tag})", size, records,
                        lambda: export_wacz(engine, warc_dir, root / "a.wacz", WaczFilter(outlet="a"), ledger=ledger))
        with zipfile.ZipFile(root / "a.wacz") as zf:
            leaked = sum(b"http://b.test/" in zf.read(n) for n in zf.namelist() if n.startswith("archive/"))
        print(f"    filtered WACZ {summary.bytes / 1e6:.1f} MB of {(root / 'all.wacz').stat().st_size / 1e6:.1f} MB, "  # type: ignore[attr-defined]
              f"WARC files holding outlet b's records: {leaked}")

    exports("clean", SkipLedger(strict=True))
    for name in files:  # 50 flipped bytes in the middle of the 3rd record of every file
        path = warc_dir / name
        data = bytearray(path.read_bytes())
        offset, length, _ = list(iter_records(path))[3]
        middle = offset + length // 2
        data[middle - 25:middle + 25] = bytes(b ^ 0xFF for b in data[middle - 25:middle + 25])
        path.write_bytes(bytes(data))
    ledger = SkipLedger(warn=lambda line: None)
    exports("1 damaged record per file", ledger)
    print(f"    skipped {ledger.total // 3} unreadable record(s) in each of the three exports")
    report = timed("verify --repair (quarantines every file)", size, records,
                   lambda: verify_archive(engine, warc_dir, repair=True))
    print(f"    {len(report.repaired)} repairs, {report.counts['captures_unreadable']} captures marked unreadable, "  # type: ignore[attr-defined]
          f"{len(report.problems)} problems left")  # type: ignore[attr-defined]
    if args.dir is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

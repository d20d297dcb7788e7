"""Build an archive of N synthetic-but-realistic articles, then time search, export and WARC reads.

    .venv/bin/python bench/archive_scale.py --n 100000 [--dir /tmp/scale] [--database-url URL] [--keep]
    .venv/bin/python bench/archive_scale.py --reuse --dir /tmp/scale      # time a kept archive again

Articles are sentences of the shared corpus (/work/shared/corpus, ~950 kB of real article text in
several languages) shuffled into new texts of 12–40 sentences, plus a named subject drawn with a
Zipf law from 40,000 invented names (so some queries are selective and some broad, as in press
coverage). Eight outlets, publication dates spread over two years, ~12% of articles edited once or
twice (a new version each). Every version has a real WARC response record written by
``archive.warc.writer.WarcWriter`` and a capture row pointing at it; rows are bulk-inserted into the same
tables, so the FTS triggers index them exactly as in a crawl.

About 3% of articles also carry a sentence in Japanese, Chinese or Korean about one of a few CJK
subjects (drawn from a separate random stream, so the English texts are those of earlier runs).

Prints: ingest rate, database size, search p50/p95 (selective, broad, phrase, with and without
filters, listing; the query syntax: prefix, title:, outlet:, a NOT inside OR, CJK substrings of
1, 2 and 3+ characters), export throughput with the export's peak RSS (``pressclips export`` in a child
process), and record-by-pointer read time. Targets (SQLite): search p95 < 100 ms, record < 1 ms.
Search is timed as wall clock and as this process's CPU time: on a shared machine the wall clock
includes waiting for a core, and the load average is printed next to both.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing as mp
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, event, insert, text, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.db.engine import make_engine
from archive.db.models import Article, ArticleVersion, Capture, Outlet, UrlState
from archive.query.search import COUNT_CAP, SearchFilters, search
from archive.warc.reader import read_record
from archive.warc.writer import HttpExchange, WarcWriter

CORPUS = Path("/work/shared/corpus/pages")
OUTLETS = ["Screen Daily Wire", "Premiere Post", "The Reel Report", "Stage & Screen", "Celebrity Ledger",
           "Box Office Beat", "Festival Times", "Culture Gazette"]
START = datetime(2024, 11, 1, tzinfo=UTC)
SPAN_DAYS = 730
BATCH = 2000
NAMES_FILE = "bench-subjects.json"  # subject -> article count, so a rerun (--reuse) picks its queries
SYLLABLES = ["ka", "lo", "mi", "ra", "ten", "vis", "dor", "el", "sha", "qu", "bre", "nox", "ul", "fi", "zan",
             "per", "gu", "tho", "ix", "am", "sol", "ve", "ri", "on", "cas", "ly", "mor", "den", "ae", "ju"]


def load_corpus() -> tuple[list[str], list[str], list[str]]:
    sentences, titles, authors = [], [], []
    for path in sorted(CORPUS.glob("*.json")):
        data = json.loads(path.read_text())
        body = data.get("body") or data.get("body_prefix") or ""
        sentences += [s.strip() for s in re.split(r"(?<=[.!?。])\s+|\n+", body) if 25 <= len(s.strip()) <= 400]
        if data.get("title"):
            titles.append(data["title"])
        authors += data.get("authors") or []
    return sentences, titles, authors or ["Staff Writer"]


def invented_names(rng: random.Random, n: int) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        first = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        last = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        names.add(f"{first} {last}")
    return sorted(names)


CJK_SUBJECTS = ["トランプ", "ゴジラ", "宮崎駿", "是枝裕和", "新海誠", "张艺谋", "气候变化", "巩俐", "봉준호",
                "부산국제영화제"]
CJK_TAILS = ["の新作が公開された。", "について記者会見が開かれた。", "的电影在海外上映。", "가 새 영화를 발표했다."]
CJK_SHARE = 0.03


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.cjk_rng = random.Random(seed + 99)  # its own stream: the English texts stay as they were
        self.sentences, self.titles, self.authors = load_corpus()
        self.names = invented_names(self.rng, 40_000)
        weights = [1 / (k + 1) ** 1.1 for k in range(len(self.names))]  # Zipf: few stars, a long tail
        self.cum = list(_accumulate(weights))

    def subject(self) -> str:
        return self.rng.choices(self.names, cum_weights=self.cum)[0]

    def batch(self, first: int, last: int) -> list[dict]:
        return [self.article(k) for k in range(first, last + 1)]

    def article(self, n: int) -> dict:
        rng = self.rng
        who = self.subject()
        body = rng.sample(self.sentences, rng.randint(12, 40))
        body.insert(rng.randrange(len(body)), f"{who} spoke about the project at length.")
        if self.cjk_rng.random() < CJK_SHARE:
            body.append(self.cjk_rng.choice(CJK_SUBJECTS) + self.cjk_rng.choice(CJK_TAILS))
        title = f"{who}: {rng.choice(self.titles)}"
        published = START + timedelta(seconds=rng.randrange(SPAN_DAYS * 86400))
        return {"n": n, "outlet": rng.randrange(len(OUTLETS)), "title": title, "who": who,
                "authors": rng.sample(self.authors, rng.choice((1, 1, 1, 2))),
                "text": " ".join(body), "published": published,
                "seen": published + timedelta(minutes=rng.randint(5, 600)),
                "edits": rng.choices((0, 1, 2), weights=(88, 9, 3))[0]}


def _accumulate(values: list[float]):
    total = 0.0
    for v in values:
        total += v
        yield total


def html_page(title: str, text_: str) -> bytes:
    paras = "".join(f"<p>{s}</p>" for s in text_.split(". "))
    return f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1>{paras}</body></html>" \
        .encode()


def produce(seed: int, n: int, warc_dir: str, out: mp.Queue[Any]) -> None:
    """Child process: generate articles and write their WARC records; rows go to the parent."""
    gen = Generator(seed)
    subjects: Counter[str] = Counter()
    writer = WarcWriter(Path(warc_dir), max_size=1_000_000_000)
    version_id = 0
    for start in range(1, n + 1, BATCH):
        rows: dict[str, list[dict]] = {"articles": [], "versions": [], "captures": [], "urls": [], "current": []}
        for a in gen.batch(start, min(start + BATCH - 1, n)):
            k = a["n"]
            subjects[a["who"]] += 1
            url = f"https://outlet{a['outlet']}.example/news/{a['published']:%Y/%m/%d}/story-{k}"
            rows["articles"].append({"id": k, "url_key": url, "canonical_url": url, "outlet_id": a["outlet"] + 1,
                                     "first_seen": a["seen"], "last_seen": a["seen"]})
            rows["urls"].append({"url": url, "canonical_url": url, "outlet_id": a["outlet"] + 1, "article_id": k,
                                 "first_seen": a["seen"], "last_seen": a["seen"], "discovered_via": "sitemap",
                                 "discovery": {}})
            body = a["text"]
            for edit in range(a["edits"] + 1):
                if edit:
                    body += f" Update {edit}: this story was corrected after publication."
                when = a["seen"] + timedelta(hours=6 * edit)
                ptr = writer.write_exchange(HttpExchange(
                    url=url, method="GET", request_headers=[("User-Agent", "bench")], status=200, reason="OK",
                    http_version="HTTP/1.1", response_headers=[("Content-Type", "text/html; charset=utf-8")],
                    body=html_page(a["title"], body), fetched_at=when))
                version_id += 1
                rows["versions"].append({
                    "id": version_id, "article_id": k, "content_hash": f"{k:x}-{edit}", "title": a["title"],
                    "authors": a["authors"], "published_at": a["published"], "language": "en", "text": body,
                    "extractor": "bench", "capture_id": None, "first_seen": when, "last_seen": when,
                    "changes": ["text"] if edit else []})
                rows["captures"].append({
                    "id": version_id, "url": url, "outlet_id": a["outlet"] + 1, "fetched_at": when, "status": 200,
                    "mime": "text/html", "payload_digest": ptr.payload_digest, "warc_file": ptr.file,
                    "warc_offset": ptr.offset, "warc_length": ptr.length, "warc_record_id": ptr.record_id,
                    "kind": "article", "article_id": k, "version_id": version_id})
            rows["current"].append({"aid": k, "vid": version_id})
        out.put(rows)
    writer.close()
    out.put({"done": True, "subjects": dict(subjects), "versions": version_id})


def build(engine: Any, root: Path, n: int, seed: int) -> dict[str, Any]:
    """Insert what the child produces, batch by batch, while it writes the next batch's WARC records."""
    with engine.begin() as conn:
        conn.execute(insert(Outlet), [{"id": i + 1, "name": name, "homepage": f"https://outlet{i}.example/",
                                       "domains": [f"outlet{i}.example"], "created_at": START}
                                      for i, name in enumerate(OUTLETS)])
    queue: mp.Queue[Any] = mp.Queue(maxsize=4)
    child = mp.Process(target=produce, args=(seed, n, str(root / "warcs"), queue))
    child.start()
    t0, db_s, done = time.perf_counter(), 0.0, 0
    while True:
        rows = queue.get()
        if rows.get("done"):
            break
        d0 = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(insert(Article), rows["articles"])
            conn.execute(insert(ArticleVersion), rows["versions"])  # the FTS triggers index these
            conn.execute(insert(Capture), rows["captures"])
            conn.execute(insert(UrlState), rows["urls"])
            conn.execute(update(Article).where(Article.id == bindparam("aid"))
                         .values(current_version_id=bindparam("vid")), rows["current"])
        db_s += time.perf_counter() - d0
        done += len(rows["articles"])
        if done % (BATCH * 25) == 0:
            print(f"  … {done:,} articles ({time.perf_counter() - t0:.0f} s)", flush=True)
    child.join()
    (root / NAMES_FILE).write_text(json.dumps(rows["subjects"]))
    return {"seconds": time.perf_counter() - t0, "db_seconds": db_s, "versions": rows["versions"]}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def time_queries(engine: Any, cases: list[tuple[str, SearchFilters]],
                 facets: bool = True) -> tuple[float, float, float, float, float]:
    """Wall p50/p95, CPU p50/p95 (this process: SQLite runs in it) and the median total."""
    wall, cpu, totals = [], [], []
    search(engine, cases[0][0], cases[0][1])  # warm the connection pool and statement cache
    for query, flt in cases:
        t, c = time.perf_counter(), time.process_time()
        result = search(engine, query, flt, facets=facets)
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - t) * 1000)
        totals.append(result.total)
    return (*percentiles(wall), *percentiles(cpu), statistics.median(totals))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="articles to create (default 1,000,000)")
    ap.add_argument("--dir", type=Path, default=None, help="archive directory (default: a temporary one)")
    ap.add_argument("--database-url", default=None, help="default: SQLite in the archive directory")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--queries", type=int, default=40, help="queries per category")
    ap.add_argument("--keep", action="store_true", help="keep the archive afterwards")
    ap.add_argument("--reuse", action="store_true", help="skip building: time an archive --dir already holds")
    args = ap.parse_args()

    root = args.dir or Path(tempfile.mkdtemp(prefix="pressclips-scale-"))
    root.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{root / 'pressclips.sqlite3'}"
    if args.reuse:
        if not (root / NAMES_FILE).exists():
            sys.exit(f"--reuse: {root} holds no archive built by this script")
    else:
        if any(root.iterdir()):
            sys.exit(f"{root} is not empty (use --reuse to time it)")
        # Ingest with a 256 MB page cache (a bulk-load setting, on this connection only); the
        # searches below use make_engine's defaults, as pressclips does.
        loader = make_engine(url)
        if loader.dialect.name == "sqlite":
            event.listen(loader, "connect", lambda dbapi, _rec: dbapi.execute("PRAGMA cache_size = -262144"))
            loader.dispose()
        print(f"archive {root} ({loader.dialect.name}), {args.n:,} articles")
        cpu0 = resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
        built = build(loader, root, args.n, args.seed)
        cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime + \
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - cpu0
        loader.dispose()
        print(f"ingest: {args.n:,} articles / {built['versions']:,} versions (with WARC records) in "
              f"{built['seconds']:.0f} s = {args.n / built['seconds']:,.0f} articles/s; "
              f"inserts {built['db_seconds']:.0f} s "
              f"while a second process wrote the WARCs; CPU {cpu:.0f} s user (load {os.getloadavg()[0]:.1f})")
    engine = make_engine(url)
    n_articles = engine.connect().execute(text("SELECT count(*) FROM articles")).scalar() or 0
    warc_bytes = sum(p.stat().st_size for p in (root / "warcs").iterdir())
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db_bytes = sum(p.stat().st_size for p in root.glob("pressclips.sqlite3*"))
    else:
        with engine.connect() as conn:
            db_bytes = conn.execute(text("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                                         "JOIN pg_namespace n ON n.oid = c.relnamespace "
                                         "WHERE n.nspname = current_schema() AND c.relkind = 'r'")).scalar()
    print(f"size: {n_articles:,} articles, database {float(db_bytes or 0) / 1e9:.2f} GB, "
          f"WARCs {warc_bytes / 1e9:.2f} GB")

    rng = random.Random(args.seed + 1)
    subjects = json.loads((root / NAMES_FILE).read_text())
    q = args.queries
    by_count = sorted(subjects, key=lambda k: (subjects[k], k))
    rare = rng.sample([k for k in by_count if subjects[k] <= 3] or by_count[:q], q)  # a handful of articles each
    stars = by_count[-q:]  # head of the Zipf law: hundreds to thousands each
    words = [w for w, _ in Counter(w.lower() for s in Generator(args.seed).sentences
                                   for w in re.findall(r"[A-Za-z]{4,}", s)).most_common(q + 4)]
    outlet = SearchFilters(outlet=OUTLETS[2])
    recent = SearchFilters(published_from=START + timedelta(days=600), published_to=START + timedelta(days=660))
    cases = {
        "selective (rare name)": [(f'"{n}"', SearchFilters()) for n in rare],
        "selective + outlet filter": [(f'"{n}"', outlet) for n in rare],
        "medium (star name)": [(f'"{n}"', SearchFilters()) for n in stars],
        "broad (common word)": [(w, SearchFilters()) for w in words[:q]],
        "broad, two words": [(f"{a} {b}", SearchFilters()) for a, b in itertools.pairwise(words[:q + 1])],
        "broad + outlet filter": [(w, outlet) for w in words[:q]],
        "broad + date filter": [(w, recent) for w in words[:q]],
        "broad OR, with exclusion": [(f"{a} OR {b} -{c}", SearchFilters()) for a, b, c in
                                     zip(words[:q], words[2:q + 2], words[4:q + 4])],
        "listing (no query) + outlet": [("", SearchFilters(outlet=o)) for o in OUTLETS] * max(1, q // 8),
        "prefix (word*)": [(w[:4] + "*", SearchFilters()) for w in words[:q]],
        "title: field, rare name": [(f'title:"{n}"', SearchFilters()) for n in rare],
        "outlet: in the query": [(f'{w} outlet:"{OUTLETS[2]}"', SearchFilters()) for w in words[:q]],
        "NOT inside OR (SQL path)": [(f'"{n}" OR -{w}', SearchFilters()) for n, w in zip(rare, words[:q])],
        "CJK substring, 3+ chars": [(s, SearchFilters()) for s in CJK_SUBJECTS if len(s) >= 3] * max(1, q // 7),
        "CJK, 2 chars (LIKE scan)": [(s[:2], SearchFilters()) for s in CJK_SUBJECTS] * max(1, q // 10),
        "CJK, 1 char (LIKE scan)": [(s[-1], SearchFilters()) for s in CJK_SUBJECTS] * max(1, q // 10),
        "listing (no query) + dates": [("", recent)] * q,
    }
    print(f"search (limit 20, facets on; window/count cap {COUNT_CAP:,}) — target p95 < 100 ms on SQLite; "
          f"CPU = this process's CPU time, i.e. wall minus waiting for a core (load {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores)" + ("" if engine.dialect.name == "sqlite" else
                                           "; on PostgreSQL the client's share only") + ":")
    cases["broad, facets off"] = cases["broad (common word)"]
    for label, items in cases.items():
        w50, w95, c50, c95, total = time_queries(engine, items, facets=label != "broad, facets off")
        print(f"  {label:<28} wall p50 {w50:6.1f} p95 {w95:6.1f} ms [{'ok' if w95 < 100 else 'MISS'}]   "
              f"CPU p50 {c50:6.1f} p95 {c95:6.1f} ms [{'ok' if c95 < 100 else 'MISS'}]   median total {total:,.0f}")

    # export: the real CLI in a child process, so its peak RSS is its own
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    # The export's own peak RSS: VmHWM, read by the child as it exits (ru_maxrss of a child started
    # from this big process would include the parent's pages from before exec).
    peak = ("import atexit, runpy, sys\n"
            "atexit.register(lambda: sys.stderr.write(next(l for l in open('/proc/self/status') "
            "if l.startswith('VmHWM'))))\n"
            "sys.argv = ['pressclips', *sys.argv[1:]]\nrunpy.run_module('archive.cli.main', run_name='__main__')")
    for fmt in ("jsonl", "csv", "json"):
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", peak, "export", "--format", fmt, "--archive", str(root),
                               *(["--database-url", url] if args.database_url else []), "-o", os.devnull],
                              env=env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - t
        hwm = re.search(r"VmHWM:\s+(\d+) kB", done.stderr)
        if done.returncode or not hwm:
            print(f"export {fmt} failed: {done.stderr.strip()[-300:]}")
            continue
        print(f"export {fmt}: {n_articles:,} rows in {elapsed:.1f} s = {n_articles / elapsed:,.0f} rows/s, "
              f"peak RSS {int(hwm.group(1)) / 1024:.0f} MB")

    with engine.connect() as conn:
        pointers = conn.execute(text("SELECT warc_file, warc_offset, warc_length FROM captures "
                                     "ORDER BY random() LIMIT 2000")).all()
    times = []
    for file, offset, length in pointers:
        t = time.perf_counter()
        record = read_record(root / "warcs", file, offset, length)
        times.append((time.perf_counter() - t) * 1000)
        assert record.rec_type == "response"
    p50, p95 = percentiles(times)
    print(f"record by pointer (2,000 random, page cache warm): p50 {p50:.3f} ms  p95 {p95:.3f} ms  "
          f"[{'ok' if p95 < 1 else 'MISS'} target < 1 ms]")
    engine.dispose()
    if not args.keep and args.dir is None:
        shutil.rmtree(root)
    else:
        print(f"kept {root}")


if __name__ == "__main__":
    main()

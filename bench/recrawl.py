"""Recrawl benchmark: what a second run costs after ~10% of a site changed.

Serves a local site of real article pages (the shared corpus when present), crawls it once, then
edits ~10% of the articles and publishes a few new ones, and crawls again. Prints round 2's
requests and bytes (Scrapy's ``downloader/response_bytes``: bodies as received, still
compressed) as a share of round 1's, and how many of the new and edited articles round 2 found.

Two round-2 scenarios, each on a fresh copy of the round-1 archive:

- ``changed-only``: the real schedule. The corpus pages carry old publication dates, so no
  recrawl is due; edits are found through sitemap ``lastmod`` / Atom ``updated`` moving.
- ``all-due``: every article's recrawl has come due (as for a site of fresh news): each one is
  asked for conditionally, unchanged ones answer 304 and become WARC revisit records.

    .venv/bin/python bench/recrawl.py [--outlets 2] [--change 0.10] [--corpus DIR]

Target (issue 3): round 2 ≤ 15% of round 1's bytes, with 100% of new and edited articles found.

``--generated --seeds 1,2,3`` crawls seeded generated sites instead (``tests/sitegen``: varied
URL schemes, link variants, AMP/print copies, non-article pages, validators) with the crawler's
default settings (AutoThrottle on), ``advance(round=2)``, crawls again, and reports from the
site's own log and ground truth: round-2 bytes and the conditional share of re-requests, edits
found (announced and unannounced), extra downloads caused by URL variants, rows per real article
and non-article rows (issue 10).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.localsite import LocalSite  # noqa: E402
from tests.sitegen import GeneratedSite  # noqa: E402
from tests.sitegen.crawl import crawl as crawl_defaults  # noqa: E402
from tests.sitegen.crawl import log_problems  # noqa: E402
from tests.sitegen.measure import archive_figures, traffic  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpus" / "pages"
TEST_CORPUS = ROOT / "tests" / "data" / "corpus"
# AutoThrottle on, as in production; aiming at 8 in flight keeps the local site busy.
FAST = ["-s", "AUTOTHROTTLE_TARGET_CONCURRENCY=8", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]


def crawl(outlets: Path, archive: Path) -> dict:
    result = subprocess.run([sys.executable, "-m", "archive.cli.main", "crawl", "--outlets", str(outlets),
                             "--archive", str(archive), "--quiet", *FAST], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"crawl failed ({result.returncode}): {result.stderr[-2000:]}")
    with sqlite3.connect(archive / "pressclips.sqlite3") as db:
        row = db.execute("SELECT requests, pages_fetched, bytes, articles_new, articles_updated, revisits, stats "
                         "FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    return dict(zip(("requests", "pages", "bytes", "new", "updated", "revisits"), row[:6]),
                stats=json.loads(row[6]))


def found(archive: Path, urls: list[str]) -> tuple[int, int]:
    """(articles fetched in full by the last run, articles with more than one version)."""
    with sqlite3.connect(archive / "pressclips.sqlite3") as db:
        last = db.execute("SELECT max(id) FROM crawl_runs").fetchone()[0]
        fetched = versions = 0
        for url in urls:
            fetched += db.execute("SELECT count(*) FROM captures c JOIN articles a ON a.id = c.article_id "
                                  "WHERE a.canonical_url = ? AND c.run_id = ? AND c.kind = 'article'",
                                  (url, last)).fetchone()[0] > 0
            versions += db.execute("SELECT count(*) FROM article_versions v JOIN articles a ON a.id = v.article_id "
                                   "WHERE a.canonical_url = ?", (url,)).fetchone()[0] > 1
        return fetched, versions


def edited_found(versions: dict[str, int], urls: list[str]) -> int:
    """How many of ``urls`` have a second version (the edit was found and stored)."""
    return sum(versions.get(u, 0) >= 2 for u in urls)


def generated(seeds: list[int]) -> None:
    """Two rounds per seeded generated site, default crawler settings; one report line each."""
    for seed in seeds:
        site = GeneratedSite(seed).start()
        work = Path(tempfile.mkdtemp(prefix=f"pressclips-recrawl-gen{seed}-"))
        try:
            outlets, archive = work / "outlets.toml", work / "archive"
            outlets.write_text(site.outlets_toml())
            database = f"sqlite:///{archive / 'pressclips.sqlite3'}"
            runs = [crawl_defaults(outlets, archive)]
            first = archive_figures(site, database, run_id=1)
            changes = site.advance(round=2)
            runs.append(crawl_defaults(outlets, archive))
            second = archive_figures(site, database, run_id=2)
            t1, t2 = traffic(site, 1), traffic(site, 2)
            print(f"seed {seed}: {first.real_articles} articles on {len(site.outlets)} outlets "
                  f"({', '.join(f'{o.name}={o.plan.scheme}/{o.plan.validators}' for o in site.outlets)}); "
                  f"exit codes {[r.returncode for r in runs]}, log problems "
                  f"{[len(log_problems(r.stderr)) for r in runs]}")
            print(f"  round 2: {t2.bytes_sent / 1e3:.0f} kB of {t1.bytes_sent / 1e3:.0f} kB "
                  f"({t2.bytes_sent / t1.bytes_sent:.1%}, target ≤ 15%); conditional re-requests "
                  f"{t2.conditional}/{t2.re_requests} ({t2.conditional_share:.1%}, target ≥ 90%)")
            announced = edited_found(second.versions, changes.edited_announced)
            silent = edited_found(second.versions, changes.edited_silent)
            print(f"  edits found: announced {announced}/{len(changes.edited_announced)}, "
                  f"unannounced {silent}/{len(changes.edited_silent)}; "
                  f"added found {len(set(changes.added) & set(second.versions))}/{len(changes.added)}; "
                  f"removed marked gone {len(second.gone & set(changes.removed))}/{len(changes.removed)}")
            print(f"  variant downloads: round 1 {t1.variant_extra}/{t1.articles_downloaded} "
                  f"({t1.variant_extra_share:.1%}, target ≤ 5%), round 2 {t2.variant_extra} (target 0)")
            print(f"  rows per real article {first.rows_per_article:.3f} / {second.rows_per_article:.3f} "
                  f"(target ≤ 1.02); non-article rows {len(first.non_article_rows)}/{first.article_rows} "
                  f"({first.non_article_share:.1%}, target ≤ 1%); real articles lost {len(first.lost)}")
        finally:
            site.stop()
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outlets", type=int, default=2)
    parser.add_argument("--change", type=float, default=0.10, help="share of articles edited before round 2")
    parser.add_argument("--corpus", type=Path, default=SHARED if SHARED.is_dir() else TEST_CORPUS)
    parser.add_argument("--generated", action="store_true", help="crawl seeded generated sites (tests/sitegen)")
    parser.add_argument("--seeds", default="1,2,3", help="with --generated: comma-separated seeds")
    args = parser.parse_args()
    if args.generated:
        try:
            seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
        except ValueError:
            parser.error(f"--seeds: expected comma-separated integers, got {args.seeds!r}")
        if not seeds:
            parser.error("--seeds: give at least one seed")
        generated(seeds)
        return

    site = LocalSite(outlets=args.outlets, corpus_dir=args.corpus, article_delay=0.0, reserve=10).start()
    work = Path(tempfile.mkdtemp(prefix="pressclips-recrawl-"))
    try:
        outlets = work / "outlets.toml"
        outlets.write_text(site.outlets_toml())
        base = work / "round1"
        r1 = crawl(outlets, base)
        rng = random.Random(7)
        articles = list(site.articles)
        edited = rng.sample(articles, max(1, round(len(articles) * args.change)))
        for art in edited:
            site.edit_article(art.outlet, art.path, "Update: this story has been corrected.")
        added = [site.add_article(site.outlets[i % args.outlets].name) for i in range(max(1, len(articles) // 100))]
        print(f"site: {len(articles)} articles on {args.outlets} outlets; edited {len(edited)}, added {len(added)}")
        print(f"round 1: {r1['requests']} requests, {r1['bytes'] / 1e6:.2f} MB, {r1['new']} articles")
        for scenario in ("changed-only", "all-due"):
            archive = work / scenario
            shutil.copytree(base, archive)
            if scenario == "all-due":
                with sqlite3.connect(archive / "pressclips.sqlite3") as db:
                    db.execute("UPDATE urls SET next_due_at = ? WHERE article_id IS NOT NULL AND fetch_count > 0",
                               (datetime.now(timezone.utc).replace(tzinfo=None).isoformat(" "),))
            r2 = crawl(outlets, archive)
            got_edits, new_versions = found(archive, [a.canonical_url for a in edited])
            got_new, _ = found(archive, [a.canonical_url for a in added])
            share_b = r2["bytes"] / r1["bytes"]
            share_r = r2["requests"] / r1["requests"]
            verdict = "meets" if share_b <= 0.15 and got_edits == len(edited) and got_new == len(added) else "misses"
            print(f"round 2 [{scenario}]: {r2['requests']} requests ({share_r:.1%}), {r2['bytes'] / 1e6:.2f} MB "
                  f"({share_b:.1%} of round 1), revisits {r2['revisits']}; edited re-fetched {got_edits}/{len(edited)} "
                  f"({new_versions} with a new text version), "
                  f"new found {got_new}/{len(added)}; sitemaps skipped unchanged "
                  f"{r2['stats'].get('pressclips/sitemaps_unchanged', 0)} → {verdict} the target (≤ 15%, 100%)")
    finally:
        site.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

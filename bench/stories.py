"""Stories benchmark: precision and recall of story grouping, and the per-insert cost as the archive grows.

Quality: every corpus text with a body (``tests/storykit.corpus_texts``; texts that are themselves
near-duplicates of another are dropped) gets three syndicated copies under different
boilerplate, a lightly edited rewrite, a truncated "read more" copy and an exact copy, plus one
unrelated article on the same topic (sentences of other texts with its topic words worked in). All of them
go through the real check (``archive.stories.StoryLinker``, in a real database), in a shuffled
order. Recall per kind = the share of copies in their original's story; a false merge is any
pair of articles from different originals (or a same-topic article) sharing a story, over all
pairs.

Cost: one archive per size (default 10k, 100k and 300k signed articles), filled with generated
unrelated articles (corpus sentences recombined); then ``--probes`` new articles are checked one
by one (signing, band lookups, verification, writes), each probe in every archive in turn, so the
machine's drift falls on all sizes alike; the median and p95 are printed per size. With
``--database-url`` (PostgreSQL) the quality run and each size get a schema of their own,
``bench_stories_<part>``, dropped at the end.

    .venv/bin/python bench/stories.py [--database-url URL] [--sizes 10000,100000,300000] [--probes 300]
                                      [--seed N] [--skip-quality] [--skip-cost]

Targets (issue 13): recall ≥ 0.98 on syndicated and edited copies, no false merges, per-insert
cost flat from 10k to 100k.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from archive.db.engine import make_engine  # noqa: E402
from archive.db.models import Article, ArticleVersion, Story, StoryBand, StorySignature  # noqa: E402
from archive.db.session import Database  # noqa: E402
from archive.extract.markup import content_hash  # noqa: E402
from archive.stories import NewText, Signature, StoryLinker  # noqa: E402
from archive.stories.signature import shingles, words  # noqa: E402
from tests import storykit  # noqa: E402

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
KINDS = ("syndicated", "edited", "truncated", "exact")


class Archive:
    """Articles written the way the store writes them (article, version, then the story check)."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.db = Database(self.engine)
        self.linker = StoryLinker()
        self.n = 0
        self.cpu: list[float] = []  # this process's CPU time per check: what the machine's load does not inflate

    def add(self, text: str) -> tuple[int, float]:
        """Insert one article; returns its id and the seconds the story check took."""
        self.n += 1
        seen = T0 + timedelta(seconds=self.n)
        with self.db.transaction("bench insert") as session:
            article_id = session.scalar(insert(Article).values(
                url_key=f"https://bench.example/{self.n}", canonical_url=f"https://bench.example/{self.n}",
                first_seen=seen, last_seen=seen).returning(Article.id))
            digest = content_hash(text)
            version_id = session.scalar(insert(ArticleVersion).values(
                article_id=article_id, content_hash=digest, text=text, extractor="bench", first_seen=seen,
                last_seen=seen, authors=[], changes=[]).returning(ArticleVersion.id))
            session.execute(Article.__table__.update().where(Article.id == article_id)
                            .values(current_version_id=version_id))
            assert article_id is not None and version_id is not None
            start, cpu = time.perf_counter(), time.process_time()
            self.linker.link(session, NewText(article_id, version_id, text, digest, None, seen), is_new=True)
            self.cpu.append(time.process_time() - cpu)
            return article_id, time.perf_counter() - start

    def stories(self) -> dict[int, int]:
        with self.db.reading("bench read") as session:
            return {a: s for a, s in session.execute(select(Article.id, Article.story_id)) if s is not None}

    def settle(self) -> None:
        """After the fill, the state a live archive is in. PostgreSQL: table statistics and the
        visibility map, as autovacuum keeps them (the fill outruns it; since PostgreSQL 13 inserts
        alone trigger it); without statistics the planner takes the candidate query for a large
        scan and starts parallel workers (the candidate query alone: ~9.6 ms wall at 100k
        articles, ~1.1 analyzed), and without the visibility map every index entry read visits
        the heap. SQLite: the fill's large transactions checkpointed out of the WAL, as the
        crawler's small commits keep it."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE articles, story_signatures, story_bands")
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def bulk_fill(self, texts: list[str]) -> None:
        """Signed unrelated articles, each a story of its own, written in bulk (the fill, not measured)."""
        with self.db.transaction("bench fill") as session:
            start = self.n
            seen = T0
            session.execute(insert(Article), [{"id": 10_000_000 + start + i, "url_key": f"fill:{start + i}",
                                               "canonical_url": "fill", "first_seen": seen, "last_seen": seen,
                                               "story_id": 10_000_000 + start + i} for i in range(len(texts))])
            session.execute(insert(Story), [{"id": 10_000_000 + start + i, "first_article_id": 10_000_000 + start + i,
                                             "first_seen": seen, "last_seen": seen, "article_count": 1}
                                            for i in range(len(texts))])
            bands, sigs = [], []
            for i, text in enumerate(texts):
                sig = Signature.of(text)
                if sig is None:
                    continue
                aid = 10_000_000 + start + i
                sigs.append({"article_id": aid, "version_id": 0, "shingles": sig.shingles, "minhash": sig.minhash,
                             "lead": sig.lead})
                bands.extend({"band": b, "hash": h, "article_id": aid} for b, h in sig.bands())
            session.execute(insert(StorySignature), sigs)
            session.execute(insert(StoryBand), bands)
            self.n += len(texts)


def distinct_bases(texts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Corpus texts that are not near-copies of an earlier one (the corpus has a few)."""
    kept: list[tuple[str, str, set[str]]] = []
    for title, body in texts:
        sh = shingles(words(body))
        if all(len(sh & other) / len(sh | other) < 0.2 for _, _, other in kept):
            kept.append((title, body, sh))
    return [(t, b) for t, b, _ in kept]


def quality(url: str, seed: int) -> None:
    rng = random.Random(seed)
    bases = distinct_bases(storykit.corpus_texts())
    items: list[tuple[int, str, str]] = []  # (group, kind, text); same-topic articles get their own group
    for g, (title, body) in enumerate(bases):
        items.append((g, "original", body))
        for outlet in ("Wire One", "Daily Two", "Courier Three"):
            items.append((g, "syndicated", storykit.syndicate(body, rng, outlet)))
        items.append((g, "edited", storykit.edit(body, rng)))
        items.append((g, "truncated", storykit.truncate(body, rng)))
        items.append((g, "exact", body))
        others = [b for _, b in rng.sample(bases, 12) if b is not body]
        items.append((len(bases) + g, "same-topic", storykit.same_topic(body, title, others, rng)))
    rng.shuffle(items)
    archive = Archive(url)
    ids = [archive.add(text)[0] for _, _, text in items]
    story = archive.stories()
    by_group: dict[int, set[int]] = defaultdict(set)
    for (group, _, _), aid in zip(items, ids):
        by_group[group].add(story[aid])
    originals = {group: story[aid] for (group, kind, _), aid in zip(items, ids) if kind == "original"}
    print(f"quality: {len(bases)} originals, {len(items)} articles (seed {seed})")
    for kind in KINDS:
        hits = [story[aid] == originals[group] for (group, k, _), aid in zip(items, ids) if k == kind]
        print(f"  recall {kind:<11} {sum(hits) / len(hits):.3f} ({sum(hits)}/{len(hits)})")
    false = sum(story[a] == story[b] and ga != gb
                for (ga, _, _), a, (gb, _, _), b in ((x[0], x[1], y[0], y[1])
                                                     for x, y in combinations(list(zip(items, ids)), 2)))
    pairs = len(items) * (len(items) - 1) // 2
    print(f"  false merges {false} of {pairs} pairs across originals and same-topic articles "
          f"(precision {'1.000' if not false else 'below 1'})")


def filler(rng: random.Random, sentences: list[str], n: int) -> list[str]:
    return [" ".join(rng.choice(sentences) for _ in range(rng.randrange(8, 20))) for _ in range(n)]


def cost(urls: list[str], sizes: list[int], probes: int, seed: int) -> None:
    """One archive per size, then the probes interleaved across them: probe i goes into every
    archive before probe i+1 does, so the machine's drift (the signing alone, pure CPU, was seen
    varying 0.22-0.40 ms between runs of the same code) falls on every size alike."""
    rng = random.Random(seed)
    sentences = [s for _, body in storykit.corpus_texts(min_words=50) for s in storykit.paragraphs(body)
                 if len(s.split()) > 8]
    archives = []
    for url, size in zip(urls, sizes):
        archive = Archive(url)
        while archive.n < size:
            archive.bulk_fill(filler(rng, sentences, min(5000, size - archive.n)))
        archive.settle()
        archives.append(archive)
    print(f"cost: one insert = sign + band lookups + verify + write ({probes} probes per size, interleaved)")
    warm_up = filler(rng, sentences, 30)
    for archive in archives:  # the first checks of a freshly filled archive read cold pages
        for text in warm_up:
            archive.add(text)
        archive.cpu.clear()
    took: list[list[float]] = [[] for _ in archives]
    sign = []
    for text in filler(rng, sentences, probes):
        start = time.perf_counter()
        Signature.of(text)
        sign.append(time.perf_counter() - start)
        for archive, times in zip(archives, took):
            times.append(archive.add(text)[1])
    print(f"  signing alone ~{statistics.median(sign) * 1000:.2f} ms (median)")
    for size, archive, times in zip(sizes, archives, took):
        times.sort()
        cpu = sorted(archive.cpu)
        print(f"  {size:>7} articles: check median {statistics.median(times) * 1000:.2f} ms wall, "
              f"p95 {times[int(len(times) * 0.95)] * 1000:.2f} ms; CPU median "
              f"{statistics.median(cpu) * 1000:.2f} ms, p95 {cpu[int(len(cpu) * 0.95)] * 1000:.2f} ms")


def archive_url(database_url: str | None, tmp: str, name: str) -> str:
    """One archive per part (quality, each size): an SQLite file each, or a PostgreSQL schema each,
    ``bench_stories_<name>``, created here and dropped by ``drop_schemas`` (never the database's
    own schema: the bench writes ~1,100 to 300,000 articles)."""
    if database_url is None:
        return f"sqlite:///{tmp}/{name}.sqlite3"
    schema = f"bench_stories_{name}"
    _on_database(database_url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE', f'CREATE SCHEMA "{schema}"')
    joiner = "&" if "?" in database_url else "?"
    return f"{database_url}{joiner}options=-csearch_path%3D{schema}"


def drop_schemas(database_url: str, names: list[str]) -> None:
    _on_database(database_url, *(f'DROP SCHEMA IF EXISTS "bench_stories_{name}" CASCADE' for name in names))


def _on_database(database_url: str, *statements: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(database_url)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--sizes", default="10000,100000,300000")
    parser.add_argument("--probes", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-cost", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    parts = ([] if args.skip_quality else ["quality"]) + ([] if args.skip_cost else [str(size) for size in sizes])
    with tempfile.TemporaryDirectory() as tmp:
        try:
            if not args.skip_quality:
                quality(archive_url(args.database_url, tmp, "quality"), args.seed)
            if not args.skip_cost:
                cost([archive_url(args.database_url, tmp, str(size)) for size in sizes], sizes, args.probes, args.seed)
        finally:
            if args.database_url is not None:
                drop_schemas(args.database_url, parts)


if __name__ == "__main__":
    main()

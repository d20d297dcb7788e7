"""The story check through the store, on SQLite and PostgreSQL: joining, exact copies, an edit
re-signing an article without moving it, stories merged by a bridging text, a boilerplate lead
shared by many articles, the thresholds kept in the archive, and `restory`'s errors."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.db.models import Article, Story, StoryBand, StorySignature
from archive.db.store import CaptureRecord, PageResult, Store
from archive.extract.markup import content_hash
from archive.extract.result import Extraction
from archive.ops.lock import ArchiveLock
from archive.ops.restory import restory
from archive.stories import Signature, StoryThresholds
from archive.stories.linker import BUCKET_LIMIT, MAX_CANDIDATES, similarity
from archive.stories.signature import BANDS, agreement
from archive.warc.reader import WarcPointer
from tests import storykit
from tests.conftest import invoke_cli, one_line_error
from tests.storysite import CORPUS

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
TEXTS = [body for _, body in storykit.named_texts(
    ("newspaper4k-cnn_article", "newspaper4k-fox13now_001", "newspaper4k-time_001",
     "newspaper4k-video_article_02", "newspaper4k-yna_co_kr"), pages=CORPUS)]


def record(store: Store, n: int, path: str, text: str, when: datetime = T0, published: str | None = None,
           outlet: str = "outlet") -> int:
    url = f"https://www.example-{outlet}.com{path}"
    rid = f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>"
    store.add_capture(CaptureRecord(url=url, fetched_at=when, status=200, mime="text/html", outlet=outlet,
                                    pointer=WarcPointer("a.warc.gz", n * 1000, 900, rid, f"sha1:X{n}")))
    ext = Extraction(is_article=True, reason=None, title="t", text=text, content_hash=content_hash(text),
                     published=published)
    store.record_page(PageResult(outlet=outlet, warc_record_id=rid, requested_url=url, final_url=url,
                                 fetched_at=when, status=200, extraction=ext))
    with Session(store.engine) as session:
        found = session.scalar(select(Article.id).where(Article.canonical_url == url))
    assert found is not None
    return found


def stories(store: Store) -> dict[int, tuple[int | None, float | None]]:
    with Session(store.engine) as session:
        return {a: (s, sim) for a, s, sim in session.execute(
            select(Article.id, Article.story_id, Article.story_similarity))}


def test_copies_join_and_an_edit_re_signs_without_moving(store: Store) -> None:
    rng = random.Random(3)
    first = record(store, 1, "/a/", TEXTS[0], published="2026-11-01T10:00:00Z")
    copy = record(store, 2, "/b/", storykit.syndicate(TEXTS[0], rng, "Other"), published="2026-11-01T08:00:00Z")
    store.ensure_outlets([("second", "https://www.example-second.com/", ["www.example-second.com"])])
    exact = record(store, 3, "/c/", TEXTS[0], outlet="second")  # the same text on another outlet
    other = record(store, 4, "/d/", TEXTS[1])
    got = stories(store)
    assert got[first][0] == got[copy][0] == got[exact][0] != got[other][0]
    assert got[first][1] is None and 0.8 < (got[copy][1] or 0) < 1 and got[exact][1] == 1.0
    assert got[other][1] is None
    with Session(store.engine) as session:
        story = session.get(Story, got[first][0])
        assert story is not None and story.article_count == 3
        assert story.first_article_id == copy  # the earliest published, not the first seen
    # an edit: a new current text is signed (bands replaced), the article stays a pickup
    record(store, 5, "/d/", TEXTS[2], when=T0 + timedelta(hours=2))
    with Session(store.engine) as session:
        signature = session.get(StorySignature, other)
        assert signature is not None
        fresh = Signature.of(TEXTS[2])
        assert fresh is not None and agreement(signature.minhash, fresh.minhash) == 1.0
        assert session.query(StoryBand).filter(StoryBand.article_id == other).count() == len(fresh.bands())
    assert stories(store)[other][0] == got[other][0]


def test_a_text_matching_two_stories_merges_them(store: Store) -> None:
    rng = random.Random(5)
    # a truncated copy and a syndicated copy of one original meet first, in two stories ...
    head = TEXTS[3].split(" ")
    teaser = record(store, 1, "/teaser/", " ".join(head[:80]))
    # the last two thirds: Jaccard ~0.65 with the original (the last half sat at ~0.48, under the 0.5
    # threshold, and joined only when the estimate's noise lifted it)
    tail = record(store, 2, "/tail/", " ".join(head[len(head) // 3:]))
    assert stories(store)[teaser][0] != stories(store)[tail][0]
    # ... the original contains both: one story now, with figures recomputed
    original = record(store, 3, "/original/", storykit.syndicate(TEXTS[3], rng, "Wire"))
    got = stories(store)
    assert got[teaser][0] == got[tail][0] == got[original][0]
    with Session(store.engine) as session:
        assert session.scalars(select(Story)).all()[0].article_count == 3
        assert len(session.scalars(select(Story)).all()) == 1


# An outlet's standard opening, longer than the lead (40 words): every article opening with it has
# the same 8 lead bands, buckets shared by all of them.
PROMPT = ("This article is free to read for everyone. To get our best reporting in your inbox every "
          "morning, sign up for the daily newsletter; to keep independent journalism free for all, "
          "become a member today: it takes two minutes and you can cancel at any time. Thank you.")


def test_a_boilerplate_lead_shared_by_many_articles_hides_no_copy(store: Store) -> None:
    """The check reads a (band, hash) bucket only ``BUCKET_LIMIT`` deep, its most recent articles
    first. Many articles behind one opening: an older article's syndicated copy still joins it
    (through the buckets of its own text, which are small), and a teaser sharing nothing but the
    opening's buckets with its full text is found as their most recent member (read oldest first,
    all of them, it came after the first ``MAX_CANDIDATES`` and was never verified)."""
    rng = random.Random(11)
    count = iter(range(1, 1000))

    def add(text: str) -> int:
        n = next(count)
        return record(store, n, f"/{n}/", text)

    original = add(f"{PROMPT}\n{TEXTS[0]}")
    vocabulary = " ".join(TEXTS[2:]).split()
    others = [add(f"{PROMPT}\n" + " ".join(rng.sample(vocabulary, 150))) for _ in range(MAX_CANDIDATES + BUCKET_LIMIT)]
    copy = add(storykit.syndicate(f"{PROMPT}\n{TEXTS[0]}", rng, "Wire"))
    full = f"{PROMPT}\n{TEXTS[1]}"
    teaser = f"{PROMPT}\n" + " ".join(TEXTS[1].split()[:40])
    new, short = Signature.of(full), Signature.of(teaser)
    assert new is not None and short is not None
    assert not set(new.bands()[:BANDS]) & set(short.bands()[:BANDS])  # only the lead's buckets in common
    assert similarity(new, short, StoryThresholds()) is not None  # a truncated copy, once compared
    teaser_id = add(teaser)
    full_id = add(full)
    got = stories(store)
    assert got[copy][0] == got[original][0]
    assert got[full_id][0] == got[teaser_id][0] != got[original][0]
    assert len({got[a][0] for a in [original, *others, teaser_id]}) == len(others) + 2  # no false merges


def test_thresholds_live_in_the_archive_and_restory_applies_them(store: Store, tmp_path: Path) -> None:
    rng = random.Random(7)
    base = record(store, 1, "/a/", TEXTS[4])
    rewrite = record(store, 2, "/b/", storykit.edit(TEXTS[4], rng, rate=0.1))
    assert stories(store)[base][0] == stories(store)[rewrite][0]
    report = restory(store.engine, tmp_path, StoryThresholds(similarity=0.95, containment=0.95))
    assert (report.articles, report.stories) == (2, 2)
    assert stories(store)[base][0] != stories(store)[rewrite][0]
    with Session(store.engine) as session:
        assert Store(store.engine).stories.thresholds(session).similarity == 0.95  # kept in the archive


def test_bad_thresholds_and_a_held_lock_are_one_line(tmp_path: Path, store: Store) -> None:
    url = str(store.engine.url.render_as_string(hide_password=False))
    args = ["--archive", str(tmp_path), "--database-url", url]
    one_line_error(invoke_cli("restory", "--similarity", "7", *args), 2, "--similarity")
    with ArchiveLock(tmp_path).acquire():
        one_line_error(invoke_cli("restory", *args), 75)
    ok = invoke_cli("restory", "--containment", "0.75", *args)
    assert ok.exit_code == 0 and "containment 0.75" in ok.output


def test_agreement_counts_equal_values_exactly() -> None:
    """The bitwise count must equal comparing value by value: values differing in their lowest or
    highest bit only, or in every bit, and signatures of both lengths the check stores."""
    import struct

    rng = random.Random(5)
    for count in (32, 128):
        for _ in range(200):
            mine = [rng.getrandbits(32) for _ in range(count)]
            theirs = [value if rng.random() < 0.5 else value ^ rng.choice((1, 1 << 31, 0xFFFFFFFF, rng.getrandbits(32) | 1))
                      for value in mine]
            a, b = struct.pack(f"<{count}I", *mine), struct.pack(f"<{count}I", *theirs)
            assert agreement(a, b) == sum(x == y for x, y in zip(mine, theirs)) / count
    assert agreement(b"", b"") == 0.0 and agreement(bytes(128), bytes(512)) == 0.0

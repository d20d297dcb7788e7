"""Generated pickups of one text, for the story tests and ``bench/stories.py``.

From a real article text (the shared corpus), seeded:

- ``syndicate``: the same text under another outlet's boilerplate (a dateline, "Advertisement",
  "Related:" lines, a newsletter plug and a copyright footer);
- ``edit``: a lightly edited rewrite (a share of the words replaced or dropped, one sentence cut,
  one added);
- ``truncate``: a "read more" copy: the first quarter to half of the text and a link line;
- ``same_topic``: an unrelated article on the same topic: sentences of other articles with the
  first one's most frequent content words and title worked in (the hard negative).
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

CORPUS_PAGES = Path("/work/shared/corpus/pages")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_STOP = frozenset("about after again their there these those which while would could should being other "
                  "where when what with from that this have were been will into than then them they said "
                  "also more most some such only over very just like your because before".split())


def corpus_texts(min_words: int = 150, pages: Path = CORPUS_PAGES) -> list[tuple[str, str]]:
    """(title, body) of the corpus pages with a known body of at least ``min_words`` words, by slug."""
    found = []
    for path in sorted(pages.glob("*.json")):
        meta = json.loads(path.read_text(encoding="utf-8"))
        body = (meta.get("body") or "").strip()
        if len(body.split()) >= min_words and not body.isupper():  # upper case: a maintainer's failure note
            found.append((str(meta.get("title") or path.stem), body))
    return found


def named_texts(slugs: tuple[str, ...], pages: Path = CORPUS_PAGES) -> list[tuple[str, str]]:
    """(title, body) of the named corpus pages, in the given order. Fixtures whose expectations were
    worked out for particular texts name them: picking by position in a directory that other tests
    add pages to would hand them different texts."""
    found = []
    for slug in slugs:
        meta = json.loads((pages / f"{slug}.json").read_text(encoding="utf-8"))
        body = (meta.get("body") or "").strip()
        if not body or body.isupper():
            raise ValueError(f"corpus page {slug} has no body")
        found.append((str(meta.get("title") or slug), body))
    return found


def paragraphs(text: str) -> list[str]:
    parts = [p.strip() for p in text.split("\n") if p.strip()]
    return parts if len(parts) > 1 else [s for s in _SENTENCE.split(text) if s]


def syndicate(text: str, rng: random.Random, outlet: str) -> str:
    paras = paragraphs(text)
    out = [f"{rng.choice(['NEW YORK', 'LONDON', 'PARIS', 'BERLIN'])} ({outlet}) — {paras[0]}"]
    for para in paras[1:]:
        out.append(para)
        if rng.random() < 0.15:
            out.append(rng.choice(["Advertisement", f"Related: More from {outlet} on this story",
                                   f"Sign up for the {outlet} daily newsletter"]))
    out.append(f"Copyright 2026 {outlet}. All rights reserved. This material may not be redistributed.")
    return "\n".join(out)


def edit(text: str, rng: random.Random, rate: float = 0.06) -> str:
    sentences = _SENTENCE.split(text)
    if len(sentences) > 4:
        del sentences[rng.randrange(1, len(sentences) - 1)]
    sentences.insert(rng.randrange(1, len(sentences)), "A spokesperson declined to comment on the report on Monday.")
    words = " ".join(sentences).split(" ")
    vocabulary = [w for w in words if w.isalpha()] or ["news"]
    edited = []
    for word in words:
        roll = rng.random()
        if roll < rate / 2:
            continue  # dropped
        edited.append(rng.choice(vocabulary) if roll < rate else word)
    return " ".join(edited)


def truncate(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    keep = max(60, int(len(words) * rng.uniform(0.25, 0.5)))
    return " ".join(words[:keep]) + " … Read more on our partner's site."


def keywords(text: str, n: int = 12) -> list[str]:
    counts = Counter(w for w in re.findall(r"[A-Za-z]{5,}", text) if w.lower() not in _STOP)
    return [w for w, _ in counts.most_common(n)]


def same_topic(text: str, title: str, others: list[str], rng: random.Random) -> str:
    """An article on ``text``'s topic sharing no passage with anything: sentences picked one by one
    from ``others`` (other articles), with ``text``'s topic words and title worked in."""
    topic = keywords(text)
    pool = [s for other in others for s in _SENTENCE.split(other) if len(s.split()) > 5]
    words = " ".join(rng.choice(pool) for _ in range(rng.randrange(10, 25))).split(" ")
    for i in range(len(words)):
        if topic and rng.random() < 0.12:
            words[i] = rng.choice(topic)
    return f"{title}: what we know so far. " + " ".join(words)

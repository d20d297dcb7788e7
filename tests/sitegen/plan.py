"""The seeded decisions: which outlets exist, how each one looks, and its articles and pages.

Everything here draws from one ``random.Random(seed)`` in a fixed order, so a seed always
builds the same site.  Article bodies are corpus pages (``tests/data/corpus``); each copy gets
a seeded lead paragraph so two outlets sharing a corpus page still publish different texts.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from tests.localsite.pages import find_charset, slugify

from .model import (
    AMP_STYLES,
    BASE_DATE,
    URL_SCHEMES,
    VARIANT_KINDS,
    GenArticle,
    GenPage,
    OutletPlan,
)
from .urls import article_path

CORPUS_DIR = Path(__file__).resolve().parent.parent / "data" / "corpus"
TAGS = ("film", "music", "tv", "awards", "streaming", "theatre")
AUTHORS = ("Ana Ruiz", "Ben Okafor", "Chloe Martin", "Dev Patel")
GALLERIES = ("red-carpet-looks", "festival-in-pictures", "behind-the-scenes")
_WORDS = ["studio", "premiere", "season", "director", "festival", "audience", "critics", "release", "box", "office", "cast", "streaming", "series", "award", "nominee", "interview", "soundtrack", "sequel", "trailer", "casting", "network", "producer", "screenplay", "ratings", "tour", "album", "label", "venue", "rehearsal", "debut", "finale"]


@dataclass(frozen=True)
class CorpusPage:
    slug: str
    meta: dict[str, object]
    source: bytes


def load_corpus(corpus_dir: Path = CORPUS_DIR) -> list[CorpusPage]:
    pages = []
    for html_file in sorted(corpus_dir.glob("*.html")):
        meta_file = html_file.with_suffix(".json")
        if meta_file.exists():
            pages.append(CorpusPage(html_file.stem, json.loads(meta_file.read_text(encoding="utf-8")),
                                    html_file.read_bytes()))
    if not pages:
        raise ValueError(f"no corpus pages (*.html + *.json) in {corpus_dir}")
    return pages


def sentence(rng: random.Random, words: int = 14) -> str:
    """A seeded sentence of news-flavoured words (unique enough to tell copies apart)."""
    picked = [rng.choice(_WORDS) for _ in range(words)]
    return " ".join(picked).capitalize() + f" ({rng.randrange(10**6):06d})."


def plan_outlet(rng: random.Random, name: str, validators: str) -> OutletPlan:
    """``validators`` is chosen by the caller so that every site covers all three modes."""
    n_variants = rng.randint(2, 6)
    return OutletPlan(
        name=name,
        scheme=rng.choice(URL_SCHEMES),
        variants=tuple(sorted(rng.sample(VARIANT_KINDS, n_variants))),
        amp_style=rng.choice(AMP_STYLES),
        print_copies=rng.random() < 0.5,
        validators=validators,
        sitemap_lastmod=rng.random() < 0.6,
        feed_dates=rng.random() < 0.7,
        feed_kind=rng.choice(("rss", "atom")),
        news_sitemap=rng.random() < 0.7,
        download_delay=rng.choice((0.02, 0.03, 0.04, 0.05)),
    )


class ArticleFactory:
    """Turns corpus pages into an outlet's articles (numbers, slugs and paths never repeat)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._numbers: set[int] = set()
        self._paths: set[str] = set()

    def make(self, plan: OutletPlan, page: CorpusPage, published_hours_ago: float,
             round_added: int = 1) -> GenArticle:
        rng = self.rng
        number = rng.randrange(100_000, 999_999)
        while number in self._numbers:
            number += 1
        self._numbers.add(number)
        title = str(page.meta.get("title") or page.slug)
        slug = slugify(title)[:60].strip("-")
        if len(slug) < 8:  # a title in another script: CMSs fall back to an id-based slug
            slug = f"story-{number}"
        published = BASE_DATE + timedelta(days=round_added - 1) - timedelta(hours=published_hours_ago)
        path = article_path(plan.scheme, published, slug, number)
        if path in self._paths:  # two corpus titles can slugify alike
            slug = f"{slug}-{number}"
            path = article_path(plan.scheme, published, slug, number)
        self._paths.add(path)
        return GenArticle(
            outlet=plan.name, number=number, slug=slug, path=path, corpus_slug=page.slug, title=title,
            lead=sentence(rng, 24), published=published, lastmod=published,
            has_canonical=rng.random() < 0.75, has_og_url=rng.random() < 0.6,
            has_amp=plan.amp_style != "none" and rng.random() < 0.4,
            tags=tuple(sorted(rng.sample(TAGS, 2))), author=rng.choice(AUTHORS),
            charset=find_charset(page.source), source=page.source,
            body_hint=str(page.meta.get("body") or page.meta.get("body_prefix") or ""), round_added=round_added,
        )


def outlet_pages(plan: OutletPlan, articles: list[GenArticle]) -> list[GenPage]:
    """The non-article pages of one outlet (authors and tags only when they have stories)."""
    name = plan.name
    pages = [
        GenPage(name, "about", "/about/", "About us"),
        GenPage(name, "contact", "/contact/", "Contact"),
        GenPage(name, "legal", "/legal/privacy/", "Privacy policy"),
        GenPage(name, "legal", "/legal/terms/", "Terms of use"),
        GenPage(name, "video", "/video/", "Video"),
        GenPage(name, "section", "/section/news/", "News"),
    ]
    pages += [GenPage(name, "gallery", f"/gallery/{g}/", g.replace("-", " ").title()) for g in GALLERIES]
    for author in sorted({a.author for a in articles}):
        pages.append(GenPage(name, "author", f"/author/{slugify(author)}/", author))
    for tag in sorted({t for a in articles for t in a.tags}):
        pages.append(GenPage(name, "tag", f"/tag/{tag}/", tag.title()))
    return pages

"""Non-article page kinds (archive.extract.sitepages) through the real extractor: site pages,
author/tag/section pages, galleries and video hubs are refused; articles filed under the same
words, illustrated articles and video stories are kept."""

from __future__ import annotations

import json

import pytest

from archive.extract.extractor import extract_page

PROSE = (
    "The studio confirmed on Tuesday that the production will move to Budapest next spring, "
    "after months of negotiations with the local film commission over tax credits and crew. "
    "The director, who spoke to reporters at the festival, said the new schedule leaves room "
    "for reshoots and a longer post-production period than the first film had. "
    "Casting for the two remaining lead roles is expected to close before the end of the year, "
    "and the distributor has already set a release window for the following autumn season. "
)


def page(url: str, *, og_type: str | None = None, ld: list[dict[str, object]] | None = None,
         body: str = "", published: str | None = None, title: str = "A page") -> tuple[bytes, str]:
    head = [f"<title>{title}</title>", f'<link rel="canonical" href="{url}">']
    if og_type:
        head.append(f'<meta property="og:type" content="{og_type}">')
    if published:
        head.append(f'<meta property="article:published_time" content="{published}">')
    if ld:
        head.append(f'<script type="application/ld+json">{json.dumps({"@context": "https://schema.org", "@graph": ld})}</script>')
    nav = "<nav><a href='/'>Home</a> <a href='/film/'>Film</a> <a href='/tv/'>TV</a> <a href='/about-us/'>About</a></nav>"
    html = (f"<!doctype html><html lang='en'><head>{''.join(head)}</head><body><header>{nav}</header>"
            f"<main><h1>{title}</h1>{body}</main><footer><a href='/privacy-policy/'>Privacy</a></footer></body></html>")
    return html.encode(), url


def paragraphs(n: int = 2) -> str:
    return "".join(f"<p>{PROSE}</p>" for _ in range(n))


def gallery_body(n: int = 20, caption: str = "Stars arrive on the red carpet.") -> str:
    return "".join(f'<figure><img src="/media/red-carpet-{i}.jpg" width="800"><figcaption>{caption} ({i})</figcaption></figure>'
                   for i in range(n))


NON_ARTICLES = {
    "about page": page("https://news.example.com/about-us/", og_type="website",
                       ld=[{"@type": "WebPage", "name": "About us"}], body=paragraphs(3), title="About us"),
    "contact page": page("https://news.example.com/contact", og_type="website", body=paragraphs(2), title="Contact"),
    "privacy page": page("https://news.example.com/legal/privacy-policy.html", body=paragraphs(3), title="Privacy"),
    "declared about page": page("https://news.example.com/who/", ld=[{"@type": "AboutPage"}], body=paragraphs(2)),
    "author page": page("https://news.example.com/author/jane-doe/", og_type="profile",
                        ld=[{"@type": "ProfilePage"}, {"@type": "Person", "name": "Jane Doe"}], body=paragraphs(2)),
    "author page, paginated": page("https://news.example.com/author/jane-doe/page/3/", body=paragraphs(2)),
    "tag page": page("https://news.example.com/tag/oscars/", ld=[{"@type": "CollectionPage"}], body=paragraphs(2)),
    "topic page": page("https://news.example.com/topics/box-office", og_type="website", body=paragraphs(2)),
    "section page": page("https://news.example.com/category/film/page/2/", body=paragraphs(2)),
    "gallery declared as an article": page(
        "https://news.example.com/gallery/oscars-red-carpet-2026/", og_type="article",
        ld=[{"@type": "NewsArticle", "headline": "Red carpet"}], published="2026-03-02T01:00:00Z",
        body=paragraphs(1) + gallery_body()),
    "declared image gallery": page("https://news.example.com/2026/03/02/red-carpet/",
                                   ld=[{"@type": "ImageGallery"}], body=paragraphs(1) + gallery_body()),
    "video hub": page("https://news.example.com/videos/", og_type="website", body=paragraphs(2)),
    "declared video gallery": page("https://news.example.com/watch-now/", ld=[{"@type": "VideoGallery"}],
                                   body=paragraphs(2)),
}

ARTICLES = {
    "article under a section word": page(
        "https://www.npr.example/sections/thetwo-way/2016/12/15/505723552/jury-finds", og_type="article",
        body=paragraphs(3)),
    "article under a newsletter word, no metadata": page(
        "https://www.politico.example/newsletters/morning-money/2022/10/11/grim-outlook-00061134", body=paragraphs(3)),
    "video story": page("https://globalnews.example/video/1747657/video-of-the-gardners", og_type="video.other",
                        body=paragraphs(2) + '<video src="/v/1.mp4"></video>'),
    "illustrated article": page(
        "https://news.example.com/2026/03/02/oscars-review/", og_type="article", published="2026-03-02T01:00:00Z",
        ld=[{"@type": "NewsArticle"}], body=paragraphs(6) + gallery_body(10, caption=PROSE)),
    "slug that contains a kind word": page("https://news.example.com/tag-heuer-sponsors-the-festival",
                                           og_type="article", body=paragraphs(3)),
    "dated article with a website og:type": page("https://news.example.com/2026/11/03/casting-news.html",
                                                 og_type="website", published="2026-11-03T10:00:00Z",
                                                 body=paragraphs(3)),
}


@pytest.mark.parametrize("name", sorted(NON_ARTICLES))
def test_non_article_kinds_are_refused(name: str) -> None:
    body, url = NON_ARTICLES[name]
    got = extract_page(body, url, "text/html")
    assert not got.is_article
    assert got.reason in {"site-page", "author-page", "tag-page", "section-page", "collection", "gallery",
                          "video-hub"}, got.reason


@pytest.mark.parametrize("name", sorted(ARTICLES))
def test_articles_filed_under_kind_words_are_kept(name: str) -> None:
    body, url = ARTICLES[name]
    got = extract_page(body, url, "text/html")
    assert got.is_article, got.reason


def _corpus_pages() -> list[tuple[str, bytes, str]]:
    from tests.paths import REPO, TESTS_DIR

    found = []
    for directory in (TESTS_DIR / "data" / "corpus", REPO.parent / "shared" / "corpus" / "pages"):
        for html in sorted(directory.glob("*.html")) if directory.is_dir() else []:
            meta = json.loads(html.with_suffix(".json").read_text()) if html.with_suffix(".json").exists() else {}
            found.append((html.name, html.read_bytes(), meta.get("url") or "https://example.com/story"))
    return found


def test_no_corpus_article_is_taken_for_a_site_page_by_type_or_url() -> None:
    """The declared-type and URL rules fire on none of the real article pages (428 with shared/)."""
    import trafilatura

    from archive.extract.markup import _json_ld_objects, _meta_values, decode_html
    from archive.extract.sitepages import site_page_kind

    pages = _corpus_pages()
    assert len(pages) >= 20
    flagged = []
    for name, body, url in pages:
        tree = trafilatura.load_html(decode_html(body, None))
        # Whole-page text: more than the article's, so only the type and URL rules can fire.
        kind = site_page_kind(tree, _meta_values(tree), _json_ld_objects(tree), url, tree.text_content())
        if kind:
            flagged.append((name, kind))
    assert flagged == []

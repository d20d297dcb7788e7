"""Tests for archive.extract.blockpage: challenge, CAPTCHA, consent-wall and paywall pages are recognised,
and no real article is (every page of tests/data/corpus and the shared corpus goes through the
full extractor and must not be flagged)."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from archive.extract.blockpage import BLOCK_REASONS, error_page_block_reason
from archive.extract.extractor import extract_page
from tests.hostile_site import (
    CAPTCHA,
    CLOUDFLARE_CHALLENGE,
    CONSENT_WALL,
    DDOS_GUARD,
    article_html,
    furnished_page,
    paywall_page,
    story_paragraphs,
)
from tests.paths import TESTS_DIR

URL = "https://news.example/2024/05/17/some-story/"
LOCAL_CORPUS = TESTS_DIR / "data" / "corpus"
SHARED_CORPUS = Path(os.environ.get("PRESSCLIPS_SHARED_CORPUS", "/work/shared/corpus/pages"))

ATTENTION_REQUIRED = """<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>
<body><div id="cf-wrapper"><div id="cf-error-details"><h1>Sorry, you have been blocked</h1>
<h2>You are unable to access news.example</h2><p>This website is using a security service to protect itself from
online attacks.</p><p>Cloudflare Ray ID: <strong>7d1f2a3b4c5d6e7f</strong></p></div></div></body></html>"""
AKAMAI = """<html><head><title>Access Denied</title></head><body><h1>Access Denied</h1>
You don't have permission to access "http://news.example/2024/05/17/some-story/" on this server.<p>
Reference #18.5d2c3017.1716000000.2a3b4c5d</p></body></html>"""
INCAPSULA = """<html><head><meta name="robots" content="noindex,nofollow">
<script src="/_Incapsula_Resource?SWJIYLWA=719d34d31c8e3a6e6fffd425f7e032f3"></script></head>
<body><iframe id="main-iframe" src="/_Incapsula_Resource?CWUDNSAI=9&xinfo=1-2-3" frameborder=0>
Request unsuccessful. Incapsula incident ID: 1234000560123456789-12345678901234567</iframe></body></html>"""
PERIMETERX = """<!DOCTYPE html><html lang="en"><head><title>Access to this page has been denied</title>
<script>window._pxAppId = 'PXabcdef';</script></head><body><div id="px-captcha"></div>
<p>Press &amp; Hold to confirm you are a human (and not a bot).</p><p>Reference ID 7a8b9c</p></body></html>"""
HCAPTCHA = """<!DOCTYPE html><html><head><title>Security check</title>
<script src="https://hcaptcha.com/1/api.js" async defer></script></head><body>
<h1>One more step</h1><p>Please complete the security check to access news.example</p>
<div class="h-captcha" data-sitekey="10000000-ffff-ffff-ffff-000000000001"></div></body></html>"""
ROBOT_CHECK = """<!DOCTYPE html><html><head><title>Robot Check</title></head><body>
<h4>Enter the characters you see below</h4><p>Sorry, we just need to make sure you're not a robot.</p>
<form action="/errors/validateCaptcha"><img src="https://images.example/captcha/abc.jpg">
<input id="captchacharacters" name="field-keywords"></form></body></html>"""
DIDOMI_WALL = """<!DOCTYPE html><html lang="en"><head><title>News Example</title>
<script>window.didomiConfig = {};</script></head><body><div id="didomi-host"><div class="didomi-popup-container">
<h1>We care about your privacy</h1><p>We and our partners store and/or access information on a device, such as
unique IDs in cookies to process personal data. You may accept or manage your choices by clicking below,
including your right to object where legitimate interest is used, or at any time in the privacy policy page.</p>
<button>Agree and close</button><button>Learn more</button></div></div></body></html>"""
BEFORE_YOU_CONTINUE = """<!DOCTYPE html><html><head><title>Before you continue</title></head><body>
<h1>Before you continue to News Example</h1><p>We use cookies and data to deliver and maintain services,
track outages and protect against spam, fraud and abuse, and measure audience engagement.</p>
<p>If you choose to Accept all, we will also use cookies and data to develop and improve new services and
show personalised ads and content.</p><button>Reject all</button><button>Accept all</button></body></html>"""
REGWALL = article_html(
    "a-short-teaser", title="Festival lineup revealed",
    paragraphs=["The festival announced its lineup on Tuesday, with three surprise headliners."],
    after='<div class="regwall"><p>Create a free account to continue reading.</p><a href="/register">Register</a>'
          "<p>Already a member? <a href=\"/login\">Sign in</a></p></div>")
SUBSCRIBERS_ONLY = article_html(
    "exclusive-interview", title="An exclusive interview",
    paragraphs=["In a rare interview, the director talked about the long road to the screen.",
                "This article is only available to subscribers. Subscribe to keep reading."])


def _reason(html: str) -> str | None:
    return extract_page(html.encode("utf-8"), URL, "text/html; charset=utf-8").reason


@pytest.mark.parametrize(("html", "reason"), [
    (CLOUDFLARE_CHALLENGE, "challenge"), (ATTENTION_REQUIRED, "challenge"), (AKAMAI, "challenge"),
    (INCAPSULA, "challenge"), (DDOS_GUARD, "challenge"),
    (CAPTCHA, "captcha"), (PERIMETERX, "captcha"), (HCAPTCHA, "challenge"), (ROBOT_CHECK, "captcha"),
    (CONSENT_WALL, "consent"), (DIDOMI_WALL, "consent"), (BEFORE_YOU_CONTINUE, "consent"),
    (paywall_page(), "paywall"), (REGWALL, "paywall"), (SUBSCRIBERS_ONLY, "paywall"),
], ids=["cloudflare", "cf-blocked", "akamai", "incapsula", "ddos-guard", "datadome-recaptcha", "perimeterx",
        "hcaptcha-one-more-step", "robot-check", "onetrust", "didomi", "before-you-continue", "paywall",
        "regwall", "subscribers-only"])
def test_block_pages_are_recognised(html: str, reason: str) -> None:
    got = extract_page(html.encode("utf-8"), URL, "text/html; charset=utf-8")
    assert (got.is_article, got.reason) == (False, reason)
    assert got.text == "" or reason in ("paywall", "consent") or len(got.text) < 300


@pytest.mark.parametrize(("status", "html", "reason"), [
    (403, CLOUDFLARE_CHALLENGE, "challenge"), (503, CLOUDFLARE_CHALLENGE, "challenge"),
    (403, ATTENTION_REQUIRED, "challenge"), (403, AKAMAI, "challenge"), (429, PERIMETERX, "captcha"),
    (403, "<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1></body></html>", None),
    (404, CLOUDFLARE_CHALLENGE, None),  # not a status a challenge answers with
    (403, "<html><body><h1>Forbidden</h1><p>You may not list this directory.</p></body></html>", None),
    (503, "<html><body><h1>Service Unavailable</h1><p>Back soon.</p></body></html>", None),
    (403, "", None),
])
def test_error_pages(status: int, html: str, reason: str | None) -> None:
    assert error_page_block_reason(status, html.encode("utf-8"), "text/html") == reason


def test_error_page_check_is_total() -> None:
    for body in (b"\x00\xff" * 100, b"<", b"%PDF-1.4", "<html>Zoë</html>".encode("utf-16")):
        assert error_page_block_reason(403, body, "text/html") is None
    assert error_page_block_reason(403, CLOUDFLARE_CHALLENGE.encode(), "application/json") is None


@pytest.mark.parametrize("html", [
    furnished_page(),
    # a short brief whose comment form loads reCAPTCHA
    article_html("short-brief", paragraphs=story_paragraphs("short-brief", n=2),
                 after='<form class="comments"><div class="g-recaptcha"></div>'
                       "<p>Confirm you are not a robot.</p></form>"),
    # a long article with a newsletter box that uses paywall words
    article_html("long-piece", after='<aside class="paywall-promo"><p>Subscribe to continue reading our '
                                     "newsletter every morning.</p></aside>"),
    # an article about cookies and privacy
    article_html("privacy-story", extra="regulators said we value your privacy is not consent, and "
                 "accept all buttons must be matched by reject all buttons;"),
], ids=["furnished", "brief-with-recaptcha", "newsletter-box", "about-privacy"])
def test_articles_with_the_same_furniture_are_articles(html: str) -> None:
    got = extract_page(html.encode("utf-8"), URL, "text/html; charset=utf-8")
    assert got.is_article, got.reason


def _corpus_reason(path: str) -> tuple[str, str | None]:
    return Path(path).name, extract_page(Path(path).read_bytes(), URL, "text/html").reason


def _flagged(pages: list[Path]) -> list[tuple[str, str | None]]:
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_corpus_reason, [str(p) for p in pages], chunksize=8))
    assert len(results) == len(pages)
    return [(name, reason) for name, reason in results if reason in BLOCK_REASONS]


def test_no_page_of_the_local_corpus_is_flagged() -> None:
    pages = sorted(LOCAL_CORPUS.glob("*.html"))
    assert len(pages) > 20
    assert _flagged(pages) == []


def test_no_page_of_the_shared_corpus_is_flagged() -> None:
    pages = sorted(SHARED_CORPUS.glob("*.html"))
    if not pages:
        pytest.skip(f"shared corpus not found at {SHARED_CORPUS} (set PRESSCLIPS_SHARED_CORPUS)")
    assert len(pages) > 300
    assert _flagged(pages) == []

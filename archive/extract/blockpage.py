"""Pages that stand between the crawler and the article: bot challenges, CAPTCHAs, consent walls, paywalls.

Owns ``block_reason`` (a fetched HTML page → "challenge" | "captcha" | "consent" | "paywall" |
None) and ``error_page_block_reason`` (the same for a non-2xx body, e.g. Cloudflare's 403/503
challenge). Such a page is archived as a capture of kind ``blocked`` with the reason, never
stored as article text, and is worth fetching again later (the frontier schedules that).

Every rule needs two things: a marker (title, vendor markup, wording) *and* the absence of an
article. Real article pages carry the same furniture — Cloudflare injects its
``challenge-platform`` script into ordinary pages, comment forms load reCAPTCHA, consent
vendors (OneTrust, Didomi, Quantcast) sit on most news sites, "Subscribe" boxes are
everywhere — so a marker alone never flags a page. Checked against the ~400 real articles of
the shared corpus (tests/test_blockpage.py asserts none is flagged).

    challenge  a bot-protection interstitial or block page: "Just a moment...", cf-chl /
               _cf_chl_opt, Incapsula, DDoS-Guard, AWS WAF, Sucuri, "Access denied"; with
               under BLOCK_MAX_TEXT of main text when the title says so (else under
               MIN_TEXT_CHARS) and under BLOCK_MAX_PAGE_TEXT of visible text.
    captcha    a CAPTCHA widget (reCAPTCHA, hCaptcha, Turnstile, DataDome, PerimeterX) with
               "verify you are human" wording or a captcha title, under the same limits.
    consent    consent-wall wording ("We value your privacy", "Accept all", "store and/or
               access information on a device" — at least CONSENT_MIN_PHRASES of them), and
               under CONSENT_MAX_OTHER_TEXT of main text once the consent sentences are taken
               out; main text over CONSENT_MAX_TEXT also needs a consent vendor's markup.
    paywall    "subscribe to continue reading" wording plus JSON-LD ``isAccessibleForFree:
               false`` with at most PAYWALL_MAX_TEXT of main text (the teaser), or plus a
               paywall container (paywall/piano/regwall class names) or the wording inside
               the main text with at most PAYWALL_TEASER_TEXT.

Pure functions over strings and lxml trees; no trafilatura, no Scrapy.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement, HTMLParser, document_fromstring

from archive.extract.markup import decode_html
from archive.extract.pagekind import MIN_TEXT_CHARS

BLOCK_REASONS = ("challenge", "captcha", "consent", "paywall")

BLOCK_MAX_TEXT = 1000  # main text longer than this is an article, whatever the furniture says
# (and without a challenge/CAPTCHA title, main text of MIN_TEXT_CHARS or more is one)
BLOCK_MAX_PAGE_TEXT = 3000  # challenge pages are tiny: their whole visible text is short
CONSENT_MIN_PHRASES = 2  # distinct consent-wall phrases needed in the visible text
CONSENT_MAX_OTHER_TEXT = 300  # main text outside consent sentences (MIN_TEXT_CHARS)
CONSENT_MAX_TEXT = 1500  # longer consent-only text needs a consent vendor's markup too
PAYWALL_MAX_TEXT = 1500  # a teaser marked isAccessibleForFree=false shows at most this much text
PAYWALL_TEASER_TEXT = 800  # a teaser with only a paywall container (no JSON-LD) at most this much
ERROR_PAGE_SNIFF_BYTES = 512 * 1024  # non-2xx bodies are read this far (challenges are small)
CHALLENGE_STATUSES = frozenset({401, 402, 403, 429, 503})  # what challenge/paywall pages answer with

_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head", "title"})

_CHALLENGE_TITLE = re.compile(
    r"^\s*(?:just a moment|attention required|checking your browser|checking if the site connection"
    r"|one more step|ddos-guard|access denied|request unsuccessful|you have been blocked"
    r"|security check(?:ing)?|please wait\s*(?:\.\.\.|…)|pardon our interruption)",
    re.I,
)
_CHALLENGE_MARKUP = re.compile(
    r"_cf_chl_opt|cf-chl-|cf_chl_|chl_page|jschl[-_]|__cf_chl|_Incapsula_Resource|incapsula incident"
    r"|ddos-guard|awsWafCookieDomainList|token\.awswaf\.com|sucuri website firewall",
    re.I,
)
_CHALLENGE_WORDS = re.compile(
    r"enable javascript and cookies to continue|checking if the site connection is secure"
    r"|needs to review the security of your connection|checking your browser before accessing"
    r"|performance (?:&|and) security by cloudflare|sorry, you have been blocked"
    r"|you don't have permission to access .{1,200} on this server",
    re.I,
)
_CAPTCHA_TITLE = re.compile(r"captcha|are you (?:a )?(?:robot|human)|robot check|human verification"
                            r"|verify(?:ing)? you are (?:a )?human", re.I)
_CAPTCHA_MARKUP = re.compile(
    r"""class\s*=\s*["'][^"']*\b(?:g-recaptcha|h-captcha|cf-turnstile)\b|px-captcha|captcha-delivery\.com"""
    r"|hcaptcha\.com/1/api|recaptcha/api\.js|challenges\.cloudflare\.com/turnstile|/captcha/",
    re.I,
)
_HUMAN_WORDS = re.compile(
    r"verify (?:that )?you(?:'re| are) (?:a )?human|(?:i'?m|you(?:'re| are)) not a robot|are you a robot"
    r"|confirm (?:that )?you(?:'re| are) (?:a )?human|prove you(?:'re| are) (?:a )?human"
    r"|unusual traffic from your (?:computer )?network|press (?:&|and) hold|complete the security check"
    r"|verifying you are human",
    re.I,
)
# Wording of a consent wall (not of a footer link): each alternative counts once.
_CONSENT_PHRASES = (
    r"we value your privacy", r"we care about your privacy", r"your privacy is important to us",
    r"we and our (?:\d+ )?(?:partners|vendors)", r"store and/or access information on a device",
    r"accept all(?: cookies)?", r"reject all(?: cookies)?", r"before you continue",
    r"(?:agree|consent) to (?:the use of|our use of|the storing of) cookies", r"cookie consent",
    r"manage (?:your )?(?:cookie |privacy )?(?:preferences|choices|settings|options)",
    r"legitimate interest", r"personali[sz]ed (?:ads|advertising) and content",
    r"by clicking [\"“]?(?:accept|agree|i agree|ok)", r"consent to (?:our|the) (?:use|processing)",
)
_CONSENT = re.compile("|".join(f"(?P<c{i}>{p})" for i, p in enumerate(_CONSENT_PHRASES)), re.I)
_CONSENT_SENTENCE = re.compile(
    r"cookie|consent|privacy|partners|vendors|personali[sz]|advertis|legitimate interest|accept|reject"
    r"|preferences|device|tracking|opt[- ]out|your data|data protection",
    re.I,
)
_PAYWALL_WORDS = re.compile(
    r"(?:subscri\w*|sign in|log in|login|register|create (?:a |an )?(?:free )?account)[^.!?\n]{0,80}"
    r"\b(?:continue|keep|start) reading"
    r"|(?:continue|keep) reading[^.!?\n]{0,60}(?:subscri|sign in|log in|register)"
    r"|(?:this|the) (?:article|story|content|piece) is (?:only |exclusively )?(?:available |reserved )?"
    r"(?:only )?(?:for|to) (?:our )?(?:paying |paid |premium |digital )?(?:subscribers|members)"
    r"|(?:for )?subscribers only|already (?:a|an existing) (?:subscriber|member)\?"
    r"|you(?:'ve| have) reached your (?:free )?(?:article |monthly |story )?limit"
    r"|unlock (?:this|the full) (?:article|story)|to read the (?:full|rest of the|whole) (?:article|story)",
    re.I,
)
_PAYWALL_MARKUP = re.compile(
    r"""(?:class|id)\s*=\s*["'][^"']*(?:paywall|regwall|piano-|tp-modal|tp-container|subscriber-only"""
    r"""|premium-(?:content|article|wall)|metered-?content|article-locked|locked-content|subscription-wall)""",
    re.I,
)
# Google's structured data for paywalled content.
_NOT_FREE = re.compile(r""""isAccessibleForFree"\s*:\s*"?false""", re.I)
_CONSENT_VENDORS = re.compile(
    r"onetrust|optanon|cookielaw\.org|didomi|quantcast|qc-cmp|consensu\.org|sp_message|sourcepoint|cookiebot"
    r"|usercentrics|trustarc|truste\.com|fundingchoices|fc-consent|consent\.(?:yahoo|google)\.com|guce\.",
    re.I,
)


def visible_text(tree: HtmlElement) -> str:
    """The page's rendered text, roughly: every text node outside script/style/head, whitespace collapsed."""
    parts: list[str] = []

    def walk(el: etree._Element) -> None:
        if isinstance(el.tag, str) and el.tag.lower() not in _SKIP_TAGS:
            if el.text:
                parts.append(el.text)
            for child in el:
                walk(child)
        if el.tail:
            parts.append(el.tail)

    body = tree.find(".//body")
    for child in (body if body is not None else tree):
        walk(child)
    return " ".join(" ".join(parts).split())


def _title(tree: HtmlElement) -> str:
    el = tree.find(".//title")
    return " ".join((el.text_content() if el is not None else "").split())


def _consent_phrases(text: str) -> int:
    return len({m.lastgroup for m in _CONSENT.finditer(text)})


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")


def _text_outside_consent(text: str, enough: int | None = None) -> int:
    """Characters of ``text`` in sentences that say nothing about cookies, consent or privacy;
    counting stops once past ``enough`` (the caller only compares with it: on a long article
    this runs on every page, and scanning all its sentences cost ~15% of extraction)."""
    total, start = 0, 0
    for cut in (*_SENTENCE_BREAK.finditer(text), None):
        sentence = text[start:cut.start()] if cut else text[start:]
        start = cut.end() if cut else len(text)
        if sentence.strip() and not _CONSENT_SENTENCE.search(sentence):
            total += len(sentence)
            if enough is not None and total > enough:
                return total
    return total


def block_reason(html: str, tree: HtmlElement, main_text: str) -> str | None:
    """Why this page is a block/consent/paywall page instead of an article, or None.

    ``html`` is the decoded page, ``tree`` its parsed root, ``main_text`` the extractor's text.
    Cheap for articles: nothing is searched once the main text is longer than every limit.
    """
    size = len(main_text.strip())
    if size > max(BLOCK_MAX_TEXT, PAYWALL_MAX_TEXT, CONSENT_MAX_OTHER_TEXT) and \
            _text_outside_consent(main_text, CONSENT_MAX_OTHER_TEXT) > CONSENT_MAX_OTHER_TEXT:
        return None
    title = _title(tree)
    page_text = visible_text(tree)
    # A challenge/CAPTCHA title allows a longer page; markup or wording alone only flags a page
    # too short to be an article anyway (a brief whose comment form loads reCAPTCHA stays one).
    strong = _CHALLENGE_TITLE.search(title) or _CAPTCHA_TITLE.search(title)
    if size <= (BLOCK_MAX_TEXT if strong else MIN_TEXT_CHARS) and len(page_text) <= BLOCK_MAX_PAGE_TEXT:
        if _CHALLENGE_TITLE.search(title) or _CHALLENGE_MARKUP.search(html) or _CHALLENGE_WORDS.search(page_text):
            # A CAPTCHA inside a vendor challenge (Turnstile) is still the vendor's challenge,
            # unless the page is only a CAPTCHA widget with a human-check title.
            if _CAPTCHA_TITLE.search(title) and not _CHALLENGE_MARKUP.search(html):
                return "captcha"
            return "challenge"
        has_widget = bool(_CAPTCHA_MARKUP.search(html))
        captcha_title = _CAPTCHA_TITLE.search(title)
        if (has_widget or captcha_title) and (_HUMAN_WORDS.search(page_text) or captcha_title):
            return "captcha"
    # Consent: the wall's own wording, and nothing else in the main text. A long text that is
    # all about cookies is an article on the subject unless a consent vendor's markup is there.
    if _consent_phrases(f"{title} {page_text}") >= CONSENT_MIN_PHRASES and \
            _text_outside_consent(main_text) < CONSENT_MAX_OTHER_TEXT and \
            (size <= CONSENT_MAX_TEXT or _CONSENT_VENDORS.search(html)):
        return "consent"
    # Paywall: the wall's wording, plus the publisher's own "not free" markup on a teaser, or
    # a paywall container (or the wording inside the extracted text) on a shorter one.
    if _PAYWALL_WORDS.search(page_text) and (
            (size <= PAYWALL_MAX_TEXT and _NOT_FREE.search(html))
            or (size <= PAYWALL_TEASER_TEXT and (_PAYWALL_MARKUP.search(html) or _PAYWALL_WORDS.search(main_text)))):
        return "paywall"
    return None


def error_page_block_reason(status: int, body: bytes, content_type: str | None) -> str | None:
    """``block_reason`` for a non-2xx HTML body (no extractor ran: the visible text stands in
    for the main text). Only statuses that bot walls and paywalls answer with are read
    (CHALLENGE_STATUSES), at most ERROR_PAGE_SNIFF_BYTES of them; never raises."""
    mime = (content_type or "").split(";")[0].strip().lower()
    head = body[:ERROR_PAGE_SNIFF_BYTES]
    if status not in CHALLENGE_STATUSES or not head.strip() or (mime and "html" not in mime and mime != "text/plain"):
        return None
    html = decode_html(head, content_type)
    try:
        tree = document_fromstring(html.encode("utf-8"), parser=_parser())
    except (etree.LxmlError, ValueError):
        return None
    if tree is None:
        return None
    return block_reason(html, tree, visible_text(tree))


def _parser() -> HTMLParser:
    # lxml.html's parser, so elements are HtmlElements (text_content) as in the extractor's tree.
    return HTMLParser(encoding="utf-8", recover=True, no_network=True, remove_comments=True)
